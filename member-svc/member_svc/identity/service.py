"""Identity use cases: log in with phone + password, rotate refresh tokens, read oneself."""

import hashlib
import secrets
from datetime import datetime, timedelta
from uuid import UUID

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.errors import NotFound
from cppcc_common.ids import new_id
from member_svc.identity.errors import InvalidCredentials, InvalidRefreshToken, RefreshTokenReused
from member_svc.identity.keys import KeyCipher, current_signing_key
from member_svc.identity.passwords import verify_password
from member_svc.identity.schemas import TokenPair
from member_svc.models import Person, RefreshToken
from member_svc.settings import Settings


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_tokens(
    session: AsyncSession,
    *,
    person: Person,
    settings: Settings,
    cipher: KeyCipher,
    now: datetime,
    family_id: UUID | None = None,
) -> TokenPair:
    """A signed access token and a new refresh token (stored hashed) for the person."""
    kid, private = await current_signing_key(session, cipher, now, settings.signing_key_days)
    access_ttl = timedelta(minutes=settings.access_token_minutes)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(person.id),
        "org": str(person.org_id),
        "roles": list(person.roles),
        "scopes": list(person.scopes or []),
        "iat": int(now.timestamp()),
        "exp": int((now + access_ttl).timestamp()),
        "jti": str(new_id()),
    }
    if person.unit_id:
        claims["unit"] = str(person.unit_id)
    access = jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": kid})
    refresh = secrets.token_urlsafe(32)
    refresh_ttl = timedelta(days=settings.refresh_token_days)
    session.add(
        RefreshToken(
            id=new_id(),
            person_id=person.id,
            family_id=family_id or new_id(),
            token_hash=_hash_token(refresh),
            created_at=now,
            expires_at=now + refresh_ttl,
        )
    )
    return TokenPair(
        access_token=access,
        expires_in=int(access_ttl.total_seconds()),
        refresh_token=refresh,
        refresh_expires_in=int(refresh_ttl.total_seconds()),
    )


async def login_with_password(
    session: AsyncSession, *, phone: str, password: str, settings: Settings, cipher: KeyCipher, now: datetime
) -> TokenPair:
    person = (await session.execute(select(Person).where(Person.phone == phone))).scalar_one_or_none()
    if not await verify_password(person.password_hash if person else None, password) or person is None:
        raise InvalidCredentials()
    return await issue_tokens(session, person=person, settings=settings, cipher=cipher, now=now)


async def refresh_tokens(
    session: AsyncSession, *, token: str, settings: Settings, cipher: KeyCipher, now: datetime
) -> TokenPair:
    """Rotates a refresh token; presenting an already-used one revokes its whole family (theft)."""
    stored = (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == _hash_token(token)).with_for_update()
        )
    ).scalar_one_or_none()
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise InvalidRefreshToken()
    if stored.used_at is not None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == stored.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        raise RefreshTokenReused()
    stored.used_at = now
    person = await session.get(Person, stored.person_id)
    if person is None:
        raise InvalidRefreshToken()
    return await issue_tokens(
        session, person=person, settings=settings, cipher=cipher, now=now, family_id=stored.family_id
    )


async def get_person(session: AsyncSession, person_id: UUID) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound()
    return person
