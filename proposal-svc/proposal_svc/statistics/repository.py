"""Every query of the office's list and statistics. Who reads what is the proposals context's
`readable(principal)` (rule 28); the full-text match is the similar context's index (`proposal_texts`,
the segmented text's tsvector) queried as its own search does."""

import base64
import json
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Integer,
    Text,
    and_,
    cast,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cppcc_common.auth import Principal
from cppcc_common.clock import SHANGHAI
from cppcc_common.contracts.member import CommitteeRegisteredV1, OrganizationRegisteredV1, SectorRegisteredV1
from cppcc_common.contracts.proposal import HandlingRole
from cppcc_common.pagination import invalid_cursor
from cppcc_common.validation import check_datetime
from proposal_svc.evaluation.models import Evaluation
from proposal_svc.handling.domain import OVERDUE, AssignmentStatus
from proposal_svc.handling.models import Assignment, DeadlineNotice, Reply, Unit
from proposal_svc.proposals.domain import FILED_STAGE, Status
from proposal_svc.proposals.members import MemberProjection
from proposal_svc.proposals.models import Proposal, ProposalHistory, SessionWindowRow
from proposal_svc.proposals.repository import readable
from proposal_svc.similar.models import ProposalText
from proposal_svc.similar.repository import text_matches
from proposal_svc.statistics.domain import (
    COUNTED,
    REPLIED_STAGE,
    Counts,
    Dimension,
    ListFilter,
    Sort,
)
from proposal_svc.statistics.models import CommitteeName, OrganizationLink, SectorName

# The parts that owe the proposer a reply (rule 9): the lead unit's, or each split unit's.
OWING = (HandlingRole.LEAD, HandlingRole.SPLIT)
# A part still awaiting its reply (re-opened by a dissatisfied rating, it awaits its second).
AWAITING = (AssignmentStatus.ASSIGNED, AssignmentStatus.REASSIGNMENT_REQUESTED, AssignmentStatus.ACCEPTED)
FIRED = "fired"
_LAST_SERIES, _LAST_NUMBER = "~", 2**31 - 1  # not yet filed: after every number


# --- projections kept from member-svc's events -------------------------------------------------


async def keep_organization(session: AsyncSession, data: OrganizationRegisteredV1) -> None:
    values = {"parent_id": data.parent_id, "name": data.name, "level": data.level}
    stmt = insert(OrganizationLink).values(org_id=data.org_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=[OrganizationLink.org_id], set_=values))


async def keep_sector(session: AsyncSession, data: SectorRegisteredV1) -> None:
    values = {"org_id": data.org_id, "name": data.name}
    stmt = insert(SectorName).values(sector_id=data.sector_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=[SectorName.sector_id], set_=values))


async def keep_committee(session: AsyncSession, data: CommitteeRegisteredV1) -> None:
    values = {"org_id": data.org_id, "name": data.name}
    stmt = insert(CommitteeName).values(committee_id=data.committee_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[CommitteeName.committee_id], set_=values)
    )


async def children_of(session: AsyncSession, org_id: UUID) -> list[OrganizationLink]:
    query = (
        select(OrganizationLink).where(OrganizationLink.parent_id == org_id).order_by(OrganizationLink.name)
    )
    return list((await session.execute(query)).scalars())


async def names(session: AsyncSession, dimension: Dimension, org_id: UUID) -> dict[str, str]:
    """The labels of a breakdown's keys (units, sectors, committees); a party is its own label."""
    model: Any
    if dimension == Dimension.UNIT:
        model, key = Unit, Unit.unit_id
    elif dimension == Dimension.SECTOR:
        model, key = SectorName, SectorName.sector_id
    elif dimension == Dimension.COMMITTEE:
        model, key = CommitteeName, CommitteeName.committee_id
    else:
        return {}
    rows = await session.execute(select(key, model.name).where(model.org_id == org_id))
    return {str(k): name for k, name in rows.all()}


# --- the filters --------------------------------------------------------------------------------


def first_proposers(org_id: Any) -> Any:
    """Each person's latest member record in the organization (its sector, party, committees)."""
    m = MemberProjection
    return (
        select(m.person_id, m.name, m.sector_id, m.party, m.committee_ids)
        .where(m.org_id == org_id)
        .ext(distinct_on(m.person_id))
        .order_by(m.person_id, m.term_starts_on.desc().nulls_last(), m.version.desc())
        .subquery("first_proposer")
    )


def _owing_part(unit: Any, *conditions: Any) -> ColumnElement[bool]:
    """The proposal has a part owing a reply (the unit's, when given: an id, or the unit column of the
    row a statistics breakdown joined) meeting the conditions, each a function of the part."""
    part = aliased(Assignment)
    where = [
        part.proposal_id == Proposal.id,
        part.role.in_(OWING),
        part.status != AssignmentStatus.REASSIGNED,
        *(condition(part) for condition in conditions),
    ]
    if unit is not None:
        where.append(part.unit_id == unit)
    return exists().where(*where)


def overdue_now(unit: Any, today: date) -> ColumnElement[bool]:
    """A part still awaiting its reply past its due day (rule 12's overdue, as of today)."""
    return _owing_part(unit, lambda a: a.status.in_(AWAITING), lambda a: a.reply_due_on < today)


def was_late(unit: Any) -> ColumnElement[bool]:
    """A part whose overdue fired (rule 12: once per assignment and due date): not replied on time."""

    def fired(part: Any) -> ColumnElement[bool]:
        return exists().where(
            DeadlineNotice.assignment_id == part.id,
            DeadlineNotice.kind == OVERDUE,
            DeadlineNotice.outcome == FIRED,
        )

    return _owing_part(unit, fired)


def rehandled() -> ColumnElement[bool]:
    return exists().where(
        ProposalHistory.proposal_id == Proposal.id, ProposalHistory.to_status == Status.REHANDLING
    )


def _text_matches(every_term: str | None, q: str) -> ColumnElement[bool]:
    """The similar context's search condition on the proposal's index row."""
    return exists().where(ProposalText.proposal_id == Proposal.id, text_matches(every_term, q))


def conditions(
    principal: Principal,
    f: ListFilter,
    *,
    today: date,
    every_term: str | None = None,
    org_id: UUID | None = None,
) -> list[ColumnElement[bool]]:
    """The list's WHERE: what the caller may read (rule 28; `org_id` is a child organization's, for
    its counts only) and every filter given."""
    org = org_id or principal.org
    where: list[ColumnElement[bool]] = [
        Proposal.org_id == org,
        Proposal.status.in_(COUNTED),
        readable(principal) if org_id is None else true(),
    ]
    if f.statuses:
        where.append(Proposal.status.in_(f.statuses))
    if f.kind is not None:
        where.append(Proposal.kind == f.kind)
    if f.key is not None:
        where.append(Proposal.is_key.is_(f.key))
    if f.year is not None:  # the calendar year in Beijing, as a range the (org_id, submitted_at) index serves
        where.append(Proposal.submitted_at >= datetime(f.year, 1, 1, tzinfo=SHANGHAI))
        where.append(Proposal.submitted_at < datetime(f.year + 1, 1, 1, tzinfo=SHANGHAI))
    if f.session is not None:
        where.append(
            exists().where(
                SessionWindowRow.session_id == f.session,
                SessionWindowRow.org_id == org,
                SessionWindowRow.opens_at <= Proposal.submitted_at,
                SessionWindowRow.closes_at >= Proposal.submitted_at,
            )
        )
    if f.unit is not None:
        where.append(_owing_part(f.unit))
    if f.sector is not None or f.party is not None or f.committee is not None:
        fp = first_proposers(org)
        member = [fp.c.person_id == Proposal.first_proposer_id]
        if f.sector is not None:
            member.append(fp.c.sector_id == f.sector)
        if f.party is not None:
            member.append(fp.c.party == f.party)
        if f.committee is not None:
            member.append(fp.c.committee_ids.any_() == f.committee)
        where.append(exists().select_from(fp).where(*member))
    if f.overdue is not None:
        where.append(overdue_now(f.unit, today) if f.overdue else ~overdue_now(f.unit, today))
    if f.late is not None:
        where.append(was_late(f.unit) if f.late else ~was_late(f.unit))
    if f.rehandled is not None:
        where.append(rehandled() if f.rehandled else ~rehandled())
    if f.reply_classes:
        where.append(
            exists().where(
                Reply.proposal_id == Proposal.id,
                Reply.result_class.in_(f.reply_classes),
                *([Reply.unit_id == f.unit] if f.unit is not None else []),
            )
        )
    if f.ratings:
        where.append(
            exists().where(
                Evaluation.proposal_id == Proposal.id,
                Evaluation.rating.in_(f.ratings),
                *([Evaluation.unit_id == f.unit] if f.unit is not None else []),
            )
        )
    if f.q:
        where.append(_text_matches(every_term, f.q))
    return where


# --- the list -----------------------------------------------------------------------------------


def _sort_key(sort: Sort) -> tuple[Any, ...]:
    if sort == Sort.NUMBER:
        return (
            func.coalesce(Proposal.filing_series, _LAST_SERIES),
            func.coalesce(Proposal.filing_number, _LAST_NUMBER),
            Proposal.id,
        )
    return (Proposal.submitted_at, Proposal.id)


def encode_cursor(sort: Sort, row: Any) -> str:
    if sort == Sort.NUMBER:
        values: list[Any] = [
            row.filing_series or _LAST_SERIES,
            row.filing_number or _LAST_NUMBER,
            str(row.id),
        ]
    else:
        values = [row.submitted_at.isoformat(), str(row.id)]
    return base64.urlsafe_b64encode(json.dumps([sort.value, *values]).encode()).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[Any, ...]:
    """The sort key a cursor names; 422 for a forged or foreign cursor (another sort's)."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or raw[0] != sort.value:
            raise ValueError("another sort's cursor")
        if sort == Sort.NUMBER:
            series, number, id = raw[1:]
            if not isinstance(series, str) or len(series) > 60 or not isinstance(number, int):
                raise ValueError("not a number cursor")
            if not 0 <= number <= _LAST_NUMBER:
                raise ValueError("number out of range")
            return (series, number, UUID(id))
        at, id = raw[1:]
        # The business range and offset every cursor's time holds (its PydanticCustomError is a ValueError).
        return (check_datetime(datetime.fromisoformat(at)), UUID(id))
    except (ValueError, TypeError, IndexError, AttributeError, UnicodeDecodeError) as exc:
        raise invalid_cursor() from exc


def _parts_of(org: UUID, today: date, among: Any) -> Any:
    """Per proposal of the organization (of `among`'s ids, when a page), its parts owing a reply: the
    units' names (lead first), the earliest due day still awaited, whether one is overdue today. One
    grouped scan, hash-joined to the list (a correlated subquery per row would cost seconds over
    100,000 rows)."""
    awaiting = Assignment.status.in_(AWAITING)
    return (
        select(
            Assignment.proposal_id,
            func.string_agg(
                Unit.name, aggregate_order_by(literal_column("'、'"), Assignment.role, Unit.name)
            ).label("units"),
            func.min(Assignment.reply_due_on).filter(awaiting).label("reply_due_on"),
            func.bool_or(and_(awaiting, Assignment.reply_due_on < today)).label("overdue"),
        )
        .outerjoin(Unit, Unit.unit_id == Assignment.unit_id)
        .where(
            Assignment.org_id == org,
            Assignment.role.in_(OWING),
            Assignment.status != AssignmentStatus.REASSIGNED,
            *([Assignment.proposal_id.in_(among)] if among is not None else []),
        )
        .group_by(Assignment.proposal_id)
        .subquery("parts")
    )


def _classes_of(org: UUID, among: Any) -> Any:
    """Per proposal of the organization (of `among`'s ids, when a page), the classes of its replies (A、B)."""
    return (
        select(
            Reply.proposal_id,
            func.string_agg(
                distinct(Reply.result_class), aggregate_order_by(literal_column("'、'"), Reply.result_class)
            ).label("reply_classes"),
        )
        .join(Assignment, Assignment.id == Reply.assignment_id)
        .where(Assignment.org_id == org, *([Reply.proposal_id.in_(among)] if among is not None else []))
        .group_by(Reply.proposal_id)
        .subquery("classes")
    )


def list_statement(
    principal: Principal,
    f: ListFilter,
    *,
    today: date,
    every_term: str | None,
    after: tuple[Any, ...] | None = None,
    limit: int | None = None,
) -> Any:
    """The office's list: one row per proposal with what its columns show. A page (`limit`) picks its
    proposals first and gathers the columns of those only; the whole list (the export) gathers them
    in one grouped scan of the organization."""
    where = conditions(principal, f, today=today, every_term=every_term)
    key = _sort_key(f.sort)
    if after is not None:
        newer_first = f.sort == Sort.NEWEST
        where.append(tuple_(*key) < tuple_(*after) if newer_first else tuple_(*key) > tuple_(*after))
    order = [k.desc() for k in key] if f.sort == Sort.NEWEST else list(key)
    among = None
    if limit is not None:
        chosen = select(Proposal.id).where(*where).order_by(*order).limit(limit).cte("page")
        among = select(chosen.c.id)
        where = [Proposal.id.in_(among)]
    fp = first_proposers(principal.org)
    parts = _parts_of(principal.org, today, among)
    classes = _classes_of(principal.org, among)
    stmt = (
        select(
            Proposal.id,
            Proposal.status,
            Proposal.kind,
            Proposal.title,
            Proposal.filing_series,
            Proposal.filing_number,
            Proposal.submitted_at,
            Proposal.created_at,
            Proposal.is_key,
            Proposal.author_kind,
            Proposal.author_name,
            Proposal.first_proposer_id,
            fp.c.name.label("first_proposer_name"),
            fp.c.party.label("party"),
            SectorName.name.label("sector"),
            parts.c.units,
            parts.c.reply_due_on,
            func.coalesce(parts.c.overdue, False).label("overdue"),
            classes.c.reply_classes,
        )
        .outerjoin(fp, fp.c.person_id == Proposal.first_proposer_id)
        .outerjoin(SectorName, SectorName.sector_id == fp.c.sector_id)
        .outerjoin(parts, parts.c.proposal_id == Proposal.id)
        .outerjoin(classes, classes.c.proposal_id == Proposal.id)
        .where(*where)
        .order_by(*order)
    )
    return stmt


async def page(session: AsyncSession, stmt: Any) -> Sequence[Any]:
    rows: Sequence[Any] = (await session.execute(stmt)).all()
    return rows


async def stream_rows(session: AsyncSession, stmt: Any, batch: int) -> AsyncIterator[Any]:
    """The rows through a server-side cursor, `batch` at a time: never the whole result in memory."""
    result = await session.stream(stmt.execution_options(yield_per=batch))
    async for row in result:
        yield row


# --- the statistics -----------------------------------------------------------------------------


async def counts(
    session: AsyncSession,
    principal: Principal,
    f: ListFilter,
    dimension: Dimension,
    *,
    today: date,
    satisfied: Sequence[str],
    org_id: UUID | None = None,
) -> dict[str | None, Counts]:
    """One row of counts per key of the breakdown, with `f`'s filters (docs/proposal-statistics.md)."""
    org = org_id or principal.org
    fp = first_proposers(org)
    unit = Assignment.unit_id if dimension == Dimension.UNIT else None
    late = was_late(unit)  # with the unit column: the row's own unit's part
    overdue = overdue_now(unit, today)
    replied = Proposal.status.in_(REPLIED_STAGE)
    scoped_evaluations = [Evaluation.proposal_id == Proposal.id]
    if unit is not None:
        scoped_evaluations.append(Evaluation.unit_id == unit)
    evaluations = select(func.count()).where(*scoped_evaluations).scalar_subquery()
    satisfied_count = (
        select(func.count()).where(*scoped_evaluations, Evaluation.rating.in_(satisfied)).scalar_subquery()
        if satisfied
        else literal(0)
    )
    facts = (
        select(
            Proposal.id.label("proposal_id"),
            Proposal.status.label("status"),
            Proposal.status.in_(FILED_STAGE).label("filed"),
            replied.label("replied"),
            late.label("late"),
            overdue.label("overdue"),
            rehandled().label("rehandled"),
            evaluations.label("evaluations"),
            satisfied_count.label("satisfied"),
        )
        .outerjoin(fp, fp.c.person_id == Proposal.first_proposer_id)
        .where(*conditions(principal, f, today=today, org_id=org_id))
    )
    if dimension == Dimension.UNIT:
        facts = facts.join(
            Assignment,
            and_(
                Assignment.proposal_id == Proposal.id,
                Assignment.role.in_(OWING),
                Assignment.status != AssignmentStatus.REASSIGNED,
            ),
        ).add_columns(cast(Assignment.unit_id, Text()).label("key"))
    elif dimension == Dimension.SECTOR:
        facts = facts.add_columns(cast(fp.c.sector_id, Text()).label("key"))
    elif dimension == Dimension.PARTY:
        facts = facts.add_columns(fp.c.party.label("key"))
    elif dimension == Dimension.COMMITTEE:
        committee = func.unnest(func.coalesce(fp.c.committee_ids, cast([], fp.c.committee_ids.type)))
        facts = facts.add_columns(cast(committee, Text()).label("key"))
    else:
        facts = facts.add_columns(literal(None, Text()).label("key"))
    sub = facts.subquery("facts")
    n = func.count().filter
    # One scan, grouped by key and status: each key's counts are the sums over its statuses.
    grouped = select(
        sub.c.key,
        sub.c.status,
        func.count().label("submitted"),
        n(sub.c.filed).label("filed"),
        n(sub.c.replied).label("replied"),
        n(and_(sub.c.replied, ~sub.c.late)).label("on_time"),
        n(and_(sub.c.replied, sub.c.late)).label("late"),
        n(sub.c.rehandled).label("rehandled"),
        n(sub.c.overdue).label("overdue"),
        func.coalesce(func.sum(sub.c.evaluations), 0).cast(Integer).label("evaluations"),
        func.coalesce(func.sum(sub.c.satisfied), 0).cast(Integer).label("satisfied"),
    ).group_by(sub.c.key, sub.c.status)
    summed: dict[str | None, dict[str, int]] = {}
    statuses: dict[str | None, dict[str, int]] = {}
    for row in (await session.execute(grouped)).all():
        sums = summed.setdefault(row.key, dict.fromkeys(_SUMMED, 0))
        for name in _SUMMED:
            sums[name] += getattr(row, name)
        statuses.setdefault(row.key, {})[row.status] = row.submitted
    return {key: Counts(by_status=statuses[key], **sums) for key, sums in summed.items()}


_SUMMED = (
    "submitted",
    "filed",
    "replied",
    "on_time",
    "late",
    "rehandled",
    "overdue",
    "evaluations",
    "satisfied",
)
