"""Every query of the handling context. Which proposals a caller sees is the proposals context's
`readable(principal)` (rule 28); within a visible proposal a unit sees its own assignment only."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.contracts.member import UnitRegisteredV1, UnitUserAddedV1
from cppcc_common.scanner import due_rows
from proposal_svc.handling.domain import (
    ASSIGNMENTS,
    VOID,
    AssignmentAction,
    AssignmentStatus,
    CommunicationKind,
    deadline_schedule,
    views_schedule,
)
from proposal_svc.handling.models import (
    Assignment,
    Communication,
    DeadlineNotice,
    Reply,
    ReplyClassCorrection,
    ReplyExtension,
    ReplyLetter,
    Unit,
    UnitUser,
)
from proposal_svc.proposals.policy import ProposalPolicy
from proposal_svc.proposals.repository import acts_as_office, acts_for_unit


def sees_assignment(principal: Principal, assignment: Assignment) -> bool:
    """Within a proposal it may read, the office sees every assignment; a unit only its own (another
    unit's is 404); nobody else any."""
    return acts_as_office(principal) or acts_for_unit(principal) == assignment.unit_id


async def keep_unit(session: AsyncSession, data: UnitRegisteredV1) -> None:
    values = {"org_id": data.org_id, "name": data.name, "kind": data.kind}
    stmt = insert(Unit).values(unit_id=data.unit_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=[Unit.unit_id], set_=values))


async def keep_unit_user(session: AsyncSession, data: UnitUserAddedV1) -> None:
    values = {"org_id": data.org_id, "name": data.name}
    stmt = insert(UnitUser).values(unit_id=data.unit_id, person_id=data.person_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[UnitUser.unit_id, UnitUser.person_id], set_=values)
    )


async def units_of(session: AsyncSession, org_id: UUID, unit_ids: list[UUID]) -> set[UUID]:
    """Those of `unit_ids` that are handling units of the organization."""
    if not unit_ids:
        return set()
    query = select(Unit.unit_id).where(Unit.org_id == org_id, Unit.unit_id.in_(unit_ids))
    return set((await session.execute(query)).scalars())


async def assignments_of(session: AsyncSession, proposal_id: UUID, *, lock: bool = False) -> list[Assignment]:
    """Every assignment of a proposal, reassigned ones included, oldest first."""
    query = (
        select(Assignment)
        .where(Assignment.proposal_id == proposal_id)
        .order_by(Assignment.assigned_at, Assignment.id)
    )
    if lock:
        query = query.with_for_update()
    return list((await session.execute(query)).scalars())


def open_assignments(rows: list[Assignment]) -> list[Assignment]:
    return [a for a in rows if a.status != AssignmentStatus.REASSIGNED]


async def communication_kinds(session: AsyncSession, assignment_id: UUID) -> tuple[CommunicationKind, ...]:
    query = select(Communication.kind).where(Communication.assignment_id == assignment_id)
    return tuple(CommunicationKind(k) for k in (await session.execute(query)).scalars())


async def communications_of(
    session: AsyncSession,
    proposal_id: UUID,
    unit: UUID | None,
    *,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Communication]:
    """A proposal's communications, newest first; a unit's own only when `unit` is given."""
    query = select(Communication).where(Communication.proposal_id == proposal_id)
    if unit is not None:
        query = query.where(Communication.unit_id == unit)
    if after is not None:
        query = query.where(tuple_(Communication.recorded_at, Communication.id) < tuple_(*after))
    query = query.order_by(Communication.recorded_at.desc(), Communication.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def replies_of(session: AsyncSession, proposal_id: UUID) -> list[Reply]:
    query = select(Reply).where(Reply.proposal_id == proposal_id).order_by(Reply.replied_at, Reply.id)
    return list((await session.execute(query)).scalars())


async def reply_for_update(session: AsyncSession, proposal_id: UUID, reply_id: UUID) -> Reply | None:
    query = select(Reply).where(Reply.id == reply_id, Reply.proposal_id == proposal_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def extensions_of(session: AsyncSession, assignment_id: UUID) -> list[ReplyExtension]:
    """An assignment's approved extensions (rule 12), oldest first."""
    query = (
        select(ReplyExtension)
        .where(ReplyExtension.assignment_id == assignment_id)
        .order_by(ReplyExtension.recorded_at, ReplyExtension.id)
    )
    return list((await session.execute(query)).scalars())


async def letters_of(session: AsyncSession, reply_ids: list[UUID]) -> list[ReplyLetter]:
    """The replies' letters to the proposals merged in (rule 8)."""
    if not reply_ids:
        return []
    query = select(ReplyLetter).where(ReplyLetter.reply_id.in_(reply_ids))
    return list((await session.execute(query.order_by(ReplyLetter.merged_proposal_id))).scalars())


async def corrections_of(session: AsyncSession, reply_ids: list[UUID]) -> list[ReplyClassCorrection]:
    if not reply_ids:
        return []
    query = (
        select(ReplyClassCorrection)
        .where(ReplyClassCorrection.reply_id.in_(reply_ids))
        .order_by(ReplyClassCorrection.at, ReplyClassCorrection.id)
    )
    return list((await session.execute(query)).scalars())


def step(change: Change, assignment: Assignment, action: AssignmentAction) -> None:
    """An assignment's own step: its table's next status, a new version, the change's time."""
    assignment.status = ASSIGNMENTS.check(AssignmentStatus(assignment.status), action)
    assignment.version += 1
    assignment.updated_at = change.now


async def arm_deadlines(change: Change, row: Assignment, policy: ProposalPolicy) -> None:
    """Arms the due-soon warnings and the overdue of a lead or split unit's reply due date, and the
    views overdue of a co-handler's `views_due_on` (rule 11) — rows the deadline scanner claims.
    Whatever sets a new due date calls it: assignment, reassignment, an extension, re-handling. A notice of the same assignment, date and
    kind that already fired stays fired (rule 12: once per assignment and due date); one that came
    up void (the part had replied) is armed again, for the new round of handling."""
    values = [
        {"assignment_id": row.id, "due_on": due, "kind": kind, "fire_at": at}
        for due, schedule in (
            (
                row.reply_due_on,
                deadline_schedule(row.reply_due_on, change.now, policy) if row.reply_due_on else [],
            ),
            (row.views_due_on, views_schedule(row.views_due_on) if row.views_due_on else []),
        )
        for kind, at in schedule
    ]
    if not values:
        return
    stmt = insert(DeadlineNotice).values(values)
    await change.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[DeadlineNotice.assignment_id, DeadlineNotice.due_on, DeadlineNotice.kind],
            set_={"fire_at": stmt.excluded.fire_at, "fired_at": None, "outcome": None},
            where=DeadlineNotice.outcome == VOID,
        )
    )


def claim_due_notices(now: datetime, limit: int) -> Any:
    """The armed deadline notices due at `now`, each locked with its assignment, skipping any another
    transaction holds (DESIGN.md §9): a notice fires once however many replicas scan."""
    table = DeadlineNotice.__table__
    return due_rows(
        table,  # type: ignore[arg-type]
        table.c.fire_at,
        now,
        limit,
        table.c.fired_at.is_(None),
    ).join(Assignment.__table__, Assignment.__table__.c.id == table.c.assignment_id)


async def notice_for_update(
    session: AsyncSession, assignment_id: UUID, due_on: date, kind: str
) -> DeadlineNotice:
    """The claimed notice as a mapped row (already locked by the claim)."""
    row = await session.get(DeadlineNotice, (assignment_id, due_on, kind))
    assert row is not None
    return row
