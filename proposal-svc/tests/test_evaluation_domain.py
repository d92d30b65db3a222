"""Evaluation's pure rules (rules 16–18), without a database: the window on the official calendar,
who rates, once, the re-handling and the conclusion."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.workdays import WorkingCalendar, package_schedules, start_of_day
from proposal_svc.evaluation import domain
from proposal_svc.evaluation.domain import CurrentReply, Window
from proposal_svc.evaluation.errors import (
    AlreadyEvaluated,
    CompletionInTheFuture,
    CompletionReportNotRequired,
    EvaluationWindowClosed,
    NotAnEvaluator,
    ReportRequired,
    UnknownRating,
)
from proposal_svc.proposals.domain import InvitationStatus, Proposer, Role
from proposal_svc.proposals.policy import ProposalPolicy

CAL = WorkingCalendar(package_schedules())
POLICY = ProposalPolicy()
# Friday 26 September 2025, 10:00 in Shanghai: National Day runs 1–8 October, with Sunday 28
# September and Saturday 11 October as make-up workdays.
REPLIED_AT = datetime(2025, 9, 26, 2, tzinfo=UTC)
FIRST, CO, INVITED = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def test_rule_16_the_window_counts_working_days_across_a_holiday_with_make_up_workdays() -> None:
    # 15 working days: 28 Sep (make-up Sunday), 29, 30 Sep; 9, 10, 11 (make-up Saturday), 13–17,
    # 20–23 Oct. Weekdays alone would end on 17 October.
    window = domain.window(REPLIED_AT, POLICY, CAL)
    assert window == Window(date(2025, 10, 23), False, start_of_day(date(2025, 10, 24)))
    # A policy of 4 days: 28, 29, 30 Sep, then the first day after the holiday, 9 October.
    assert domain.window(REPLIED_AT, ProposalPolicy(evaluation_working_days=4), CAL).due_on == date(
        2025, 10, 9
    )


def test_rule_16_a_window_into_an_unknown_year_is_provisional() -> None:
    late = datetime(2026, 12, 20, 2, tzinfo=UTC)  # 2027 is not in the package
    window = domain.window(late, POLICY, CAL)
    assert window.provisional is True and window.due_on == date(2027, 1, 8)


def _check(now: datetime, *, rated_by: set[uuid.UUID] | None = None, rating: str = "satisfied") -> None:
    window = domain.window(REPLIED_AT, POLICY, CAL)
    domain.check_evaluation(
        FIRST, rated_by=rated_by or set(), rating=rating, window=window, now=now, policy=POLICY
    )


def test_rule_16_the_window_closes_when_its_last_working_day_ends() -> None:
    closes = start_of_day(date(2025, 10, 24))  # 00:00 on 24 October in Shanghai
    _check(REPLIED_AT)  # at the reply itself
    _check(closes - timedelta(microseconds=1))  # the last instant of 23 October
    with pytest.raises(EvaluationWindowClosed) as closed:
        _check(closes)
    assert closed.value.status == 409 and closed.value.params == {"days": 15, "due_on": "2025-10-23"}
    with pytest.raises(EvaluationWindowClosed):
        _check(closes + timedelta(days=1))  # the day after


def test_rule_16_each_proposer_rates_each_reply_once_with_a_known_rating() -> None:
    with pytest.raises(AlreadyEvaluated):
        _check(REPLIED_AT, rated_by={FIRST})
    _check(REPLIED_AT, rated_by={CO})
    with pytest.raises(UnknownRating):
        _check(REPLIED_AT, rating="excellent")
    for rating in POLICY.evaluations:
        _check(REPLIED_AT, rating=rating)


def _proposer(person: uuid.UUID, role: Role, position: int, status: InvitationStatus) -> Proposer:
    return Proposer(person, role, position, status)


def test_rule_16_the_proposers_who_count_are_the_first_and_the_confirmed_co_signers() -> None:
    merged = uuid.uuid4()  # merged in from another proposal (rule 8): confirmed
    declined, expired = uuid.uuid4(), uuid.uuid4()
    proposers = [
        _proposer(merged, Role.COSIGNER, 4, InvitationStatus.CONFIRMED),
        _proposer(FIRST, Role.FIRST, 0, InvitationStatus.CONFIRMED),
        _proposer(INVITED, Role.COSIGNER, 1, InvitationStatus.INVITED),
        _proposer(CO, Role.COSIGNER, 2, InvitationStatus.CONFIRMED),
        _proposer(declined, Role.COSIGNER, 3, InvitationStatus.DECLINED),
        _proposer(expired, Role.COSIGNER, 5, InvitationStatus.EXPIRED),
    ]
    counted = domain.evaluators(proposers)
    assert counted == [FIRST, CO, merged]
    for outsider in (INVITED, declined, expired, uuid.uuid4(), None):
        with pytest.raises(NotAnEvaluator) as refused:
            domain.check_evaluator(outsider, counted)
        assert refused.value.status == 403
    assert domain.check_evaluator(CO, counted) == CO


@given(st.sampled_from(sorted(POLICY.evaluations)), st.booleans())
def test_rule_17_only_a_dissatisfied_rating_of_a_first_reply_reopens(rating: str, second: bool) -> None:
    assert domain.reopens(rating, second_reply=second) is (rating == "dissatisfied" and not second)


def test_rule_17_the_second_reply_is_due_in_calendar_months_month_end_clamped() -> None:
    at = datetime(2026, 11, 30, 2, tzinfo=UTC)
    assert domain.rehandling_due_on(at, POLICY) == date(2027, 2, 28)
    assert domain.rehandling_due_on(at, ProposalPolicy(rehandling_due_months=2)) == date(2027, 1, 30)


CLOSES = start_of_day(date(2025, 10, 24))


def _reply(
    result_class: str = "A", rated_by: frozenset[uuid.UUID] = frozenset(), reported: bool = False
) -> CurrentReply:
    return CurrentReply(uuid.uuid4(), result_class, CLOSES, rated_by, reported)


BOTH = frozenset({FIRST, CO})
BEFORE = CLOSES - timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("replies", "now", "concluded"),
    [
        ([], BEFORE, False),  # nothing replied
        ([_reply(rated_by=BOTH)], BEFORE, True),
        ([_reply(rated_by=frozenset({FIRST}))], BEFORE, False),  # the co-signer may still rate
        ([_reply(rated_by=frozenset({FIRST}))], CLOSES, True),  # silence is no objection once closed
        ([_reply()], CLOSES, True),
        ([_reply("B", BOTH)], BEFORE, False),  # rule 18: open until the completion report
        ([_reply("B", BOTH, reported=True)], BEFORE, True),
        ([_reply("B", reported=True)], BEFORE, False),
        ([_reply("B")], CLOSES + timedelta(days=30), False),
        ([_reply("C", BOTH), _reply("B", BOTH)], BEFORE, False),  # split: every part
        ([_reply("C", BOTH), _reply("B", BOTH, reported=True)], BEFORE, True),
        ([_reply(rated_by=BOTH), _reply(rated_by=frozenset({CO}))], BEFORE, False),
    ],
)
def test_rule_16_and_18_when_a_replied_proposal_is_concluded(
    replies: list[CurrentReply], now: datetime, concluded: bool
) -> None:
    assert domain.concluded(replies, [FIRST, CO], POLICY, now) is concluded


def test_rule_18_open_classes_are_the_policys() -> None:
    policy = ProposalPolicy(open_reply_classes=("C",))
    assert domain.concluded([_reply("B", BOTH)], [FIRST, CO], policy, BEFORE)
    assert not domain.concluded([_reply("C", BOTH)], [FIRST, CO], policy, BEFORE)


def test_rule_18_a_completion_report_belongs_to_an_open_class_reply_done_by_today() -> None:
    now = datetime(2026, 3, 1, 15, 59, tzinfo=UTC)  # 23:59 on 1 March in Shanghai
    assert domain.check_completion("B", date(2026, 3, 1), "  已完成  ", now, POLICY) == "已完成"
    with pytest.raises(CompletionReportNotRequired):
        domain.check_completion("A", date(2026, 3, 1), "已完成", now, POLICY)
    with pytest.raises(CompletionInTheFuture):
        domain.check_completion("B", date(2026, 3, 2), "已完成", now, POLICY)
    with pytest.raises(ReportRequired):
        domain.check_completion("B", date(2026, 3, 1), " \t ", now, POLICY)
