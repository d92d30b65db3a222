"""Every query of the plan context. Who sees which plan is one clause: `readable(principal)`."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, false, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.plans.domain import LEADER_STATUSES, MEMBER_STATUSES, OPEN_STATUSES, PlanStatus
from consultation_svc.plans.models import Plan, PlanEntry, PlanHistory, PlanPolicyRow
from consultation_svc.plans.policy import PlanPolicy
from cppcc_common.auth import Principal


def readable(principal: Principal) -> ColumnElement[bool]:
    """Rule 28: nobody sees another organization's plans; staff see every version of their own
    (drafts too), leaders what awaits or has their approval and what is published, members what
    was published to them (the current version and the superseded ones)."""
    own = Plan.org_id == principal.org
    if principal.has_role("staff"):
        return own
    if principal.has_role("leader"):
        return and_(own, Plan.status.in_([str(s) for s in LEADER_STATUSES]))
    if principal.has_role("member"):
        return and_(own, Plan.status.in_([str(s) for s in MEMBER_STATUSES]))
    return false()


async def lock_readable(session: AsyncSession, principal: Principal, plan_id: UUID) -> Plan | None:
    query = select(Plan).where(Plan.id == plan_id, readable(principal)).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_readable(session: AsyncSession, principal: Principal, plan_id: UUID) -> Plan | None:
    query = select(Plan).where(Plan.id == plan_id, readable(principal))
    return (await session.execute(query)).scalar_one_or_none()


async def entries_of(session: AsyncSession, plan_id: UUID) -> list[PlanEntry]:
    query = select(PlanEntry).where(PlanEntry.plan_id == plan_id).order_by(PlanEntry.position, PlanEntry.id)
    return list((await session.execute(query)).scalars())


async def entry_of(session: AsyncSession, plan_id: UUID, entry_id: UUID) -> PlanEntry | None:
    query = select(PlanEntry).where(PlanEntry.plan_id == plan_id, PlanEntry.id == entry_id)
    return (await session.execute(query)).scalar_one_or_none()


async def next_position(session: AsyncSession, plan_id: UUID) -> int:
    query = select(func.coalesce(func.max(PlanEntry.position), 0)).where(PlanEntry.plan_id == plan_id)
    return int((await session.execute(query)).scalar_one()) + 1


async def count_entries(session: AsyncSession, plan_id: UUID) -> int:
    query = select(func.count()).select_from(PlanEntry).where(PlanEntry.plan_id == plan_id)
    return int((await session.execute(query)).scalar_one())


async def versions_of_year(
    session: AsyncSession, org_id: UUID, year: int, *, lock: bool = False
) -> list[Plan]:
    """Every version of the organization's plan for the year, newest first (locked: a concurrent
    create or revise of the same year waits, then sees this one)."""
    query = (
        select(Plan)
        .where(Plan.org_id == org_id, Plan.year == year, Plan.status != str(PlanStatus.DISCARDED))
        .order_by(Plan.version_no.desc())
    )
    if lock:
        query = query.with_for_update()
    return list((await session.execute(query)).scalars())


def open_version(versions: Sequence[Plan]) -> Plan | None:
    return next((p for p in versions if p.status in OPEN_STATUSES), None)


async def last_version_no(session: AsyncSession, org_id: UUID, year: int) -> int:
    query = select(func.coalesce(func.max(Plan.version_no), 0)).where(
        Plan.org_id == org_id, Plan.year == year
    )
    return int((await session.execute(query)).scalar_one())


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    *,
    year: int | None,
    status: str | None,
    after: tuple[Any, UUID] | None,
    limit: int,
) -> list[Plan]:
    """Newest year first, then newest version."""
    query = select(Plan).where(readable(principal))
    if year is not None:
        query = query.where(Plan.year == year)
    if status is not None:
        query = query.where(Plan.status == status)
    if after is not None:
        query = query.where(tuple_(Plan.created_at, Plan.id) < tuple_(*after))
    query = query.order_by(Plan.created_at.desc(), Plan.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def history_of(
    session: AsyncSession, plan_id: UUID, *, after: tuple[Any, UUID] | None, limit: int
) -> list[PlanHistory]:
    """Oldest step first."""
    query = select(PlanHistory).where(PlanHistory.plan_id == plan_id)
    if after is not None:
        query = query.where(tuple_(PlanHistory.at, PlanHistory.id) > tuple_(*after))
    query = query.order_by(PlanHistory.at, PlanHistory.id).limit(limit)
    return list((await session.execute(query)).scalars())


async def policy_for(session: AsyncSession, org_id: UUID) -> PlanPolicy:
    row = await session.get(PlanPolicyRow, org_id)
    return PlanPolicy.from_stored(row.values if row else None)


async def save_policy(
    session: AsyncSession, org_id: UUID, values: dict[str, Any], at: Any, by: UUID | None
) -> None:
    stmt = insert(PlanPolicyRow).values(org_id=org_id, values=values, updated_at=at, updated_by=by)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[PlanPolicyRow.org_id], set_={"values": values, "updated_at": at, "updated_by": by}
        )
    )
