"""Every query of the outcomes context, and who may read what (rule 28) as one SQL condition."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, false, or_, select, true, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.activities.models import Activity, ConsultationPolicyRow
from consultation_svc.outcomes.domain import Status, overdue_at
from consultation_svc.outcomes.models import (
    Feedback,
    FeedbackDeadline,
    FollowUp,
    Instruction,
    Outcome,
    Unit,
    UnitUser,
)
from consultation_svc.outcomes.policy import OutcomePolicy, policy_of
from cppcc_common.auth import Principal
from cppcc_common.contracts.member import UnitRegisteredV1, UnitUserAddedV1
from cppcc_common.scanner import due_rows

# Who acts for a handling unit, bound to it by the token's `unit` claim (DESIGN.md §6).
UNIT_ROLES = ("unit_user", "partner")
OWNER_TYPE = "outcome"  # the attachments' owner type (consultation_svc.attachments)
FIRED, VOID = "fired", "void"


def acts_as_office(principal: Principal) -> bool:
    """The consultation office: staff with the `consultation` scope."""
    return principal.has_role("staff") and principal.has_scope("consultation")


def acts_for_unit(principal: Principal) -> UUID | None:
    """The unit a unit user or the unit's partner client acts for (its `unit` claim), else None."""
    return principal.unit if principal.has_role(*UNIT_ROLES) else None


def readable(principal: Principal) -> ColumnElement[bool]:
    """Rule 28 for outcomes: nothing of another organization; the consultation office sees every
    outcome, drafts included; leaders every sent one; a unit (its users, its partner client) only the
    sent ones it is the responsible department of; nobody else any."""
    office = true() if acts_as_office(principal) else false()
    leader = true() if principal.has_role("leader") else false()
    unit = acts_for_unit(principal)
    mine = Outcome.responsible_unit_id == unit if unit is not None else false()
    return and_(
        Outcome.org_id == principal.org,
        or_(office, and_(Outcome.status != Status.DRAFT, or_(leader, mine))),
    )


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


async def policy_for(session: AsyncSession, org_id: UUID) -> OutcomePolicy:
    values = (
        await session.execute(
            select(ConsultationPolicyRow.values).where(ConsultationPolicyRow.org_id == org_id)
        )
    ).scalar_one_or_none()
    return policy_of(values)


async def activity_of(session: AsyncSession, org_id: UUID, activity_id: UUID) -> Activity | None:
    """The organization's activity (another organization's is None: 404)."""
    query = select(Activity).where(Activity.id == activity_id, Activity.org_id == org_id)
    return (await session.execute(query)).scalar_one_or_none()


async def organizers_of(session: AsyncSession, activity_ids: list[UUID]) -> dict[UUID, Activity]:
    if not activity_ids:
        return {}
    query = select(Activity).where(Activity.id.in_(activity_ids))
    return {a.id: a for a in (await session.execute(query)).scalars()}


async def get_readable(
    session: AsyncSession, principal: Principal, outcome_id: UUID, *, lock: bool = False
) -> Outcome | None:
    query = select(Outcome).where(Outcome.id == outcome_id, readable(principal))
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_for_update(session: AsyncSession, outcome_id: UUID) -> Outcome | None:
    """The outcome, locked, whoever may read it (the deadline scanner's system change)."""
    query = select(Outcome).where(Outcome.id == outcome_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    *,
    activity_id: UUID | None,
    status: Status | None,
    year: int | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Outcome]:
    """The outcomes the caller may read, newest first."""
    query = select(Outcome).where(readable(principal))
    if activity_id is not None:
        query = query.where(Outcome.activity_id == activity_id)
    if status is not None:
        query = query.where(Outcome.status == status)
    if year is not None:
        query = query.where(Outcome.year == year)
    if after is not None:
        query = query.where(tuple_(Outcome.created_at, Outcome.id) < tuple_(*after))
    query = query.order_by(Outcome.created_at.desc(), Outcome.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def of_year(session: AsyncSession, principal: Principal, year: int) -> list[Outcome]:
    """Every outcome of the caller's organization's year that the caller may read (the tracking
    report: the office's drafts too, a leader's the sent ones), by creation."""
    query = (
        select(Outcome)
        .where(Outcome.year == year, readable(principal))
        .order_by(Outcome.created_at, Outcome.id)
    )
    return list((await session.execute(query)).scalars())


async def instructions_of(session: AsyncSession, outcome_ids: list[UUID]) -> list[Instruction]:
    if not outcome_ids:
        return []
    query = (
        select(Instruction)
        .where(Instruction.outcome_id.in_(outcome_ids))
        .order_by(Instruction.instructed_on, Instruction.recorded_at, Instruction.id)
    )
    return list((await session.execute(query)).scalars())


async def feedback_of(session: AsyncSession, outcome_ids: list[UUID]) -> dict[UUID, Feedback]:
    if not outcome_ids:
        return {}
    query = select(Feedback).where(Feedback.outcome_id.in_(outcome_ids))
    return {f.outcome_id: f for f in (await session.execute(query)).scalars()}


async def follow_ups_of(session: AsyncSession, outcome_ids: list[UUID]) -> list[FollowUp]:
    if not outcome_ids:
        return []
    query = (
        select(FollowUp)
        .where(FollowUp.outcome_id.in_(outcome_ids))
        .order_by(FollowUp.recorded_at, FollowUp.id)
    )
    return list((await session.execute(query)).scalars())


async def arm_deadline(session: AsyncSession, outcome_id: UUID, due_on: date) -> None:
    """Rule 22: the overdue of the feedback due on `due_on`, a row the scanner claims; every other
    unfired deadline of the outcome is void. A date that already fired stays fired (once per outcome
    and due date); one voided earlier (the date moved away and back) is armed again."""
    await void_deadlines(session, outcome_id, keep=due_on)
    stmt = insert(FeedbackDeadline).values(outcome_id=outcome_id, due_on=due_on, fire_at=overdue_at(due_on))
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[FeedbackDeadline.outcome_id, FeedbackDeadline.due_on],
            set_={"result": None},
            where=FeedbackDeadline.result == VOID,
        )
    )


async def void_deadlines(session: AsyncSession, outcome_id: UUID, *, keep: date | None = None) -> None:
    """Settles the outcome's unfired deadlines (but `keep`'s) as void: the feedback came or the date moved."""
    query = update(FeedbackDeadline).where(
        FeedbackDeadline.outcome_id == outcome_id, FeedbackDeadline.result.is_(None)
    )
    if keep is not None:
        query = query.where(FeedbackDeadline.due_on != keep)
    await session.execute(query.values(result=VOID))


def claim_due_deadlines(now: datetime, limit: int) -> Any:
    """The armed feedback deadlines due at `now`, each locked with its outcome (the order a request
    takes them in too: the outcome, then its deadlines), skipping any another transaction holds
    (DESIGN.md §9): each fires once however many replicas scan."""
    table = FeedbackDeadline.__table__
    outcomes = Outcome.__table__
    return due_rows(
        table,  # type: ignore[arg-type]
        table.c.fire_at,
        now,
        limit,
        table.c.result.is_(None),
    ).join(outcomes, outcomes.c.id == table.c.outcome_id)


async def deadline_for_update(session: AsyncSession, outcome_id: UUID, due_on: date) -> FeedbackDeadline:
    row = await session.get(FeedbackDeadline, (outcome_id, due_on))
    assert row is not None
    return row


async def unit_names(session: AsyncSession, unit_ids: list[UUID]) -> dict[UUID, str]:
    if not unit_ids:
        return {}
    query = select(Unit.unit_id, Unit.name).where(Unit.unit_id.in_(unit_ids))
    return {row.unit_id: row.name for row in await session.execute(query)}
