"""Consultation outcomes (协商成果) as data plus pure functions (DOMAIN.md §4, rule 22; no I/O).

An outcome of an activity is drafted by the consultation office, sent to its recipients (Party
committee, government, departments) of whom exactly one is the responsible department, and then
awaits that department's feedback until it is recorded (rule 22). The feedback is due
`feedback_due_months` calendar months after the day it was sent (Asia/Shanghai); the day after
the due date begins, a missing feedback is overdue — announced once per outcome and due date.
Leaders' instructions (批示) and the office's follow-up notes are recorded while it is tracked.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from consultation_svc.outcomes.errors import (
    DateBeforeSending,
    DateInTheFuture,
    DueDateNotLater,
    DuplicateRecipient,
    OutcomeInvalidTransition,
    ResponsibleRecipientRequired,
    TextRequired,
    UnitRecipientNeedsDepartment,
    UnknownUnit,
)
from consultation_svc.outcomes.policy import OutcomePolicy
from cppcc_common.contracts.consultation import (
    FeedbackOverdueV1,
    FeedbackReceivedV1,
    InstructionRecordedV1,
    OutcomeKind,
    OutcomeSubmittedV1,
)
from cppcc_common.transitions import Decision, TransitionTable
from cppcc_common.workdays import add_months, local_date, start_of_day

__all__ = ["OutcomeKind"]

KIND_LABELS: dict[OutcomeKind, str] = {
    OutcomeKind.MINUTES: "会议纪要",
    OutcomeKind.RECOMMENDATION: "建议案",
    OutcomeKind.RESEARCH_REPORT: "调研报告",
    OutcomeKind.INSPECTION_REPORT: "视察报告",
    OutcomeKind.BRIEF: "协商专报",
}


class OutcomeStatus(StrEnum):
    DRAFT = "draft"  # being written by the office; only the office sees it
    AWAITING_FEEDBACK = "awaiting_feedback"  # sent; the responsible department's feedback is due
    FEEDBACK_RECEIVED = "feedback_received"  # the feedback is recorded (rule 22 ends here)


# Short names inside this context; the classes' own names are the API document's schema names,
# unique across the services' merged document (proposal-svc has a `Status` of its own).
Status = OutcomeStatus

STATUS_LABELS: dict[Status, str] = {
    Status.DRAFT: "起草中",
    Status.AWAITING_FEEDBACK: "待反馈",
    Status.FEEDBACK_RECEIVED: "已反馈",
}


class OutcomeAction(StrEnum):
    EDIT = "edit"  # the draft's text, recipients and attachments
    SUBMIT = "submit"  # sent to the recipients
    RECORD_INSTRUCTION = "record_instruction"
    RECORD_FEEDBACK = "record_feedback"
    CHANGE_DUE_DATE = "change_due_date"
    ADD_FOLLOW_UP = "add_follow_up"
    DECLARE_OVERDUE = "declare_overdue"  # the deadline scanner (system)


Action = OutcomeAction

LIFECYCLE: TransitionTable[Status, Action] = TransitionTable(
    {
        (Status.DRAFT, Action.EDIT): Status.DRAFT,
        (Status.DRAFT, Action.SUBMIT): Status.AWAITING_FEEDBACK,
        (Status.AWAITING_FEEDBACK, Action.RECORD_INSTRUCTION): Status.AWAITING_FEEDBACK,
        (Status.AWAITING_FEEDBACK, Action.RECORD_FEEDBACK): Status.FEEDBACK_RECEIVED,
        (Status.AWAITING_FEEDBACK, Action.CHANGE_DUE_DATE): Status.AWAITING_FEEDBACK,
        (Status.AWAITING_FEEDBACK, Action.ADD_FOLLOW_UP): Status.AWAITING_FEEDBACK,
        (Status.AWAITING_FEEDBACK, Action.DECLARE_OVERDUE): Status.AWAITING_FEEDBACK,
        (Status.FEEDBACK_RECEIVED, Action.RECORD_INSTRUCTION): Status.FEEDBACK_RECEIVED,
        (Status.FEEDBACK_RECEIVED, Action.ADD_FOLLOW_UP): Status.FEEDBACK_RECEIVED,
    },
    error=OutcomeInvalidTransition,
)

# The actions only the system takes (no who-may-act step; the history row has no actor).
SYSTEM_ACTIONS = frozenset({Action.DECLARE_OVERDUE})


class RecipientKind(StrEnum):
    PARTY_COMMITTEE = "party_committee"  # 党委
    GOVERNMENT = "government"  # 政府
    DEPARTMENT = "department"  # 部门（承办单位）
    OTHER = "other"


RECIPIENT_LABELS: dict[RecipientKind, str] = {
    RecipientKind.PARTY_COMMITTEE: "党委",
    RecipientKind.GOVERNMENT: "政府",
    RecipientKind.DEPARTMENT: "部门",
    RecipientKind.OTHER: "其他",
}


class InstructionLevel(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"
    COUNTY = "county"
    OTHER = "other"


LEVEL_LABELS: dict[InstructionLevel, str] = {
    InstructionLevel.NATIONAL: "国家级",
    InstructionLevel.PROVINCIAL: "省级",
    InstructionLevel.MUNICIPAL: "市级",
    InstructionLevel.COUNTY: "县级",
    InstructionLevel.OTHER: "其他",
}


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    name: str
    unit_id: UUID | None = None
    responsible: bool = False


@dataclass(frozen=True)
class Facts:
    """What the rules read of an outcome (and of its activity)."""

    id: UUID
    org_id: UUID
    activity_id: UUID
    kind: OutcomeKind
    title: str
    text: str
    status: Status
    recipients: tuple[Recipient, ...]
    sent_at: datetime | None
    feedback_due_on: date | None
    organizer_person_id: UUID | None


def responsible_of(recipients: Sequence[Recipient]) -> Recipient | None:
    return next((r for r in recipients if r.responsible), None)


def check_recipients(recipients: Sequence[Recipient], known_units: Collection[UUID]) -> None:
    """Each recipient once (by name, or by unit); a unit only on a department, and a registered unit
    of the organization (422)."""
    seen: set[str] = set()
    units: set[UUID] = set()
    for r in recipients:
        key = r.name.strip()
        if key in seen or (r.unit_id is not None and r.unit_id in units):
            raise DuplicateRecipient(name=key)
        seen.add(key)
        if r.unit_id is not None:
            if r.kind != RecipientKind.DEPARTMENT:
                raise UnitRecipientNeedsDepartment()
            if r.unit_id not in known_units:
                raise UnknownUnit(unit_id=str(r.unit_id))
            units.add(r.unit_id)


def feedback_due_on(sent_at: datetime, policy: OutcomePolicy) -> date:
    """Rule 22: `feedback_due_months` calendar months after the day (Asia/Shanghai) it was sent."""
    return add_months(local_date(sent_at), policy.feedback_due_months)


def overdue_at(due_on: date) -> datetime:
    """The instant a feedback due on `due_on` is overdue: when the next day begins in Shanghai."""
    return start_of_day(due_on + timedelta(days=1))


def days_overdue(due_on: date | None, received_on: date | None, today: date) -> int:
    """Days past the due date: until the feedback's day when it came, else until today (0 if none)."""
    if due_on is None:
        return 0
    end = received_on if received_on is not None else today
    return max(0, (end - due_on).days)


def _required(value: str, field: str) -> str:
    trimmed = value.strip()
    if not trimmed:
        raise TextRequired(field=field)
    return trimmed


def submit(facts: Facts, policy: OutcomePolicy, now: datetime) -> Decision[Status]:
    """Rule 22: sent with its text and exactly one responsible recipient; the feedback due date
    follows the policy."""
    _required(facts.title, "title")
    _required(facts.text, "text")
    responsible = [r for r in facts.recipients if r.responsible]
    if len(responsible) != 1:
        raise ResponsibleRecipientRequired(count=len(responsible))
    due = feedback_due_on(now, policy)
    event = OutcomeSubmittedV1(
        outcome_id=facts.id,
        activity_id=facts.activity_id,
        org_id=facts.org_id,
        kind=facts.kind,
        title=facts.title,
        recipients=[r.name for r in facts.recipients],
        responsible=responsible[0].name,
        unit_id=responsible[0].unit_id,
        organizer_person_id=facts.organizer_person_id,
        feedback_due_on=due,
        submitted_at=now,
    )
    return Decision(
        Status.AWAITING_FEEDBACK,
        changes={"sent_at": now, "feedback_due_on": due},
        events=(event,),
        note=f"报送{len(facts.recipients)}个对象，反馈期限{due.isoformat()}",
    )


def _sent_on(facts: Facts) -> date:
    assert facts.sent_at is not None
    return local_date(facts.sent_at)


def check_day(day: date, field: str, facts: Facts, now: datetime) -> None:
    """A day recorded after sending: not after today (Asia/Shanghai), not before the day it was sent."""
    today = local_date(now)
    if day > today:
        raise DateInTheFuture(field=field, today=today.isoformat())
    if day < _sent_on(facts):
        raise DateBeforeSending(field=field, sent_on=_sent_on(facts).isoformat())


def record_instruction(
    facts: Facts,
    instruction_id: UUID,
    level: InstructionLevel,
    leader: str,
    text: str,
    instructed_on: date,
    now: datetime,
) -> Decision[Status]:
    """A leader's instruction on a sent outcome, dated between its sending and today."""
    check_day(instructed_on, "instructed_on", facts, now)
    leader, text = _required(leader, "leader"), _required(text, "text")
    responsible = responsible_of(facts.recipients)
    event = InstructionRecordedV1(
        instruction_id=instruction_id,
        outcome_id=facts.id,
        activity_id=facts.activity_id,
        org_id=facts.org_id,
        title=facts.title,
        level=level.value,
        leader=leader,
        instructed_on=instructed_on,
        unit_id=responsible.unit_id if responsible else None,
        organizer_person_id=facts.organizer_person_id,
    )
    return Decision(
        LIFECYCLE.check(facts.status, Action.RECORD_INSTRUCTION),
        events=(event,),
        note=f"{LEVEL_LABELS[level]}领导{leader}批示",
    )


def record_feedback(facts: Facts, text: str, received_on: date, now: datetime) -> Decision[Status]:
    """Rule 22: the responsible department's feedback ends the wait; late if after the due date."""
    check_day(received_on, "received_on", facts, now)
    _required(text, "text")
    assert facts.feedback_due_on is not None
    responsible = responsible_of(facts.recipients)
    late = received_on > facts.feedback_due_on
    event = FeedbackReceivedV1(
        outcome_id=facts.id,
        activity_id=facts.activity_id,
        org_id=facts.org_id,
        title=facts.title,
        unit_id=responsible.unit_id if responsible else None,
        organizer_person_id=facts.organizer_person_id,
        feedback_due_on=facts.feedback_due_on,
        received_on=received_on,
        late=late,
    )
    return Decision(Status.FEEDBACK_RECEIVED, events=(event,), note="逾期反馈" if late else "按期反馈")


def change_due_date(facts: Facts, new_due_on: date, reason: str) -> Decision[Status]:
    """Rule 22: the office moves the due date (an extension or a correction), with a reason; a new
    date is after the sending day and differs from the current one."""
    assert facts.feedback_due_on is not None
    sent_on = _sent_on(facts)
    if new_due_on <= sent_on or new_due_on == facts.feedback_due_on:
        raise DueDateNotLater(sent_on=sent_on.isoformat(), due_on=facts.feedback_due_on.isoformat())
    reason = _required(reason, "reason")
    return Decision(
        Status.AWAITING_FEEDBACK,
        changes={"feedback_due_on": new_due_on},
        note=f"反馈期限由{facts.feedback_due_on.isoformat()}调整为{new_due_on.isoformat()}：{reason}",
        before={"feedback_due_on": facts.feedback_due_on.isoformat()},
        after={"feedback_due_on": new_due_on.isoformat()},
    )


def declare_overdue(facts: Facts, due_on: date) -> Decision[Status]:
    """Rule 22: the feedback due on `due_on` is missing once that day has ended: one event."""
    responsible = responsible_of(facts.recipients)
    event = FeedbackOverdueV1(
        outcome_id=facts.id,
        activity_id=facts.activity_id,
        org_id=facts.org_id,
        title=facts.title,
        unit_id=responsible.unit_id if responsible else None,
        responsible=responsible.name if responsible else "",
        organizer_person_id=facts.organizer_person_id,
        feedback_due_on=due_on,
    )
    return Decision(Status.AWAITING_FEEDBACK, events=(event,), note=f"反馈逾期（期限{due_on.isoformat()}）")
