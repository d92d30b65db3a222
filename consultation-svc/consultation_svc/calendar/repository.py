"""Every query of the calendar context."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.activities.domain import Status
from consultation_svc.activities.models import Activity, Invitation
from consultation_svc.calendar.models import CalendarFeed
from cppcc_common.pagination import decode_cursor

# What a member's calendar shows: activities whose notice went out (a scheduled one is still being
# prepared), closed ones, and cancelled ones (so a subscribed calendar drops them).
SHOWN = (Status.NOTIFIED, Status.CLOSED, Status.CANCELLED)
FEED_LIMIT = 500


def _mine(person_id: UUID, org_id: UUID) -> Select[Activity, str | None]:
    return (
        select(Activity, Invitation.answer)
        .join(Invitation, Invitation.activity_id == Activity.id)
        .where(Invitation.person_id == person_id, Activity.org_id == org_id, Activity.status.in_(SHOWN))
    )


async def upcoming(
    session: AsyncSession, person_id: UUID, org_id: UUID, now: datetime, cursor: str | None, limit: int
) -> list[tuple[Activity, str | None]]:
    """The member's activities not over yet and not cancelled, soonest first."""
    query = _mine(person_id, org_id).where(Activity.ends_at > now, Activity.status != Status.CANCELLED)
    if cursor:
        at, id = decode_cursor(cursor)
        query = query.where(tuple_(Activity.starts_at, Activity.id) > tuple_(at, id))
    query = query.order_by(Activity.starts_at, Activity.id).limit(limit + 1)
    return [(row[0], row[1]) for row in await session.execute(query)]


async def feed_entries(
    session: AsyncSession, person_id: UUID, org_id: UUID, since: datetime
) -> list[tuple[Activity, str | None]]:
    query = _mine(person_id, org_id).where(Activity.ends_at > since)
    query = query.order_by(Activity.starts_at, Activity.id).limit(FEED_LIMIT)
    return [(row[0], row[1]) for row in await session.execute(query)]


async def feed_of(session: AsyncSession, person_id: UUID, *, lock: bool = False) -> CalendarFeed | None:
    return await session.get(CalendarFeed, person_id, with_for_update=lock or None)


async def feed_by_digest(session: AsyncSession, digest: str) -> CalendarFeed | None:
    query = select(CalendarFeed).where(CalendarFeed.secret_sha256 == digest)
    return (await session.execute(query)).scalar_one_or_none()
