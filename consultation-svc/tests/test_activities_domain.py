"""The activity and leave machines pair by pair, and the rules of DOMAIN.md §4 as pure functions
(no database): rule 21's lead times in calendar and working days (make-up workdays counted), rule
24's yearly leave limit and refused leave, rule 25's minutes, what the close sends the ledger."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consultation_svc.activities import domain
from consultation_svc.activities.domain import (
    FORM_KINDS,
    LEAVE_LIFECYCLE,
    LIFECYCLE,
    Action,
    Facts,
    LeaveAction,
    LeaveStatus,
    Presence,
    Status,
)
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
from consultation_svc.participation.policy import ParticipationPolicy
from consultation_svc.plans.forms import FORMS
from cppcc_common.contracts.consultation import (
    AbsenceRecordedV1,
    ActivityKind,
    AttendanceRecordedV1,
    CheckinOpenedV1,
    LeaveApprovedV1,
    LeaveRefusedV1,
)
from cppcc_common.workdays import package_calendar

S, A = Status, Action
POLICY = ConsultationPolicy()
WORKING = ConsultationPolicy(lead_time_unit=LeadTimeUnit.WORKING)
CAL = package_calendar()
SH = timedelta(hours=8)

# Every pair the activity machine allows, and where it leads; every other pair is refused (409).
ALLOWED = {
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
    (S.CLOSED, A.MARK_ATTENDANCE): S.CLOSED,
}


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in S for a in A])
def test_every_activity_status_action_pair_is_allowed_or_refused_by_the_table(
    status: Status, action: Action
) -> None:
    if (status, action) in ALLOWED:
        assert LIFECYCLE.check(status, action) == ALLOWED[(status, action)]
    else:
        with pytest.raises(ActivityInvalidTransition) as refused:
            LIFECYCLE.check(status, action)
        assert refused.value.status == 409 and refused.value.code == "consultation.invalid_transition"


LEAVE_ALLOWED = {
    (LeaveStatus.REQUESTED, LeaveAction.APPROVE): LeaveStatus.APPROVED,
    (LeaveStatus.REQUESTED, LeaveAction.REFUSE): LeaveStatus.REFUSED,
}


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in LeaveStatus for a in LeaveAction])
def test_every_leave_status_action_pair_is_allowed_or_refused_by_the_table(
    status: LeaveStatus, action: LeaveAction
) -> None:
    if (status, action) in LEAVE_ALLOWED:
        assert LEAVE_LIFECYCLE.check(status, action) == LEAVE_ALLOWED[(status, action)]
    else:
        with pytest.raises(LeaveInvalidTransition):
            LEAVE_LIFECYCLE.check(status, action)


def test_the_lifecycle_of_domain_md_from_scheduling_to_the_close() -> None:
    status = S.SCHEDULED
    steps = (
        A.INVITE,
        A.ATTACH,
        A.ISSUE_NOTICE,
        A.PUBLISH_MATERIALS,
        A.REMIND,
        A.OPEN_CHECKIN,
        A.ANSWER,
        A.CLOSE,
    )
    for action in steps:
        status = LIFECYCLE.check(status, action)
    assert status is S.CLOSED
    assert LIFECYCLE.actions_from(S.CANCELLED) == []
    assert {A.REMIND, A.OPEN_CHECKIN, A.CLOSE} == domain.SYSTEM_ACTIONS


def test_every_form_of_forms_py_has_the_kind_the_ledger_scores() -> None:
    assert {f.code for f in FORMS} == set(FORM_KINDS)
    assert domain.kind_of("plenary") is ActivityKind.PLENARY
    assert domain.kind_of("thematic_standing") is ActivityKind.STANDING_COMMITTEE
    assert domain.kind_of("bimonthly_forum") is ActivityKind.MEETING
    assert domain.kind_of("inspection") is ActivityKind.ACTIVITY
    with pytest.raises(UnknownForm):
        domain.kind_of("banquet")


def test_an_activity_ends_after_it_starts_and_within_the_limit() -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    domain.check_times(start, start + timedelta(minutes=1))
    domain.check_times(start, start + timedelta(days=domain.MAX_ACTIVITY_DAYS))
    for end in (
        start,
        start - timedelta(minutes=1),
        start + timedelta(days=domain.MAX_ACTIVITY_DAYS, seconds=1),
    ):
        with pytest.raises(ActivityTimesInvalid):
            domain.check_times(start, end)


def facts(
    status: Status = S.SCHEDULED,
    *,
    starts: datetime,
    hours: int = 3,
    kind: ActivityKind = ActivityKind.MEETING,
) -> Facts:
    return Facts(
        id=uuid.uuid4(),
        org_id=uuid.uuid4(),
        form="bimonthly_forum",
        kind=kind,
        status=status,
        title="双月协商座谈会",
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        venue="会议室",
        online_link=None,
        organizer_person_id=None,
        notice_issued_at=None,
        materials_published_at=None,
    )


def shanghai(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - SH


# ---- rule 21 --------------------------------------------------------------------------------------

# Thursday 16 October 2025, 09:00 in Shanghai: after the National Day holidays (1–8 October) and
# their make-up workdays (Sunday 28 September, Saturday 11 October).
MEETING = shanghai(date(2025, 10, 16), 9)


@pytest.mark.parametrize(
    ("days", "unit", "deadline"),
    [
        (10, LeadTimeUnit.CALENDAR, date(2025, 10, 6)),
        (5, LeadTimeUnit.CALENDAR, date(2025, 10, 11)),
        (0, LeadTimeUnit.CALENDAR, date(2025, 10, 16)),
        # 15, 14, 13, the make-up Saturday 11th, 10th: the 5th working day before.
        (5, LeadTimeUnit.WORKING, date(2025, 10, 10)),
        # … 9th, then the holidays, 30th, 29th, the make-up Sunday 28th, 26th.
        (10, LeadTimeUnit.WORKING, date(2025, 9, 26)),
        (0, LeadTimeUnit.WORKING, date(2025, 10, 16)),
    ],
)
def test_rule_21_the_lead_deadline_counts_calendar_or_official_working_days(
    days: int, unit: LeadTimeUnit, deadline: date
) -> None:
    assert domain.lead_deadline(MEETING, days, unit, CAL) == deadline


def test_rule_21_a_notice_on_the_deadline_day_is_on_time_the_day_after_needs_a_reason() -> None:
    activity = facts(starts=MEETING)
    invitees = [uuid.uuid4()]
    on_time = domain.issue_notice(activity, invitees, 1, None, POLICY, CAL, shanghai(date(2025, 10, 6), 23))
    assert on_time.status is S.NOTIFIED and on_time.changes["notice_late_reason"] is None
    [event] = on_time.events
    assert event.late is False and event.invitee_ids == invitees  # type: ignore[attr-defined]
    late_day = shanghai(date(2025, 10, 7), 0)
    with pytest.raises(NoticeLateReasonRequired) as refused:
        domain.issue_notice(activity, invitees, 1, None, POLICY, CAL, late_day)
    assert refused.value.params["deadline"] == "2025-10-06"
    with pytest.raises(NoticeLateReasonRequired):
        domain.issue_notice(activity, invitees, 1, "   ", POLICY, CAL, late_day)
    late = domain.issue_notice(activity, invitees, 1, " 领导出差 ", POLICY, CAL, late_day)
    assert late.changes["notice_late_reason"] == "领导出差" and late.events[0].late is True  # type: ignore[attr-defined]


def test_rule_21_in_working_days_the_make_up_workdays_count_and_the_holidays_do_not() -> None:
    activity = facts(starts=MEETING)
    one = [uuid.uuid4()]
    # 26 September is the 10th working day before; the 27th (a Saturday) is already late.
    domain.issue_notice(activity, one, 1, None, WORKING, CAL, shanghai(date(2025, 9, 26), 18))
    with pytest.raises(NoticeLateReasonRequired) as refused:
        domain.issue_notice(activity, one, 1, None, WORKING, CAL, shanghai(date(2025, 9, 27)))
    assert (refused.value.params["unit_zh"], refused.value.params["deadline"]) == ("工作日", "2025-09-26")
    # In calendar days the same notice on 27 September is on time (19 days before).
    domain.issue_notice(activity, one, 1, None, POLICY, CAL, shanghai(date(2025, 9, 27)))


def test_rule_21_materials_later_than_their_lead_time_need_a_reason_and_exist() -> None:
    activity = facts(S.NOTIFIED, starts=MEETING)
    ids, files = [uuid.uuid4()], [uuid.uuid4()]
    with pytest.raises(NoMaterials):
        domain.publish_materials(activity, ids, [], None, POLICY, CAL, shanghai(date(2025, 10, 1)))
    domain.publish_materials(activity, ids, files, None, WORKING, CAL, shanghai(date(2025, 10, 10), 20))
    with pytest.raises(MaterialsLateReasonRequired):  # the make-up Saturday is the 4th working day before
        domain.publish_materials(activity, ids, files, None, WORKING, CAL, shanghai(date(2025, 10, 11)))
    late = domain.publish_materials(
        activity, ids, files, "待审定", WORKING, CAL, shanghai(date(2025, 10, 11))
    )
    assert late.changes["materials_late_reason"] == "待审定" and late.status is S.NOTIFIED
    published = Facts(**{**activity.__dict__, "materials_published_at": MEETING - timedelta(days=9)})
    with pytest.raises(ActivityInvalidTransition):
        domain.publish_materials(published, ids, files, None, POLICY, CAL, shanghai(date(2025, 10, 1)))


def test_rule_21_lead_times_are_policy_values() -> None:
    activity = facts(starts=MEETING)
    strict = ConsultationPolicy(notice_lead_days=15)
    with pytest.raises(NoticeLateReasonRequired):
        domain.issue_notice(activity, [uuid.uuid4()], 1, None, strict, CAL, shanghai(date(2025, 10, 2)))
    domain.issue_notice(activity, [uuid.uuid4()], 1, None, strict, CAL, shanghai(date(2025, 10, 1)))


def test_a_notice_needs_invitees_and_cannot_follow_the_start() -> None:
    activity = facts(starts=MEETING)
    with pytest.raises(NoInvitees):
        domain.issue_notice(activity, [], 0, None, POLICY, CAL, MEETING - timedelta(days=20))
    with pytest.raises(ActivityAlreadyStarted):
        domain.issue_notice(activity, [uuid.uuid4()], 1, "迟了", POLICY, CAL, MEETING)


def test_a_notice_arms_the_reminder_the_policy_hours_before_and_the_close_after_the_end() -> None:
    activity = facts(starts=MEETING)
    decision = domain.issue_notice(
        activity, [uuid.uuid4()], 1, None, POLICY, CAL, MEETING - timedelta(days=20)
    )
    assert decision.changes["remind_at"] == MEETING - timedelta(hours=24)
    assert decision.changes["close_at"] == activity.ends_at + timedelta(hours=POLICY.close_after_hours)
    late = domain.issue_notice(activity, [uuid.uuid4()], 1, "临时", POLICY, CAL, MEETING - timedelta(hours=3))
    assert late.changes["remind_at"] is None  # told three hours before: no reminder on top


def test_a_reschedule_tells_the_invitees_once_notified_and_moves_the_reminder() -> None:
    now = MEETING - timedelta(days=3)
    later = MEETING + timedelta(days=7)
    ids = [uuid.uuid4()]
    before = domain.reschedule(
        facts(starts=MEETING), later, later + timedelta(hours=2), "会议室", None, "冲突", ids, POLICY, now
    )
    assert before.events[0].invitee_ids == [] and "remind_at" not in before.changes  # type: ignore[attr-defined]
    after = domain.reschedule(
        facts(S.NOTIFIED, starts=MEETING),
        later,
        later + timedelta(hours=2),
        None,
        "https://meet.example/x",
        "冲突",
        ids,
        POLICY,
        now,
    )
    assert after.events[0].invitee_ids == ids and after.changes["remind_at"] == later - timedelta(hours=24)  # type: ignore[attr-defined]
    with pytest.raises(ActivityAlreadyStarted):
        domain.reschedule(
            facts(starts=MEETING), now - timedelta(hours=1), now, None, None, "x", ids, POLICY, now
        )
    with pytest.raises(ActivityAlreadyStarted):
        domain.reschedule(
            facts(starts=MEETING), later, later + timedelta(hours=1), None, None, "x", ids, POLICY, MEETING
        )


def test_cancel_before_the_end_with_its_reason() -> None:
    notified = facts(S.NOTIFIED, starts=MEETING)
    ids = [uuid.uuid4()]
    decision = domain.cancel(notified, "议题调整", ids, MEETING - timedelta(days=1))
    assert decision.status is S.CANCELLED and decision.events[0].invitee_ids == ids  # type: ignore[attr-defined]
    assert decision.changes["remind_at"] is None and decision.changes["close_at"] is None
    with pytest.raises(ActivityInvalidTransition):
        domain.cancel(notified, "太迟", ids, notified.ends_at)


# ---- rule 24 --------------------------------------------------------------------------------------


def test_rule_24_approval_within_the_yearly_limit_then_the_office_must_refuse() -> None:
    activity = facts(S.NOTIFIED, starts=MEETING)
    now = MEETING - timedelta(days=2)
    status, event = domain.decide_leave(
        activity, uuid.uuid4(), uuid.uuid4(), LeaveAction.APPROVE, 1, None, POLICY, now
    )
    assert status is LeaveStatus.APPROVED and isinstance(event, LeaveApprovedV1)
    assert event.occurred_at == MEETING and event.activity_kind is ActivityKind.MEETING
    with pytest.raises(LeaveLimitReached) as refused:
        domain.decide_leave(activity, uuid.uuid4(), uuid.uuid4(), LeaveAction.APPROVE, 2, None, POLICY, now)
    assert refused.value.params == {"year": 2025, "approved": 2, "limit": 2}
    generous = ConsultationPolicy(leave_max_per_year=3)
    domain.decide_leave(activity, uuid.uuid4(), uuid.uuid4(), LeaveAction.APPROVE, 2, None, generous, now)


def test_rule_24_refused_leave_goes_to_the_ledger_as_refused_with_its_reason() -> None:
    activity = facts(S.NOTIFIED, starts=MEETING, kind=ActivityKind.PLENARY)
    status, event = domain.decide_leave(
        activity, uuid.uuid4(), uuid.uuid4(), LeaveAction.REFUSE, 5, "全会必须参加", POLICY, MEETING
    )
    assert status is LeaveStatus.REFUSED and isinstance(event, LeaveRefusedV1)
    assert (event.reason, event.activity_kind) == ("全会必须参加", ActivityKind.PLENARY)


def test_rule_24_the_leave_year_is_the_activitys_in_shanghai() -> None:
    assert domain.leave_year(datetime(2025, 12, 31, 17, 0, tzinfo=UTC)) == 2026  # 01:00 on 1 January


def test_one_leave_request_per_activity_and_no_other_answer_once_it_stands() -> None:
    activity = facts(S.NOTIFIED, starts=MEETING)
    before = MEETING - timedelta(hours=1)
    domain.check_leave_request(activity, None, before)
    for existing in LeaveStatus:
        with pytest.raises(LeaveAlreadyRequested):
            domain.check_leave_request(activity, existing, before)
    domain.check_answer(activity, None, before)
    domain.check_answer(activity, LeaveStatus.REFUSED, before)  # refused: the member may still come
    for standing in (LeaveStatus.REQUESTED, LeaveStatus.APPROVED):
        with pytest.raises(LeaveAlreadyRequested):
            domain.check_answer(activity, standing, before)
    with pytest.raises(ActivityAlreadyStarted):
        domain.check_leave_request(activity, None, MEETING)
    with pytest.raises(ActivityAlreadyStarted):
        domain.check_answer(activity, None, MEETING)


# ---- rule 25 and the close --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrived", "left", "minutes"),
    [
        (-30, None, 180),  # early, stays to the end
        (0, 60, 60),  # leaves after an hour
        (20, 170, 150),
        (-30, 240, 180),  # clipped to the schedule
        (200, None, 0),  # arrives after the end
    ],
)
def test_rule_25_attended_minutes_are_the_scheduled_time_the_member_was_there(
    arrived: int, left: int | None, minutes: int
) -> None:
    start = MEETING
    got = domain.attended_minutes(
        start,
        start + timedelta(hours=3),
        start + timedelta(minutes=arrived),
        start + timedelta(minutes=left) if left is not None else None,
    )
    assert got == minutes


@given(
    arrived=st.integers(min_value=-600, max_value=600),
    stay=st.one_of(st.none(), st.integers(min_value=0, max_value=900)),
    hours=st.integers(min_value=1, max_value=48),
)
def test_rule_25_attended_minutes_never_exceed_the_scheduled_minutes(
    arrived: int, stay: int | None, hours: int
) -> None:
    start = MEETING
    end = start + timedelta(hours=hours)
    came = start + timedelta(minutes=arrived)
    left = came + timedelta(minutes=stay) if stay is not None else None
    assert 0 <= domain.attended_minutes(start, end, came, left) <= domain.scheduled_minutes(start, end)


def test_rule_25_the_event_carries_what_the_ledger_applies_its_fraction_to() -> None:
    """The fraction is scoring policy, applied by member-svc's ledger (`attended_enough`): below it,
    the check-in is an unexcused absence. The event carries both minutes and the kind; here the
    ledger's own rule is applied to what the close sends, at and just below two thirds."""
    # The ledger's own rule (a test may read across services; the service packages never do).
    from member_svc.duty.entries import attended_enough
    from member_svc.duty.policy import DutyPolicy

    ledger = DutyPolicy()

    activity = facts(S.NOTIFIED, starts=MEETING, kind=ActivityKind.STANDING_COMMITTEE)
    two_thirds = domain.attendance_event(activity, uuid.uuid4(), MEETING, MEETING + timedelta(minutes=120))
    short = domain.attendance_event(activity, uuid.uuid4(), MEETING, MEETING + timedelta(minutes=119))
    assert (two_thirds.scheduled_minutes, two_thirds.attended_minutes) == (180, 120)
    assert two_thirds.activity_kind is ActivityKind.STANDING_COMMITTEE and two_thirds.occurred_at == MEETING
    assert attended_enough(two_thirds.attended_minutes, two_thirds.scheduled_minutes, ledger)
    assert not attended_enough(short.attended_minutes, short.scheduled_minutes, ledger)


def test_rules_24_25_the_close_sends_each_invited_member_once() -> None:
    activity = facts(S.NOTIFIED, starts=MEETING, kind=ActivityKind.PLENARY)
    came, early, excused, refused, silent = (uuid.uuid4() for _ in range(5))
    leave_a, leave_b = uuid.uuid4(), uuid.uuid4()
    presences = [
        Presence(came, MEETING, None, None, None),
        Presence(early, MEETING, MEETING + timedelta(minutes=30), None, None),
        Presence(excused, None, None, leave_a, LeaveStatus.APPROVED),
        Presence(refused, None, None, leave_b, LeaveStatus.REFUSED),
        Presence(silent, None, None, None, None),
    ]
    decision = domain.close(activity, presences, activity.ends_at)
    assert decision.status is S.CLOSED
    attended = {
        e.person_id: e.attended_minutes for e in decision.events if isinstance(e, AttendanceRecordedV1)
    }
    absent = {
        e.person_id: (e.excused, e.leave_id) for e in decision.events if isinstance(e, AbsenceRecordedV1)
    }
    assert attended == {came: 180, early: 30}
    assert absent == {excused: (True, leave_a), refused: (False, leave_b), silent: (False, None)}


def test_the_close_waits_for_the_start_and_for_every_leave_decision() -> None:
    activity = facts(S.NOTIFIED, starts=MEETING)
    with pytest.raises(ActivityNotStarted):
        domain.close(activity, [], MEETING - timedelta(seconds=1))
    pending = [Presence(uuid.uuid4(), None, None, uuid.uuid4(), LeaveStatus.REQUESTED)]
    with pytest.raises(LeavesPending) as refused:
        domain.close(activity, pending, MEETING)
    assert refused.value.params == {"count": 1}


def test_attendance_times_are_before_the_end_not_in_the_future_and_in_order() -> None:
    activity = facts(S.NOTIFIED, starts=MEETING)
    now = activity.ends_at + timedelta(hours=1)
    domain.check_attendance(activity, MEETING - timedelta(minutes=30), MEETING + timedelta(hours=1), now)
    for arrived, left, at in (
        (activity.ends_at, None, now),
        (MEETING, MEETING - timedelta(minutes=1), now),
        (MEETING + timedelta(minutes=5), None, MEETING),  # in the future
        (MEETING - timedelta(days=2), None, now),
    ):
        with pytest.raises(AttendanceTimesInvalid):
            domain.check_attendance(activity, arrived, left, at)


# ---- the check-in opening (the participation policy's window) ------------------------------------


def test_the_check_in_opening_is_armed_at_the_policys_minutes_and_tells_until_the_window_closes() -> None:
    checkin = ParticipationPolicy(checkin_opens_minutes_before=30, checkin_closes_minutes_after=15)
    meeting = facts(S.NOTIFIED, starts=MEETING)
    early = MEETING - timedelta(days=3)
    armed = domain.deadlines(meeting.starts_at, meeting.ends_at, POLICY, early, checkin)
    assert armed["checkin_opens_at"] == MEETING - timedelta(minutes=30)
    assert armed["checkin_opened_at"] is None
    # Already open when the notice goes out (or the activity moves): the notice itself tells.
    late = MEETING - timedelta(minutes=30)
    assert (
        domain.deadlines(meeting.starts_at, meeting.ends_at, POLICY, late, checkin)["checkin_opens_at"]
        is None
    )
    invitee = uuid.uuid4()
    opened = domain.open_checkin(meeting, [invitee], checkin, late)
    [event] = opened.events
    assert isinstance(event, CheckinOpenedV1)
    assert event.invitee_ids == [invitee] and event.venue == meeting.venue
    assert event.checkin_closes_at == meeting.ends_at + timedelta(minutes=15)
    assert opened.changes == {"checkin_opens_at": None, "checkin_opened_at": late}
    assert opened.status is S.NOTIFIED
