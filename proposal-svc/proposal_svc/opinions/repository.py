"""Every query of the public-opinion reports. Who sees what is one clause: `readable(principal)`."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.contracts.proposal import AdoptionLevel, AdoptionMode
from cppcc_common.workdays import start_of_day
from proposal_svc.opinions.domain import Action, Adoption, Content, Facts, Status
from proposal_svc.opinions.models import (
    OpinionAdoption,
    OpinionFeedback,
    OpinionForward,
    OpinionHistory,
    OpinionInstruction,
    OpinionPolicyRow,
    OpinionReport,
)
from proposal_svc.opinions.policy import OpinionPolicy

OPINIONS_SCOPE = "opinions"


def acts_as_office(principal: Principal) -> bool:
    """The office that handles reports (信息工作): staff with the `opinions` scope."""
    return principal.has_role("staff") and principal.has_scope(OPINIONS_SCOPE)


def sees_organization_reports(principal: Principal) -> bool:
    """Rule 28: the office and the leaders (who instruct) see every submitted report of their
    organization; anyone else only their own."""
    return acts_as_office(principal) or principal.has_role("leader")


def readable(principal: Principal) -> ColumnElement[bool]:
    """The reports `principal` may read (rule 28): their own (drafts included), and, for the office
    and the leaders, every report of their organization but the members' drafts. Nobody reads
    another organization's; a unit, a partner system, another member see none."""
    office = true() if sees_organization_reports(principal) else false()
    return and_(
        OpinionReport.org_id == principal.org,
        or_(
            OpinionReport.author_id == principal.sub,
            and_(office, OpinionReport.status != Status.DRAFT),
        ),
    )


async def get_readable(
    session: AsyncSession, principal: Principal, report_id: UUID, *, lock: bool = False
) -> OpinionReport | None:
    query = select(OpinionReport).where(OpinionReport.id == report_id, readable(principal))
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


def facts_of(row: OpinionReport) -> Facts:
    """What the rules read of a stored report."""
    adoption = (
        Adoption(AdoptionLevel(row.adoption_level), AdoptionMode(row.adoption_mode))
        if row.adoption_level and row.adoption_mode
        else None
    )
    return Facts(
        id=row.id,
        org_id=row.org_id,
        author_id=row.author_id,
        status=Status(row.status),
        content=Content(row.title, row.situation, row.analysis, row.suggestion),
        version=row.version,
        adoption=adoption,
        adopted_at=row.adopted_at,
        instruction_level=AdoptionLevel(row.instruction_level) if row.instruction_level else None,
    )


async def policy_for(session: AsyncSession, org_id: UUID, *, lock: bool = False) -> OpinionPolicy:
    """The organization's values: its overrides over the defaults."""
    row = await session.get(OpinionPolicyRow, org_id, with_for_update=lock or None)
    return OpinionPolicy.from_stored(row.values if row else None)


async def save_policy(session: AsyncSession, org_id: UUID, values: dict[str, Any]) -> None:
    stmt = insert(OpinionPolicyRow).values(org_id=org_id, values=values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[OpinionPolicyRow.org_id], set_={"values": values})
    )


async def converted_from(session: AsyncSession, proposal_id: UUID) -> UUID | None:
    query = select(OpinionReport.id).where(OpinionReport.converted_from_proposal_id == proposal_id)
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class Filters:
    mine: bool = False
    status: Status | None = None
    adoption_level: str | None = None
    year: int | None = None
    text: str | None = None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    filters: Filters,
    *,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[OpinionReport]:
    """The reports `principal` may read, newest first, filtered."""
    query = select(OpinionReport).where(readable(principal))
    if filters.mine:
        query = query.where(OpinionReport.author_id == principal.sub)
    if filters.status is not None:
        query = query.where(OpinionReport.status == filters.status)
    if filters.adoption_level is not None:
        query = query.where(OpinionReport.adoption_level == filters.adoption_level)
    if filters.year is not None:
        # The year a report was submitted in Asia/Shanghai (a draft has none and is left out).
        starts = start_of_day(date(filters.year, 1, 1))
        ends = start_of_day(date(filters.year + 1, 1, 1))
        query = query.where(OpinionReport.submitted_at >= starts, OpinionReport.submitted_at < ends)
    if filters.text:
        pattern = _like(filters.text)
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (
                        OpinionReport.title,
                        OpinionReport.situation,
                        OpinionReport.analysis,
                        OpinionReport.suggestion,
                    )
                )
            )
        )
    if after is not None:
        query = query.where(tuple_(OpinionReport.created_at, OpinionReport.id) < tuple_(*after))
    query = query.order_by(OpinionReport.created_at.desc(), OpinionReport.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def history_of(
    session: AsyncSession,
    report_id: UUID,
    *,
    action: str | None = None,
    after: tuple[datetime, UUID] | None = None,
    limit: int | None = None,
) -> list[OpinionHistory]:
    """A report's steps, oldest first (a page of them after `after`)."""
    query = select(OpinionHistory).where(OpinionHistory.report_id == report_id)
    if action is not None:
        query = query.where(OpinionHistory.action == action)
    if after is not None:
        query = query.where(tuple_(OpinionHistory.at, OpinionHistory.id) > tuple_(*after))
    query = query.order_by(OpinionHistory.at, OpinionHistory.id).limit(limit)
    return list((await session.execute(query)).scalars())


async def was_edited(session: AsyncSession, report_id: UUID) -> bool:
    """Whether the office edited the report: one row looked for, none of the edits' texts read."""
    query = select(
        exists().where(OpinionHistory.report_id == report_id, OpinionHistory.action == Action.EDIT)
    )
    return bool((await session.execute(query)).scalar())


@dataclass(frozen=True)
class Record:
    adoptions: Sequence[OpinionAdoption]
    forwards: Sequence[OpinionForward]
    instructions: Sequence[OpinionInstruction]
    feedback: Sequence[OpinionFeedback]


async def record_of(session: AsyncSession, report_id: UUID) -> Record:
    """What the office recorded on a report, each list oldest first."""

    async def rows(model: Any) -> list[Any]:
        query = select(model).where(model.report_id == report_id).order_by(model.at, model.id)
        return list((await session.execute(query)).scalars())

    return Record(
        adoptions=await rows(OpinionAdoption),
        forwards=await rows(OpinionForward),
        instructions=await rows(OpinionInstruction),
        feedback=await rows(OpinionFeedback),
    )
