"""Every query of the online deliberation context."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.deliberation.domain import Counts, PostStatus
from consultation_svc.deliberation.models import Deliberation, DeliberationPost
from cppcc_common.pagination import decode_cursor


async def thread_of(session: AsyncSession, activity_id: UUID, *, lock: bool = False) -> Deliberation | None:
    return await session.get(Deliberation, activity_id, with_for_update=lock or None)


async def post_of(
    session: AsyncSession, activity_id: UUID, post_id: UUID, *, lock: bool = False
) -> DeliberationPost | None:
    query = select(DeliberationPost).where(
        DeliberationPost.id == post_id, DeliberationPost.activity_id == activity_id
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def counts(session: AsyncSession, activity_id: UUID) -> Counts:
    query = (
        select(DeliberationPost.status, func.count())
        .where(DeliberationPost.activity_id == activity_id)
        .group_by(DeliberationPost.status)
    )
    found = {status: int(n) for status, n in (await session.execute(query)).all()}
    return Counts(found.get(PostStatus.VISIBLE, 0), found.get(PostStatus.HIDDEN, 0))


async def participants(session: AsyncSession, activity_id: UUID) -> list[UUID]:
    query = (
        select(DeliberationPost.person_id)
        .where(DeliberationPost.activity_id == activity_id, DeliberationPost.status == PostStatus.VISIBLE)
        .distinct()
        .order_by(DeliberationPost.person_id)
    )
    return list((await session.execute(query)).scalars())


async def page(
    session: AsyncSession, activity_id: UUID, cursor: str | None, limit: int
) -> Sequence[DeliberationPost]:
    """The thread's posts, oldest first (every invitee reads the whole thread; hidden ones are
    shown as hidden, their text only to the office)."""
    query = select(DeliberationPost).where(DeliberationPost.activity_id == activity_id)
    if cursor:
        at, id = decode_cursor(cursor)
        query = query.where(tuple_(DeliberationPost.created_at, DeliberationPost.id) > tuple_(at, id))
    query = query.order_by(DeliberationPost.created_at, DeliberationPost.id).limit(limit + 1)
    return (await session.execute(query)).scalars().all()
