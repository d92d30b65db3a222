"""Duty-ledger use cases: ingesting duty events, the 成绩单, ranks, exit review, closing a year."""

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.contracts.member import MemberExitReviewRequiredV1
from cppcc_common.errors import NotFound, ValidationFailed
from cppcc_common.events import CloudEvent, EventData, parse_event
from cppcc_common.ids import new_id
from member_svc.directory.models import Member, Term
from member_svc.duty import repository
from member_svc.duty.domain import (
    DUTY_YEAR,
    HELD_ENTRY,
    HeldAction,
    HeldStatus,
    YearAction,
    year_status,
)
from member_svc.duty.entries import SUPERSEDING_RULES, EntryDraft, Rule, act_time, draft_entries, duty_date
from member_svc.duty.errors import BAD_TABLE, AnnualReportMissing, ScoringTableExists
from member_svc.duty.models import AnnualReport, ClosedYear, ExitReviewAlert, HeldEntry, ScoringTable
from member_svc.duty.policy import Category, DutyPolicy
from member_svc.duty.scoring import (
    Band,
    SectorTally,
    SectorTargets,
    exit_review_alerts_due,
    rank,
    sector_targets,
    training_requirement_met,
    unexcused_absences,
    year_can_close,
    year_score,
)
from member_svc.models import Person

log = logging.getLogger("member.duty")


def _actor(change: Change) -> UUID:
    """Who makes a staff action: a route's change always has its principal."""
    if change.actor is None:
        raise RuntimeError("a staff action needs the principal making it")
    return change.actor


async def add_scoring_table(
    change: Change, *, org_id: UUID, effective_from: date, values: dict[str, Any]
) -> ScoringTable:
    """A new scoring table from a date (rule 23: points only from the table); one per date."""
    unknown = sorted(set(values) - set(DutyPolicy.model_fields))
    if unknown:
        raise ValidationFailed(
            BAD_TABLE,
            errors=[{"field": f, "code": "unknown_field", "message": BAD_TABLE.zh} for f in unknown],
        )
    try:
        policy = DutyPolicy.model_validate(values)
    except ValidationError as exc:
        raise ValidationFailed(
            BAD_TABLE,
            errors=[
                {"field": ".".join(map(str, e["loc"])), "code": e["type"], "message": BAD_TABLE.zh}
                for e in exc.errors()
            ],
        ) from exc
    table = ScoringTable(
        id=new_id(),
        org_id=org_id,
        effective_from=effective_from,
        values=policy.model_dump(mode="json"),
        created_at=change.now,
        created_by=_actor(change),
    )
    change.session.add(table)
    try:
        async with change.session.begin_nested():
            await change.session.flush()
    except IntegrityError as exc:
        raise ScoringTableExists() from exc
    return table


# Ingestion ---------------------------------------------------------------------------------


async def ingest(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Rule 23: a duty event becomes ledger entries of the members it names, from the table in force.

    `change` is the consumer's: it continues the trace of the event, so what this event causes
    (an exit-review alert) carries that trace."""
    when = act_time(data)
    if when is None:
        return
    on = duty_date(when)
    org_id: UUID = data.org_id  # type: ignore[attr-defined]  # every duty event names its organization
    await repository.remember_event(
        change.session,
        event_id=envelope.id,
        org_id=org_id,
        type=envelope.type,
        occurred_on=on,
        envelope=envelope.model_dump(mode="json"),
    )
    await _score(change, envelope, data, on)


async def _score(
    change: Change, envelope: CloudEvent, data: EventData, on: date, *, recomputing: bool = False
) -> None:
    session = change.session
    org_id: UUID = data.org_id  # type: ignore[attr-defined]  # every duty event names its organization
    policy = await repository.policy_on(session, org_id, on)
    people = {d.person_id for d in draft_entries(envelope.id, data, policy)}
    memberships = {p: await repository.membership_on(session, org_id, p, on) for p in people}
    standing = {p for p, m in memberships.items() if m is not None and m.is_standing}
    drafts = [
        d
        for d in draft_entries(envelope.id, data, policy, standing_member_ids=standing)
        if memberships.get(d.person_id) is not None
    ]  # only members have a duty record
    closed = await repository.closed_person_years(session, org_id, {(d.person_id, d.year) for d in drafts})

    def scores(d: EntryDraft) -> bool:
        return DUTY_YEAR.allows(year_status((d.person_id, d.year) in closed), YearAction.SCORE)

    version: int | None = getattr(data, "version", None)  # the proposal's, orders its splits
    drafts = await _supersede(session, org_id, envelope.id, version, drafts)
    scored = [d for d in drafts if scores(d)]
    await repository.add_entries(session, scored, envelope.type, change.now)
    if not recomputing:  # a recomputation leaves closed years as they are, held entries included
        await _hold_late(change, [d for d in drafts if not scores(d)], envelope.type)
    for person_id in {d.person_id for d in scored if d.category is Category.MEETINGS}:
        member = memberships[person_id]
        assert member is not None
        await _check_exit_review(change, member, policy)


async def _supersede(
    session: AsyncSession, org_id: UUID, event_id: UUID, version: int | None, drafts: list[EntryDraft]
) -> list[EntryDraft]:
    """The latest split of a superseding act is the one that counts (entries.SUPERSEDING_RULES): an
    earlier event's entries of the same act go, except in closed years, which are final. An event
    older (by the proposal's version) than one already scored for the act — a replayed dead letter —
    changes nothing: its drafts of that act are dropped."""
    kept = list(drafts)
    for object_id, rule in {(d.source_object_id, d.rule) for d in drafts if d.rule in SUPERSEDING_RULES}:
        earlier = await repository.entries_of_act(
            session, org_id, object_id, rule.value, except_event=event_id
        )
        versions = await repository.event_versions(session, {e.source_event_id for e in earlier})
        if version is not None and any(v is not None and v > version for v in versions.values()):
            kept = [d for d in kept if (d.source_object_id, d.rule) != (object_id, rule)]
            continue
        closed = await repository.closed_person_years(
            session, org_id, {(e.person_id, e.year) for e in earlier}
        )
        await repository.delete_entries(
            session, [e.id for e in earlier if (e.person_id, e.year) not in closed]
        )
    return kept


async def _hold_late(change: Change, late: list[EntryDraft], source_type: str) -> None:
    """A closed year is final: what a late event gives it is held for staff to apply or dismiss."""
    stored = await repository.stored_entry_keys(change.session, late)
    fresh = [d for d in late if (d.source_event_id, d.person_id, d.rule.value) not in stored]
    for held in await repository.hold_entries(change.session, fresh, source_type, change.now):
        # The alert: staff with the `members` scope list pending held entries (GET /duty/held-entries).
        log.warning(
            "late duty entry held for a closed year",
            extra={"held_entry": str(held.id), "person": str(held.person_id), "year": held.year},
        )


async def _check_exit_review(change: Change, member: Member, policy: DutyPolicy) -> None:
    """Rule 24: one alert (and one event) per threshold a member's term crosses."""
    session = change.session
    term = await session.get(Term, member.term_id)
    assert term is not None
    term_entries = await repository.entries(
        session, org_id=member.org_id, person_ids=[member.person_id], since=term.starts_on, until=term.ends_on
    )
    raised = await repository.raised_alerts(session, member.person_id, term.id)
    due = exit_review_alerts_due(term_entries, raised, policy)  # type: ignore[arg-type]
    if not due:
        return
    person = await session.get(Person, member.person_id)
    assert person is not None
    absences = unexcused_absences(term_entries)
    for threshold in sorted(due):
        inserted = await session.execute(
            insert(ExitReviewAlert)
            .values(
                id=new_id(),
                org_id=member.org_id,
                person_id=member.person_id,
                term_id=term.id,
                threshold=threshold.value,
                raised_at=change.now,
            )
            .on_conflict_do_nothing(constraint="uq_exit_review_alerts_once")
            .returning(ExitReviewAlert.id)
        )
        if inserted.first() is None:
            continue  # a concurrent delivery raised it already
        await change.emit(
            MemberExitReviewRequiredV1(
                person_id=member.person_id,
                org_id=member.org_id,
                term_id=term.id,
                name=person.name,
                threshold=threshold.value,
                unexcused_absences=sum(absences.values()),
            ),
            subject=member.person_id,
            orgid=member.org_id,
        )


async def recompute_year(change: Change, *, org_id: UUID, year: int) -> int:
    """Re-derives a year's entries from the stored events with the tables now in force.

    Closed years are final: their entries stay as they are and their events are not scored again.
    """
    session = change.session
    closed = await repository.closed_year_people(session, org_id, year)
    await repository.delete_entries_of_year(session, org_id, year, keep=closed)
    events = await repository.events_between(session, org_id, date(year, 1, 1), date(year, 12, 31))
    for stored in events:
        envelope, data = parse_event(CloudEvent.model_validate(stored.envelope).to_json())
        await _score(change, envelope, data, stored.occurred_on, recomputing=True)
    return len(events)


# The record (成绩单) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    person_id: UUID
    name: str
    sector_id: UUID | None
    is_standing: bool
    year: int
    categories: dict[Category, Decimal]
    total: Decimal
    band: Band
    rank_in_org: int
    rank_in_sector: int | None
    training_met: bool
    annual_report_filed: bool
    closed: bool


@dataclass(frozen=True)
class PersonYear:
    """One person's duty year, however many member records (terms) it spans."""

    person: Person
    member: Member  # the record of the year's latest term: its sector is the person's sector
    term: Term
    is_standing: bool  # standing in any of the year's terms, so rule 26 asks for the report


def people_of_year(rows: list[tuple[Member, Person]], terms: dict[UUID, Term]) -> list[PersonYear]:
    """Groups the year's member records by person (a term change gives two records in one year)."""
    by_person: dict[UUID, list[tuple[Member, Person]]] = {}
    for member, person in rows:
        by_person.setdefault(member.person_id, []).append((member, person))
    out = []
    for records in by_person.values():
        member, person = max(records, key=lambda r: terms[r[0].term_id].starts_on)
        standing = any(m.is_standing for m, _ in records)
        out.append(PersonYear(person, member, terms[member.term_id], standing))
    return out


async def records(session: AsyncSession, *, org_id: UUID, year: int) -> list[Record]:
    """Every member's record of the year, one per person, ranked in the organization and sector."""
    policy = await repository.policy_on(session, org_id, date(year, 12, 31))
    # A handful of queries for the whole organization, never a few per member.
    rows = await repository.members_of_year(session, org_id, year)
    members = people_of_year(rows, await repository.terms_by_id(session, {m.term_id for m, _ in rows}))
    year_entries = await repository.entries(session, org_id=org_id, year=year)
    by_person: dict[UUID, list[repository.StoredEntry]] = {}
    for entry in year_entries:
        by_person.setdefault(entry.row.person_id, []).append(entry)
    scores = {p.person.id: year_score(by_person.get(p.person.id, []), policy) for p in members}
    org_rank = rank({p: s.total for p, s in scores.items()})
    sector_ranks: dict[UUID, int] = {}
    for sector in {p.member.sector_id for p in members if p.member.sector_id}:
        sector_ranks |= rank(
            {p.person.id: scores[p.person.id].total for p in members if p.member.sector_id == sector}
        )
    trainings = await repository.training_entries(session, org_id=org_id)
    reported = await repository.annual_report_people(session, org_id, year)
    closed = await repository.closed_year_people(session, org_id, year)
    out = []
    for one in members:
        member, person, term = one.member, one.person, one.term
        term_trainings = [  # training is counted in the year's latest term
            e
            for e in trainings.get(member.person_id, [])
            if term.starts_on <= e.row.occurred_on <= term.ends_on
        ]
        score = scores[member.person_id]
        out.append(
            Record(
                person_id=member.person_id,
                name=person.name,
                sector_id=member.sector_id,
                is_standing=one.is_standing,
                year=year,
                categories=dict(score.categories),
                total=score.total,
                band=score.band,
                rank_in_org=org_rank[member.person_id],
                rank_in_sector=sector_ranks.get(member.person_id),
                training_met=training_requirement_met(term_trainings, policy),
                annual_report_filed=member.person_id in reported,
                closed=member.person_id in closed,
            )
        )
    return sorted(out, key=lambda r: (r.rank_in_org, r.name, r.person_id))


async def record_of(session: AsyncSession, *, org_id: UUID, person_id: UUID, year: int) -> Record:
    for record in await records(session, org_id=org_id, year=year):
        if record.person_id == person_id:
            return record
    raise NotFound()


# Sector targets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectorYear:
    sector_id: UUID
    name: str
    members: int
    tally: SectorTally
    targets: SectorTargets


_COUNTED = {
    Rule.ACTIVITY_ATTENDED: "activities",
    Rule.WRITTEN_SPEECH: "speeches",
    Rule.ORAL_SPEECH: "speeches",
    Rule.OPINION_SUBMITTED: "opinions",
}


async def sector_report(session: AsyncSession, *, org_id: UUID, year: int) -> list[SectorYear]:
    """DOMAIN.md §5: each sector's activities and outputs of the year against its targets.

    Counted from the sector's members' ledger entries: distinct activities attended, speeches
    and public-opinion reports. Research reports and collective (sector) proposals join the
    tally once consultation-svc and proposal-svc publish them with their sector.
    """
    policy = await repository.policy_on(session, org_id, date(year, 12, 31))
    rows = await repository.members_of_year(session, org_id, year)
    members = people_of_year(rows, await repository.terms_by_id(session, {m.term_id for m, _ in rows}))
    entries = await repository.entries(session, org_id=org_id, year=year)
    out = []
    for sector in await repository.sectors(session, org_id):
        people = {p.person.id for p in members if p.member.sector_id == sector.id}
        seen: dict[str, set[UUID]] = {"activities": set(), "speeches": set(), "opinions": set()}
        for entry in entries:
            if entry.row.person_id in people and entry.rule in _COUNTED:
                seen[_COUNTED[entry.rule]].add(entry.source_object_id)
        tally = SectorTally(
            activities=len(seen["activities"]), speeches=len(seen["speeches"]), opinions=len(seen["opinions"])
        )
        out.append(SectorYear(sector.id, sector.name, len(people), tally, sector_targets(tally, policy)))
    return out


# Annual report and closing a year ------------------------------------------------------------


async def file_annual_report(
    change: Change,
    *,
    org_id: UUID,
    person_id: UUID,
    year: int,
    filename: str,
    content_type: str,
    content: bytes,
) -> AnnualReport:
    session = change.session
    closed = await repository.closed_year(session, person_id, year) is not None
    DUTY_YEAR.check(year_status(closed), YearAction.FILE_REPORT)
    report = await repository.annual_report(session, person_id, year)
    if report is None:
        report = AnnualReport(
            id=new_id(), org_id=org_id, person_id=person_id, year=year, uploaded_by=person_id
        )
        session.add(report)
    report.filename, report.content_type, report.content = filename, content_type, content
    report.size, report.uploaded_at = len(content), change.now
    await session.flush()
    return report


async def close_year(change: Change, *, org_id: UUID, person_id: UUID, year: int) -> ClosedYear:
    """Rule 26: staff close a member's year; a standing member's needs the written annual report."""
    record = await record_of(change.session, org_id=org_id, person_id=person_id, year=year)
    DUTY_YEAR.check(year_status(record.closed), YearAction.CLOSE)
    if not year_can_close(is_standing=record.is_standing, annual_report_filed=record.annual_report_filed):
        raise AnnualReportMissing()
    closed = ClosedYear(
        person_id=person_id,
        year=year,
        org_id=org_id,
        total=record.total,
        closed_at=change.now,
        closed_by=_actor(change),
    )
    change.session.add(closed)
    await change.session.flush()
    return closed


# Held entries of closed years ----------------------------------------------------------------


async def held_entries(
    session: AsyncSession, *, org_id: UUID, status: HeldStatus, cursor: str | None, limit: int
) -> tuple[list[HeldEntry], str | None]:
    return await repository.held_entries(session, org_id=org_id, status=status, cursor=cursor, limit=limit)


async def decide_held_entry(change: Change, *, org_id: UUID, held_id: UUID, action: HeldAction) -> HeldEntry:
    """Staff apply or dismiss a held entry: the one transition of the held-entry machine.

    Load for update (another organization's entry is not found) → `HELD_ENTRY.check` → the
    decision → applying joins the entry to its closed year's ledger."""
    held = await repository.held_entry(change.session, org_id, held_id)
    if held is None:
        raise NotFound()
    held.status = HELD_ENTRY.check(HeldStatus(held.status), action).value
    held.decided_at, held.decided_by = change.now, _actor(change)
    if action is HeldAction.APPLY:
        await _apply_held(change, held)
    await change.session.flush()
    return held


async def _apply_held(change: Change, held: HeldEntry) -> None:
    """The late entry joins the closed year's ledger and the closed total follows (exit review too)."""
    session = change.session
    draft = EntryDraft(
        org_id=held.org_id,
        person_id=held.person_id,
        year=held.year,
        occurred_on=held.occurred_on,
        rule=Rule(held.rule),
        points=held.points,
        source_event_id=held.source_event_id,
        source_object_id=held.source_object_id or held.source_event_id,
    )
    await repository.add_entries(session, [draft], held.source_type, change.now)
    await session.flush()
    closed = await repository.closed_year(session, held.person_id, held.year)
    if closed is not None:
        closed.total = (
            await record_of(session, org_id=held.org_id, person_id=held.person_id, year=held.year)
        ).total
    member = await repository.membership_on(session, held.org_id, held.person_id, held.occurred_on)
    if member is not None and draft.category is Category.MEETINGS:
        policy = await repository.policy_on(session, held.org_id, held.occurred_on)
        await _check_exit_review(change, member, policy)


async def exit_review_alerts(
    session: AsyncSession, *, org_id: UUID, cursor: str | None, limit: int
) -> tuple[list[tuple[ExitReviewAlert, str]], str | None]:
    return await repository.exit_review_alerts(session, org_id=org_id, cursor=cursor, limit=limit)
