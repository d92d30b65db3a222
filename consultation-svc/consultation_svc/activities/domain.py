"""The activity's statuses, actions and rules, as pure functions of its values, the policy and `now`
(no I/O). The service's one transition function per machine runs them (docs/conventions.md).

Two machines: the activity (`LIFECYCLE`) and a leave request (`LEAVE_LIFECYCLE`). An invitee's
answer and attendance are actions of the activity's table too (allowed while it is notified; a
staff correction of attendance also once closed), so "not now" is one 409 everywhere.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from consultation_svc.activities.errors import (
    ActivityAlreadyStarted,
    ActivityInvalidTransition,
    ActivityNotStarted,
    ActivityTimesInvalid,
    AttendanceTimesInvalid,
    LeaveAlreadyRequested,
    LeaveInvalidTransition,
    LeaveLimitReached,
    LeavesPending,
    MaterialsLateReasonRequired,
    NoInvitees,
    NoMaterials,
    NoticeLateReasonRequired,
    UnknownForm,
)
from consultation_svc.activities.policy import ConsultationPolicy, LeadTimeUnit
from consultation_svc.checkin.domain import checkin_window
from consultation_svc.participation.policy import DEFAULT_POLICY as DEFAULT_CHECKIN
from consultation_svc.participation.policy import ParticipationPolicy
from cppcc_common.contracts.consultation import (
    AbsenceRecordedV1,
    ActivityCancelledV1,
    ActivityKind,
    ActivityRescheduledV1,
    AttendanceRecordedV1,
    CheckinOpenedV1,
    LeaveApprovedV1,
    LeaveRefusedV1,
    MaterialsPublishedV1,
    NoticeIssuedV1,
    ReminderDueV1,
)
from cppcc_common.events import EventData
from cppcc_common.transitions import Decision, TransitionTable
from cppcc_common.workdays import WorkingCalendar, local_date

# An activity lasts at most this long (a research visit of a few weeks; a typo of a year is refused).
MAX_ACTIVITY_DAYS = 60


class ActivityStatus(StrEnum):
    SCHEDULED = "scheduled"  # being prepared: no invitee told yet
    NOTIFIED = "notified"  # the notice went out to the invitees
    CLOSED = "closed"  # took place; attendance and absences went to the duty ledger
    CANCELLED = "cancelled"


Status = ActivityStatus  # the name the context's code uses (the schema's is ActivityStatus)


class Action(StrEnum):
    EDIT = "edit"
    INVITE = "invite"
    UNINVITE = "uninvite"
    ATTACH = "attach"  # add or remove a material
    ISSUE_NOTICE = "issue_notice"
    PUBLISH_MATERIALS = "publish_materials"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    REMIND = "remind"  # system: the day-before reminder
    OPEN_CHECKIN = "open_checkin"  # system: the check-in window opened; invitees told (urgent)
    ANSWER = "answer"  # an invitee: attend, decline, or a leave request
    DECIDE_LEAVE = "decide_leave"
    MARK_ATTENDANCE = "mark_attendance"
    CLOSE = "close"  # staff, or the scanner once the policy's hours after the end passed


S, A = Status, Action
LIFECYCLE: TransitionTable[Status, Action] = TransitionTable(
    {
        (S.SCHEDULED, A.EDIT): S.SCHEDULED,
        (S.SCHEDULED, A.INVITE): S.SCHEDULED,
        (S.SCHEDULED, A.UNINVITE): S.SCHEDULED,
        (S.SCHEDULED, A.ATTACH): S.SCHEDULED,
        (S.SCHEDULED, A.ISSUE_NOTICE): S.NOTIFIED,
        (S.SCHEDULED, A.RESCHEDULE): S.SCHEDULED,
        (S.SCHEDULED, A.CANCEL): S.CANCELLED,
        (S.NOTIFIED, A.INVITE): S.NOTIFIED,
        (S.NOTIFIED, A.ATTACH): S.NOTIFIED,
        (S.NOTIFIED, A.PUBLISH_MATERIALS): S.NOTIFIED,
        (S.NOTIFIED, A.RESCHEDULE): S.NOTIFIED,
        (S.NOTIFIED, A.CANCEL): S.CANCELLED,
        (S.NOTIFIED, A.REMIND): S.NOTIFIED,
        (S.NOTIFIED, A.OPEN_CHECKIN): S.NOTIFIED,
        (S.NOTIFIED, A.ANSWER): S.NOTIFIED,
        (S.NOTIFIED, A.DECIDE_LEAVE): S.NOTIFIED,
        (S.NOTIFIED, A.MARK_ATTENDANCE): S.NOTIFIED,
        (S.NOTIFIED, A.CLOSE): S.CLOSED,
        (S.CLOSED, A.MARK_ATTENDANCE): S.CLOSED,  # a correction, sent to the ledger again
    },
    error=ActivityInvalidTransition,
)
# What the system does without a person (scanners): no who-may-act step, no actor in the history.
SYSTEM_ACTIONS = frozenset({Action.REMIND, Action.OPEN_CHECKIN, Action.CLOSE})


class LeaveStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class LeaveAction(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"


LEAVE_LIFECYCLE: TransitionTable[LeaveStatus, LeaveAction] = TransitionTable(
    {
        (LeaveStatus.REQUESTED, LeaveAction.APPROVE): LeaveStatus.APPROVED,
        (LeaveStatus.REQUESTED, LeaveAction.REFUSE): LeaveStatus.REFUSED,
    },
    error=LeaveInvalidTransition,
)


class AttendanceMethod(StrEnum):
    QR = "qr"  # the member scanned the venue's rotating code
    STAFF = "staff"  # staff marked it


class InvitedVia(StrEnum):
    LIST = "list"
    SECTOR = "sector"
    COMMITTEE = "committee"
    STANDING = "standing"
    ALL = "all"
    GUEST = "guest"


class GuestKind(StrEnum):
    OFFICIAL = "official"  # 党政部门负责同志
    EXPERT = "expert"  # 专家学者
    PUBLIC_REPRESENTATIVE = "public_representative"  # 群众代表
    OTHER = "other"


# How the duty ledger scores each form of DOMAIN.md §4 (forms.py's codes).
FORM_KINDS: dict[str, ActivityKind] = {
    "plenary": ActivityKind.PLENARY,
    "thematic_standing": ActivityKind.STANDING_COMMITTEE,
    "thematic": ActivityKind.MEETING,
    "bimonthly_forum": ActivityKind.MEETING,
    "counterpart": ActivityKind.ACTIVITY,
    "sector": ActivityKind.ACTIVITY,
    "proposal_handling": ActivityKind.ACTIVITY,
    "written": ActivityKind.ACTIVITY,
    "talk": ActivityKind.ACTIVITY,
    "online": ActivityKind.ACTIVITY,
    "remote": ActivityKind.MEETING,
    "inspection": ActivityKind.ACTIVITY,
    "sector_activity": ActivityKind.ACTIVITY,
}


def kind_of(form: str) -> ActivityKind:
    """The kind the ledger scores an activity of this form as; 422 for a form that does not exist."""
    try:
        return FORM_KINDS[form]
    except KeyError:
        raise UnknownForm(form=form) from None


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    if not starts_at < ends_at <= starts_at + timedelta(days=MAX_ACTIVITY_DAYS):
        raise ActivityTimesInvalid(max_days=MAX_ACTIVITY_DAYS)


def check_not_started(starts_at: datetime, now: datetime, what: tuple[str, str]) -> None:
    if now >= starts_at:
        raise ActivityAlreadyStarted(what=what[0], what_en=what[1])


@dataclass(frozen=True)
class Facts:
    """What the activity's rules read of it."""

    id: UUID
    org_id: UUID
    form: str
    kind: ActivityKind
    status: Status
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str | None
    online_link: str | None
    organizer_person_id: UUID | None
    notice_issued_at: datetime | None
    materials_published_at: datetime | None


# ---- rule 21: lead times ------------------------------------------------------------------------

UNIT_NAMES = {LeadTimeUnit.CALENDAR: ("自然日", "calendar"), LeadTimeUnit.WORKING: ("工作日", "working")}


def _is_working(day: date, calendar: WorkingCalendar) -> bool:
    # Counted over the calendar (an unknown year by its weekends), never refused for it.
    return calendar.working_days_between(day - timedelta(days=1), day).days == 1


def lead_deadline(starts_at: datetime, days: int, unit: LeadTimeUnit, calendar: WorkingCalendar) -> date:
    """Rule 21: the last day (Asia/Shanghai) on which something due `days` days before the activity
    is on time: `days` calendar days before its first day, or the `days`-th working day before it
    (the official calendar, make-up workdays included)."""
    start = local_date(starts_at)
    if unit is LeadTimeUnit.CALENDAR:
        return start - timedelta(days=days)
    day, left = start, days
    while left:
        day -= timedelta(days=1)
        left -= _is_working(day, calendar)
    return day


@dataclass(frozen=True)
class Lateness:
    late: bool
    deadline: date


def lateness(
    now: datetime, starts_at: datetime, days: int, policy: ConsultationPolicy, calendar: WorkingCalendar
) -> Lateness:
    deadline = lead_deadline(starts_at, days, policy.lead_time_unit, calendar)
    return Lateness(local_date(now) > deadline, deadline)


def _late(
    error: type[NoticeLateReasonRequired | MaterialsLateReasonRequired],
    days: int,
    deadline: date,
    policy: ConsultationPolicy,
) -> NoticeLateReasonRequired | MaterialsLateReasonRequired:
    zh, en = UNIT_NAMES[policy.lead_time_unit]
    return error(days=days, deadline=deadline.isoformat(), unit_zh=zh, unit_en=en)


def issue_notice(
    facts: Facts,
    invitee_ids: Sequence[UUID],
    invitees: int,
    late_reason: str | None,
    policy: ConsultationPolicy,
    calendar: WorkingCalendar,
    now: datetime,
    checkin: ParticipationPolicy = DEFAULT_CHECKIN,
) -> Decision[Status]:
    """Rule 21: the notice goes out to every invitee; later than the policy's lead time only with a
    recorded reason. Arms the day-before reminder, the check-in opening and the close."""
    check_not_started(facts.starts_at, now, ("发出通知", "issue the notice"))
    if invitees == 0:
        raise NoInvitees()
    timing = lateness(now, facts.starts_at, policy.notice_lead_days, policy, calendar)
    reason = late_reason.strip() if late_reason else None
    if timing.late and not reason:
        raise _late(NoticeLateReasonRequired, policy.notice_lead_days, timing.deadline, policy)
    event = NoticeIssuedV1(
        activity_id=facts.id,
        org_id=facts.org_id,
        form=facts.form,
        activity_kind=facts.kind,
        title=facts.title,
        starts_at=facts.starts_at,
        ends_at=facts.ends_at,
        venue=facts.venue,
        online_link=facts.online_link,
        invitee_ids=list(invitee_ids),
        issued_at=now,
        late=timing.late,
        late_reason=reason if timing.late else None,
    )
    changes = {
        "notice_issued_at": now,
        "notice_late_reason": reason if timing.late else None,
        **deadlines(facts.starts_at, facts.ends_at, policy, now, checkin),
    }
    note = f"late: {reason}" if timing.late else None
    return Decision(Status.NOTIFIED, changes=changes, events=(event,), note=note)


def deadlines(
    starts_at: datetime,
    ends_at: datetime,
    policy: ConsultationPolicy,
    now: datetime,
    checkin: ParticipationPolicy = DEFAULT_CHECKIN,
) -> dict[str, datetime | None]:
    """When the reminder is due (none when that moment has passed: a notice the day before needs no
    reminder), when check-in opens (the participation policy's minutes before the start; none when
    it already opened: the notice itself tells) and when the scanner closes the activity."""
    remind_at = starts_at - timedelta(hours=policy.reminder_hours_before)
    opens_at = checkin_window(starts_at, ends_at, checkin).opens_at
    return {
        "remind_at": remind_at if remind_at > now else None,
        "reminded_at": None,
        "checkin_opens_at": opens_at if opens_at > now else None,
        "checkin_opened_at": None,
        "close_at": ends_at + timedelta(hours=policy.close_after_hours),
    }


def publish_materials(
    facts: Facts,
    invitee_ids: Sequence[UUID],
    attachment_ids: Sequence[UUID],
    late_reason: str | None,
    policy: ConsultationPolicy,
    calendar: WorkingCalendar,
    now: datetime,
) -> Decision[Status]:
    """Rule 21: the materials go to the invitees at least the policy's days before; later only with
    a recorded reason. Published once; a material added later is seen by the invitees at once."""
    if facts.materials_published_at is not None:
        raise ActivityInvalidTransition(status="materials_published", action=str(Action.PUBLISH_MATERIALS))
    check_not_started(facts.starts_at, now, ("发布材料", "publish the materials"))
    if not attachment_ids:
        raise NoMaterials()
    timing = lateness(now, facts.starts_at, policy.materials_lead_days, policy, calendar)
    reason = late_reason.strip() if late_reason else None
    if timing.late and not reason:
        raise _late(MaterialsLateReasonRequired, policy.materials_lead_days, timing.deadline, policy)
    event = MaterialsPublishedV1(
        activity_id=facts.id,
        org_id=facts.org_id,
        title=facts.title,
        starts_at=facts.starts_at,
        invitee_ids=list(invitee_ids),
        attachment_ids=list(attachment_ids),
        published_at=now,
        late=timing.late,
        late_reason=reason if timing.late else None,
    )
    changes = {"materials_published_at": now, "materials_late_reason": reason if timing.late else None}
    note = f"late: {reason}" if timing.late else None
    return Decision(facts.status, changes=changes, events=(event,), note=note)


# ---- moving and cancelling ------------------------------------------------------------------------


def reschedule(
    facts: Facts,
    starts_at: datetime,
    ends_at: datetime,
    venue: str | None,
    online_link: str | None,
    reason: str,
    invitee_ids: Sequence[UUID],
    policy: ConsultationPolicy,
    now: datetime,
    checkin: ParticipationPolicy = DEFAULT_CHECKIN,
) -> Decision[Status]:
    """A new time or place with a reason; once the notice went out every invitee is told and the
    reminder and the close move with it. Not once the activity has started, nor into the past."""
    check_times(starts_at, ends_at)
    check_not_started(facts.starts_at, now, ("改期", "reschedule it"))
    check_not_started(starts_at, now, ("改到已过去的时间", "move it into the past"))
    notified = facts.status is Status.NOTIFIED
    changes: dict[str, object] = {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "venue": venue,
        "online_link": online_link,
        "reschedule_reason": reason,
    }
    if notified:
        changes.update(deadlines(starts_at, ends_at, policy, now, checkin))
    event = ActivityRescheduledV1(
        activity_id=facts.id,
        org_id=facts.org_id,
        title=facts.title,
        previous_starts_at=facts.starts_at,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        online_link=online_link,
        reason=reason,
        invitee_ids=list(invitee_ids) if notified else [],
    )
    return Decision(facts.status, changes=changes, events=(event,), note=reason)


def cancel(facts: Facts, reason: str, invitee_ids: Sequence[UUID], now: datetime) -> Decision[Status]:
    """Cancelled with a reason, before it ends; every invitee told once the notice went out."""
    if now >= facts.ends_at:
        raise ActivityInvalidTransition(status="ended", action=str(Action.CANCEL))
    notified = facts.status is Status.NOTIFIED
    event = ActivityCancelledV1(
        activity_id=facts.id,
        org_id=facts.org_id,
        title=facts.title,
        starts_at=facts.starts_at,
        reason=reason,
        invitee_ids=list(invitee_ids) if notified else [],
    )
    changes = {
        "cancelled_at": now,
        "cancel_reason": reason,
        "remind_at": None,
        "checkin_opens_at": None,
        "close_at": None,
    }
    return Decision(Status.CANCELLED, changes=changes, events=(event,), note=reason)


def _where_and_when(facts: Facts, invitee_ids: Sequence[UUID]) -> dict[str, Any]:
    """The fields of an `ActivityTold` event (the reminder, the check-in opening) for these invitees."""
    return {
        "activity_id": facts.id,
        "org_id": facts.org_id,
        "title": facts.title,
        "starts_at": facts.starts_at,
        "ends_at": facts.ends_at,
        "venue": facts.venue,
        "online_link": facts.online_link,
        "invitee_ids": list(invitee_ids),
    }


def remind(facts: Facts, expected_ids: Sequence[UUID], now: datetime) -> Decision[Status]:
    """The day-before reminder, once per start time, to the invitees still expected."""
    event = ReminderDueV1(**_where_and_when(facts, expected_ids))
    return Decision(facts.status, changes={"remind_at": None, "reminded_at": now}, events=(event,))


def open_checkin(
    facts: Facts, expected_ids: Sequence[UUID], checkin: ParticipationPolicy, now: datetime
) -> Decision[Status]:
    """Check-in opened (the policy's minutes before the start), once per start time: the invitees
    still expected are told, urgently, that they may scan the venue's code until the window closes."""
    event = CheckinOpenedV1(
        **_where_and_when(facts, expected_ids),
        checkin_closes_at=checkin_window(facts.starts_at, facts.ends_at, checkin).closes_at,
    )
    changes = {"checkin_opens_at": None, "checkin_opened_at": now}
    return Decision(facts.status, changes=changes, events=(event,))


# ---- answers and leave (rule 24) ------------------------------------------------------------------


def check_answer(facts: Facts, leave_status: LeaveStatus | None, now: datetime) -> None:
    """An invitee answers before the activity starts; a leave request, once made, is the answer —
    unless it was refused: then the member may still say they attend."""
    check_not_started(facts.starts_at, now, ("答复", "answer"))
    if leave_status in (LeaveStatus.REQUESTED, LeaveStatus.APPROVED):
        raise LeaveAlreadyRequested(status=str(leave_status))


def check_leave_request(facts: Facts, leave_status: LeaveStatus | None, now: datetime) -> None:
    """One leave request per invitee and activity, before it starts (rule 24)."""
    check_not_started(facts.starts_at, now, ("请假", "ask for leave"))
    if leave_status is not None:
        raise LeaveAlreadyRequested(status=str(leave_status))


def leave_year(starts_at: datetime) -> int:
    """The year a leave counts in: the activity's, in Asia/Shanghai."""
    return local_date(starts_at).year


def decide_leave(
    facts: Facts,
    leave_id: UUID,
    person_id: UUID,
    action: LeaveAction,
    approved_this_year: int,
    refusal_reason: str | None,
    policy: ConsultationPolicy,
    now: datetime,
) -> tuple[LeaveStatus, EventData]:
    """Rule 24: approve within the member's yearly limit (else 422: the office refuses instead), or
    refuse with a reason — a refused leave is an unexcused absence in the ledger's eyes."""
    status = LEAVE_LIFECYCLE.check(LeaveStatus.REQUESTED, action)
    common = {
        "leave_id": leave_id,
        "activity_id": facts.id,
        "org_id": facts.org_id,
        "person_id": person_id,
        "activity_kind": facts.kind,
        "occurred_at": facts.starts_at,
        "decided_at": now,
        "title": facts.title,
    }
    if action is LeaveAction.APPROVE:
        if approved_this_year >= policy.leave_max_per_year:
            raise LeaveLimitReached(
                year=leave_year(facts.starts_at), approved=approved_this_year, limit=policy.leave_max_per_year
            )
        return status, LeaveApprovedV1.model_validate(common)
    return status, LeaveRefusedV1.model_validate({**common, "reason": refusal_reason or ""})


# ---- attendance and closing (rule 25) -------------------------------------------------------------


def check_attendance(facts: Facts, arrived_at: datetime, left_at: datetime | None, now: datetime) -> None:
    """An arrival before the end and not in the future; a departure not before the arrival."""
    if arrived_at >= facts.ends_at or arrived_at > now or (left_at is not None and left_at < arrived_at):
        raise AttendanceTimesInvalid()
    if arrived_at < facts.starts_at - timedelta(days=1):
        raise AttendanceTimesInvalid()


def minutes(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def scheduled_minutes(starts_at: datetime, ends_at: datetime) -> int:
    return max(1, minutes(starts_at, ends_at))


def attended_minutes(
    starts_at: datetime, ends_at: datetime, arrived_at: datetime, left_at: datetime | None
) -> int:
    """Rule 25's measure: the minutes of the scheduled time the member was there (arrival to
    departure, or to the end when no departure was recorded), clipped to the schedule."""
    start = max(starts_at, arrived_at)
    end = min(ends_at, left_at if left_at is not None else ends_at)
    return minutes(start, end)


@dataclass(frozen=True)
class Presence:
    """An invited member at close: their attendance (if any) and their leave (if any)."""

    person_id: UUID
    arrived_at: datetime | None
    left_at: datetime | None
    leave_id: UUID | None
    leave_status: LeaveStatus | None


def attendance_event(
    facts: Facts, person_id: UUID, arrived_at: datetime, left_at: datetime | None
) -> AttendanceRecordedV1:
    """Rule 25: the event carries the scheduled and the attended minutes; the duty ledger applies
    the policy's fraction (`member_svc.duty.entries.attended_enough`: below it, an unexcused absence)."""
    return AttendanceRecordedV1(
        activity_id=facts.id,
        org_id=facts.org_id,
        person_id=person_id,
        activity_kind=facts.kind,
        occurred_at=facts.starts_at,
        scheduled_minutes=scheduled_minutes(facts.starts_at, facts.ends_at),
        attended_minutes=attended_minutes(facts.starts_at, facts.ends_at, arrived_at, left_at),
    )


def close(facts: Facts, presences: Iterable[Presence], now: datetime) -> Decision[Status]:
    """The activity took place: each invited member's attendance goes to the duty ledger, and each
    who never checked in is absent — excused only by an approved leave (rule 24). Not before it
    starts; not while leave requests wait for a decision."""
    if now < facts.starts_at:
        raise ActivityNotStarted()
    everyone = list(presences)
    pending = sum(1 for p in everyone if p.leave_status is LeaveStatus.REQUESTED)
    if pending:
        raise LeavesPending(count=pending)
    events: list[EventData] = []
    for p in everyone:
        if p.arrived_at is not None:
            events.append(attendance_event(facts, p.person_id, p.arrived_at, p.left_at))
            continue
        excused = p.leave_status is LeaveStatus.APPROVED
        events.append(
            AbsenceRecordedV1(
                activity_id=facts.id,
                org_id=facts.org_id,
                person_id=p.person_id,
                activity_kind=facts.kind,
                occurred_at=facts.starts_at,
                excused=excused,
                leave_id=p.leave_id if p.leave_id is not None and p.leave_status is not None else None,
            )
        )
    changes = {"closed_at": now, "remind_at": None, "checkin_opens_at": None, "close_at": None}
    return Decision(Status.CLOSED, changes=changes, events=tuple(events))
