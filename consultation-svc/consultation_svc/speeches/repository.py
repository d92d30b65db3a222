"""Every query of the speeches context; `readable(principal, seen)` is who sees which speech."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import ColumnElement, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.participation.access import Seen
from consultation_svc.speeches.models import Speech
from cppcc_common.auth import Principal
from cppcc_common.pagination import decode_cursor

OWNER = "speech"


def readable(principal: Principal, seen: Seen) -> ColumnElement[bool]:
    """Rule 28: the office and leaders see every speech of an activity they see; an invitee their own."""
    if seen.office or seen.leader:
        return true()
    return Speech.person_id == principal.sub


async def get(
    session: AsyncSession, principal: Principal, seen: Seen, speech_id: UUID, *, lock: bool = False
) -> Speech | None:
    query = select(Speech).where(
        Speech.id == speech_id, Speech.activity_id == seen.activity.id, readable(principal, seen)
    )
    if lock:
        query = query.with_for_update(of=Speech)
    return (await session.execute(query)).scalar_one_or_none()


async def page(
    session: AsyncSession, principal: Principal, seen: Seen, cursor: str | None, limit: int
) -> Sequence[Speech]:
    query = select(Speech).where(Speech.activity_id == seen.activity.id, readable(principal, seen))
    if cursor:
        at, id = decode_cursor(cursor)
        query = query.where(tuple_(Speech.created_at, Speech.id) > tuple_(at, id))
    query = query.order_by(Speech.created_at, Speech.id).limit(limit + 1)
    return (await session.execute(query)).scalars().all()
