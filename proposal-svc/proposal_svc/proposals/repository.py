"""Every query of the proposals context, and who may read what (rule 28) as one SQL condition."""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Uuid,
    and_,
    bindparam,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.db import ReadPool
from cppcc_common.scanner import due_rows
from proposal_svc.handling.domain import AssignmentStatus
from proposal_svc.handling.models import Assignment
from proposal_svc.proposals.domain import InvitationStatus, Plenary, Role, SessionWindow, Status, number_label
from proposal_svc.proposals.models import (
    NumberCounter,
    Proposal,
    ProposalHistory,
    ProposalPolicyRow,
    ProposalProposer,
    SessionWindowRow,
)
from proposal_svc.proposals.policy import ProposalPolicy

# Who acts for a handling unit, bound to it by the token's `unit` claim (DESIGN.md §6).
UNIT_ROLES = ("unit_user", "partner")


def sees_organization_proposals(principal: Principal) -> bool:
    """Rule 28: the proposals office (staff with the `proposals` scope) and leaders see every
    submitted proposal of their organization; everyone else sees only their own."""
    return principal.has_role("leader") or (principal.has_role("staff") and principal.has_scope("proposals"))


def acts_as_office(principal: Principal) -> bool:
    """The proposals office: staff with the `proposals` scope (leaders see, but do not act)."""
    return principal.has_role("staff") and principal.has_scope("proposals")


def _cosigns(sub: Any) -> ColumnElement[bool]:
    """`sub` is a co-signer of the proposal still invited or confirmed (a declined or expired
    invitation shows nothing)."""
    return exists().where(
        ProposalProposer.proposal_id == Proposal.id,
        ProposalProposer.person_id == sub,
        ProposalProposer.role == Role.COSIGNER,
        # Two comparisons, not IN: an expanding parameter would not compile to the hot read's `$n`.
        or_(
            ProposalProposer.status == InvitationStatus.INVITED,
            ProposalProposer.status == InvitationStatus.CONFIRMED,
        ),
    )


def acts_for_unit(principal: Principal) -> UUID | None:
    """The handling unit a unit user or the unit's partner client acts for (its `unit` claim), else None."""
    return principal.unit if principal.has_role(*UNIT_ROLES) else None


def acts_as_unit(principal: Principal) -> bool:
    return acts_for_unit(principal) is not None


def _assigned_to(unit: Any) -> ColumnElement[bool]:
    """Rule 28: the proposal is assigned to `unit` (a part not reassigned away); NULL matches nothing."""
    return exists().where(
        Assignment.proposal_id == Proposal.id,
        Assignment.unit_id == unit,
        Assignment.status != AssignmentStatus.REASSIGNED,
    )


def _rule_28(org: Any, sub: Any, office: ColumnElement[bool], unit: Any) -> ColumnElement[bool]:
    """Same organization, not deleted; one's own proposals, drafts included; the office's every
    non-draft; an invited or confirmed co-signer's once submitted (not while a draft); a unit's
    those assigned to it."""
    return and_(
        Proposal.org_id == org,
        Proposal.status != Status.DELETED,
        or_(
            Proposal.first_proposer_id == sub,
            and_(Proposal.status != Status.DRAFT, or_(office, _cosigns(sub), _assigned_to(unit))),
        ),
    )


def readable(principal: Principal) -> ColumnElement[bool]:
    """The proposals `principal` may read (rule 28): the one visibility rule of this context, used by
    the get for update, the list and (compiled once, below) the hot read by id."""
    office = true() if sees_organization_proposals(principal) else false()
    return _rule_28(principal.org, principal.sub, office, acts_for_unit(principal))


async def get_readable(session: AsyncSession, principal: Principal, proposal_id: UUID) -> Proposal | None:
    """The proposal, locked for update, if `principal` may read it."""
    query = select(Proposal).where(Proposal.id == proposal_id, readable(principal)).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_for_update(session: AsyncSession, proposal_id: UUID) -> Proposal | None:
    """The proposal, locked for update, whoever may read it (a deadline scanner's system change)."""
    query = select(Proposal).where(Proposal.id == proposal_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


# The hot read: `readable` over bind parameters, compiled once to asyncpg's `$n` SQL at import, so a
# request only orders its values (no SQLAlchemy statement path; see cppcc_common.db.ReadConnectionDep).
_PROPOSER_FIELDS = ("person_id", "role", "position", "status", "respond_by")
_PROPOSERS_JSON = (
    select(
        func.coalesce(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_object(
                        *(
                            part
                            for name in _PROPOSER_FIELDS
                            for part in (name, ProposalProposer.__table__.c[name])
                        )
                    ),
                    ProposalProposer.position,
                )
            ),
            literal_column("'[]'::json"),
        )
    )
    .where(ProposalProposer.proposal_id == Proposal.id)
    .scalar_subquery()
    .label("proposers")
)
_READ_VISIBLE = (
    select(*Proposal.__table__.columns, _PROPOSERS_JSON)
    .where(
        Proposal.id == bindparam("id"),
        _rule_28(
            bindparam("org"),
            bindparam("sub"),
            bindparam("office", type_=Boolean),
            bindparam("unit", type_=Uuid),
        ),
    )
    .compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]  # (SQLAlchemy leaves it untyped)
)
_READ_SQL = str(_READ_VISIBLE)
_READ_ORDER = tuple(_READ_VISIBLE.positiontup or ())
_READ_CONSTANTS = {name: value for name, value in _READ_VISIBLE.params.items() if value is not None}


async def read_readable(conn: ReadPool, principal: Principal, proposal_id: UUID) -> dict[str, Any] | None:
    """The proposal if `principal` may read it, on the driver connection: one fetchrow, answered as
    the row's values (no ORM instances on the hot read: the response model reads the mapping)."""
    params = {
        **_READ_CONSTANTS,
        "id": proposal_id,
        "org": principal.org,
        "sub": principal.sub,
        "office": sees_organization_proposals(principal),
        "unit": acts_for_unit(principal),
    }
    row = await conn.fetchrow(_READ_SQL, *[params[name] for name in _READ_ORDER])
    if row is None:
        return None
    values = dict(row)
    if isinstance(values["suggestions"], str):  # jsonb arrives as text on these connections
        values["suggestions"] = json.loads(values["suggestions"])
    if isinstance(values["proposers"], str):  # as the jsonb above, unless the connection decodes json itself
        values["proposers"] = json.loads(values["proposers"])
    values["number"] = number_label(values["filing_number"]) if values["filing_number"] is not None else None
    return values


async def policy_for(session: AsyncSession, org_id: UUID) -> ProposalPolicy:
    row = await session.get(ProposalPolicyRow, org_id)
    return ProposalPolicy.from_stored(row.values if row else None)


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    *,
    mine: bool,
    status: Status | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Proposal]:
    """Newest first, of those `principal` may read: with `mine` their own (drafts included); else
    as the office every non-draft of the organization, for anyone else their own and those they
    co-sign."""
    query = select(Proposal).where(readable(principal))
    if mine:
        query = query.where(Proposal.first_proposer_id == principal.sub)
    elif sees_organization_proposals(principal):
        query = query.where(Proposal.status != Status.DRAFT)  # the office's list has no drafts
    if status is not None:
        query = query.where(Proposal.status == status)
    if after is not None:
        query = query.where(tuple_(Proposal.created_at, Proposal.id) < tuple_(*after))
    query = query.order_by(Proposal.created_at.desc(), Proposal.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def session_windows(session: AsyncSession, org_id: UUID, at: datetime) -> list[SessionWindow]:
    """The organization's session windows that contain `at`."""
    rows = (
        await session.execute(
            select(SessionWindowRow).where(
                SessionWindowRow.org_id == org_id,
                SessionWindowRow.opens_at <= at,
                SessionWindowRow.closes_at >= at,
            )
        )
    ).scalars()
    return [SessionWindow(r.opens_at, r.closes_at) for r in rows]


async def plenaries(session: AsyncSession, org_id: UUID) -> list[Plenary]:
    """The organization's plenary sessions whose days are known (rule 3)."""
    rows = await session.execute(
        select(SessionWindowRow.opens_on, SessionWindowRow.closes_on).where(
            SessionWindowRow.org_id == org_id,
            SessionWindowRow.opens_on.is_not(None),
            SessionWindowRow.closes_on.is_not(None),
        )
    )
    return [Plenary(opens_on, closes_on) for opens_on, closes_on in rows.all() if opens_on and closes_on]


def record(session: AsyncSession, entry: ProposalHistory) -> None:
    session.add(entry)


async def session_of(session: AsyncSession, org_id: UUID, at: datetime) -> UUID | None:
    """The plenary session whose proposal window contains `at` (the latest opened, if windows overlap)."""
    query = (
        select(SessionWindowRow.session_id)
        .where(
            SessionWindowRow.org_id == org_id,
            SessionWindowRow.opens_at <= at,
            SessionWindowRow.closes_at >= at,
        )
        .order_by(SessionWindowRow.opens_at.desc(), SessionWindowRow.session_id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def next_number(session: AsyncSession, org_id: UUID, series: str) -> int:
    """The next filing number of the series: the counter row is raised and locked in the caller's
    transaction, so concurrent filings queue on it and a rolled-back filing leaves no gap."""
    stmt = insert(NumberCounter).values(org_id=org_id, series=series, last_number=1)
    raised = stmt.on_conflict_do_update(
        index_elements=[NumberCounter.org_id, NumberCounter.series],
        set_={"last_number": NumberCounter.last_number + 1},
    ).returning(NumberCounter.last_number)
    number: int = (await session.execute(raised)).scalar_one()
    return number


async def confirmed_cosigners(session: AsyncSession, proposal_id: UUID) -> list[UUID]:
    """Rule 4: the co-signers who count, in signing order — those who confirmed (only possible
    before their deadline). For the events that name a proposal's proposers (filed, key)."""
    query = (
        select(ProposalProposer.person_id)
        .where(
            ProposalProposer.proposal_id == proposal_id,
            ProposalProposer.role == Role.COSIGNER,
            ProposalProposer.status == InvitationStatus.CONFIRMED,
        )
        .order_by(ProposalProposer.position)
    )
    return list((await session.execute(query)).scalars())


def claim_due_invitations(now: datetime, limit: int) -> Any:
    """The invitations unanswered at their deadline, each locked with its proposal (the proposal's
    lock guards its proposers), skipping any another transaction holds (DESIGN.md §9)."""
    table = ProposalProposer.__table__
    return due_rows(
        table,  # type: ignore[arg-type]
        table.c.respond_by,
        now,
        limit,
        table.c.status == InvitationStatus.INVITED,
    ).join(Proposal.__table__, Proposal.__table__.c.id == table.c.proposal_id)


async def confirmed_proposers(session: AsyncSession, proposal_id: UUID) -> list[UUID]:
    """Every proposer who counts: the first proposer, then the confirmed co-signers, in signing order."""
    query = (
        select(ProposalProposer.person_id)
        .where(
            ProposalProposer.proposal_id == proposal_id, ProposalProposer.status == InvitationStatus.CONFIRMED
        )
        .order_by(ProposalProposer.position, ProposalProposer.person_id)
    )
    return list((await session.execute(query)).scalars())


async def add_merged_proposers(
    session: AsyncSession, proposal_id: UUID, person_ids: list[UUID], *, merged_from: UUID, at: datetime
) -> None:
    """Rule 8: `person_ids` become confirmed proposers of `proposal_id`, after its last position, keeping
    where they came from; one already listed there (say, a co-signer who declined) is confirmed."""
    last = (
        await session.execute(
            select(func.coalesce(func.max(ProposalProposer.position), 0)).where(
                ProposalProposer.proposal_id == proposal_id
            )
        )
    ).scalar_one()
    for offset, person_id in enumerate(person_ids, start=1):
        values = {"status": InvitationStatus.CONFIRMED, "responded_at": at, "merged_from_id": merged_from}
        stmt = insert(ProposalProposer).values(
            proposal_id=proposal_id, person_id=person_id, role=Role.COSIGNER, position=last + offset, **values
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[ProposalProposer.proposal_id, ProposalProposer.person_id], set_=values
            )
        )


async def readable_exists(session: AsyncSession, principal: Principal, proposal_id: UUID) -> bool:
    query = select(Proposal.id).where(Proposal.id == proposal_id, readable(principal))
    return (await session.execute(query)).first() is not None


async def history_of(session: AsyncSession, proposal_id: UUID) -> list[ProposalHistory]:
    """Every step of a proposal, oldest first."""
    query = (
        select(ProposalHistory)
        .where(ProposalHistory.proposal_id == proposal_id)
        .order_by(ProposalHistory.at, ProposalHistory.id)
    )
    return list((await session.execute(query)).scalars())


async def list_supervised(
    session: AsyncSession, principal: Principal, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[Proposal]:
    """The key proposals `principal` supervises (rule 19), of those they may read, newest first."""
    query = select(Proposal).where(
        readable(principal),
        Proposal.is_key.is_(True),
        Proposal.key_supervisor_ids.contains([principal.sub]),  # @>: the GIN index
    )
    if after is not None:
        query = query.where(tuple_(Proposal.created_at, Proposal.id) < tuple_(*after))
    query = query.order_by(Proposal.created_at.desc(), Proposal.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


__all__ = [
    "acts_as_office",
    "acts_as_unit",
    "acts_for_unit",
    "add_merged_proposers",
    "claim_due_invitations",
    "confirmed_cosigners",
    "confirmed_proposers",
    "get_readable",
    "get_for_update",
    "history_of",
    "list_supervised",
    "next_number",
    "readable_exists",
    "session_of",
    "list_readable",
    "plenaries",
    "policy_for",
    "read_readable",
    "readable",
    "record",
    "sees_organization_proposals",
    "session_windows",
]
