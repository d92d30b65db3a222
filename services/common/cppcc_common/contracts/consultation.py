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
    title: str | None = None  # the activity's, for the member's notification


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
    title: str | None = None  # the activity's, for the member's notification


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


# ---- activities: scheduling, notices, answers (notify-svc tells the invitees) ---------------------
#
# Each carries the person ids notify-svc addresses (`invitee_ids`: the invited members; guests who
# are not members have no account and are told by the office), so no consumer needs a projection of
# invitations. Times are timezone-aware instants.


class InvitationAnswer(StrEnum):
    ATTEND = "attend"  # 参加
    DECLINE = "decline"  # 不参加 (an activity that does not count as a meeting, or a guest)
    LEAVE = "leave"  # 请假: a leave request with a reason, for the office to decide (rule 24)


@register("cppcc.consultation.activity_scheduled.v1")
class ActivityScheduledV1(EventData):
    """consultation-svc, when staff schedule an activity (no invitee is told before the notice)."""

    activity_id: UUID
    org_id: UUID
    form: str  # a code of GET /api/v1/consultations/forms
    activity_kind: ActivityKind
    title: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    organizer_person_id: UUID | None = None
    plan_entry_id: UUID | None = None


@register("cppcc.consultation.notice_issued.v1")
class NoticeIssuedV1(EventData):
    """consultation-svc, when the notice goes out (rule 21: `late` with its recorded reason when it
    went out after the lead time); again, for them only, when invitees are added after the notice."""

    activity_id: UUID
    org_id: UUID
    form: str
    activity_kind: ActivityKind
    title: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    venue: str | None = None
    online_link: str | None = None
    invitee_ids: list[UUID]
    issued_at: AwareDatetime
    late: bool = False
    late_reason: str | None = None


@register("cppcc.consultation.materials_published.v1")
class MaterialsPublishedV1(EventData):
    """consultation-svc, when the activity's materials are published to the invitees (rule 21)."""

    activity_id: UUID
    org_id: UUID
    title: str
    starts_at: AwareDatetime
    invitee_ids: list[UUID]
    attachment_ids: list[UUID]
    published_at: AwareDatetime
    late: bool = False
    late_reason: str | None = None


@register("cppcc.consultation.activity_rescheduled.v1")
class ActivityRescheduledV1(EventData):
    """consultation-svc, when an activity moves (time or place), with the reason; every invitee is
    told once the notice went out (`invitee_ids` is empty before)."""

    activity_id: UUID
    org_id: UUID
    title: str
    previous_starts_at: AwareDatetime
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    venue: str | None = None
    online_link: str | None = None
    reason: str
    invitee_ids: list[UUID]


@register("cppcc.consultation.activity_cancelled.v1")
class ActivityCancelledV1(EventData):
    """consultation-svc, when an activity is cancelled, with the reason; every invitee is told once
    the notice went out (`invitee_ids` is empty before)."""

    activity_id: UUID
    org_id: UUID
    title: str
    starts_at: AwareDatetime
    reason: str
    invitee_ids: list[UUID]


class ActivityTold(EventData):
    """What the events that tell the invitees where and when to be carry (not registered itself: the
    reminder and the check-in opening are; a field changed here changes both, so a new version of each)."""

    activity_id: UUID
    org_id: UUID
    title: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    venue: str | None = None
    online_link: str | None = None
    invitee_ids: list[UUID]


@register("cppcc.consultation.reminder_due.v1")
class ReminderDueV1(ActivityTold):
    """consultation-svc, once per start time, the policy's hours (default 24) before the activity:
    the invitees still expected (not declined, not on approved leave)."""


@register("cppcc.consultation.invitation_answered.v1")
class InvitationAnsweredV1(EventData):
    """consultation-svc, when an invitee answers attend or decline (a leave request is its own event)."""

    activity_id: UUID
    org_id: UUID
    invitation_id: UUID
    person_id: UUID
    answer: InvitationAnswer
    answered_at: AwareDatetime
    title: str
    organizer_person_id: UUID | None = None


@register("cppcc.consultation.leave_requested.v1")
class LeaveRequestedV1(EventData):
    """consultation-svc, when an invitee asks for leave; staff with the `consultation` scope decide it."""

    leave_id: UUID
    activity_id: UUID
    org_id: UUID
    person_id: UUID
    activity_kind: ActivityKind
    title: str
    starts_at: AwareDatetime
    reason: str
    requested_at: AwareDatetime
    organizer_person_id: UUID | None = None


# --- Plans and topics (年度协商计划, 协商议题; DOMAIN.md §4) -------------------------------------


@register("cppcc.consultation.plan_published.v1")
class PlanPublishedV1(EventData):
    """consultation-svc, when an annual consultation plan (or a new version of it) is published to
    the organization's members; a new version supersedes the previous one, which stays readable."""

    plan_id: UUID
    org_id: UUID
    year: PositiveInt
    version: PositiveInt  # 1 for the first publication of the year, 2… for each revision
    title: str
    previous_plan_id: UUID | None = None  # the version this one supersedes
    entries_count: NonNegativeInt
    # The entries that differ from the previous version, by their stable entry keys (empty lists
    # for the first version): what a notification of the revision names.
    added_entry_keys: list[UUID]
    changed_entry_keys: list[UUID]
    removed_entry_keys: list[UUID]
    change_note: str | None = None  # the reason staff gave for the revision
    published_at: AwareDatetime


@register("cppcc.consultation.topic_proposed.v1")
class TopicProposedV1(EventData):
    """consultation-svc, when a topic is proposed in the collection window (a member, also on behalf
    of a sector, party or special committee) or recorded by staff (Party committee, government,
    public call)."""

    topic_id: UUID
    org_id: UUID
    year: PositiveInt
    title: str
    source_kind: str  # party_committee | government | member | sector | party | committee | public_call
    source_name: str | None = None
    proposer_id: UUID | None = None  # the member who proposed it; None when staff recorded it
    proposed_at: AwareDatetime


@register("cppcc.consultation.topic_accepted.v1")
class TopicAcceptedV1(EventData):
    """consultation-svc, when staff accept a topic into an entry of the year's plan."""

    topic_id: UUID
    org_id: UUID
    year: PositiveInt
    title: str
    source_kind: str
    proposer_id: UUID | None = None
    plan_id: UUID
    entry_key: UUID
    accepted_at: AwareDatetime


@register("cppcc.consultation.topic_declined.v1")
class TopicDeclinedV1(EventData):
    """consultation-svc, when staff decline a topic, with the reason its proposer is told."""

    topic_id: UUID
    org_id: UUID
    year: PositiveInt
    title: str
    source_kind: str
    proposer_id: UUID | None = None
    reason: str
    declined_at: AwareDatetime


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


@register("cppcc.consultation.checkin_opened.v1")
class CheckinOpenedV1(ActivityTold):
    """consultation-svc, once per start time, when a notified activity's check-in opens (the
    participation policy's minutes before the start, default 60): the invitees still expected (not
    declined, not on approved leave) may scan the venue's code from now until `checkin_closes_at`.
    notify-svc tells them at once, as an urgent notice (quiet hours do not hold it)."""

    checkin_closes_at: AwareDatetime
