"""Every query of the proposals context, and who may read what (rule 28) as one SQL condition."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Text,
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
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by, insert
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from cppcc_common.auth import Principal
from cppcc_common.db import ReadPool, Unit, Work, driver_connection, unit_cache
from cppcc_common.ids import new_id
from cppcc_common.scanner import due_rows
from cppcc_common.workdays import local_date
from proposal_svc.handling.domain import AssignmentStatus
from proposal_svc.handling.models import Assignment
from proposal_svc.proposals import members
from proposal_svc.proposals.domain import (
    PROPOSERS,
    AuthorKind,
    Content,
    Facts,
    InvitationStatus,
    Kind,
    Plenary,
    Proposer,
    Role,
    SessionWindow,
    Status,
    number_label,
)
from proposal_svc.proposals.members import PROPOSING_STATUSES, MemberProjection
from proposal_svc.proposals.models import (
    NumberCounter,
    Proposal,
    ProposalHistory,
    ProposalPolicyRow,
    ProposalProposer,
    SessionWindowRow,
)
from proposal_svc.proposals.policy import DEFAULT_POLICY, ProposalPolicy

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


def read_statement(principal: Principal, proposal_id: UUID) -> tuple[str, ...]:
    """The hot read's SQL and its arguments for `principal` (the bench's baseline runs the same)."""
    params = {
        **_READ_CONSTANTS,
        "id": proposal_id,
        "org": principal.org,
        "sub": principal.sub,
        "office": sees_organization_proposals(principal),
        "unit": acts_for_unit(principal),
    }
    return (_READ_SQL, *[params[name] for name in _READ_ORDER])


async def read_readable(conn: ReadPool, principal: Principal, proposal_id: UUID) -> dict[str, Any] | None:
    """The proposal if `principal` may read it, on the driver connection: one fetchrow, answered as
    the row's values (no ORM instances on the hot read: the response model reads the mapping)."""
    row = await conn.fetchrow(*read_statement(principal, proposal_id))
    if row is None:
        return None
    values = dict(row)
    if isinstance(values["suggestions"], str):  # jsonb arrives as text on these connections
        values["suggestions"] = json.loads(values["suggestions"])
    if isinstance(values["proposers"], str):  # as the jsonb above, unless the connection decodes json itself
        values["proposers"] = json.loads(values["proposers"])
    values["number"] = number_label(values["filing_number"]) if values["filing_number"] is not None else None
    return values


def _orm(work: Work) -> AsyncSession:
    """The ORM session of a unit of work (a request's is made on first use)."""
    return work.session if isinstance(work, Unit) else work


def _held_session(work: Work) -> AsyncSession | None:
    """The unit's ORM session if it has one already (none made for the asking)."""
    return work.session_if_made if isinstance(work, Unit) else work


async def policy_for(session: Work, org_id: UUID) -> ProposalPolicy:
    """The organization's policy as stored now; read with the proposal when a transition locked one
    in this unit of work (`lock_readable`), else one query."""
    rules: RuleReads | None = unit_cache(session).get((_RULES, org_id))
    if rules is not None:
        return rules.policy
    row = await _orm(session).get(ProposalPolicyRow, org_id)
    return ProposalPolicy.from_stored(row.values if row else None)


# --- The transition's statements: on the driver connection, compiled once ------------------------
#
# The one write path (service._transition) runs its reads and writes as these prepared statements on
# the session's own connection, in its transaction: SQLAlchemy's ORM path cost ~250 µs of CPU per
# statement, more than the statement's own work. The rules' reads that depend only on the
# organization and the time (its policy, the session windows, the plenaries, whether the first
# proposer is a current member) ride on the statement that locks the proposal: never cached across
# requests, so a changed policy holds from the next request on (docs/proposals.md), at no round trip.

_RULES = "proposals.rules"
_LOCKED = "proposals.locked"
_ROW = "proposals.row"  # the locked row's stored values (the audit's `before`)
_P = Proposal.__table__
_W = SessionWindowRow.__table__
_M = MemberProjection.__table__


@dataclass(frozen=True)
class RuleReads:
    """What the rules read besides the proposal, as of the transition's lock: the organization's
    policy, the session windows containing `at`, its plenaries, and whether the first proposer is a
    current member on `on` (rule 2)."""

    at: datetime
    on: date
    policy: ProposalPolicy
    windows: tuple[SessionWindow, ...]
    plenaries: tuple[Plenary, ...]
    members: dict[UUID, bool]


def _array_of(column: Any, *where: ColumnElement[bool], order: tuple[Any, ...]) -> Any:
    """One column of the rows `where` as an array (NULL for none), in `order`: two such arrays pair up."""
    return select(func.array_agg(aggregate_order_by(column, *order))).where(*where).scalar_subquery()


_IN_WINDOW = (
    _W.c.org_id == _P.c.org_id,
    _W.c.opens_at <= bindparam("at", type_=DateTime(timezone=True)),
    _W.c.closes_at >= bindparam("at", type_=DateTime(timezone=True)),
)
_PLENARY = (_W.c.org_id == _P.c.org_id, _W.c.opens_on.is_not(None), _W.c.closes_on.is_not(None))
_PLENARY_ORDER = (_W.c.opens_on, _W.c.session_id)
_WINDOW_ORDER = (_W.c.opens_at, _W.c.session_id)
_LOCK_VISIBLE = (
    select(
        *_P.columns,
        select(func.cast(ProposalPolicyRow.__table__.c["values"], Text))
        .where(ProposalPolicyRow.__table__.c.org_id == _P.c.org_id)
        .scalar_subquery()
        .label("policy_values"),
        _array_of(_W.c.opens_at, *_IN_WINDOW, order=_WINDOW_ORDER).label("window_opens"),
        _array_of(_W.c.closes_at, *_IN_WINDOW, order=_WINDOW_ORDER).label("window_closes"),
        _array_of(_W.c.opens_on, *_PLENARY, order=_PLENARY_ORDER).label("plenary_opens"),
        _array_of(_W.c.closes_on, *_PLENARY, order=_PLENARY_ORDER).label("plenary_closes"),
        exists()
        .where(
            _M.c.org_id == _P.c.org_id,
            _M.c.person_id == _P.c.first_proposer_id,
            or_(*(_M.c.status == status for status in PROPOSING_STATUSES)),  # (no expanding IN: see _cosigns)
            _M.c.term_starts_on <= bindparam("on", type_=Date),
            _M.c.term_ends_on >= bindparam("on", type_=Date),
        )
        .label("first_proposer_is_member"),
    )
    .where(
        _P.c.id == bindparam("id"),
        _rule_28(
            bindparam("org"),
            bindparam("sub"),
            bindparam("office", type_=Boolean),
            bindparam("unit", type_=Uuid),
        ),
    )
    .with_for_update(of=_P)
    .compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
)
_LOCK_SQL = str(_LOCK_VISIBLE)
_LOCK_ORDER = tuple(_LOCK_VISIBLE.positiontup or ())
_LOCK_CONSTANTS = {name: value for name, value in _LOCK_VISIBLE.params.items() if value is not None}
_PROPOSER_COLUMNS = (
    "person_id",
    "role",
    "position",
    "status",
    "invited_at",
    "respond_by",
    "responded_at",
    "merged_from_id",
)
# After the lock, in a statement of its own: a change of the proposers commits under the proposal's
# lock, so only a read that starts once the lock is held sees the last one.
_PROPOSERS_SQL = (
    f"SELECT {', '.join(_PROPOSER_COLUMNS)} FROM proposal_proposers WHERE proposal_id = $1 ORDER BY position"
)
_SET_PROPOSERS_SQL = (
    "WITH gone AS (DELETE FROM proposal_proposers WHERE proposal_id = $1 AND NOT (person_id = ANY($2::uuid[])))"
    f" INSERT INTO proposal_proposers (proposal_id, {', '.join(_PROPOSER_COLUMNS)})"
    " SELECT $1::uuid, u.* FROM unnest($2::uuid[], $3::text[], $4::int[], $5::text[],"
    " $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::uuid[]) AS u"
    " ON CONFLICT (proposal_id, person_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _PROPOSER_COLUMNS[1:])
)
_COLUMNS = frozenset(_P.columns.keys())
_JSON_COLUMNS = frozenset(name for name, column in _P.columns.items() if isinstance(column.type, JSONB))
_POLICIES: dict[str, ProposalPolicy] = {}  # parsed policies by their stored text (bounded below)
_POLICIES_MAX = 256


def _policy_of(stored: str | None) -> ProposalPolicy:
    """The policy of its stored text: parsed once per distinct text (a change is a new text)."""
    if stored is None:
        return DEFAULT_POLICY
    policy = _POLICIES.get(stored)
    if policy is None:
        if len(_POLICIES) >= _POLICIES_MAX:
            _POLICIES.clear()
        policy = _POLICIES[stored] = ProposalPolicy.from_stored(json.loads(stored))
    return policy


def _proposer_of(row: Any) -> Proposer:
    return Proposer(
        person_id=row["person_id"],
        role=Role(row["role"]),
        position=row["position"],
        status=InvitationStatus(row["status"]),
        invited_at=row["invited_at"],
        respond_by=row["respond_by"],
        responded_at=row["responded_at"],
        merged_from_id=row["merged_from_id"],
    )


def facts_from(values: Any, proposers: tuple[Proposer, ...]) -> Facts:
    """What the rules read of a stored proposal: its columns (a row or a `Proposal`) and proposers."""
    get = values.__getitem__ if isinstance(values, Mapping) else values.__getattribute__
    suggestions = get("suggestions")
    content = Content(title=get("title"), situation=get("situation"), suggestions=tuple(suggestions))
    kind = get("kind")
    return Facts(
        get("id"),
        get("org_id"),
        Status(get("status")),
        content,
        get("first_proposer_id"),
        get("version"),
        proposers,
        kind=Kind(kind) if kind else None,
        submitted_at=get("submitted_at"),
        is_key=get("is_key"),
        filing_number=get("filing_number"),
        author_kind=AuthorKind(get("author_kind")),
        author_name=get("author_name"),
    )


def _visibility(principal: Principal) -> tuple[UUID, UUID, bool, UUID | None]:
    return (principal.org, principal.sub, sees_organization_proposals(principal), acts_for_unit(principal))


async def lock_readable(
    session: Work, principal: Principal, proposal_id: UUID, *, at: datetime
) -> Facts | None:
    """The proposal locked for update if `principal` may read it (rule 28), with what its rules read
    (see `RuleReads`), on the driver; a second call in the same unit of work reuses the locked row."""
    org, sub, office, unit = visibility = _visibility(principal)
    cache = unit_cache(session)
    key = (_LOCKED, proposal_id, visibility)
    if key in cache:
        facts: Facts = cache[key]
        return facts
    conn = await driver_connection(session)
    on = local_date(at)
    params = {
        **_LOCK_CONSTANTS,
        "id": proposal_id,
        "org": org,
        "sub": sub,
        "office": office,
        "unit": unit,
        "at": at,
        "on": on,
    }
    row = await conn.fetchrow(_LOCK_SQL, *[params[name] for name in _LOCK_ORDER])
    if row is None:
        return None
    proposers = tuple(_proposer_of(r) for r in await conn.fetch(_PROPOSERS_SQL, proposal_id))
    values = dict(row)
    if isinstance(values["suggestions"], str):  # jsonb as text, should the connection not decode it
        values["suggestions"] = json.loads(values["suggestions"])
    facts = facts_from(values, proposers)
    cache[key] = facts
    cache[(_ROW, proposal_id)] = values
    cache[(_RULES, facts.org_id)] = RuleReads(
        at=at,
        on=on,
        policy=_policy_of(values["policy_values"]),
        windows=tuple(map(SessionWindow, values["window_opens"] or (), values["window_closes"] or ())),
        plenaries=tuple(map(Plenary, values["plenary_opens"] or (), values["plenary_closes"] or ())),
        members={facts.first_proposer_id: values["first_proposer_is_member"]},
    )
    return facts


def _rules_at(session: Work, org_id: UUID, at: datetime) -> RuleReads | None:
    rules: RuleReads | None = unit_cache(session).get((_RULES, org_id))
    return rules if rules is not None and rules.at == at else None


async def is_current_member(session: Work, *, org_id: UUID, person_id: UUID, at: datetime) -> bool:
    """Rule 2 for `person_id` on the business day of `at` (read with the lock when it is the first proposer)."""
    rules = _rules_at(session, org_id, at)
    if rules is not None and person_id in rules.members:
        return rules.members[person_id]
    return await members.is_current_member(
        _orm(session), org_id=org_id, person_id=person_id, on=local_date(at)
    )


_UPDATES: dict[tuple[str, ...], str] = {}


def locked_row(session: Work, proposal_id: UUID) -> Mapping[str, Any]:
    """The stored values of the proposal `lock_readable` locked in this unit of work (none else)."""
    row: Mapping[str, Any] = unit_cache(session).get((_ROW, proposal_id), {})
    return row


def _update_sql(columns: tuple[str, ...]) -> str:
    """The history row and the proposal's update in one statement (`columns` set from $11 on)."""
    sql = _UPDATES.get(columns)
    if sql is None:
        sets = "".join(
            f", {name} = ${n}" + ("::jsonb" if name in _JSON_COLUMNS else "")
            for n, name in enumerate(columns, start=11)
        )
        sql = _UPDATES[columns] = (
            "WITH history AS (INSERT INTO proposal_history"
            " (id, proposal_id, action, from_status, to_status, actor_id, reason, at, before, after)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb))"
            f" UPDATE proposals SET status = $5, version = version + 1, updated_at = $8{sets}"
            " WHERE id = $2 RETURNING *"
        )
    return sql


async def write_transition(
    session: Work,
    facts: Facts,
    *,
    action: str,
    status: str,
    changes: Mapping[str, Any],
    actor: UUID | None,
    note: str | None,
    at: datetime,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> Proposal:
    """Persists a transition of the locked proposal: its `changes` (columns and proposers), its
    status, the version bump and the history row (with the audit's `before` and `after`, JSON
    values), in two statements at most; answers the proposal
    as it now stands (not added to the session: a later read of it in this unit of work queries)."""
    conn = await driver_connection(session)
    columns = tuple(sorted(name for name in changes if name in _COLUMNS))
    values = [
        json.dumps(list(changes[n]), ensure_ascii=False) if n in _JSON_COLUMNS else changes[n]
        for n in columns
    ]
    audit = [json.dumps(dict(v), ensure_ascii=False) if v else None for v in (before, after)]
    row = await conn.fetchrow(
        _update_sql(columns),
        new_id(),
        facts.id,
        action,
        facts.status,
        status,
        actor,
        note,
        at,
        *audit,
        *values,
    )
    assert row is not None  # the row is locked by this transaction
    proposers = facts.proposers
    if PROPOSERS in changes and tuple(changes[PROPOSERS]) != proposers:
        proposers = tuple(changes[PROPOSERS])
        await conn.execute(
            _SET_PROPOSERS_SQL,
            facts.id,
            *([getattr(p, name) for p in proposers] for name in _PROPOSER_COLUMNS),
        )
    cache = unit_cache(session)
    for key in [k for k in cache if k[0] in (_LOCKED, _ROW) and k[1] == facts.id]:
        del cache[key]  # its visibility may have changed with it: the next lock reads it again
    return _as_proposal(session, dict(row), proposers)


def _as_proposal(session: Work, values: dict[str, Any], proposers: tuple[Proposer, ...]) -> Proposal:
    """A `Proposal` of the stored values for the caller to read; one the session already holds
    is brought up to date without a query (or let go, when its proposers changed)."""
    if isinstance(values["suggestions"], str):
        values["suggestions"] = json.loads(values["suggestions"])
    orm = _held_session(session)
    held = orm.sync_session.identity_map.get(identity_key(Proposal, values["id"])) if orm else None
    if orm is not None and held is not None:
        orm.expunge(held)
    return Proposal(
        **values,
        proposers=[
            ProposalProposer(proposal_id=values["id"], **{n: getattr(p, n) for n in _PROPOSER_COLUMNS})
            for p in proposers
        ],
    )


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


async def session_windows(session: Work, org_id: UUID, at: datetime) -> list[SessionWindow]:
    """The organization's session windows that contain `at` (read with the lock, if any)."""
    rules = _rules_at(session, org_id, at)
    if rules is not None:
        return list(rules.windows)
    rows = (
        await _orm(session).execute(
            select(SessionWindowRow).where(
                SessionWindowRow.org_id == org_id,
                SessionWindowRow.opens_at <= at,
                SessionWindowRow.closes_at >= at,
            )
        )
    ).scalars()
    return [SessionWindow(r.opens_at, r.closes_at) for r in rows]


async def plenaries(session: Work, org_id: UUID) -> list[Plenary]:
    """The organization's plenary sessions whose days are known (rule 3; read with the lock, if any)."""
    rules: RuleReads | None = unit_cache(session).get((_RULES, org_id))
    if rules is not None:
        return list(rules.plenaries)
    rows = await _orm(session).execute(
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
    "facts_from",
    "get_readable",
    "get_for_update",
    "is_current_member",
    "lock_readable",
    "locked_row",
    "history_of",
    "list_supervised",
    "next_number",
    "readable_exists",
    "session_of",
    "list_readable",
    "plenaries",
    "policy_for",
    "read_readable",
    "read_statement",
    "readable",
    "record",
    "sees_organization_proposals",
    "session_windows",
    "write_transition",
]
