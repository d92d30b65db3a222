"""Events published by consultation-svc (stream CONSULTATION).

Participation events carry what the duty ledger (履职积分, member-svc) scores: the person, the
activity, what kind of meeting it was and when it took place (`occurred_at`, timezone-aware, so
the duty year is derived in Asia/Shanghai time whatever the producer's clock zone).
"""

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, NonNegativeInt, PositiveInt

from cppcc_common.events import EventData, register


class ActivityKind(StrEnum):
    """How the scoring table treats an activity; consultation-svc maps each form to one kind."""

    PLENARY = "plenary"  # 全体会议
    STANDING_COMMITTEE = "standing_committee"  # 常委会议
    MEETING = "meeting"  # other meetings members are summoned to
    ACTIVITY = "activity"  # research visits, forums, sector activities …


class SpeechMode(StrEnum):
    ORAL = "oral"  # 口头发言
    WRITTEN = "written"  # 书面发言


@register("cppcc.consultation.attendance_recorded.v1")
class AttendanceRecordedV1(EventData):
    """consultation-svc, when an invitee's check-in is recorded (again if staff correct the minutes)."""

    activity_id: UUID
    org_id: UUID
    person_id: UUID
    activity_kind: ActivityKind
    occurred_at: AwareDatetime
    scheduled_minutes: PositiveInt
    # The ledger, not the producer, applies the attendance fraction (rule 25): it is scoring policy.
    attended_minutes: NonNegativeInt


@register("cppcc.consultation.absence_recorded.v1")
class AbsenceRecordedV1(EventData):
    """consultation-svc, when an activity closes with an invitee who never checked in."""

    activity_id: UUID
    org_id: UUID
    person_id: UUID
    activity_kind: ActivityKind
    occurred_at: AwareDatetime
    excused: bool  # True only when an approved leave covers the activity
    leave_id: UUID | None = None


@register("cppcc.consultation.leave_approved.v1")
class LeaveApprovedV1(EventData):
    """consultation-svc, when the secretary-general's office approves a member's leave request."""

    leave_id: UUID
    activity_id: UUID
    org_id: UUID
    person_id: UUID
    activity_kind: ActivityKind
    occurred_at: AwareDatetime  # when the activity takes place: the absence belongs to that year
    decided_at: AwareDatetime


@register("cppcc.consultation.leave_refused.v1")
class LeaveRefusedV1(EventData):
    """consultation-svc, when a leave request is refused; absent, the member is unexcused (rule 24)."""

    leave_id: UUID
    activity_id: UUID
    org_id: UUID
    person_id: UUID
    activity_kind: ActivityKind
    occurred_at: AwareDatetime
    decided_at: AwareDatetime
    reason: str


@register("cppcc.consultation.speech_delivered.v1")
class SpeechDeliveredV1(EventData):
    """consultation-svc, when a member speaks at an activity or a written speech is accepted."""

    speech_id: UUID
    activity_id: UUID
    org_id: UUID
    person_id: UUID
    mode: SpeechMode
    occurred_at: AwareDatetime


@register("cppcc.consultation.training_attended.v1")
class TrainingAttendedV1(EventData):
    """consultation-svc, when a member's attendance at a training session (履职培训) is recorded."""

    # Sent instead of attendance_recorded for a training session, so the ledger scores it once.

    training_id: UUID
    org_id: UUID
    person_id: UUID
    occurred_at: AwareDatetime


# --- Outcomes (协商成果, DOMAIN.md §4, rule 22) ---------------------------------------------------


class OutcomeKind(StrEnum):
    MINUTES = "minutes"  # 会议纪要
    RECOMMENDATION = "recommendation"  # 建议案
    RESEARCH_REPORT = "research_report"  # 调研报告
    INSPECTION_REPORT = "inspection_report"  # 视察报告
    BRIEF = "brief"  # 协商专报


@register("cppcc.consultation.outcome_submitted.v1")
class OutcomeSubmittedV1(EventData):
    """consultation-svc, when staff send an outcome to its recipients; the responsible department's
    feedback is due on `feedback_due_on` (Asia/Shanghai). `unit_id` is the responsible department
    when it is a registered handling unit (None for a Party committee or government recipient)."""

    outcome_id: UUID
    activity_id: UUID
    org_id: UUID
    kind: OutcomeKind
    title: str
    recipients: list[str]  # the recipients' names, in the order sent
    responsible: str  # the responsible recipient's name
    unit_id: UUID | None = None
    organizer_person_id: UUID | None = None
    feedback_due_on: date
    submitted_at: AwareDatetime


@register("cppcc.consultation.instruction_recorded.v1")
class InstructionRecordedV1(EventData):
    """consultation-svc, when a leader's written instruction (批示) on an outcome is recorded."""

    instruction_id: UUID
    outcome_id: UUID
    activity_id: UUID
    org_id: UUID
    title: str
    level: str  # national | provincial | municipal | county | other
    leader: str
    instructed_on: date
    unit_id: UUID | None = None
    organizer_person_id: UUID | None = None


@register("cppcc.consultation.feedback_received.v1")
class FeedbackReceivedV1(EventData):
    """consultation-svc, when the responsible department's feedback on an outcome is recorded (by
    staff or by the unit itself); `late` when it came after the due date."""

    outcome_id: UUID
    activity_id: UUID
    org_id: UUID
    title: str
    unit_id: UUID | None = None
    organizer_person_id: UUID | None = None
    feedback_due_on: date
    received_on: date
    late: bool


@register("cppcc.consultation.feedback_overdue.v1")
class FeedbackOverdueV1(EventData):
    """consultation-svc, once per outcome and due date, when the responsible department's feedback
    is still missing after the due date (rule 22): notify-svc tells the unit (`unit_id`), the
    activity's organizer and the consultation office."""

    outcome_id: UUID
    activity_id: UUID
    org_id: UUID
    title: str
    unit_id: UUID | None = None
    responsible: str  # the responsible recipient's name
    organizer_person_id: UUID | None = None
    feedback_due_on: date
