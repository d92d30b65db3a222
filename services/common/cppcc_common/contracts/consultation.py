"""Events published by consultation-svc (stream CONSULTATION).

Participation events carry what the duty ledger (履职积分, member-svc) scores: the person, the
activity, what kind of meeting it was and when it took place (`occurred_at`, timezone-aware, so
the duty year is derived in Asia/Shanghai time whatever the producer's clock zone).
"""

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


@register("cppcc.consultation.speech_registered.v1")
class SpeechRegisteredV1(EventData):
    """consultation-svc, when a member registers to speak or submits a written speech (staff plan
    the order of speakers from these; the ledger scores only speech_delivered)."""

    speech_id: UUID
    activity_id: UUID
    org_id: UUID
    person_id: UUID
    mode: SpeechMode
    title: str


@register("cppcc.consultation.opinion_submitted.v1")
class OpinionSubmittedV1(EventData):
    """consultation-svc, when an invitee submits (revision 1) or revises their opinion in a written
    consultation (书面协商) before its due date."""

    opinion_id: UUID
    activity_id: UUID
    org_id: UUID
    person_id: UUID
    revision: PositiveInt
    occurred_at: AwareDatetime  # when it was submitted


@register("cppcc.consultation.deliberation_closed.v1")
class DeliberationClosedV1(EventData):
    """consultation-svc, when staff write the summary of an online deliberation (网络议政) that closed."""

    activity_id: UUID
    org_id: UUID
    closes_at: AwareDatetime
    visible_posts: NonNegativeInt
    hidden_posts: NonNegativeInt
    participants: list[UUID]  # the invitees with a visible post
