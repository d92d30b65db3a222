"""The proposal state machine and rules as pure functions (no database)."""

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.contracts.proposal import (
    NotFiledDisposition,
    ProposalCosignConfirmedV1,
    ProposalCosignDeclinedV1,
    ProposalCosignExpiredV1,
    ProposalCosignRequestedV1,
    ProposalSubmittedV1,
    ProposalWithdrawnV1,
)
from cppcc_common.errors import InvalidTransition
from proposal_svc.proposals import domain
from proposal_svc.proposals.domain import (
    INVITATIONS,
    LIFECYCLE,
    PROPOSERS,
    Action,
    Content,
    Facts,
    InvitationAction,
    InvitationStatus,
    Kind,
    Proposer,
    Role,
    SessionWindow,
    Status,
    answer_cosign,
    confirmed_cosigner_ids,
    content_violations,
    delete,
    derive_kind,
    draft,
    edit,
    expire_cosign,
    first_proposer,
    may_act,
    submit,
    withdraw,
)
from proposal_svc.proposals.errors import (
    CosignDeadlinePassed,
    CosignersInvalid,
    CosignInvalidTransition,
    ProposalIncomplete,
    ProposalInvalidTransition,
)
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
        Action.WITHDRAW: lambda: withdraw(_facts(status), reason="已解决", now=NOW),
        Action.DELETE: lambda: delete(_facts(status)),
        Action.CONFIRM_COSIGN: lambda: answer_cosign(
            _joint(status, _invited(0, NOW + timedelta(days=1))), CO[0], action, now=NOW
        ),
        Action.DECLINE_COSIGN: lambda: answer_cosign(
            _joint(status, _invited(0, NOW + timedelta(days=1))), CO[0], action, now=NOW
        ),
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
    # Rule 20: the first proposer may consent to publication with the draft.
    assert LIFECYCLE.actions_from(Status.DRAFT) == [Action.EDIT, Action.SUBMIT, Action.DELETE, Action.CONSENT]
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


# ---- joint proposals, withdrawal, deletion (rule 4) ---------------------------------------------

FIRST = uuid.uuid4()
CO = [uuid.uuid4() for _ in range(4)]
SUBMITTED_AT = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # a month end, late in the day (UTC)


def _joint(status: Status, *invitations: Proposer, version: int = 3) -> Facts:
    proposers = (first_proposer(FIRST, NOW - timedelta(days=30)), *invitations)
    return Facts(uuid.uuid4(), uuid.uuid4(), status, GOOD, FIRST, version, proposers)


def _invited(
    n: int, respond_by: datetime | None = None, status: InvitationStatus = InvitationStatus.INVITED
) -> Proposer:
    return Proposer(CO[n], Role.COSIGNER, n + 1, status, respond_by=respond_by)


INVITATION_PAIRS = [(s, a) for s in InvitationStatus for a in InvitationAction]


@pytest.mark.parametrize(("status", "action"), INVITATION_PAIRS)
def test_every_invitation_status_action_pair_is_allowed_or_refused_by_its_table(
    status: InvitationStatus, action: InvitationAction
) -> None:
    """An invitation is answered or expires once: invited → confirmed | declined | expired."""
    allowed = {
        (InvitationStatus.INVITED, InvitationAction.CONFIRM): InvitationStatus.CONFIRMED,
        (InvitationStatus.INVITED, InvitationAction.DECLINE): InvitationStatus.DECLINED,
        (InvitationStatus.INVITED, InvitationAction.EXPIRE): InvitationStatus.EXPIRED,
    }
    if (status, action) in allowed:
        assert INVITATIONS.check(status, action) == allowed[(status, action)]
    else:
        with pytest.raises(CosignInvalidTransition) as refused:
            INVITATIONS.check(status, action)
        assert refused.value.status == 409 and refused.value.code == "proposal.cosign_invalid_transition"


def test_the_new_lifecycle_rows_withdraw_before_assignment_delete_drafts_cosign_under_review() -> None:
    """Every (status, action) pair of the new actions, allowed and refused (the parametrized
    table test above covers them too; this one names the expected rows)."""
    expected = {
        (Status.SUBMITTED, Action.WITHDRAW): Status.WITHDRAWN,
        (Status.FILED, Action.WITHDRAW): Status.WITHDRAWN,
        (Status.DRAFT, Action.DELETE): Status.DELETED,
        (Status.SUBMITTED, Action.CONFIRM_COSIGN): Status.SUBMITTED,
        (Status.SUBMITTED, Action.DECLINE_COSIGN): Status.SUBMITTED,
    }
    actions = {Action.WITHDRAW, Action.DELETE, Action.CONFIRM_COSIGN, Action.DECLINE_COSIGN}
    for status in Status:
        for action in actions:
            if (status, action) in expected:
                assert LIFECYCLE.check(status, action) == expected[(status, action)]
            else:
                assert not LIFECYCLE.allows(status, action), (status, action)
    assert LIFECYCLE.actions_from(Status.DELETED) == []  # a tombstone: nothing more happens to it


def test_rule_4_the_first_proposer_is_first() -> None:
    """The first proposer is position 0 and confirmed from the start; co-signers follow in the
    order given; naming them again reorders them and never moves the first proposer."""
    decision = draft(
        {"title": "题", "cosigner_ids": [CO[2], CO[0], CO[1]]},
        POLICY,
        first_proposer_id=FIRST,
        now=NOW,
        members=set(CO),
    )
    proposers = decision.changes[PROPOSERS]
    assert [(p.person_id, p.role, p.position, p.status) for p in proposers] == [
        (FIRST, Role.FIRST, 0, InvitationStatus.CONFIRMED),
        (CO[2], Role.COSIGNER, 1, InvitationStatus.INVITED),
        (CO[0], Role.COSIGNER, 2, InvitationStatus.INVITED),
        (CO[1], Role.COSIGNER, 3, InvitationStatus.INVITED),
    ]
    renamed = edit(
        _joint(Status.DRAFT, *proposers[1:]), {"cosigner_ids": [CO[1], CO[2]]}, POLICY, members=set(CO)
    )
    assert [(p.person_id, p.position) for p in renamed.changes[PROPOSERS]] == [
        (FIRST, 0),
        (CO[1], 1),
        (CO[2], 2),
    ]
    with pytest.raises(CosignersInvalid) as refused:
        draft(
            {"cosigner_ids": [CO[0], FIRST]}, POLICY, first_proposer_id=FIRST, now=NOW, members={*CO, FIRST}
        )
    assert [(e["field"], e["code"]) for e in refused.value.errors or []] == [
        ("cosigner_ids.1", "first_proposer_cannot_cosign")
    ]


def test_rule_4_cosigners_are_current_members_listed_once_within_the_policy_number() -> None:
    with pytest.raises(CosignersInvalid) as refused:
        draft(
            {"cosigner_ids": [CO[0], CO[1], CO[0], CO[3]]},
            ProposalPolicy(max_cosigners=3),
            first_proposer_id=FIRST,
            now=NOW,
            members={CO[0], CO[1]},
        )
    assert refused.value.status == 422 and refused.value.code == "proposal.cosigners_invalid"
    assert [(e["field"], e["code"]) for e in refused.value.errors or []] == [
        ("cosigner_ids", "too_many_cosigners"),
        ("cosigner_ids.2", "duplicate_cosigner"),
        ("cosigner_ids.3", "cosigner_not_a_current_member"),
    ]
    assert "3" in (refused.value.errors or [])[0]["message"]  # the policy's number, not a literal
    at_the_cap = [CO[0], CO[1], CO[2]]
    assert (
        len(
            draft(
                {"cosigner_ids": at_the_cap},
                ProposalPolicy(max_cosigners=3),
                first_proposer_id=FIRST,
                now=NOW,
                members=set(CO),
            ).changes[PROPOSERS]
        )
        == 4
    )


def test_renaming_keeps_a_confirmation_and_asks_again_who_declined_or_expired() -> None:
    before = (
        _invited(0, NOW, InvitationStatus.CONFIRMED),
        _invited(1, NOW, InvitationStatus.DECLINED),
        _invited(2, NOW, InvitationStatus.EXPIRED),
    )
    after = edit(
        _joint(Status.DRAFT, *before), {"cosigner_ids": [CO[2], CO[1], CO[0]]}, POLICY, members=set(CO)
    )
    assert [(p.person_id, p.status) for p in after.changes[PROPOSERS][1:]] == [
        (CO[2], InvitationStatus.INVITED),
        (CO[1], InvitationStatus.INVITED),
        (CO[0], InvitationStatus.CONFIRMED),
    ]


def test_rule_4_submission_asks_the_invited_cosigners_to_answer_within_the_policy_days() -> None:
    """respond_by = submitted_at + cosign_days; `cosign_requested` names the invited in signing
    order; `submitted` names only confirmed co-signers (the duty ledger splits points among them)."""
    policy = ProposalPolicy(cosign_days=9)  # not the default 7: a default would hide an unread policy
    proposal = _joint(Status.DRAFT, _invited(1), _invited(0))
    decision = submit(proposal, policy, now=SUBMITTED_AT, windows=[])
    respond_by = datetime(2026, 4, 9, 23, 30, tzinfo=UTC)
    asked = [p for p in decision.changes[PROPOSERS] if p.role == Role.COSIGNER]
    assert {(p.invited_at, p.respond_by) for p in asked} == {(SUBMITTED_AT, respond_by)}
    submitted, requested = decision.events
    assert isinstance(submitted, ProposalSubmittedV1) and submitted.cosigner_ids == []
    assert requested == ProposalCosignRequestedV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=GOOD.title,
        first_proposer_id=FIRST,
        invited_ids=[CO[0], CO[1]],  # by position, not by the order of the rows
        respond_by=respond_by,
        version=4,
    )


def test_rule_4_a_cosigner_counts_only_after_confirming_before_the_deadline() -> None:
    """Confirming 1 µs before respond_by counts; exactly at respond_by the invitation is closed
    (409 proposal.cosign_deadline_passed: the scanner expires it at that instant); a decline or
    an expiry never counts; only confirmed co-signers are named, in signing order."""
    respond_by = SUBMITTED_AT + timedelta(days=7)
    proposal = _joint(
        Status.SUBMITTED, _invited(0, respond_by), _invited(1, respond_by), _invited(2, respond_by)
    )
    assert confirmed_cosigner_ids(proposal.proposers) == []
    just_in_time = answer_cosign(
        proposal, CO[1], Action.CONFIRM_COSIGN, now=respond_by - timedelta(microseconds=1)
    )
    assert confirmed_cosigner_ids(just_in_time.changes[PROPOSERS]) == [CO[1]]
    (event,) = just_in_time.events
    assert event == ProposalCosignConfirmedV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        first_proposer_id=FIRST,
        cosigner_id=CO[1],
        position=2,
        confirmed_at=respond_by - timedelta(microseconds=1),
        version=4,
        cosigner_ids=[CO[1]],  # every confirmed co-signer now (the duty ledger splits among them)
    )
    submitted = replace(proposal, submitted_at=SUBMITTED_AT, proposers=just_in_time.changes[PROPOSERS])
    (second,) = answer_cosign(submitted, CO[0], Action.CONFIRM_COSIGN, now=SUBMITTED_AT).events
    assert isinstance(second, ProposalCosignConfirmedV1)
    assert (second.cosigner_ids, second.submitted_at) == ([CO[0], CO[1]], SUBMITTED_AT)
    for action in (Action.CONFIRM_COSIGN, Action.DECLINE_COSIGN):
        with pytest.raises(CosignDeadlinePassed) as late:
            answer_cosign(proposal, CO[0], action, now=respond_by)
        assert late.value.status == 409 and late.value.code == "proposal.cosign_deadline_passed"
    declined = answer_cosign(proposal, CO[0], Action.DECLINE_COSIGN, now=SUBMITTED_AT)
    assert isinstance(declined.events[0], ProposalCosignDeclinedV1)
    assert confirmed_cosigner_ids(declined.changes[PROPOSERS]) == []
    with pytest.raises(CosignInvalidTransition):  # answered once
        answer_cosign(
            _joint(Status.SUBMITTED, *declined.changes[PROPOSERS][1:]),
            CO[0],
            Action.CONFIRM_COSIGN,
            now=SUBMITTED_AT,
        )
    mixed = _joint(
        Status.SUBMITTED,
        _invited(2, respond_by, InvitationStatus.CONFIRMED),
        _invited(0, respond_by, InvitationStatus.CONFIRMED),
        _invited(1, respond_by, InvitationStatus.EXPIRED),
        _invited(3, respond_by, InvitationStatus.DECLINED),
    )
    assert confirmed_cosigner_ids(mixed.proposers) == [CO[0], CO[2]]


def test_rule_4_an_invitation_expires_exactly_at_its_deadline_and_once() -> None:
    respond_by = SUBMITTED_AT + timedelta(days=7)
    proposal = _joint(Status.FILED, _invited(0, respond_by))
    with pytest.raises(CosignInvalidTransition):  # 1 µs before: not due
        expire_cosign(proposal, CO[0], now=respond_by - timedelta(microseconds=1))
    decision = expire_cosign(proposal, CO[0], now=respond_by)
    assert decision.status == InvitationStatus.EXPIRED
    assert decision.events == (
        ProposalCosignExpiredV1(
            proposal_id=proposal.id,
            org_id=proposal.org_id,
            first_proposer_id=FIRST,
            cosigner_id=CO[0],
            respond_by=respond_by,
        ),
    )
    with pytest.raises(CosignInvalidTransition):
        expire_cosign(
            _joint(Status.FILED, _invited(0, respond_by, InvitationStatus.CONFIRMED)), CO[0], now=respond_by
        )


def test_only_the_first_proposer_withdraws_or_deletes_and_only_cosigners_answer() -> None:
    for action in (Action.EDIT, Action.SUBMIT, Action.WITHDRAW, Action.DELETE):
        assert may_act(action, actor=FIRST, first_proposer_id=FIRST, cosigner_ids={CO[0]})
        assert not may_act(action, actor=CO[0], first_proposer_id=FIRST, cosigner_ids={CO[0]})
    for action in (Action.CONFIRM_COSIGN, Action.DECLINE_COSIGN):
        assert may_act(action, actor=CO[0], first_proposer_id=FIRST, cosigner_ids={CO[0]})
        assert not may_act(action, actor=FIRST, first_proposer_id=FIRST, cosigner_ids={CO[0]})
        assert not may_act(action, actor=None, first_proposer_id=FIRST, cosigner_ids={CO[0]})


def test_withdrawal_names_the_reason_and_the_confirmed_cosigners() -> None:
    respond_by = NOW + timedelta(days=1)
    proposal = _joint(
        Status.FILED, _invited(0, respond_by, InvitationStatus.CONFIRMED), _invited(1, respond_by)
    )
    decision = withdraw(proposal, reason="已由部门解决", now=NOW)
    assert decision.status == Status.WITHDRAWN and decision.note == "已由部门解决"
    assert decision.events == (
        ProposalWithdrawnV1(
            proposal_id=proposal.id,
            org_id=proposal.org_id,
            title=GOOD.title,
            first_proposer_id=FIRST,
            cosigner_ids=[CO[0]],
            from_status="filed",
            reason="已由部门解决",
            withdrawn_at=NOW,
            version=4,
        ),
    )
    with pytest.raises(ProposalInvalidTransition):
        withdraw(_joint(Status.ASSIGNED), reason=None, now=NOW)


def test_deleting_a_draft_leaves_a_tombstone_without_its_text() -> None:
    decision = delete(_joint(Status.DRAFT))
    assert decision.status == Status.DELETED and decision.events == ()
    assert decision.changes == {"title": "", "situation": "", "suggestions": [], "suggested_unit": None}
    with pytest.raises(ProposalInvalidTransition):
        delete(_joint(Status.SUBMITTED))


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
    elif action in domain.CONVERTING_ACTIONS:  # rule 7: the office, or the first proposer asking
        assert allowed is (office or is_proposer)
    else:  # rules 16, 20: a proposer rates the reply and consents to publication (they must count)
        own = domain.PROPOSER_ACTIONS | domain.EVALUATOR_ACTIONS | domain.CONSENTING_ACTIONS
        assert allowed is (action in own and is_proposer)


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
        "number": "第0007号",
        "filing_series": "year:2026",
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


def test_rule_4_leaving_review_closes_the_open_invitations_at_that_instant() -> None:
    """Filed, not filed, merged or withdrawn 1 µs before the deadline: the open invitation expires
    then (the answered ones stay); returned for revision: the co-signer stays named, un-asked, and
    the re-submission asks again with a new deadline. No event of the invitation's own. At the
    deadline itself the invitation is due: the scanner's, untouched."""
    respond_by = SUBMITTED_AT + timedelta(days=7)
    now = respond_by - timedelta(microseconds=1)
    proposal = _joint(
        Status.SUBMITTED,
        _invited(0, respond_by, InvitationStatus.CONFIRMED),
        _invited(1, respond_by),
        _invited(2, respond_by, InvitationStatus.DECLINED),
    )
    target = replace(_facts(Status.FILED), org_id=proposal.org_id, filing_number=3)
    leaving = {
        "file": domain.file(proposal, series="year:2026", number=5, cosigner_ids=[CO[0]], now=now),
        "not_file": domain.not_file(
            proposal,
            POLICY.refusal_reasons[1],
            NotFiledDisposition.NONE,
            POLICY,
            cosigner_ids=[CO[0]],
            now=now,
        ),
        "merge": domain.merge(
            proposal, target, source_proposers=[FIRST, CO[0]], target_proposers=[], now=now
        ),
        "withdraw": withdraw(proposal, reason="已解决", now=now),
    }
    for action, decision in leaving.items():
        statuses = [p.status for p in decision.changes[PROPOSERS]]
        assert statuses == ["confirmed", "confirmed", "expired", "declined"], action
        assert not any(isinstance(e, ProposalCosignExpiredV1) for e in decision.events), action
    returned = domain.return_for_revision(proposal, "请补充数据", cosigner_ids=[CO[0]], now=now)
    named = returned.changes[PROPOSERS][2]
    assert (named.status, named.invited_at, named.respond_by) == (InvitationStatus.INVITED, None, None)
    redraft = replace(proposal, status=Status.DRAFT, version=4, proposers=returned.changes[PROPOSERS])
    later = respond_by + timedelta(days=2)
    again = submit(redraft, ProposalPolicy(cosign_days=5), now=later, windows=[])
    asked = again.changes[PROPOSERS][2]
    assert (asked.status, asked.respond_by) == (InvitationStatus.INVITED, later + timedelta(days=5))
    requested = again.events[1]
    assert isinstance(requested, ProposalCosignRequestedV1) and requested.invited_ids == [CO[1]]
    # Due exactly now (respond_by): the scanner's to expire, with its event; leaving review does not touch it.
    for due in (
        withdraw(proposal, reason="已解决", now=respond_by),
        domain.return_for_revision(proposal, "请补充数据", cosigner_ids=[CO[0]], now=respond_by),
    ):
        assert PROPOSERS not in due.changes
    # Nothing open: the decisions change no proposer (the earlier tests' exact changes hold).
    assert (
        PROPOSERS
        not in domain.file(_facts(Status.SUBMITTED), series="s", number=1, cosigner_ids=[], now=now).changes
    )
