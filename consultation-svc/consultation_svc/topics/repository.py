"""Every query of the topic context. Who sees which topic is one clause: `readable(principal)`."""

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, false, func, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.topics.domain import TopicStatus
from consultation_svc.topics.models import Topic, TopicHistory, TopicWindow
from cppcc_common.auth import Principal


def readable(principal: Principal) -> ColumnElement[bool]:
    """Rule 28: nobody sees another organization's topics; staff and leaders see every topic of
    their organization, a member their own and the accepted ones."""
    own = Topic.org_id == principal.org
    if principal.has_role("staff", "leader"):
        return own
    if principal.has_role("member"):
        return and_(own, or_(Topic.proposer_id == principal.sub, Topic.status == str(TopicStatus.ACCEPTED)))
    return false()


def windows_readable(principal: Principal) -> ColumnElement[bool]:
    """The collection windows are announced to the whole organization (members, staff, leaders)."""
    if principal.has_role("staff", "leader", "member"):
        return TopicWindow.org_id == principal.org
    return false()


async def year_lock(session: AsyncSession, org_id: UUID, year: int) -> None:
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"topics:{org_id}:{year}"}
    )


async def window_for_year(
    session: AsyncSession, org_id: UUID, year: int, *, lock: bool = False
) -> TopicWindow | None:
    query = select(TopicWindow).where(TopicWindow.org_id == org_id, TopicWindow.year == year)
    if lock:
        query = query.with_for_update(read=True)
    return (await session.execute(query)).scalar_one_or_none()


async def lock_window(session: AsyncSession, principal: Principal, window_id: UUID) -> TopicWindow | None:
    query = (
        select(TopicWindow).where(TopicWindow.id == window_id, windows_readable(principal)).with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_window(session: AsyncSession, principal: Principal, window_id: UUID) -> TopicWindow | None:
    query = select(TopicWindow).where(TopicWindow.id == window_id, windows_readable(principal))
    return (await session.execute(query)).scalar_one_or_none()


async def list_windows(
    session: AsyncSession,
    principal: Principal,
    *,
    year: int | None,
    after: tuple[Any, UUID] | None,
    limit: int,
) -> list[TopicWindow]:
    query = select(TopicWindow).where(windows_readable(principal))
    if year is not None:
        query = query.where(TopicWindow.year == year)
    if after is not None:
        query = query.where(tuple_(TopicWindow.created_at, TopicWindow.id) < tuple_(*after))
    query = query.order_by(TopicWindow.created_at.desc(), TopicWindow.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def count_member_topics(session: AsyncSession, org_id: UUID, year: int, proposer_id: UUID) -> int:
    """The member's topics of the year that count towards the limit (withdrawn ones do not)."""
    query = (
        select(func.count())
        .select_from(Topic)
        .where(
            Topic.org_id == org_id,
            Topic.year == year,
            Topic.proposer_id == proposer_id,
            Topic.status != str(TopicStatus.WITHDRAWN),
        )
    )
    return int((await session.execute(query)).scalar_one())


async def lock_readable(session: AsyncSession, principal: Principal, topic_id: UUID) -> Topic | None:
    query = select(Topic).where(Topic.id == topic_id, readable(principal)).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_readable(session: AsyncSession, principal: Principal, topic_id: UUID) -> Topic | None:
    query = select(Topic).where(Topic.id == topic_id, readable(principal))
    return (await session.execute(query)).scalar_one_or_none()


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    *,
    year: int | None,
    status: str | None,
    source_kind: str | None,
    mine: bool,
    after: tuple[Any, UUID] | None,
    limit: int,
) -> list[Topic]:
    query = select(Topic).where(readable(principal))
    if year is not None:
        query = query.where(Topic.year == year)
    if status is not None:
        query = query.where(Topic.status == status)
    if source_kind is not None:
        query = query.where(Topic.source_kind == source_kind)
    if mine:
        query = query.where(Topic.proposer_id == principal.sub)
    if after is not None:
        query = query.where(tuple_(Topic.created_at, Topic.id) < tuple_(*after))
    query = query.order_by(Topic.created_at.desc(), Topic.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def history_of(session: AsyncSession, topic_id: UUID) -> list[TopicHistory]:
    query = (
        select(TopicHistory)
        .where(TopicHistory.topic_id == topic_id)
        .order_by(TopicHistory.at, TopicHistory.id)
    )
    return list((await session.execute(query)).scalars())
