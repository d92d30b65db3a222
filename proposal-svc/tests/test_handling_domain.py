"""The handling rules (DOMAIN.md §7 rules 9–11, 13–15) and the assignment machine as pure functions."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.workdays import add_months
from proposal_svc.handling import domain
from proposal_svc.handling.domain import (
    ASSIGNMENTS,
    AssignmentAction,
    AssignmentStatus,
    CommunicationKind,
    ReplyFacts,
    Role,
)
from proposal_svc.handling.errors import (
    AssignmentInvalid,
    AssignmentInvalidTransition,
    CommunicationInTheFuture,
    CommunicationRequired,
    CountersignMissing,
    ExtensionInvalid,
    FaceToFaceRequired,
    ReassignmentWindowClosed,
    TextRequired,
    UnknownReplyClass,
)
from proposal_svc.proposals import domain as proposals
from proposal_svc.proposals.domain import Action
from proposal_svc.proposals.policy import ProposalPolicy

POLICY = ProposalPolicy()
S, A = AssignmentStatus, AssignmentAction

# Every pair the assignment machine allows, and where it leads; every other pair is refused.
ALLOWED = {
    (S.ASSIGNED, A.ACCEPT): S.ACCEPTED,
    (S.ASSIGNED, A.REQUEST_REASSIGNMENT): S.REASSIGNMENT_REQUESTED,
    (S.REASSIGNMENT_REQUESTED, A.REASSIGN): S.REASSIGNED,
    (S.REASSIGNMENT_REQUESTED, A.REFUSE_REASSIGNMENT): S.ASSIGNED,
    (S.ASSIGNED, A.SEND_VIEWS): S.VIEWS_SENT,
    (S.VIEWS_SENT, A.COUNTERSIGN): S.COUNTERSIGNED,
    (S.ACCEPTED, A.COMMUNICATE): S.ACCEPTED,
    (S.ACCEPTED, A.REPLY): S.REPLIED,
    (S.REPLIED, A.CORRECT_CLASS): S.REPLIED,
    (S.ASSIGNED, A.EXTEND): S.ASSIGNED,
    (S.REASSIGNMENT_REQUESTED, A.EXTEND): S.REASSIGNMENT_REQUESTED,
    (S.ACCEPTED, A.EXTEND): S.ACCEPTED,
    (S.REPLIED, A.REOPEN): S.ACCEPTED,  # rule 17: a dissatisfied rating re-opens the part
    (S.REPLIED, A.REPORT_COMPLETION): S.REPLIED,  # rule 18
}


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in S for a in A])
def test_every_assignment_status_action_pair_is_allowed_or_refused_by_the_table(
    status: AssignmentStatus, action: AssignmentAction
) -> None:
    if (status, action) in ALLOWED:
        assert ASSIGNMENTS.check(status, action) == ALLOWED[(status, action)]
    else:
        with pytest.raises(AssignmentInvalidTransition):
            ASSIGNMENTS.check(status, action)
    assert ASSIGNMENTS.table == ALLOWED


# --- Rule 9: one lead unit with co-handlers, or split handling --------------------------------------

U = [uuid.uuid4() for _ in range(4)]


def test_rule_9_a_lead_unit_with_co_handlers_or_split_handling_among_units_of_the_organization() -> None:
    assert domain.plan(lead=U[0], cohandlers=[U[1], U[2]], split=[], known_units=U) == [
        (U[0], Role.LEAD),
        (U[1], Role.COHANDLER),
        (U[2], Role.COHANDLER),
    ]
    assert domain.plan(lead=U[0], cohandlers=[], split=[], known_units=U) == [(U[0], Role.LEAD)]
    assert domain.plan(lead=None, cohandlers=[], split=[U[1], U[3]], known_units=U) == [
        (U[1], Role.SPLIT),
        (U[3], Role.SPLIT),
    ]


@pytest.mark.parametrize(
    ("lead", "cohandlers", "split", "code"),
    [
        (None, [], [], "lead_or_split_required"),  # nobody
        (U[0], [], [U[1], U[2]], "lead_or_split_required"),  # both a lead and split units
        (None, [], [U[1]], "lead_or_split_required"),  # one split unit is a lead unit
        (None, [U[1]], [U[2], U[3]], "cohandlers_need_a_lead"),
        (U[0], [U[0]], [], "duplicate_unit"),
        (None, [], [U[1], U[1]], "duplicate_unit"),
        (uuid.uuid4(), [], [], "unknown_unit"),  # not a unit of the organization
    ],
)
def test_rule_9_an_assignment_has_exactly_one_lead_or_one_reply_per_split_unit(
    lead: uuid.UUID | None, cohandlers: list[uuid.UUID], split: list[uuid.UUID], code: str
) -> None:
    with pytest.raises(AssignmentInvalid) as refused:
        domain.plan(lead=lead, cohandlers=cohandlers, split=split, known_units=U)
    assert code in [e["code"] for e in refused.value.errors or []]


# --- Due dates: calendar months in Asia/Shanghai, month ends clamped ------------------------------


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [
        (date(2026, 11, 30), 3, date(2027, 2, 28)),  # the month end clamps
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # a leap February
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 31), 5, date(2026, 8, 31)),
        (date(2026, 10, 17), 3, date(2027, 1, 17)),  # across the year
    ],
)
def test_a_due_date_is_calendar_months_later_with_the_month_end_clamped(
    day: date, months: int, due: date
) -> None:
    assert add_months(day, months) == due


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 60))
def test_adding_months_lands_in_the_right_month_on_the_same_day_or_its_last(day: date, months: int) -> None:
    due = add_months(day, months)
    assert (due.year * 12 + due.month) - (day.year * 12 + day.month) == months
    assert due.day == day.day or (due.day < day.day and (due + timedelta(days=1)).month != due.month)


def test_the_reply_due_date_counts_from_the_assignment_day_in_shanghai() -> None:
    # 00:30 on 1 December in Shanghai is still 30 November in UTC.
    assigned_at = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    assert domain.reply_due_on(assigned_at, session_proposal=False, policy=POLICY) == date(2027, 3, 1)
    before_midnight = datetime(2026, 11, 30, 15, 59, tzinfo=UTC)  # 23:59 on 30 November in Shanghai
    assert domain.reply_due_on(before_midnight, session_proposal=False, policy=POLICY) == date(2027, 2, 28)


def test_a_session_proposal_is_due_after_the_session_months_of_the_policy() -> None:
    policy = ProposalPolicy(reply_due_months=2, session_reply_due_months=5)
    at = datetime(2026, 3, 10, 2, tzinfo=UTC)
    assert domain.reply_due_on(at, session_proposal=True, policy=policy) == date(2026, 8, 10)
    assert domain.reply_due_on(at, session_proposal=False, policy=policy) == date(2026, 5, 10)


def test_rule_11_a_co_handler_sends_its_views_within_the_policy_months() -> None:
    at = datetime(2027, 1, 31, 2, tzinfo=UTC)
    assert domain.views_due_on(at, POLICY) == date(2027, 2, 28)
    assert domain.views_due_on(at, ProposalPolicy(cohandler_view_months=2)) == date(2027, 3, 31)


# --- Rule 10: reassignment within the window, decided by the office --------------------------------

ASSIGNED_AT = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "allowed"),
    [
        (timedelta(0), True),  # at the assignment
        (timedelta(days=9), True),  # the day before the window closes
        (timedelta(days=10), True),  # exactly at day 10
        (timedelta(days=10, microseconds=1), False),  # just after
        (timedelta(days=11), False),  # the day after
    ],
)
def test_rule_10_a_unit_asks_to_be_reassigned_only_within_10_days(after: timedelta, allowed: bool) -> None:
    if allowed:
        domain.check_reassignment_window(ASSIGNED_AT, ASSIGNED_AT + after, POLICY)
    else:
        with pytest.raises(ReassignmentWindowClosed):
            domain.check_reassignment_window(ASSIGNED_AT, ASSIGNED_AT + after, POLICY)


def test_rule_10_the_window_is_the_policys() -> None:
    policy = ProposalPolicy(reassignment_window_days=4)
    domain.check_reassignment_window(ASSIGNED_AT, ASSIGNED_AT + timedelta(days=4), policy)
    with pytest.raises(ReassignmentWindowClosed):
        domain.check_reassignment_window(ASSIGNED_AT, ASSIGNED_AT + timedelta(days=5), policy)


@given(st.sampled_from(A), st.sampled_from(Role), st.booleans(), st.booleans())
def test_rule_10_and_11_who_takes_each_step_of_an_assignment(
    action: AssignmentAction, role: Role, office: bool, own_unit: bool
) -> None:
    allowed = domain.may_act(action, role, office=office, own_unit=own_unit)
    if action in (A.REASSIGN, A.REFUSE_REASSIGNMENT, A.CORRECT_CLASS, A.EXTEND):
        assert allowed is office  # a unit never reassigns (rule 10) nor extends (rule 12) by itself
    elif role == Role.COHANDLER:
        # Rule 11: a co-handler sends views and countersigns; it never accepts, communicates or replies.
        assert allowed is (own_unit and action in (A.REQUEST_REASSIGNMENT, A.SEND_VIEWS, A.COUNTERSIGN))
    else:
        steps = (A.ACCEPT, A.REQUEST_REASSIGNMENT, A.COMMUNICATE, A.REPLY, A.REPORT_COMPLETION)
        assert allowed is (own_unit and action in steps)  # nobody re-opens a part by a step (rule 17)


def test_rule_11_a_co_handler_cannot_reply_to_the_proposer() -> None:
    assert not domain.may_act(A.REPLY, Role.COHANDLER, office=False, own_unit=True)
    assert domain.may_act(A.REPLY, Role.LEAD, office=False, own_unit=True)


def test_the_proposals_office_assigns_and_the_unit_accepts_and_replies() -> None:
    """The proposal machine's own who-may-act: ASSIGN is the office's, ACCEPT and REPLY a unit's."""
    person = uuid.uuid4()
    assert proposals.may_act(Action.ASSIGN, actor=person, first_proposer_id=person, office=True)
    assert not proposals.may_act(Action.ASSIGN, actor=person, first_proposer_id=person, unit=True)
    for action in (Action.ACCEPT, Action.REPLY):
        assert proposals.may_act(action, actor=person, first_proposer_id=uuid.uuid4(), unit=True)
        assert not proposals.may_act(action, actor=person, first_proposer_id=person, office=True)


# --- Rules 13, 14, 15: what a reply needs -----------------------------------------------------------

PHONE, VISIT, MEETING, EMAIL = (
    CommunicationKind.PHONE,
    CommunicationKind.VISIT,
    CommunicationKind.MEETING,
    CommunicationKind.EMAIL,
)


def _reply(
    role: Role = Role.LEAD,
    is_key: bool = False,
    communications: tuple[CommunicationKind, ...] = (PHONE,),
    cohandlers: tuple[AssignmentStatus, ...] = (),
) -> ReplyFacts:
    return ReplyFacts(role, is_key, communications, cohandlers)


def test_rule_13_a_reply_cannot_be_submitted_without_a_communication_record() -> None:
    with pytest.raises(CommunicationRequired):
        domain.check_reply(_reply(communications=()), "A", POLICY)
    domain.check_reply(_reply(communications=(EMAIL,)), "A", POLICY)


@pytest.mark.parametrize(
    ("kinds", "allowed"),
    [((PHONE,), False), ((PHONE, EMAIL), False), ((VISIT,), True), ((EMAIL, MEETING), True)],
)
def test_rule_13_a_key_proposals_reply_needs_a_face_to_face_communication(
    kinds: tuple[CommunicationKind, ...], allowed: bool
) -> None:
    if allowed:
        domain.check_reply(_reply(is_key=True, communications=kinds), "A", POLICY)
    else:
        with pytest.raises(FaceToFaceRequired):
            domain.check_reply(_reply(is_key=True, communications=kinds), "A", POLICY)


@pytest.mark.parametrize(
    "cohandlers",
    [
        (S.ASSIGNED,),
        (S.VIEWS_SENT,),
        (S.COUNTERSIGNED, S.VIEWS_SENT),
        (S.REASSIGNMENT_REQUESTED, S.COUNTERSIGNED),
    ],
)
def test_rule_14_the_lead_cannot_reply_before_every_co_handler_countersigned(
    cohandlers: tuple[AssignmentStatus, ...],
) -> None:
    with pytest.raises(CountersignMissing):
        domain.check_reply(_reply(cohandlers=cohandlers), "A", POLICY)


def test_rule_14_the_lead_replies_once_every_co_handler_countersigned() -> None:
    domain.check_reply(_reply(cohandlers=(S.COUNTERSIGNED, S.COUNTERSIGNED)), "A", POLICY)
    domain.check_reply(_reply(), "A", POLICY)  # no co-handlers


def test_rule_15_a_reply_carries_one_class_from_the_policy_list() -> None:
    for result_class in POLICY.reply_classes:
        domain.check_reply(_reply(), result_class, POLICY)
    for wrong in ("D", "a", " A", ""):
        with pytest.raises(UnknownReplyClass):
            domain.check_reply(_reply(), wrong, POLICY)
    custom = ProposalPolicy(reply_classes={"甲": "已解决", "乙": "参考"})
    domain.check_reply(_reply(), "乙", custom)
    with pytest.raises(UnknownReplyClass):
        domain.check_reply(_reply(), "A", custom)


def test_rule_13_is_checked_before_rule_14_and_15() -> None:
    """A reply with nothing right names the first missing step (the communication)."""
    with pytest.raises(CommunicationRequired):
        domain.check_reply(_reply(communications=(), cohandlers=(S.ASSIGNED,)), "Z", POLICY)


def test_the_proposal_is_replied_when_every_required_reply_is_in() -> None:
    assert domain.replies_complete([(Role.LEAD, S.REPLIED), (Role.COHANDLER, S.COUNTERSIGNED)])
    assert not domain.replies_complete([(Role.SPLIT, S.REPLIED), (Role.SPLIT, S.ACCEPTED)])
    assert domain.replies_complete([(Role.SPLIT, S.REPLIED), (Role.SPLIT, S.REPLIED)])
    assert not domain.replies_complete([(Role.COHANDLER, S.COUNTERSIGNED)])


def test_a_communication_is_recorded_on_a_day_not_after_today_in_shanghai() -> None:
    now = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 December in Shanghai
    domain.check_communication_date(date(2026, 12, 1), now)
    with pytest.raises(CommunicationInTheFuture):
        domain.check_communication_date(date(2026, 12, 2), now)


@pytest.mark.parametrize("blank", ["", " ", "\u3000\n"])
def test_a_required_text_is_not_blank(blank: str) -> None:
    with pytest.raises(TextRequired):
        domain.required(blank, "reason")
    assert domain.required(" 理由 ", "reason") == "理由"


# --- Rule 12: reply deadlines and extensions -------------------------------------------------------

SHANGHAI_MIDNIGHT = timedelta(hours=8)  # 00:00 in Shanghai is 16:00 UTC the day before


def test_rule_12_warnings_at_the_policys_days_and_overdue_from_the_day_after_the_due_day() -> None:
    """A policy other than the default (10 and 2 days) is read; each notice is at 00:00 in Shanghai;
    the overdue begins the day after the due day (a month end: 1 March)."""
    policy = ProposalPolicy(due_soon_days=(10, 2))
    due = date(2027, 2, 28)
    schedule = domain.deadline_schedule(due, ASSIGNED_AT, policy)
    midnight = lambda d: datetime(d.year, d.month, d.day, tzinfo=UTC) - SHANGHAI_MIDNIGHT  # noqa: E731
    assert schedule == [
        ("due_soon_10", midnight(date(2027, 2, 18))),
        ("due_soon_2", midnight(date(2027, 2, 26))),
        ("overdue", midnight(date(2027, 3, 1))),
    ]
    assert [domain.days_before(k) for k, _ in schedule[:2]] == [10, 2]


def test_rule_12_a_warning_already_passed_when_the_date_is_set_is_not_sent_late() -> None:
    due = date(2027, 2, 28)
    ten_days_before = datetime(2027, 2, 18, tzinfo=UTC) - SHANGHAI_MIDNIGHT
    policy = ProposalPolicy(due_soon_days=(10, 2))
    at_the_warning = domain.deadline_schedule(due, ten_days_before, policy)
    assert [k for k, _ in at_the_warning] == ["due_soon_2", "overdue"]  # its instant is not after now
    just_before = domain.deadline_schedule(due, ten_days_before - timedelta(microseconds=1), policy)
    assert [k for k, _ in just_before] == ["due_soon_10", "due_soon_2", "overdue"]


# Assigned at 01:00 on 1 September in Shanghai (31 August in UTC): the maximum (7 months here, not the
# default 6) is counted on the Shanghai day, 1 April 2027.
EXTENDED_AT = datetime(2026, 8, 31, 17, 0, tzinfo=UTC)
SEVEN = ProposalPolicy(max_reply_months=7)


def _extend(
    to: date, *, current: date | None = date(2026, 12, 1), approved_on: date = date(2026, 9, 1)
) -> None:
    domain.check_extension(
        current=current,
        to=to,
        approved_on=approved_on,
        assigned_at=EXTENDED_AT,
        now=EXTENDED_AT,
        policy=SEVEN,
    )


def _codes(to: date, **kw: Any) -> list[str]:
    with pytest.raises(ExtensionInvalid) as refused:
        _extend(to, **kw)
    assert refused.value.errors is not None
    return [e["code"] for e in refused.value.errors]


def test_rule_12_an_extension_reaches_the_maximum_and_never_passes_it() -> None:
    assert domain.latest_reply_due_on(EXTENDED_AT, SEVEN) == date(2027, 4, 1)
    _extend(date(2027, 4, 1))
    assert _codes(date(2027, 4, 2)) == ["beyond_maximum"]


def test_rule_12_an_extension_moves_the_date_later_on_an_approval_already_given() -> None:
    assert _codes(date(2026, 12, 1)) == ["not_later"]
    _extend(date(2026, 12, 2))
    assert _codes(date(2026, 12, 2), approved_on=date(2026, 9, 2)) == ["in_the_future"]  # now is 1 Sept
    assert _codes(date(2026, 12, 2), current=None) == ["no_reply_due"]  # a co-handler's part
