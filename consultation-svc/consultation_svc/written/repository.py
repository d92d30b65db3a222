"""Every query of the written consultation context; `readable` is who sees which opinion."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import ColumnElement, func, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.participation.access import Seen
from consultation_svc.written.models import WrittenConsultation, WrittenOpinion
from cppcc_common.auth import Principal
from cppcc_common.pagination import decode_cursor


def readable(principal: Principal, seen: Seen) -> ColumnElement[bool]:
    """Rule 28: the office and leaders see every opinion; an invitee only their own."""
    return true() if seen.office or seen.leader else WrittenOpinion.person_id == principal.sub


async def consultation_of(
    session: AsyncSession, activity_id: UUID, *, lock: bool = False
) -> WrittenConsultation | None:
    return await session.get(WrittenConsultation, activity_id, with_for_update=lock or None)


async def opinion_of(
    session: AsyncSession, activity_id: UUID, person_id: UUID, *, lock: bool = False
) -> WrittenOpinion | None:
    query = select(WrittenOpinion).where(
        WrittenOpinion.activity_id == activity_id, WrittenOpinion.person_id == person_id
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def count(session: AsyncSession, activity_id: UUID) -> int:
    query = select(func.count()).where(WrittenOpinion.activity_id == activity_id)
    return int((await session.execute(query)).scalar_one())


async def page(
    session: AsyncSession, principal: Principal, seen: Seen, cursor: str | None, limit: int
) -> Sequence[WrittenOpinion]:
    query = select(WrittenOpinion).where(
        WrittenOpinion.activity_id == seen.activity.id, readable(principal, seen)
    )
    if cursor:
        at, id = decode_cursor(cursor)
        query = query.where(tuple_(WrittenOpinion.created_at, WrittenOpinion.id) > tuple_(at, id))
    query = query.order_by(WrittenOpinion.created_at, WrittenOpinion.id).limit(limit + 1)
    return (await session.execute(query)).scalars().all()
