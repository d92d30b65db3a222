"""The proposal state machine and rules as pure functions (no database)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.contracts.proposal import ProposalSubmittedV1
from cppcc_common.errors import InvalidTransition
from proposal_svc.proposals.domain import (
    LIFECYCLE,
    Action,
    Content,
    Facts,
    Kind,
    SessionWindow,
    Status,
    content_violations,
    derive_kind,
    edit,
    submit,
)
from proposal_svc.proposals.errors import ProposalIncomplete, ProposalInvalidTransition
from proposal_svc.proposals.policy import ProposalPolicy

ALL_PAIRS = [(s, a) for s in Status for a in Action]


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS)
def test_every_status_action_pair_is_allowed_or_refused_by_the_table(status: Status, action: Action) -> None:
    if (status, action) in LIFECYCLE.table:
        assert LIFECYCLE.check(status, action) == LIFECYCLE.table[(status, action)]
    else:
        with pytest.raises(ProposalInvalidTransition):
            LIFECYCLE.check(status, action)


def _facts(status: Status, content: Content | None = None, version: int = 1) -> Facts:
    return Facts(uuid.uuid4(), uuid.uuid4(), status, content or GOOD, uuid.uuid4(), version)


NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@given(st.sampled_from(Status), st.sampled_from(Action))
def test_every_action_outside_the_lifecycle_table_is_an_invalid_transition(
    status: Status, action: Action
) -> None:
    """The table is the only answer: the shared 409, with the proposal's code, for every pair it
    lacks, from the table and from the domain actions alike."""
    actions = {
        Action.EDIT: lambda: edit(_facts(status), {"title": "新案由"}, POLICY),
        Action.SUBMIT: lambda: submit(_facts(status), POLICY, now=NOW, windows=[]),
    }
    calls = [lambda: LIFECYCLE.check(status, action)]
    if action in actions:
        calls.append(actions[action])
    for call in calls:
        if LIFECYCLE.allows(status, action):
            call()
            continue
        with pytest.raises(InvalidTransition) as refused:
            call()
        assert isinstance(refused.value, ProposalInvalidTransition)
        assert refused.value.status == 409 and refused.value.code == "proposal.invalid_transition"
        assert refused.value.params == {"status": str(status), "action": str(action)}


def test_editing_a_draft_is_allowed_by_the_lifecycle_table() -> None:
    assert LIFECYCLE.check(Status.DRAFT, Action.EDIT) == Status.DRAFT
    assert LIFECYCLE.actions_from(Status.DRAFT) == [Action.EDIT, Action.SUBMIT]
    decision = edit(_facts(Status.DRAFT), {"title": "  新案由  ", "suggested_unit": None}, POLICY)
    assert decision.status == Status.DRAFT
    assert decision.changes == {"title": "新案由", "suggested_unit": None} and decision.events == ()
    for status in set(Status) - {Status.DRAFT}:
        with pytest.raises(ProposalInvalidTransition):
            edit(_facts(status), {"title": "新案由"}, POLICY)


def test_an_edit_may_leave_a_draft_incomplete_but_not_over_the_limits() -> None:
    assert edit(_facts(Status.DRAFT), {"suggestions": []}, POLICY).changes == {"suggestions": []}
    with pytest.raises(ProposalIncomplete) as over:
        edit(_facts(Status.DRAFT), {"title": "题" * 51}, POLICY)
    assert [(e["field"], e["code"]) for e in over.value.errors or []] == [("title", "title_too_long")]


def test_submitting_decides_the_kind_the_time_and_the_event_of_the_next_version() -> None:
    proposal = _facts(Status.DRAFT, version=4)
    window = SessionWindow(NOW - timedelta(days=1), NOW + timedelta(days=1))
    decision = submit(proposal, POLICY, now=NOW, windows=[window])
    assert decision.status == Status.SUBMITTED
    assert decision.changes == {"kind": Kind.SESSION, "submitted_at": NOW}
    assert decision.events == (
        ProposalSubmittedV1(
            proposal_id=proposal.id,
            org_id=proposal.org_id,
            title=GOOD.title,
            kind=Kind.SESSION,
            first_proposer_id=proposal.first_proposer_id,
            submitted_at=NOW,
            version=5,
        ),
    )


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
        status = LIFECYCLE.check(status, action)
    assert status == Status.CONCLUDED
    assert LIFECYCLE.check(Status.SUBMITTED, Action.RETURN) == Status.DRAFT
    assert LIFECYCLE.check(Status.FILED, Action.WITHDRAW) == Status.WITHDRAWN
    with pytest.raises(ProposalInvalidTransition):
        LIFECYCLE.check(Status.ASSIGNED, Action.WITHDRAW)  # withdraw only before assignment


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
    assert submit(_facts(Status.DRAFT), POLICY, now=NOW, windows=[]).status == Status.SUBMITTED
    with pytest.raises(ProposalInvalidTransition):
        submit(_facts(Status.SUBMITTED), POLICY, now=NOW, windows=[])
    with pytest.raises(ProposalIncomplete) as incomplete:
        submit(_facts(Status.DRAFT, Content("", "情况", ("建议",))), POLICY, now=NOW, windows=[])
    assert [e["code"] for e in incomplete.value.errors or []] == ["title_required"]


def test_rule_5_kind_is_derived_from_submission_time_and_session_window() -> None:
    opens = datetime(2026, 10, 1, tzinfo=UTC)
    window = SessionWindow(opens, opens + timedelta(days=100))
    assert derive_kind(opens + timedelta(days=10), [window]) == Kind.SESSION
    assert derive_kind(opens - timedelta(seconds=1), [window]) == Kind.ORDINARY
    assert derive_kind(opens + timedelta(days=101), [window]) == Kind.ORDINARY
    assert derive_kind(opens, []) == Kind.ORDINARY
