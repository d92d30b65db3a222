"""Every query of the preferences context."""

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc.preferences.domain import CategoryChoice, Preferences
from notify_svc.preferences.models import PreferenceRow


def to_domain(row: PreferenceRow) -> Preferences:
    return Preferences(
        locale=row.locale,
        quiet_enabled=row.quiet_enabled,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        sms_phone=row.sms_phone,
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
    """The preferences of those who set any (the others have the policy's defaults)."""
    ids = list(set(people))
    if not ids:
        return {}
    rows = (await session.execute(select(PreferenceRow).where(PreferenceRow.person_id.in_(ids)))).scalars()
    return {r.person_id: to_domain(r) for r in rows}
