"""The proposal state machine and rules as pure functions (no database)."""

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.contracts.proposal import NotFiledDisposition, ProposalSubmittedV1
from cppcc_common.errors import InvalidTransition
from proposal_svc.proposals import domain
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
    target = _facts(Status.FILED)
    actions = {
        Action.EDIT: lambda: edit(_facts(status), {"title": "新案由"}, POLICY),
        Action.SUBMIT: lambda: submit(_facts(status), POLICY, now=NOW, windows=[]),
        Action.FILE: lambda: domain.file(
            _facts(status), series="year:2026", number=1, cosigner_ids=[], now=NOW
        ),
        Action.RETURN: lambda: domain.return_for_revision(_facts(status), "请修改", cosigner_ids=[], now=NOW),
        Action.NOT_FILE: lambda: domain.not_file(
            _facts(status),
            POLICY.refusal_reasons[0],
            NotFiledDisposition.NONE,
            POLICY,
            cosigner_ids=[],
            now=NOW,
        ),
        Action.MERGE: lambda: domain.merge(
            replace(_facts(status), org_id=target.org_id),
            target,
            source_proposers=[uuid.uuid4()],
            target_proposers=[target.first_proposer_id],
            now=NOW,
        ),
        Action.DESIGNATE_KEY: lambda: domain.designate_key(
            _facts(status),
            meeting="主席会议",
            meeting_on=NOW.date(),
            supervisor_ids=[uuid.uuid4()],
            cosigner_ids=[],
            now=NOW,
        ),
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


# --- Review and key proposals ------------------------------------------------------------------


@given(st.sampled_from(Action), st.booleans(), st.booleans())
def test_the_office_acts_on_review_and_key_actions_and_the_first_proposer_on_their_own(
    action: Action, office: bool, is_proposer: bool
) -> None:
    proposer = uuid.uuid4()
    actor = proposer if is_proposer else uuid.uuid4()
    allowed = domain.may_act(action, actor=actor, first_proposer_id=proposer, office=office)
    if action in domain.OFFICE_ACTIONS:
        assert allowed is office  # a proposer never files their own proposal
    else:
        assert allowed is (action in domain.PROPOSER_ACTIONS and is_proposer)


@pytest.mark.parametrize(
    ("number", "label"), [(1, "第0001号"), (123, "第0123号"), (9999, "第9999号"), (10000, "第10000号")]
)
def test_the_filing_number_reads_like_the_offices(number: int, label: str) -> None:
    assert domain.number_label(number) == label


def test_the_filing_series_is_the_session_or_the_shanghai_year_of_submission() -> None:
    session = uuid.uuid4()
    new_year = datetime(2025, 12, 31, 16, tzinfo=UTC)  # 00:00 on 1 January 2026 in Shanghai
    assert domain.filing_series(Kind.SESSION, new_year, session) == f"session:{session}"
    assert domain.filing_series(Kind.ORDINARY, new_year, session) == "year:2026"
    assert domain.filing_series(Kind.ORDINARY, new_year - timedelta(seconds=1), None) == "year:2025"
    assert domain.filing_series(Kind.SESSION, new_year, None) == "year:2026"  # the window is gone


def test_filing_gives_the_number_and_names_the_confirmed_cosigners() -> None:
    proposal, cosigners = _facts(Status.SUBMITTED, version=3), [uuid.uuid4(), uuid.uuid4()]
    decision = domain.file(proposal, series="year:2026", number=7, cosigner_ids=cosigners, now=NOW)
    assert decision.status == Status.FILED and decision.note == "第0007号"
    assert decision.changes == {"filing_series": "year:2026", "filing_number": 7, "filed_at": NOW}
    [filed] = decision.events
    assert filed.model_dump() == {
        "proposal_id": proposal.id,
        "org_id": proposal.org_id,
        "title": GOOD.title,
        "first_proposer_id": proposal.first_proposer_id,
        "cosigner_ids": cosigners,
        "is_joint": True,
        "filed_at": NOW,
        "version": 4,
    }
    alone = domain.file(proposal, series="year:2026", number=8, cosigner_ids=[], now=NOW)
    assert alone.events[0].model_dump()["is_joint"] is False


def test_returning_needs_a_note_and_makes_a_draft_again() -> None:
    from proposal_svc.proposals.errors import NoteRequired

    for blank in ("", "  ", "\n\t"):
        with pytest.raises(NoteRequired):
            domain.return_for_revision(_facts(Status.SUBMITTED), blank, cosigner_ids=[], now=NOW)
    decision = domain.return_for_revision(_facts(Status.SUBMITTED), " 请补充数据 ", cosigner_ids=[], now=NOW)
    assert (decision.status, decision.note) == (Status.DRAFT, "请补充数据")
    assert decision.changes == {"kind": None, "submitted_at": None}


def test_rule_6_not_filing_needs_a_reason_from_the_policy_list() -> None:
    from proposal_svc.proposals.errors import UnknownRefusalReason

    own = ProposalPolicy(refusal_reasons=("不属于本级政协职责范围",))
    for policy, reason in (
        (POLICY, "不想立案"),
        (own, POLICY.refusal_reasons[0]),
        (POLICY, POLICY.refusal_reasons[0] + "。"),
    ):
        with pytest.raises(UnknownRefusalReason) as refused:
            domain.not_file(
                _facts(Status.SUBMITTED), reason, NotFiledDisposition.NONE, policy, cosigner_ids=[], now=NOW
            )
        # A field error as the API document promises it (field, code, message), plus the allowed reasons.
        assert refused.value.errors == [
            {
                "field": "reason",
                "code": "unknown_refusal_reason",
                "message": "请从规定的不予立案理由中选择。",
                "message_en": "Choose one of the organization's refusal reasons.",
                "allowed": list(policy.refusal_reasons),
            }
        ]
    decision = domain.not_file(
        _facts(Status.SUBMITTED),
        own.refusal_reasons[0],
        NotFiledDisposition.CONVERT_TO_OPINION,
        own,
        cosigner_ids=[],
        now=NOW,
    )
    assert (decision.status, decision.note) == (Status.NOT_FILED, own.refusal_reasons[0])
    assert decision.changes == {
        "not_filed_reason": own.refusal_reasons[0],
        "not_filed_disposition": NotFiledDisposition.CONVERT_TO_OPINION,
    }
    assert decision.events[0].model_dump()["disposition"] == "convert_to_opinion"


def test_rule_8_merging_keeps_every_proposer_once_in_signing_order() -> None:
    from proposal_svc.proposals.errors import MergeTargetNotFiled

    a, b, c, d = (uuid.uuid4() for _ in range(4))
    assert domain.merged_in([a, b, c, b], [d, b]) == [a, c]
    target = replace(_facts(Status.FILED), filing_number=12)
    source = replace(_facts(Status.SUBMITTED, version=2), org_id=target.org_id)
    decision = domain.merge(source, target, source_proposers=[a, b], target_proposers=[d, b], now=NOW)
    assert (decision.status, decision.changes, decision.note) == (
        Status.MERGED,
        {"merged_into_id": target.id},
        "第0012号",
    )
    event = decision.events[0].model_dump()
    assert event["merged_proposer_ids"] == [a, b] and event["proposer_ids"] == [d, b, a]
    assert event["version"] == 3
    for bad in (
        replace(target, status=Status.ASSIGNED),
        replace(target, org_id=uuid.uuid4()),
        replace(target, id=source.id),
    ):
        with pytest.raises(MergeTargetNotFiled):
            domain.merge(source, bad, source_proposers=[a], target_proposers=[d], now=NOW)


def test_rule_19_key_designation_records_the_meeting_and_the_supervisors() -> None:
    """The meeting's date may be today in Shanghai, never tomorrow: tested at the instants around
    midnight; supervisors keep their order, each once; a proposal is designated once."""
    from proposal_svc.proposals.errors import MeetingInTheFuture, MeetingRequired, ProposalAlreadyKey

    last_second = datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC)  # 23:59:59 on 1 March in Shanghai
    midnight = last_second + timedelta(seconds=1)  # 00:00 on 2 March
    lead, second = uuid.uuid4(), uuid.uuid4()
    proposal = _facts(Status.HANDLING)

    def designate(meeting_on: date, now: datetime, meeting: str = " 主席会议 ") -> object:
        return domain.designate_key(
            proposal,
            meeting=meeting,
            meeting_on=meeting_on,
            supervisor_ids=[lead, second, lead],
            cosigner_ids=[],
            now=now,
        )

    designate(date(2026, 3, 1), last_second)
    with pytest.raises(MeetingInTheFuture):
        designate(date(2026, 3, 2), last_second)
    decision = domain.designate_key(
        proposal,
        meeting=" 主席会议 ",
        meeting_on=date(2026, 3, 2),
        supervisor_ids=[lead, second, lead],
        cosigner_ids=[],
        now=midnight,
    )
    with pytest.raises(MeetingInTheFuture):
        designate(date(2026, 3, 3), midnight)
    with pytest.raises(MeetingRequired):
        designate(date(2026, 3, 1), midnight, meeting=" \n")
    assert decision.status == Status.HANDLING
    assert decision.changes == {
        "is_key": True,
        "key_meeting": "主席会议",
        "key_meeting_on": date(2026, 3, 2),
        "key_supervisor_ids": [lead, second],
    }
    event = decision.events[0].model_dump()
    assert event["supervisor_ids"] == [lead, second]
    assert event["designated_at"] == datetime(2026, 3, 1, 16, tzinfo=UTC)  # the meeting's day, Shanghai
    with pytest.raises(ProposalAlreadyKey):
        domain.designate_key(
            replace(proposal, is_key=True),
            meeting="会",
            meeting_on=date(2026, 3, 1),
            supervisor_ids=[lead],
            cosigner_ids=[],
            now=midnight,
        )


def test_a_timeline_names_staff_only_to_the_office() -> None:
    staff, proposer, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    proposers = frozenset({proposer})
    for action in ("file", "return", "not_file", "merge", "merge_in", "designate_key"):
        assert domain.shown_actor(action, staff, viewer_is_office=True, proposer_ids=proposers) == (
            staff,
            None,
        )
        assert domain.shown_actor(action, staff, viewer_is_office=False, proposer_ids=proposers) == (
            None,
            "政协提案委员会",
        )
    assert domain.shown_actor("submit", proposer, viewer_is_office=False, proposer_ids=proposers) == (
        proposer,
        None,
    )
    # Someone else's step (a later unit's, say) names nobody to a proposer until it is decided otherwise.
    assert domain.shown_actor("accept", stranger, viewer_is_office=False, proposer_ids=proposers) == (
        None,
        None,
    )
