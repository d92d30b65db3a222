"""Outcome use cases on the one write path (cppcc_common.change). Never commits (the request does).

Every step of an outcome goes through `_transition`: the outcome locked and read through
`readable(principal)` (404), who may act (403), `LIFECYCLE.check` (409), the version (412), the
pure domain action (a Decision), its changes and status, the history row, the version bump, the
events. The deadline scanner's overdue is the same path as a system action (no who-may-act step;
the history row has no actor)."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.activities.domain import Status as ActivityStatus
from consultation_svc.activities.models import Activity
from consultation_svc.attachments import service as attachments
from consultation_svc.attachments.models import Attachment
from consultation_svc.outcomes import domain, repository, spreadsheet
from consultation_svc.outcomes.domain import Action, Facts, Recipient, RecipientKind, Status
from consultation_svc.outcomes.errors import (
    ActivityCancelled,
    ActivityNotFound,
    OutcomeNotFound,
    OutcomeVersionMismatch,
)
from consultation_svc.outcomes.models import Feedback, FollowUp, Instruction, Outcome, OutcomeHistory
from consultation_svc.outcomes.policy import OutcomePolicy
from consultation_svc.outcomes.repository import FIRED, OWNER_TYPE, VOID, acts_as_office, acts_for_unit
from consultation_svc.outcomes.schemas import (
    DueDateIn,
    FeedbackIn,
    FeedbackRead,
    FollowUpIn,
    FollowUpRead,
    InstructionIn,
    InstructionRead,
    OutcomeAttachmentRead,
    OutcomeCreate,
    OutcomePatch,
    OutcomeRead,
    OutcomeSummary,
    RecipientIn,
    RecipientRead,
    TrackingReport,
    TrackingRow,
)
from cppcc_common.attachments import Upload
from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.errors import Forbidden
from cppcc_common.ids import new_id
from cppcc_common.pagination import decode_cursor, encode_cursor
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch, check_version
from cppcc_common.workdays import local_date

Decide = Callable[[Facts], Awaitable[Decision[Status]] | Decision[Status]]


def _recipients(rows: Sequence[dict[str, Any]]) -> tuple[Recipient, ...]:
    return tuple(
        Recipient(
            kind=RecipientKind(r["kind"]),
            name=r["name"],
            unit_id=UUID(r["unit_id"]) if r.get("unit_id") else None,
            responsible=bool(r.get("responsible")),
        )
        for r in rows
    )


def facts_of(outcome: Outcome, organizer_person_id: UUID | None) -> Facts:
    return Facts(
        id=outcome.id,
        org_id=outcome.org_id,
        activity_id=outcome.activity_id,
        kind=domain.OutcomeKind(outcome.kind),
        title=outcome.title,
        text=outcome.text,
        status=Status(outcome.status),
        recipients=_recipients(outcome.recipients),
        sent_at=outcome.sent_at,
        feedback_due_on=outcome.feedback_due_on,
        organizer_person_id=organizer_person_id,
    )


async def policy(change: Change) -> OutcomePolicy:
    return await repository.policy_for(change.session, change.person.org)


def _may_act(principal: Principal, outcome: Outcome, action: Action) -> bool:
    """Who takes each step: the consultation office every one; the responsible unit (its users, its
    partner client) records its own feedback."""
    if acts_as_office(principal):
        return True
    unit = acts_for_unit(principal)
    return action == Action.RECORD_FEEDBACK and unit is not None and unit == outcome.responsible_unit_id


async def _checked_recipients(
    change: Change, org_id: UUID, given: Sequence[RecipientIn]
) -> list[dict[str, Any]]:
    recipients = [Recipient(r.kind, r.name.strip(), r.unit_id, r.responsible) for r in given]
    known = await repository.units_of(
        change.session, org_id, [r.unit_id for r in recipients if r.unit_id is not None]
    )
    domain.check_recipients(recipients, known)
    return [
        {
            "kind": r.kind.value,
            "name": r.name,
            "unit_id": str(r.unit_id) if r.unit_id else None,
            "responsible": r.responsible,
        }
        for r in recipients
    ]


def _set_recipients(outcome: Outcome, recipients: list[dict[str, Any]]) -> None:
    outcome.recipients = recipients
    responsible = next((r for r in recipients if r["responsible"]), None)
    outcome.responsible_name = responsible["name"] if responsible else None
    outcome.responsible_unit_id = (
        UUID(responsible["unit_id"]) if responsible and responsible["unit_id"] else None
    )


def _history(
    change: Change, outcome: Outcome, action: str, before: str | None, decision: Decision[Status] | None
) -> None:
    change.session.add(
        OutcomeHistory(
            id=new_id(),
            outcome_id=outcome.id,
            org_id=outcome.org_id,
            actor=change.actor,
            at=change.now,
            action=action,
            from_status=before,
            to_status=outcome.status,
            note=decision.note if decision else None,
            before=dict(decision.before) or None if decision else None,
            after=dict(decision.after) or None if decision else None,
        )
    )


async def create(change: Change, body: OutcomeCreate) -> Outcome:
    """The office drafts an outcome of one of its organization's activities (not a cancelled one)."""
    org_id = change.person.org
    activity = await repository.activity_of(change.session, org_id, body.activity_id)
    if activity is None:
        raise ActivityNotFound()
    if activity.status == ActivityStatus.CANCELLED:
        raise ActivityCancelled()
    outcome = Outcome(
        id=new_id(),
        org_id=org_id,
        activity_id=activity.id,
        year=local_date(activity.starts_at).year,
        kind=body.kind.value,
        status=Status.DRAFT.value,
        title=body.title.strip(),
        text=body.text,
        created_by=change.actor,
        created_at=change.now,
        updated_at=change.now,
        version=1,
    )
    _set_recipients(outcome, await _checked_recipients(change, org_id, body.recipients))
    change.session.add(outcome)
    await change.session.flush()
    _history(change, outcome, "create", None, None)
    return outcome


async def _transition(
    change: Change,
    outcome_id: UUID,
    action: Action,
    expected: IfMatch | None,
    decide: Decide,
    *,
    locked: Outcome | None = None,
) -> Outcome:
    """The one transition function of the outcome machine (docs/conventions.md, steps 1–9)."""
    if locked is None:
        outcome = await repository.get_readable(change.session, change.person, outcome_id, lock=True)
        if outcome is None:
            raise OutcomeNotFound()
        if action not in domain.SYSTEM_ACTIONS and not _may_act(change.person, outcome, action):
            raise Forbidden()
    else:
        outcome = locked
    before = Status(outcome.status)
    domain.LIFECYCLE.check(before, action)
    check_version(outcome.version, expected, error=OutcomeVersionMismatch)
    activity = await change.session.get(Activity, outcome.activity_id)
    decided = decide(facts_of(outcome, activity.organizer_person_id if activity else None))
    decision = await decided if not isinstance(decided, Decision) else decided
    for name, value in decision.changes.items():
        setattr(outcome, name, value)
    outcome.status = decision.status.value
    _history(change, outcome, action.value, before.value, decision)
    outcome.version += 1
    outcome.updated_at = change.now
    for event in decision.events:
        await change.emit(event, subject=outcome.id, orgid=outcome.org_id)
    return outcome


async def edit(change: Change, outcome_id: UUID, body: OutcomePatch, expected: IfMatch) -> Outcome:
    """The office edits its draft (kind, title, text, recipients)."""
    given = body.model_dump(exclude_unset=True)

    async def decide(facts: Facts) -> Decision[Status]:
        changes: dict[str, Any] = {k: v for k, v in given.items() if k in ("title", "text")}
        if "title" in changes:
            changes["title"] = changes["title"].strip()
        if "kind" in given:
            changes["kind"] = body.kind.value
        return Decision(Status.DRAFT, changes=changes, note="修改草稿")

    outcome = await _transition(change, outcome_id, Action.EDIT, expected, decide)
    if "recipients" in given:
        _set_recipients(outcome, await _checked_recipients(change, outcome.org_id, body.recipients))
    return outcome


async def submit(change: Change, outcome_id: UUID, expected: IfMatch | None) -> Outcome:
    """Rule 22: sent to its recipients; the responsible department's feedback is due after the
    policy's months, and its overdue is armed."""
    rules = await policy(change)
    outcome = await _transition(
        change, outcome_id, Action.SUBMIT, expected, lambda facts: domain.submit(facts, rules, change.now)
    )
    assert outcome.feedback_due_on is not None
    await repository.arm_deadline(change.session, outcome.id, outcome.feedback_due_on)
    return outcome


async def record_instruction(
    change: Change, outcome_id: UUID, body: InstructionIn, expected: IfMatch | None
) -> Instruction:
    """A leader's instruction (批示) on a sent outcome, recorded by the office."""
    instruction_id = new_id()

    def decide(facts: Facts) -> Decision[Status]:
        return domain.record_instruction(
            facts, instruction_id, body.level, body.leader, body.text, body.instructed_on, change.now
        )

    outcome = await _transition(change, outcome_id, Action.RECORD_INSTRUCTION, expected, decide)
    row = Instruction(
        id=instruction_id,
        outcome_id=outcome.id,
        level=body.level.value,
        leader=body.leader.strip(),
        text=body.text.strip(),
        instructed_on=body.instructed_on,
        recorded_by=change.actor,
        recorded_at=change.now,
    )
    change.session.add(row)
    return row


async def record_feedback(
    change: Change, outcome_id: UUID, body: FeedbackIn, expected: IfMatch | None
) -> Outcome:
    """Rule 22: the responsible department's feedback, recorded by the office or by the unit itself,
    ends the wait; its unfired overdue is void."""
    outcome = await _transition(
        change,
        outcome_id,
        Action.RECORD_FEEDBACK,
        expected,
        lambda facts: domain.record_feedback(facts, body.text, body.received_on, change.now),
    )
    change.session.add(
        Feedback(
            outcome_id=outcome.id,
            unit_id=outcome.responsible_unit_id,
            text=body.text.strip(),
            received_on=body.received_on,
            recorded_by=change.actor,
            recorded_by_unit=not acts_as_office(change.person),
            recorded_at=change.now,
        )
    )
    await repository.void_deadlines(change.session, outcome.id)
    return outcome


async def change_due_date(
    change: Change, outcome_id: UUID, body: DueDateIn, expected: IfMatch | None
) -> Outcome:
    """Rule 22: the office moves the feedback due date with a reason (audited in the history); the
    overdue is armed for the new date (it fires once for it, even if the old one fired)."""
    outcome = await _transition(
        change,
        outcome_id,
        Action.CHANGE_DUE_DATE,
        expected,
        lambda facts: domain.change_due_date(facts, body.feedback_due_on, body.reason),
    )
    await repository.arm_deadline(change.session, outcome.id, body.feedback_due_on)
    return outcome


async def add_follow_up(
    change: Change, outcome_id: UUID, body: FollowUpIn, expected: IfMatch | None
) -> FollowUp:
    """The office's follow-up note on a sent outcome."""
    note = body.note.strip()

    def decide(facts: Facts) -> Decision[Status]:
        return Decision(domain.LIFECYCLE.check(facts.status, Action.ADD_FOLLOW_UP), note=note[:200])

    outcome = await _transition(change, outcome_id, Action.ADD_FOLLOW_UP, expected, decide)
    row = FollowUp(
        id=new_id(), outcome_id=outcome.id, note=note, recorded_by=change.actor, recorded_at=change.now
    )
    change.session.add(row)
    return row


async def fire_overdue(change: Change, outcome_id: UUID, due_on: Any) -> None:
    """The scanner's path (the deadline and its outcome locked by the claim): rule 22's overdue, once
    per outcome and due date, if the feedback is still missing and the date still stands; else void."""
    deadline = await repository.deadline_for_update(change.session, outcome_id, due_on)
    outcome = await repository.get_for_update(change.session, outcome_id)
    if outcome is None or outcome.status != Status.AWAITING_FEEDBACK or outcome.feedback_due_on != due_on:
        deadline.result = VOID
        return
    await _transition(
        change,
        outcome_id,
        Action.DECLARE_OVERDUE,
        None,
        lambda facts: domain.declare_overdue(facts, due_on),
        locked=outcome,
    )
    deadline.result, deadline.fired_at = FIRED, change.now


# --- attachments (the shared mechanism: cppcc_common.attachments, consultation_svc.attachments) ---


async def add_attachment(
    change: Change, outcome_id: UUID, upload: Upload, expected: IfMatch | None, rules: OutcomePolicy
) -> Attachment:
    """A file of the office's draft (an EDIT of the draft)."""
    added: list[Attachment] = []

    async def decide(facts: Facts) -> Decision[Status]:
        row = await attachments.add(change, (OWNER_TYPE, facts.id), facts.org_id, upload, rules)
        added.append(row)
        return Decision(Status.DRAFT, note=f"添加附件 {row.file_name}", after={"attachment": str(row.id)})

    await _transition(change, outcome_id, Action.EDIT, expected, decide)
    return added[0]


async def remove_attachment(
    change: Change, outcome_id: UUID, attachment_id: UUID, expected: IfMatch | None
) -> None:
    async def decide(facts: Facts) -> Decision[Status]:
        row = await attachments.remove(change.session, OWNER_TYPE, facts.id, attachment_id)
        return Decision(Status.DRAFT, note=f"删除附件 {row.file_name}", before={"attachment": str(row.id)})

    await _transition(change, outcome_id, Action.EDIT, expected, decide)


async def _readable(session: AsyncSession, principal: Principal, outcome_id: UUID) -> Outcome:
    outcome = await repository.get_readable(session, principal, outcome_id)
    if outcome is None:
        raise OutcomeNotFound()
    return outcome


async def list_attachments(session: AsyncSession, principal: Principal, outcome_id: UUID) -> list[Attachment]:
    await _readable(session, principal, outcome_id)
    return await attachments.list_for(session, OWNER_TYPE, outcome_id)


async def read_attachment(
    session: AsyncSession, principal: Principal, outcome_id: UUID, attachment_id: UUID
) -> tuple[Attachment, bytes]:
    await _readable(session, principal, outcome_id)
    return await attachments.read(session, OWNER_TYPE, outcome_id, attachment_id)


# --- reads ------------------------------------------------------------------------------------------


def _overdue(outcome: Outcome, now: datetime) -> bool:
    return (
        outcome.status == Status.AWAITING_FEEDBACK
        and outcome.feedback_due_on is not None
        and local_date(now) > outcome.feedback_due_on
    )


def summary_of(outcome: Outcome, now: datetime) -> OutcomeSummary:
    return OutcomeSummary(
        id=outcome.id,
        org_id=outcome.org_id,
        activity_id=outcome.activity_id,
        year=outcome.year,
        kind=domain.OutcomeKind(outcome.kind),
        title=outcome.title,
        status=Status(outcome.status),
        responsible_name=outcome.responsible_name,
        responsible_unit_id=outcome.responsible_unit_id,
        sent_at=outcome.sent_at,
        feedback_due_on=outcome.feedback_due_on,
        overdue=_overdue(outcome, now),
        created_at=outcome.created_at,
        version=outcome.version,
    )


async def present(session: AsyncSession, outcome: Outcome, now: datetime) -> OutcomeRead:
    ids = [outcome.id]
    feedback = (await repository.feedback_of(session, ids)).get(outcome.id)
    return OutcomeRead(
        **summary_of(outcome, now).model_dump(),
        text=outcome.text,
        recipients=[RecipientRead.model_validate(r) for r in outcome.recipients],
        instructions=[
            InstructionRead.model_validate(i) for i in await repository.instructions_of(session, ids)
        ],
        feedback=FeedbackRead.model_validate(feedback) if feedback else None,
        follow_ups=[FollowUpRead.model_validate(f) for f in await repository.follow_ups_of(session, ids)],
        attachments=[
            OutcomeAttachmentRead.model_validate(a)
            for a in await attachments.list_for(session, OWNER_TYPE, outcome.id)
        ],
        actions=domain.LIFECYCLE.actions_from(Status(outcome.status)),
    )


async def read(session: AsyncSession, principal: Principal, outcome_id: UUID, now: datetime) -> OutcomeRead:
    return await present(session, await _readable(session, principal, outcome_id), now)


async def list_outcomes(
    session: AsyncSession,
    principal: Principal,
    now: datetime,
    *,
    activity_id: UUID | None,
    status: Status | None,
    year: int | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[OutcomeSummary], str | None]:
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.list_readable(
        session, principal, activity_id=activity_id, status=status, year=year, after=after, limit=limit + 1
    )
    page = rows[:limit]
    more = len(rows) > limit
    return [summary_of(o, now) for o in page], encode_cursor(
        page[-1].created_at, page[-1].id
    ) if more else None


async def tracking_report(
    session: AsyncSession, principal: Principal, year: int, now: datetime
) -> TrackingReport:
    """The year-end tracking report: every outcome of the organization's year with its state, the
    instructions, the feedback and the days overdue (as of today in Asia/Shanghai). The office's
    report holds its drafts too; a leader's, the sent outcomes (rule 28: `readable`)."""
    outcomes = await repository.of_year(session, principal, year)
    ids = [o.id for o in outcomes]
    activities = await repository.organizers_of(session, list({o.activity_id for o in outcomes}))
    instructions: dict[UUID, list[InstructionRead]] = {}
    for i in await repository.instructions_of(session, ids):
        instructions.setdefault(i.outcome_id, []).append(InstructionRead.model_validate(i))
    follow_ups: dict[UUID, list[FollowUpRead]] = {}
    for f in await repository.follow_ups_of(session, ids):
        follow_ups.setdefault(f.outcome_id, []).append(FollowUpRead.model_validate(f))
    feedback = await repository.feedback_of(session, ids)
    today = local_date(now)
    rows = []
    for o in sorted(outcomes, key=lambda o: (activities[o.activity_id].starts_at, o.created_at, o.id)):
        activity = activities[o.activity_id]
        fb = feedback.get(o.id)
        rows.append(
            TrackingRow(
                outcome_id=o.id,
                activity_id=o.activity_id,
                activity_title=activity.title,
                activity_date=local_date(activity.starts_at),
                kind=domain.OutcomeKind(o.kind),
                title=o.title,
                status=Status(o.status),
                recipients=[r["name"] for r in o.recipients],
                responsible=o.responsible_name,
                sent_on=local_date(o.sent_at) if o.sent_at else None,
                instructions=instructions.get(o.id, []),
                feedback_due_on=o.feedback_due_on,
                feedback=FeedbackRead.model_validate(fb) if fb else None,
                days_overdue=domain.days_overdue(o.feedback_due_on, fb.received_on if fb else None, today),
                follow_ups=follow_ups.get(o.id, []),
            )
        )
    return TrackingReport(
        org_id=principal.org,
        year=year,
        as_of=today,
        total=len(rows),
        awaiting_feedback=sum(r.status == Status.AWAITING_FEEDBACK for r in rows),
        overdue=sum(r.status == Status.AWAITING_FEEDBACK and r.days_overdue > 0 for r in rows),
        feedback_received=sum(r.status == Status.FEEDBACK_RECEIVED for r in rows),
        outcomes=rows,
    )


async def tracking_workbook(session: AsyncSession, principal: Principal, year: int, now: datetime) -> bytes:
    """The tracking report as `.xlsx` (openpyxl write-only mode, built off the event loop)."""
    report = await tracking_report(session, principal, year, now)
    return await asyncio.to_thread(spreadsheet.tracking_workbook, report)
