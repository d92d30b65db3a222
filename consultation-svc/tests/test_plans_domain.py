"""The plan and topic machines and their rules, pure: every (status, action) pair of each table,
and each rule's cases, without a database (DOMAIN.md §4)."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from consultation_svc.plans import domain as plans
from consultation_svc.plans.domain import (
    PLAN_LIFECYCLE,
    EntryValues,
    Group,
    Participants,
    PlanAction,
    PlanFacts,
    PlanParticipantScope,
    PlanStatus,
)
from consultation_svc.plans.errors import ApprovalRequired, NotAnApprover, PlanEmpty, PlanInvalidTransition
from consultation_svc.plans.policy import PlanApprover, PlanPolicy
from consultation_svc.topics import domain as topics
from consultation_svc.topics.domain import (
    TOPICS,
    WINDOWS,
    TopicAction,
    TopicSourceKind,
    TopicStatus,
    TopicWindowStatus,
    WindowAction,
    WindowFacts,
)
from consultation_svc.topics.errors import (
    ClosesInThePast,
    NotInSource,
    NotTheProposer,
    SourceIdRequired,
    SourceNameRequired,
    SourceNotAllowed,
    TextTooLong,
    TopicInvalidTransition,
    TopicLimitReached,
    WindowClosed,
    WindowInvalidTransition,
)
from cppcc_common.contracts.consultation import PlanPublishedV1, TopicAcceptedV1, TopicDeclinedV1

NOW = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
P, A = PlanStatus, PlanAction

# Every pair the plan lifecycle allows, and where it leads; every other pair is 409.
PLAN_ALLOWED = {
    (P.DRAFT, A.EDIT): P.DRAFT,
    (P.DRAFT, A.SUBMIT): P.SUBMITTED,
    (P.DRAFT, A.DISCARD): P.DISCARDED,
    (P.DRAFT, A.PUBLISH): P.PUBLISHED,  # a revision whose policy needs no approval only
    (P.SUBMITTED, A.RETURN): P.DRAFT,
    (P.SUBMITTED, A.APPROVE): P.APPROVED,
    (P.APPROVED, A.RETURN): P.DRAFT,
    (P.APPROVED, A.PUBLISH): P.PUBLISHED,
    (P.PUBLISHED, A.REVISE): P.PUBLISHED,
    (P.PUBLISHED, A.SUPERSEDE): P.SUPERSEDED,
}


@pytest.mark.parametrize("status", list(PlanStatus))
@pytest.mark.parametrize("action", list(PlanAction))
def test_the_plan_lifecycle_allows_exactly_its_table(status: PlanStatus, action: PlanAction) -> None:
    expected = PLAN_ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(PlanInvalidTransition):
            PLAN_LIFECYCLE.check(status, action)
    else:
        assert PLAN_LIFECYCLE.check(status, action) is expected


def test_superseded_and_discarded_plans_are_final() -> None:
    assert PLAN_LIFECYCLE.actions_from(P.SUPERSEDED) == []
    assert PLAN_LIFECYCLE.actions_from(P.DISCARDED) == []


def _entry(**kw: object) -> EntryValues:
    values: dict[str, object] = {
        "topic": "推进老旧小区改造",
        "form": "bimonthly_forum",
        "planned_month": 5,
        "planned_on": None,
        "participants": Participants(PlanParticipantScope.ALL),
        "lead_unit_id": None,
        "lead_department": "市住建局",
    }
    values.update(kw)
    return EntryValues(**values)  # type: ignore[arg-type]


SECTOR = Group(name="经济界", id=uuid.uuid4())
M1 = uuid.uuid4()


@pytest.mark.parametrize(
    ("entry", "problems"),
    [
        (_entry(), []),
        (_entry(form="banquet"), [("form", "unknown_form")]),
        (_entry(planned_month=None), [("planned_month", "when_required")]),
        (_entry(planned_month=None, planned_on=date(2027, 6, 3)), []),
        (_entry(planned_month=6, planned_on=date(2027, 6, 3)), []),
        (_entry(planned_month=5, planned_on=date(2027, 6, 3)), [("planned_on", "month_mismatch")]),
        (_entry(planned_on=date(2028, 5, 3)), [("planned_on", "year_mismatch")]),
        (
            _entry(participants=Participants(PlanParticipantScope.SECTORS)),
            [("participants.groups", "groups_required")],
        ),
        (_entry(participants=Participants(PlanParticipantScope.SECTORS, groups=(SECTOR,))), []),
        (
            _entry(participants=Participants(PlanParticipantScope.COMMITTEES, groups=(SECTOR, SECTOR))),
            [("participants.groups.1", "duplicate")],
        ),
        (
            _entry(participants=Participants(PlanParticipantScope.MEMBERS)),
            [("participants.member_ids", "members_required")],
        ),
        (_entry(participants=Participants(PlanParticipantScope.MEMBERS, member_ids=(M1,))), []),
        (
            _entry(participants=Participants(PlanParticipantScope.MEMBERS, member_ids=(M1, M1))),
            [("participants.member_ids", "duplicate")],
        ),
        (
            _entry(participants=Participants(PlanParticipantScope.STANDING, groups=(SECTOR,))),
            [("participants.groups", "not_for_scope")],
        ),
        (
            _entry(participants=Participants(PlanParticipantScope.ALL, member_ids=(M1,))),
            [("participants.member_ids", "not_for_scope")],
        ),
        (_entry(lead_department=None), [("lead_department", "lead_required")]),
        (_entry(lead_department="  "), [("lead_department", "lead_required")]),
        (_entry(lead_department=None, lead_unit_id=uuid.uuid4()), []),
    ],
)
def test_an_entry_names_topic_form_time_participants_and_lead_department(
    entry: EntryValues, problems: list[tuple[str, str]]
) -> None:
    assert plans.entry_problems(entry, 2027) == problems


def test_the_planned_month_is_the_dates_when_only_a_date_is_given() -> None:
    assert plans.month_of(_entry(planned_month=None, planned_on=date(2027, 9, 1))) == 9


SUBMITTER, OTHER = uuid.uuid4(), uuid.uuid4()


def _plan(
    status: PlanStatus = P.SUBMITTED, version_no: int = 1, previous: uuid.UUID | None = None
) -> PlanFacts:
    return PlanFacts(
        id=uuid.uuid4(),
        org_id=uuid.uuid4(),
        year=2027,
        version_no=version_no,
        status=status,
        title="2027年度协商工作计划",
        submitted_by=SUBMITTER,
        previous_id=previous,
        change_note=None if previous is None else "增加一次界别协商",
    )


def _caller(sub: uuid.UUID, *roles: str, scopes: tuple[str, ...] = ()) -> plans.Caller:
    return plans.Caller(sub, frozenset(roles), frozenset(scopes))


LEADER_POLICY, OFFICE_POLICY = PlanPolicy(), PlanPolicy(approver=PlanApprover.OFFICE)


@pytest.mark.parametrize(
    ("policy", "caller", "allowed"),
    [
        (LEADER_POLICY, _caller(OTHER, "leader"), True),
        (LEADER_POLICY, _caller(OTHER, "staff", scopes=("consultation",)), False),
        (LEADER_POLICY, _caller(SUBMITTER, "leader", "staff", scopes=("consultation",)), False),
        (OFFICE_POLICY, _caller(OTHER, "staff", scopes=("consultation",)), True),
        (OFFICE_POLICY, _caller(SUBMITTER, "staff", scopes=("consultation",)), False),
        (OFFICE_POLICY, _caller(OTHER, "staff", scopes=("proposals",)), False),
        (OFFICE_POLICY, _caller(OTHER, "leader"), False),
    ],
)
def test_the_plan_is_approved_by_the_policys_approver_never_by_its_submitter(
    policy: PlanPolicy, caller: plans.Caller, allowed: bool
) -> None:
    if allowed:
        plans.check_approver(caller, _plan(), policy)
    else:
        with pytest.raises(NotAnApprover):
            plans.check_approver(caller, _plan(), policy)


def test_a_plan_without_entries_is_not_submitted() -> None:
    with pytest.raises(PlanEmpty):
        plans.submit(_plan(P.DRAFT), 0, NOW, SUBMITTER)
    decision = plans.submit(_plan(P.DRAFT), 3, NOW, SUBMITTER)
    assert decision.status is P.SUBMITTED and decision.changes["submitted_by"] == SUBMITTER


def test_approval_keeps_its_record() -> None:
    decision = plans.approve(_plan(), "经1月8日主席会议审议", NOW, OTHER)
    assert decision.status is P.APPROVED
    assert decision.changes == {
        "approved_at": NOW,
        "approved_by": OTHER,
        "approval_record": "经1月8日主席会议审议",
    }


K1, K2, K3, K4 = (uuid.uuid4() for _ in range(4))


def test_a_revision_names_the_entries_it_added_changed_and_removed() -> None:
    previous = [(K1, _entry()), (K2, _entry(topic="乡村振兴")), (K3, _entry(topic="营商环境"))]
    current = [
        (K1, _entry()),
        (K2, _entry(topic="乡村振兴", planned_month=9)),
        (K4, _entry(topic="托育服务")),
    ]
    changes = plans.entry_changes(previous, current)
    assert changes == plans.EntryChanges(added=(K4,), changed=(K2,), removed=(K3,))


def test_publishing_a_revision_announces_its_version_and_changes() -> None:
    plan = _plan(P.APPROVED, version_no=2, previous=uuid.uuid4())
    decision = plans.publish(
        plan, PlanPolicy(), [(K1, _entry()), (K4, _entry())], [(K1, _entry())], NOW, OTHER
    )
    (event,) = decision.events
    assert isinstance(event, PlanPublishedV1)
    assert (event.version, event.entries_count, event.previous_plan_id) == (2, 2, plan.previous_id)
    assert (event.added_entry_keys, event.changed_entry_keys, event.removed_entry_keys) == ([K4], [], [])
    assert event.change_note == "增加一次界别协商"


def test_the_first_version_announces_no_changes() -> None:
    decision = plans.publish(_plan(P.APPROVED), PlanPolicy(), [(K1, _entry())], [], NOW, OTHER)
    (event,) = decision.events
    assert isinstance(event, PlanPublishedV1) and event.version == 1 and event.added_entry_keys == []


@pytest.mark.parametrize(
    ("version_no", "needs_approval", "published"),
    [(1, True, False), (1, False, False), (2, True, False), (2, False, True)],
)
def test_only_a_revision_whose_policy_needs_no_approval_is_published_from_its_draft(
    version_no: int, needs_approval: bool, published: bool
) -> None:
    plan = _plan(P.DRAFT, version_no=version_no, previous=uuid.uuid4() if version_no > 1 else None)
    policy = PlanPolicy(revision_needs_approval=needs_approval)
    if published:
        assert (
            plans.publish(plan, policy, [(K1, _entry())], [(K1, _entry())], NOW, OTHER).status is P.PUBLISHED
        )
    else:
        with pytest.raises(ApprovalRequired):
            plans.publish(plan, policy, [(K1, _entry())], [], NOW, OTHER)


# --- Topics ---------------------------------------------------------------------------------------

T, TA = TopicStatus, TopicAction
TOPIC_ALLOWED = {
    (T.PROPOSED, TA.ACCEPT): T.ACCEPTED,
    (T.PROPOSED, TA.DECLINE): T.DECLINED,
    (T.PROPOSED, TA.WITHDRAW): T.WITHDRAWN,
}


@pytest.mark.parametrize("status", list(TopicStatus))
@pytest.mark.parametrize("action", list(TopicAction))
def test_the_topic_lifecycle_allows_exactly_its_table(status: TopicStatus, action: TopicAction) -> None:
    expected = TOPIC_ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(TopicInvalidTransition):
            TOPICS.check(status, action)
    else:
        assert TOPICS.check(status, action) is expected


W, WA = TopicWindowStatus, WindowAction
WINDOW_ALLOWED = {(W.OPEN, WA.EXTEND): W.OPEN, (W.OPEN, WA.CLOSE): W.CLOSED, (W.CLOSED, WA.REOPEN): W.OPEN}


@pytest.mark.parametrize("status", list(TopicWindowStatus))
@pytest.mark.parametrize("action", list(WindowAction))
def test_the_collection_window_allows_exactly_its_table(
    status: TopicWindowStatus, action: WindowAction
) -> None:
    expected = WINDOW_ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(WindowInvalidTransition):
            WINDOWS.check(status, action)
    else:
        assert WINDOWS.check(status, action) is expected


HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("window", "accepting"),
    [
        (None, False),
        (WindowFacts(2027, W.OPEN, NOW - HOUR, NOW + HOUR), True),
        (WindowFacts(2027, W.OPEN, NOW - HOUR, NOW), False),  # closes at its instant
        (WindowFacts(2027, W.OPEN, NOW + HOUR, NOW + 2 * HOUR), False),
        (WindowFacts(2027, W.CLOSED, NOW - HOUR, NOW + HOUR), False),
    ],
)
def test_members_propose_topics_only_while_the_window_is_open(
    window: WindowFacts | None, accepting: bool
) -> None:
    assert topics.accepting(window, NOW) is accepting
    if accepting:
        topics.check_accepting(window, 2027, NOW)
    else:
        with pytest.raises(WindowClosed):
            topics.check_accepting(window, 2027, NOW)


def test_a_window_closes_in_the_future() -> None:
    with pytest.raises(ClosesInThePast):
        topics.extend(NOW, NOW)
    with pytest.raises(ClosesInThePast):
        topics.reopen(NOW - HOUR, NOW)
    assert topics.reopen(NOW + HOUR, NOW).changes["closes_at"] == NOW + HOUR


def _proposal(kind: TopicSourceKind, name: str | None = None, title: str = "托育服务") -> topics.Proposal:
    return topics.Proposal(title=title, description="说明", reason=None, source_kind=kind, source_name=name)


@pytest.mark.parametrize(
    ("kind", "name", "by_staff", "error"),
    [
        (TopicSourceKind.MEMBER, None, False, None),
        (TopicSourceKind.SECTOR, "经济界", False, None),
        (TopicSourceKind.SECTOR, None, False, SourceNameRequired),
        (TopicSourceKind.PARTY, " ", False, SourceNameRequired),
        (TopicSourceKind.COMMITTEE, "经济委员会", False, None),
        (TopicSourceKind.PARTY_COMMITTEE, None, False, SourceNotAllowed),
        (TopicSourceKind.GOVERNMENT, "市政府", False, SourceNotAllowed),
        (TopicSourceKind.PUBLIC_CALL, None, False, SourceNotAllowed),
        (TopicSourceKind.PARTY_COMMITTEE, None, True, None),
        (TopicSourceKind.GOVERNMENT, "市发展改革委", True, None),
        (TopicSourceKind.PUBLIC_CALL, "政协网站", True, None),
        (TopicSourceKind.SECTOR, "农业界", True, None),
        (TopicSourceKind.MEMBER, None, True, SourceNotAllowed),
    ],
)
def test_each_topic_keeps_a_source_its_caller_may_give(
    kind: TopicSourceKind, name: str | None, by_staff: bool, error: type[Exception] | None
) -> None:
    if error is None:
        topics.check_proposal(_proposal(kind, name), PlanPolicy(), by_staff=by_staff)
    else:
        with pytest.raises(error):
            topics.check_proposal(_proposal(kind, name), PlanPolicy(), by_staff=by_staff)


def test_topic_texts_and_counts_follow_the_policy() -> None:
    policy = PlanPolicy(topic_title_max_chars=10, max_topics_per_member=2)
    with pytest.raises(TextTooLong):
        topics.check_proposal(_proposal(TopicSourceKind.MEMBER, title="长" * 11), policy, by_staff=False)
    topics.check_member_quota(1, policy)
    with pytest.raises(TopicLimitReached):
        topics.check_member_quota(2, policy)


def _topic(proposer: uuid.UUID | None = SUBMITTER) -> topics.TopicFacts:
    return topics.TopicFacts(uuid.uuid4(), uuid.uuid4(), 2027, "托育服务", "member", proposer, T.PROPOSED)


def test_accepting_and_declining_announce_the_decision() -> None:
    plan_id, key = uuid.uuid4(), uuid.uuid4()
    accepted = topics.accept(_topic(), plan_id, key, NOW, OTHER)
    assert accepted.status is T.ACCEPTED and accepted.changes["entry_key"] == key
    assert isinstance(accepted.events[0], TopicAcceptedV1) and accepted.events[0].plan_id == plan_id
    declined = topics.decline(_topic(), "已列入提案办理", NOW, OTHER)
    assert declined.status is T.DECLINED and declined.changes["decline_reason"] == "已列入提案办理"
    assert isinstance(declined.events[0], TopicDeclinedV1) and declined.events[0].proposer_id == SUBMITTER


def test_only_its_proposer_withdraws_a_topic() -> None:
    topics.check_proposer(_topic(), SUBMITTER)
    with pytest.raises(NotTheProposer):
        topics.check_proposer(_topic(), OTHER)
    with pytest.raises(NotTheProposer):
        topics.check_proposer(_topic(proposer=None), OTHER)


@pytest.mark.parametrize(
    ("party", "named", "belongs"),
    [
        ("民盟盟员", "民盟市委会", True),
        ("民盟盟员", "中国民主同盟示例市委员会", True),
        ("九三学社社员", "九三学社示例市委员会", True),
        ("中共党员", "中共示例市委", True),
        ("民建会员", "民盟市委会", False),
        ("无党派人士", "无党派人士联谊会", False),  # no party to speak for
        ("", "民盟", False),
    ],
)
def test_a_member_speaks_for_their_own_party_only(party: str, named: str, belongs: bool) -> None:
    assert topics.belongs(party, named) is belongs


@pytest.mark.parametrize(
    ("party", "named", "belongs"),
    [
        ("民盟", "民盟市委会", True),
        ("民盟", "中国民主同盟示例市委员会", True),
        ("台盟", "台湾民主自治同盟示例市委员会", True),
        ("台盟盟员", "台湾民主自治同盟示例市委员会", True),
        ("九三学社", "九三学社示例市委员会", True),
        ("中共", "中国共产党示例市委员会", True),
        ("民建", "民盟市委会", False),
        ("无党派", "无党派人士联谊会", False),
        ("群众", "群众", False),
    ],
)
def test_a_member_speaks_for_their_party_as_member_svc_names_it(
    party: str, named: str, belongs: bool
) -> None:
    """The members projection carries member-svc's party names (its directory's PARTIES: 民盟, 台盟,
    无党派), not the roster's 民盟盟员."""
    assert topics.belongs(party, named) is belongs


def test_a_member_proposes_for_their_own_sector_and_committee_only() -> None:
    sector, committee = uuid.uuid4(), uuid.uuid4()
    mine = [topics.Membership(sector_id=sector, party="民进会员", committee_ids=(committee,))]

    def proposal(kind: str, name: str = "某某") -> topics.Proposal:
        return topics.Proposal("题", "说明", None, topics.TopicSourceKind(kind), name)

    topics.check_on_behalf(proposal("sector"), sector, mine)
    topics.check_on_behalf(proposal("committee"), committee, mine)
    topics.check_on_behalf(proposal("party", "民进市委会"), None, mine)
    topics.check_on_behalf(proposal("member"), None, [])  # for themself: nothing to belong to
    with pytest.raises(SourceIdRequired):
        topics.check_on_behalf(proposal("sector"), None, mine)
    for kind, source in (("sector", committee), ("committee", sector), ("sector", sector)):
        with pytest.raises(NotInSource):
            topics.check_on_behalf(
                proposal(kind), source, [] if source == sector and kind == "sector" else mine
            )
