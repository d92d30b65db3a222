"""Partner systems: OAuth2 client-credentials clients bound to a handling unit.

The secret is shown once and stored as an argon2id hash. Rotating keeps the previous secret
valid for an overlap (default 24 h) so the partner can switch without downtime.
"""

import secrets
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.errors import NotFound
from cppcc_common.ids import new_id
from cppcc_common.pagination import decode_cursor, page_of
from member_svc.directory.models import Unit
from member_svc.identity.errors import InvalidClient
from member_svc.identity.models import PartnerClient
from member_svc.identity.passwords import hash_password, verify_password


def _new_secret() -> str:
    return "cs_" + secrets.token_urlsafe(32)


async def register_client(
    change: Change, *, org_id: UUID, unit_id: UUID, name: str
) -> tuple[PartnerClient, str]:
    """A new partner system of one of the organization's units; the secret is returned once."""
    session = change.session
    unit = await session.get(Unit, unit_id)
    if unit is None or unit.org_id != org_id:
        raise NotFound()
    secret = _new_secret()
    client = PartnerClient(
        id=new_id(),
        org_id=org_id,
        unit_id=unit_id,
        name=name,
        client_id="pc_" + secrets.token_hex(12),
        secret_hash=await hash_password(secret),
        created_at=change.now,
        scopes="",
    )
    session.add(client)
    await session.flush()
    return client, secret


async def get_client(session: AsyncSession, org_id: UUID, client_uuid: UUID) -> PartnerClient:
    client = await session.get(PartnerClient, client_uuid)
    if client is None or client.org_id != org_id:
        raise NotFound()
    return client


async def list_clients(
    session: AsyncSession, org_id: UUID, *, cursor: str | None, limit: int
) -> tuple[list[PartnerClient], str | None]:
    """A page of the organization's partner systems, newest first."""
    query = select(PartnerClient).where(PartnerClient.org_id == org_id)
    if cursor:
        query = query.where(
            tuple_(PartnerClient.created_at, PartnerClient.id) < tuple_(*decode_cursor(cursor))
        )
    query = query.order_by(PartnerClient.created_at.desc(), PartnerClient.id.desc()).limit(limit + 1)
    return page_of(list((await session.execute(query)).scalars()), limit)


async def rotate_secret(change: Change, client: PartnerClient, *, overlap: timedelta) -> str:
    """A new secret; the current one stays valid for `overlap` from now."""
    secret = _new_secret()
    client.previous_secret_hash = client.secret_hash
    client.previous_valid_until = change.now + overlap
    client.secret_hash = await hash_password(secret)
    return secret


def revoke_client(change: Change, client: PartnerClient) -> None:
    """Revokes the client (once: a second revocation keeps the first time)."""
    client.revoked_at = client.revoked_at or change.now


async def authenticate(session: AsyncSession, *, client_id: str, secret: str, now: datetime) -> PartnerClient:
    """The active client with this id whose current (or still-overlapping previous) secret matches."""
    client = (
        await session.execute(select(PartnerClient).where(PartnerClient.client_id == client_id))
    ).scalar_one_or_none()
    if client is None or client.revoked_at is not None:
        await verify_password(None, secret)  # same time either way
        raise InvalidClient()
    if await verify_password(client.secret_hash, secret):
        return client
    overlapping = client.previous_valid_until is not None and client.previous_valid_until > now
    if overlapping and await verify_password(client.previous_secret_hash, secret):
        return client
    raise InvalidClient()
