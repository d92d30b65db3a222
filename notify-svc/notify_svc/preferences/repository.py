"""Every query of the preferences context."""

import logging
from collections.abc import Iterable
from uuid import UUID

from cryptography.exceptions import InvalidTag
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc import crypto
from notify_svc.preferences.domain import CategoryChoice, Preferences
from notify_svc.preferences.models import PreferenceRow

log = logging.getLogger("cppcc.preferences")


def phone_of(row: PreferenceRow, key: bytes | None) -> str | None:
    """The person's SMS number, decrypted; None without one, without the key, or if it does not
    decrypt (another key, a row copied): logged by person, never with the number."""
    if row.sms_phone_encrypted is None or key is None:
        return None
    try:
        return crypto.unseal_phone(key, row.person_id, row.sms_phone_encrypted)
    except (InvalidTag, ValueError):
        log.warning("an SMS number does not decrypt", extra={"person": str(row.person_id)})
        return None


def to_domain(row: PreferenceRow, key: bytes | None = None) -> Preferences:
    """A person's preferences; their SMS number itself only when `key` is given (for its owner)."""
    return Preferences(
        locale=row.locale,
        quiet_enabled=row.quiet_enabled,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        sms_phone=phone_of(row, key),
        sms_phone_kept=row.sms_phone_encrypted is not None,
        categories={
            c: CategoryChoice(push=bool(v.get("push")), sms=bool(v.get("sms")))
            for c, v in (row.categories or {}).items()
        },
        version=row.version,
    )


async def own_row(
    session: AsyncSession, person_id: UUID, *, for_update: bool = False
) -> PreferenceRow | None:
    """A person's own row (only ever the caller's: there is no way to name another's)."""
    query = select(PreferenceRow).where(PreferenceRow.person_id == person_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def of_people(session: AsyncSession, people: Iterable[UUID]) -> dict[UUID, Preferences]:
    """The preferences of those who set any (the others have the policy's defaults); whether an SMS
    number is kept, never the number."""
    ids = list(set(people))
    if not ids:
        return {}
    rows = (await session.execute(select(PreferenceRow).where(PreferenceRow.person_id.in_(ids)))).scalars()
    return {r.person_id: to_domain(r) for r in rows}


async def seal_plain_phones(session: AsyncSession, key: bytes, limit: int = 500) -> int:
    """Encrypts SMS numbers still kept in the plaintext column (written by a pod of the release
    before migration 0008 during a rollout) and clears it; returns how many."""
    rows = (
        await session.execute(
            select(PreferenceRow)
            .where(PreferenceRow.sms_phone.is_not(None))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).scalars()
    count = 0
    for row in rows:
        assert row.sms_phone is not None
        row.sms_phone_encrypted, row.sms_phone = crypto.seal_phone(key, row.person_id, row.sms_phone), None
        count += 1
    return count
