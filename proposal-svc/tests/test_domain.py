"""The proposal state machine and rules as pure functions (no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from proposal_svc.proposals.domain import (
    TRANSITIONS,
    Action,
    Content,
    Kind,
    SessionWindow,
    Status,
    TransitionNotAllowed,
    content_violations,
    derive_kind,
    next_status,
    submit,
)
from proposal_svc.proposals.policy import ProposalPolicy

ALL_PAIRS = [(s, a) for s in Status for a in Action]


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS)
def test_every_status_action_pair_is_allowed_or_refused_by_the_table(status: Status, action: Action) -> None:
    if (status, action) in TRANSITIONS:
        assert next_status(status, action) == TRANSITIONS[(status, action)]
    else:
        with pytest.raises(TransitionNotAllowed):
            next_status(status, action)


def test_the_lifecycle_of_domain_md() -> None:
    path = [
        Action.SUBMIT,
        Action.FILE,
        Action.ASSIGN,
        Action.ACCEPT,
        Action.REPLY,
        Action.DISSATISFIED,
        Action.REPLY,
        Action.EVALUATE,
    ]
    status = Status.DRAFT
    for action in path:
        status = next_status(status, action)
    assert status == Status.CONCLUDED
    assert next_status(Status.SUBMITTED, Action.RETURN) == Status.DRAFT
    assert next_status(Status.FILED, Action.WITHDRAW) == Status.WITHDRAWN
    with pytest.raises(TransitionNotAllowed):
        next_status(Status.ASSIGNED, Action.WITHDRAW)  # withdraw only before assignment


GOOD = Content("关于加装电梯的建议", "情况与分析", ("建议一",))
POLICY = ProposalPolicy()


@pytest.mark.parametrize(
    ("content", "codes"),
    [
        (GOOD, []),
        (Content("", "情况", ("建议",)), ["title_required"]),
        (Content("   ", "情况", ("建议",)), ["title_required"]),
        (Content("题", "", ("建议",)), ["situation_required"]),
        (Content("题", "情况", ()), ["suggestion_required"]),
        (Content("题", "情况", ("  ",)), ["suggestion_required"]),
        (Content("题" * 51, "情况", ("建议",)), ["title_too_long"]),
        (Content("题" * 50, "情况", ("建议",)), []),
        (Content("题", "情" * 2500, ("建议",)), ["body_too_long"]),
        (Content("题", "情" * 2400, ("议" * 100,)), []),
        (Content("", "", ()), ["title_required", "situation_required", "suggestion_required"]),
    ],
)
def test_rule_1_proposal_needs_title_situation_and_a_suggestion_within_limits(
    content: Content, codes: list[str]
) -> None:
    assert sorted(v.code for v in content_violations(content, POLICY, complete=True)) == sorted(codes)


def test_rule_1_limits_are_policy_values_not_literals() -> None:
    strict = ProposalPolicy(title_max_chars=5, min_suggestions=2)
    codes = {v.code for v in content_violations(GOOD, strict, complete=True)}
    assert codes == {"title_too_long", "suggestion_required"}


def test_a_draft_may_be_incomplete_but_not_over_the_limits() -> None:
    assert content_violations(Content("", "", ()), POLICY, complete=False) == []
    assert [v.code for v in content_violations(Content("题" * 60, "", ()), POLICY, complete=False)] == [
        "title_too_long"
    ]


def test_submit_moves_a_draft_and_reports_violations() -> None:
    assert submit(Status.DRAFT, GOOD, POLICY) == (Status.SUBMITTED, [])
    with pytest.raises(TransitionNotAllowed):
        submit(Status.SUBMITTED, GOOD, POLICY)


def test_rule_5_kind_is_derived_from_submission_time_and_session_window() -> None:
    opens = datetime(2026, 10, 1, tzinfo=UTC)
    window = SessionWindow(opens, opens + timedelta(days=100))
    assert derive_kind(opens + timedelta(days=10), [window]) == Kind.SESSION
    assert derive_kind(opens - timedelta(seconds=1), [window]) == Kind.ORDINARY
    assert derive_kind(opens + timedelta(days=101), [window]) == Kind.ORDINARY
    assert derive_kind(opens, []) == Kind.ORDINARY
