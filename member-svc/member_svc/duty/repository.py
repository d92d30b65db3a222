"""Every query of the duty ledger."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.ids import new_id
from cppcc_common.pagination import decode_cursor, encode_cursor
from member_svc.directory.models import Member, Sector, Term
from member_svc.duty.domain import HeldStatus
from member_svc.duty.entries import EntryDraft, Rule
from member_svc.duty.models import (
    AnnualReport,
    ClosedYear,
    DutyEvent,
    ExitReviewAlert,
    HeldEntry,
    LedgerEntry,
    ScoringTable,
)
from member_svc.duty.policy import DEFAULT_POLICY, DutyPolicy, policy_in_force
from member_svc.models import Person


@dataclass(frozen=True)
class StoredEntry:
    """A ledger row as the scoring functions read it."""

    rule: Rule
    points: Decimal
    source_object_id: UUID
    row: LedgerEntry


async def scoring_tables(session: AsyncSession, org_id: UUID) -> list[ScoringTable]:
    query = select(ScoringTable).where(ScoringTable.org_id == org_id).order_by(ScoringTable.effective_from)
    return list((await session.execute(query)).scalars())


async def policy_on(session: AsyncSession, org_id: UUID, on: date) -> DutyPolicy:
    """The organization's scoring table in force on a date (the defaults before its first one)."""
    tables = [
        (t.effective_from, DutyPolicy.from_stored(t.values)) for t in await scoring_tables(session, org_id)
    ]
    return policy_in_force(tables, on) if tables else DEFAULT_POLICY


async def membership_on(session: AsyncSession, org_id: UUID, person_id: UUID, on: date) -> Member | None:
    """The person's member record for the term covering the date, if they were a member then."""
    query = (
        select(Member)
        .join(Term, Term.id == Member.term_id)
        .where(
            Member.org_id == org_id, Member.person_id == person_id, Term.starts_on <= on, Term.ends_on >= on
        )
    )
    return (await session.execute(query)).scalars().first()


async def remember_event(
    session: AsyncSession,
    *,
    event_id: UUID,
    org_id: UUID,
    type: str,
    occurred_on: date,
    envelope: dict[str, Any],
) -> None:
    stmt = insert(DutyEvent).values(
        event_id=event_id, org_id=org_id, type=type, occurred_on=occurred_on, envelope=envelope
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=[DutyEvent.event_id]))


def _entry_rows(drafts: list[EntryDraft], source_type: str, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": new_id(),
            "org_id": d.org_id,
            "person_id": d.person_id,
            "year": d.year,
            "occurred_on": d.occurred_on,
            "category": d.category.value,
            "rule": d.rule.value,
            "points": d.points,
            "source_event_id": d.source_event_id,
            "source_type": source_type,
            "source_object_id": d.source_object_id,
            "created_at": now,
        }
        for d in drafts
    ]


async def add_entries(
    session: AsyncSession, drafts: list[EntryDraft], source_type: str, now: datetime
) -> None:
    """Stores entries; one already stored for the same (event, person, rule) is kept (rule 23)."""
    if not drafts:
        return
    rows = _entry_rows(drafts, source_type, now)
    await session.execute(
        insert(LedgerEntry).values(rows).on_conflict_do_nothing(constraint="uq_ledger_entries_source")
    )


async def entries_of_act(
    session: AsyncSession, org_id: UUID, object_id: UUID, rule: str, *, except_event: UUID
) -> list[LedgerEntry]:
    """The entries of one act (a proposal's submission, say) that other events than this one gave."""
    query = select(LedgerEntry).where(
        LedgerEntry.org_id == org_id,
        LedgerEntry.source_object_id == object_id,
        LedgerEntry.rule == rule,
        LedgerEntry.source_event_id != except_event,
    )
    return list((await session.execute(query)).scalars())


async def event_versions(session: AsyncSession, event_ids: set[UUID]) -> dict[UUID, int | None]:
    """The aggregate version each stored event carries (`data.version`), None when it has none."""
    if not event_ids:
        return {}
    query = select(DutyEvent.event_id, DutyEvent.envelope["data"]["version"].astext).where(
        DutyEvent.event_id.in_(event_ids)
    )
    return {e: int(v) if v is not None else None for e, v in (await session.execute(query)).all()}


async def delete_entries(session: AsyncSession, ids: list[UUID]) -> None:
    if ids:
        await session.execute(delete(LedgerEntry).where(LedgerEntry.id.in_(ids)))


async def hold_entries(
    session: AsyncSession, drafts: list[EntryDraft], source_type: str, now: datetime
) -> list[HeldEntry]:
    """Holds entries of closed years for review; a redelivered event holds nothing twice."""
    if not drafts:
        return []
    rows = [
        {k: v for k, v in row.items() if k != "created_at"}
        | {"held_at": now, "status": HeldStatus.PENDING.value}
        for row in _entry_rows(drafts, source_type, now)
    ]
    stmt = (
        insert(HeldEntry)
        .values(rows)
        .on_conflict_do_nothing(constraint="uq_held_entries_source")
        .returning(HeldEntry)
    )
    return list((await session.execute(stmt)).scalars())


async def stored_entry_keys(session: AsyncSession, drafts: list[EntryDraft]) -> set[tuple[UUID, UUID, str]]:
    """The (event, person, rule) keys of these drafts that are in the ledger already."""
    if not drafts:
        return set()
    keys = {(d.source_event_id, d.person_id, d.rule.value) for d in drafts}
    columns = tuple_(LedgerEntry.source_event_id, LedgerEntry.person_id, LedgerEntry.rule)
    query = select(LedgerEntry.source_event_id, LedgerEntry.person_id, LedgerEntry.rule).where(
        columns.in_(list(keys))
    )
    return {(e, p, r) for e, p, r in (await session.execute(query)).all()}


async def closed_person_years(
    session: AsyncSession, org_id: UUID, keys: set[tuple[UUID, int]]
) -> set[tuple[UUID, int]]:
    """Which of these (person, year) pairs are closed."""
    if not keys:
        return set()
    query = select(ClosedYear.person_id, ClosedYear.year).where(
        ClosedYear.org_id == org_id, tuple_(ClosedYear.person_id, ClosedYear.year).in_(list(keys))
    )
    return {(p, y) for p, y in (await session.execute(query)).all()}


async def held_entries(
    session: AsyncSession, *, org_id: UUID, status: HeldStatus, cursor: str | None, limit: int
) -> tuple[list[HeldEntry], str | None]:
    """The organization's held entries with a status, newest first, one page."""
    query = select(HeldEntry).where(HeldEntry.org_id == org_id, HeldEntry.status == status)
    if cursor:
        query = query.where(tuple_(HeldEntry.held_at, HeldEntry.id) < tuple_(*decode_cursor(cursor)))
    query = query.order_by(HeldEntry.held_at.desc(), HeldEntry.id.desc()).limit(limit + 1)
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > limit
    return rows[:limit], encode_cursor(rows[limit - 1].held_at, rows[limit - 1].id) if more else None


async def held_entry(session: AsyncSession, org_id: UUID, held_id: UUID) -> HeldEntry | None:
    row = await session.get(HeldEntry, held_id, with_for_update=True)
    return row if row is not None and row.org_id == org_id else None


async def exit_review_alerts(
    session: AsyncSession, *, org_id: UUID, cursor: str | None, limit: int
) -> tuple[list[tuple[ExitReviewAlert, str]], str | None]:
    """The organization's exit-review alerts with the member's name, newest first, one page."""
    query = (
        select(ExitReviewAlert, Person.name)
        .join(Person, Person.id == ExitReviewAlert.person_id)
        .where(ExitReviewAlert.org_id == org_id)
    )
    if cursor:
        query = query.where(
            tuple_(ExitReviewAlert.raised_at, ExitReviewAlert.id) < tuple_(*decode_cursor(cursor))
        )
    query = query.order_by(ExitReviewAlert.raised_at.desc(), ExitReviewAlert.id.desc()).limit(limit + 1)
    rows = [(a, name) for a, name in (await session.execute(query)).all()]
    more = len(rows) > limit
    last = rows[limit - 1][0] if more else None
    return rows[:limit], encode_cursor(last.raised_at, last.id) if last is not None else None


async def entries(
    session: AsyncSession,
    *,
    org_id: UUID,
    person_ids: list[UUID] | None = None,
    year: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[StoredEntry]:
    query = select(LedgerEntry).where(LedgerEntry.org_id == org_id)
    if person_ids is not None:
        query = query.where(LedgerEntry.person_id.in_(person_ids))
    if year is not None:
        query = query.where(LedgerEntry.year == year)
    if since is not None and until is not None:
        query = query.where(and_(LedgerEntry.occurred_on >= since, LedgerEntry.occurred_on <= until))
    rows = (await session.execute(query.order_by(LedgerEntry.occurred_on, LedgerEntry.created_at))).scalars()
    return [StoredEntry(Rule(r.rule), r.points, r.source_object_id or r.source_event_id, r) for r in rows]


async def members_of_year(session: AsyncSession, org_id: UUID, year: int) -> list[tuple[Member, Person]]:
    """Members whose term overlaps the year, with their person."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    query = (
        select(Member, Person)
        .join(Term, Term.id == Member.term_id)
        .join(Person, Person.id == Member.person_id)
        .where(Member.org_id == org_id, Term.starts_on <= end, Term.ends_on >= start)
        .order_by(Person.name)
    )
    return [(m, p) for m, p in (await session.execute(query)).all()]


async def sectors(session: AsyncSession, org_id: UUID) -> list[Sector]:
    return list(
        (await session.execute(select(Sector).where(Sector.org_id == org_id).order_by(Sector.name))).scalars()
    )


async def raised_alerts(session: AsyncSession, person_id: UUID, term_id: UUID) -> set[str]:
    query = select(ExitReviewAlert.threshold).where(
        ExitReviewAlert.person_id == person_id, ExitReviewAlert.term_id == term_id
    )
    return set((await session.execute(query)).scalars())


async def annual_report(session: AsyncSession, person_id: UUID, year: int) -> AnnualReport | None:
    query = select(AnnualReport).where(AnnualReport.person_id == person_id, AnnualReport.year == year)
    return (await session.execute(query)).scalar_one_or_none()


async def closed_year(session: AsyncSession, person_id: UUID, year: int) -> ClosedYear | None:
    return await session.get(ClosedYear, (person_id, year))


async def events_between(session: AsyncSession, org_id: UUID, start: date, end: date) -> list[DutyEvent]:
    query = (
        select(DutyEvent)
        .where(DutyEvent.org_id == org_id, DutyEvent.occurred_on >= start, DutyEvent.occurred_on <= end)
        # Then in the order they were published (UUIDv7 ids): a later split of a proposal's points
        # supersedes an earlier one of the same day (entries.SUPERSEDING_RULES).
        .order_by(DutyEvent.occurred_on, DutyEvent.event_id)
    )
    return list((await session.execute(query)).scalars())


async def delete_entries_of_year(session: AsyncSession, org_id: UUID, year: int, *, keep: set[UUID]) -> None:
    """Deletes the year's entries except those of the people in `keep` (their year is closed)."""
    query = delete(LedgerEntry).where(LedgerEntry.org_id == org_id, LedgerEntry.year == year)
    if keep:
        query = query.where(LedgerEntry.person_id.not_in(keep))
    await session.execute(query)


async def terms_by_id(session: AsyncSession, term_ids: set[UUID]) -> dict[UUID, Term]:
    rows = (await session.execute(select(Term).where(Term.id.in_(term_ids)))).scalars()
    return {t.id: t for t in rows}


async def training_entries(session: AsyncSession, *, org_id: UUID) -> dict[UUID, list[StoredEntry]]:
    """Every training entry of the organization, by person (training is counted per term)."""
    query = select(LedgerEntry).where(
        LedgerEntry.org_id == org_id, LedgerEntry.rule == Rule.TRAINING_ATTENDED.value
    )
    out: dict[UUID, list[StoredEntry]] = {}
    for r in (await session.execute(query)).scalars():
        out.setdefault(r.person_id, []).append(
            StoredEntry(Rule(r.rule), r.points, r.source_object_id or r.source_event_id, r)
        )
    return out


async def annual_report_people(session: AsyncSession, org_id: UUID, year: int) -> set[UUID]:
    query = select(AnnualReport.person_id).where(AnnualReport.org_id == org_id, AnnualReport.year == year)
    return set((await session.execute(query)).scalars())


async def closed_year_people(session: AsyncSession, org_id: UUID, year: int) -> set[UUID]:
    query = select(ClosedYear.person_id).where(ClosedYear.org_id == org_id, ClosedYear.year == year)
    return set((await session.execute(query)).scalars())
