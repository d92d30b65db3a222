"""Who is told what (DOMAIN.md §6), row by row, without a database: `audience.notices` over the
events the services publish (built from the contracts, so a contract change breaks these tests),
and every template rendered with a real event."""

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.contracts.consultation import (
    ActivityCancelledV1,
    ActivityKind,
    ActivityRescheduledV1,
    AttendanceRecordedV1,
    CheckinOpenedV1,
    FeedbackOverdueV1,
    LeaveApprovedV1,
    LeaveRefusedV1,
    LeaveRequestedV1,
    MaterialsPublishedV1,
    NoticeIssuedV1,
    OutcomeKind,
    OutcomeSubmittedV1,
    PlanPublishedV1,
    ReminderDueV1,
    TopicAcceptedV1,
    TopicDeclinedV1,
)
from cppcc_common.contracts.member import MemberExitReviewRequiredV1
from cppcc_common.contracts.notify import WebhookEndpointDisabledV1
from cppcc_common.contracts.proposal import (
    AssignedUnit,
    HandlingRole,
    NotFiledDisposition,
    ProposalAssignedV1,
    ProposalCohandlerViewsOverdueV1,
    ProposalCosignConfirmedV1,
    ProposalCosignDeclinedV1,
    ProposalCosignExpiredV1,
    ProposalCosignRequestedV1,
    ProposalDueSoonV1,
    ProposalFeedbackOverdueV1,
    ProposalFiledV1,
    ProposalHandledV1,
    ProposalKeyDesignatedV1,
    ProposalMergedV1,
    ProposalNotFiledV1,
    ProposalPublicationWindowClosedV1,
    ProposalPublishedV1,
    ProposalReassignedV1,
    ProposalRehandlingStartedV1,
    ProposalReturnedV1,
    ProposalSubmittedV1,
    ProposalWithdrawnV1,
)
from cppcc_common.events import CloudEvent, EventData, make_event
from notify_svc.audience import READS, RULES, URGENT, Notice, Person, Projections, Reads, Urgency, notices
from notify_svc.projections import _uuids
from notify_svc.rendering import render, render_notice, template_names

CATALOG = Path(__file__).resolve().parents[2] / "docs" / "events" / "asyncapi.json"

ORG, FOREIGN_ORG = uuid.uuid4(), uuid.uuid4()
FIRST, CO1, CO2, STAFF, MEMBERS_STAFF, LEADER, FOREIGN_STAFF = (uuid.uuid4() for _ in range(7))
CONSULTATION_STAFF, ORGANIZER, OUTCOME = (uuid.uuid4() for _ in range(3))
ADMIN, FOREIGN_ADMIN, ENDPOINT = (uuid.uuid4() for _ in range(3))
UNIT, OTHER_UNIT, NEW_UNIT = (uuid.uuid4() for _ in range(3))
UNIT_USER, OTHER_UNIT_USER, NEW_UNIT_USER = (uuid.uuid4() for _ in range(3))
PROPOSAL, OTHER_PROPOSAL, ASSIGNMENT, ACTIVITY = (uuid.uuid4() for _ in range(4))
AT = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 April in Shanghai
DUE = date(2026, 6, 1)
TITLE = "关于加装电梯的建议"


def _person(
    pid: uuid.UUID, name: str, roles: tuple[str, ...], scopes: tuple[str, ...] = (), **kw: Any
) -> Person:
    return Person(pid, kw.pop("org_id", ORG), name, roles, scopes, **kw)


PEOPLE = Projections(
    {
        p.person_id: p
        for p in (
            _person(FIRST, "张明", ("member",)),
            _person(CO1, "王芳", ("member",)),
            _person(CO2, "刘强", ("member",)),
            _person(STAFF, "李静", ("staff",), ("proposals",)),
            _person(MEMBERS_STAFF, "委员工作室", ("staff",), ("members",)),
            _person(LEADER, "赵主席", ("leader",)),
            _person(CONSULTATION_STAFF, "协商办", ("staff",), ("consultation",)),
            _person(ORGANIZER, "钱秘书", ("staff",)),
            _person(FOREIGN_STAFF, "外市", ("staff",), ("proposals", "members"), org_id=FOREIGN_ORG),
            _person(UNIT_USER, "孙丽", ("unit_user",), unit_id=UNIT),
            _person(OTHER_UNIT_USER, "周平", ("unit_user",), unit_id=OTHER_UNIT),
            _person(NEW_UNIT_USER, "吴新", ("unit_user",), unit_id=NEW_UNIT),
            _person(ADMIN, "系统管理员", ("admin",)),
            _person(FOREIGN_ADMIN, "外市管理员", ("admin",), org_id=FOREIGN_ORG),
        )
    },
    members=frozenset({FIRST, CO1, CO2}),  # the organization's current members (member records)
)

_PROPOSERS = {"first_proposer_id": FIRST, "cosigner_ids": [CO1, CO2]}
_LEAD = AssignedUnit(assignment_id=ASSIGNMENT, unit_id=UNIT, role=HandlingRole.LEAD, reply_due_on=DUE)
_COHANDLER = AssignedUnit(
    assignment_id=uuid.uuid4(), unit_id=OTHER_UNIT, role=HandlingRole.COHANDLER, reply_due_on=None,
    views_due_on=date(2026, 5, 1),
)  # fmt: skip
_DEADLINE: dict[str, Any] = {
    "proposal_id": PROPOSAL, "org_id": ORG, "title": TITLE, "assignment_id": ASSIGNMENT, "unit_id": UNIT,
    "role": HandlingRole.LEAD, "reply_due_on": DUE, "is_key": True, "supervisor_ids": [LEADER], **_PROPOSERS,
}  # fmt: skip
_HANDLER = {"assignment_id": ASSIGNMENT, "unit_id": UNIT, "proposal_id": PROPOSAL, "org_id": ORG}
_EVERY_PROPOSER = {FIRST, CO1, CO2}
FORUM = "关于优化营商环境的双月协商座谈会"
_ACTIVITY: dict[str, Any] = {"activity_id": ACTIVITY, "org_id": ORG, "title": FORUM, "starts_at": AT}
_INVITEES = [FIRST, CO1]
_OUTCOME: dict[str, Any] = {
    "outcome_id": OUTCOME, "activity_id": ACTIVITY, "org_id": ORG, "title": "关于优化营商环境的建议案",
    "unit_id": UNIT, "organizer_person_id": ORGANIZER, "feedback_due_on": DUE,
}  # fmt: skip
_OFFICE = {STAFF}

# (DOMAIN.md §6 row, the event, {category: who is told}). Rows marked "+" tell more than §6 names.
ROWS: list[tuple[str, EventData, dict[str, set[uuid.UUID]]]] = [
    (
        "proposal submitted: the proposals office (+ a receipt to the first proposer)",
        ProposalSubmittedV1(
            proposal_id=PROPOSAL, org_id=ORG, title=TITLE, kind="ordinary", first_proposer_id=FIRST,
            submitted_at=AT, version=2,
        ),
        {"proposal.review_needed": _OFFICE, "proposal.submitted": {FIRST}},
    ),
    (
        "co-sign requested: the co-signers",
        ProposalCosignRequestedV1(
            proposal_id=PROPOSAL, org_id=ORG, title=TITLE, first_proposer_id=FIRST, invited_ids=[CO1, CO2],
            respond_by=AT, version=2,
        ),
        {"proposal.cosign_requested": {CO1, CO2}},
    ),
    (
        "+ co-sign confirmed: the first proposer",
        ProposalCosignConfirmedV1(
            proposal_id=PROPOSAL, org_id=ORG, first_proposer_id=FIRST, cosigner_id=CO1, position=1,
            confirmed_at=AT, version=3,
        ),
        {"proposal.cosign_confirmed": {FIRST}},
    ),
    (
        "+ co-sign declined: the first proposer",
        ProposalCosignDeclinedV1(
            proposal_id=PROPOSAL, org_id=ORG, first_proposer_id=FIRST, cosigner_id=CO2, declined_at=AT, version=3
        ),
        {"proposal.cosign_declined": {FIRST}},
    ),
    (
        "+ co-sign expired: the first proposer",
        ProposalCosignExpiredV1(
            proposal_id=PROPOSAL, org_id=ORG, first_proposer_id=FIRST, cosigner_id=CO2, respond_by=AT
        ),
        {"proposal.cosign_expired": {FIRST}},
    ),
    (
        "+ withdrawn: the co-signers and the proposals office",
        ProposalWithdrawnV1(
            proposal_id=PROPOSAL, org_id=ORG, title=TITLE, from_status="submitted", reason="重复",
            withdrawn_at=AT, version=4, **_PROPOSERS,
        ),
        {"proposal.withdrawn": {CO1, CO2, STAFF}},
    ),
    (
        "proposal filed: every proposer",
        ProposalFiledV1(
            proposal_id=PROPOSAL, org_id=ORG, title=TITLE, is_joint=True, filed_at=AT, version=5,
            number="第0123号", **_PROPOSERS,
        ),
        {"proposal.filed": _EVERY_PROPOSER},
    ),
    (
        "proposal not filed: every proposer",
        ProposalNotFiledV1(
            proposal_id=PROPOSAL, org_id=ORG, title=TITLE, reason="不属于提案范围",
            disposition=NotFiledDisposition.CONVERT_TO_OPINION, not_filed_at=AT, version=5, **_PROPOSERS,
        ),
        {"proposal.not_filed": _EVERY_PROPOSER},
    ),
    (
        "proposal merged: every proposer (of both)",
        ProposalMergedV1(
            proposal_id=PROPOSAL, into_proposal_id=OTHER_PROPOSAL, org_id=ORG, title=TITLE, into_title="另一件",
            merged_proposer_ids=[CO1], proposer_ids=[FIRST, CO1, CO2], merged_at=AT, version=5,
        ),
        {"proposal.merged": _EVERY_PROPOSER},
    ),
    (
        "proposal returned: every proposer",
        ProposalReturnedV1(
            proposal_id=PROPOSAL, org_id=ORG, title=TITLE, note="请补充", returned_at=AT, version=5, **_PROPOSERS
        ),
        {"proposal.returned": _EVERY_PROPOSER},
    ),
    (
        "+ key designated: the proposers and the supervising leaders",
        ProposalKeyDesignatedV1(
            proposal_id=PROPOSAL, org_id=ORG, designated_at=AT, supervisor_ids=[LEADER], version=6,
            meeting="主席会议", **_PROPOSERS,
        ),
        {"proposal.key_designated": _EVERY_PROPOSER, "proposal.key_supervision": {LEADER}},
    ),
    (
        "proposal assigned: each unit's users (+ every proposer)",
        ProposalAssignedV1(
            proposal_id=PROPOSAL, org_id=ORG, title=TITLE, units=[_LEAD, _COHANDLER], reply_due_on=DUE,
            is_key=False, assigned_at=AT, **_PROPOSERS,
        ),
        {"proposal.assigned_to_unit": {UNIT_USER, OTHER_UNIT_USER}, "proposal.assigned": _EVERY_PROPOSER},
    ),
    (
        "proposal reassigned: the new unit's users (+ the previous unit's)",
        ProposalReassignedV1(
            proposal_id=PROPOSAL, org_id=ORG, previous_assignment_id=ASSIGNMENT, previous_unit_id=UNIT,
            unit=AssignedUnit(assignment_id=uuid.uuid4(), unit_id=NEW_UNIT, role=HandlingRole.LEAD, reply_due_on=DUE),
            is_key=False, reassigned_at=AT, **_PROPOSERS,
        ),
        {"proposal.reassigned_to_unit": {NEW_UNIT_USER}, "proposal.reassigned_away": {UNIT_USER}},
    ),
    (
        "reply due soon: the unit; the proposals office; supervising leaders (key)",
        ProposalDueSoonV1(**_DEADLINE, days_before=3, warned_at=AT),
        {"proposal.due_soon": {UNIT_USER, STAFF, LEADER}},
    ),
    (
        "feedback overdue: the unit; the proposals office; supervising leaders (key)",
        ProposalFeedbackOverdueV1(**_DEADLINE, overdue_at=AT),
        {"proposal.feedback_overdue": {UNIT_USER, STAFF, LEADER}},
    ),
    (
        "proposal handled (reply submitted): every proposer",
        ProposalHandledV1(
            title=TITLE, reply_id=uuid.uuid4(), role=HandlingRole.LEAD, result_class="A", signed_by="王局长",
            is_key=False, completed=True, replied_at=AT, **_HANDLER, **_PROPOSERS,
        ),
        {"proposal.replied": _EVERY_PROPOSER},
    ),
    (
        "evaluated dissatisfied / re-handling: the unit; the proposals office",
        ProposalRehandlingStartedV1(
            reply_id=uuid.uuid4(), proposer_id=CO1, reply_due_on=DUE, is_key=False, started_at=AT,
            **_HANDLER, **_PROPOSERS,
        ),
        {"proposal.rehandling": {UNIT_USER, STAFF}},
    ),
    (
        "+ co-handler's views overdue (rule 11): the co-handler, the lead unit, the proposals office",
        ProposalCohandlerViewsOverdueV1(
            proposal_id=PROPOSAL, org_id=ORG, title=TITLE, assignment_id=uuid.uuid4(), unit_id=OTHER_UNIT,
            lead_unit_id=UNIT, views_due_on=date(2026, 5, 1), is_key=False, overdue_at=AT,
        ),
        {"proposal.cohandler_views_overdue": {OTHER_UNIT_USER, UNIT_USER, STAFF}},
    ),
    (
        "+ published (rule 20): every proposer",
        ProposalPublishedV1(
            proposal_id=PROPOSAL, org_id=ORG, title=TITLE, reply_ids=[uuid.uuid4()], published_at=AT,
            **_PROPOSERS,
        ),
        {"proposal.published": _EVERY_PROPOSER},
    ),
    (
        "+ publication window closed unpublished (rule 20): the proposals office",
        ProposalPublicationWindowClosedV1(
            proposal_id=PROPOSAL, org_id=ORG, title=TITLE, due_on=DUE, consented=False, closed_at=AT,
            **_PROPOSERS,
        ),
        {"proposal.publication_window_closed": _OFFICE},
    ),
    (
        "leave approved: the member",
        LeaveApprovedV1(
            leave_id=uuid.uuid4(), activity_id=ACTIVITY, org_id=ORG, person_id=CO1,
            activity_kind=ActivityKind.MEETING, occurred_at=AT, decided_at=AT,
        ),
        {"activity.leave_approved": {CO1}},
    ),
    (
        "leave refused: the member",
        LeaveRefusedV1(
            leave_id=uuid.uuid4(), activity_id=ACTIVITY, org_id=ORG, person_id=CO1,
            activity_kind=ActivityKind.MEETING, occurred_at=AT, decided_at=AT, reason="会议重要",
        ),
        {"activity.leave_refused": {CO1}},
    ),
    (
        "activity notice: every invitee",
        NoticeIssuedV1(
            **_ACTIVITY, form="bimonthly_forum", activity_kind=ActivityKind.MEETING, ends_at=AT,
            venue="市政协三楼会议室", invitee_ids=_INVITEES, issued_at=AT,
        ),
        {"activity.notice": set(_INVITEES)},
    ),
    (
        "activity materials: every invitee",
        MaterialsPublishedV1(**_ACTIVITY, invitee_ids=_INVITEES, attachment_ids=[uuid.uuid4()], published_at=AT),
        {"activity.materials": set(_INVITEES)},
    ),
    (
        "activity reminder: every invitee still expected",
        ReminderDueV1(**_ACTIVITY, ends_at=AT, online_link="https://meeting.example.cn/123", invitee_ids=[CO1]),
        {"activity.reminder": {CO1}},
    ),
    (
        "+ check-in opened (urgent): every invitee still expected",
        CheckinOpenedV1(
            **_ACTIVITY, ends_at=AT, venue="市政协三楼会议室", checkin_closes_at=AT, invitee_ids=[CO1, CO2]
        ),
        {"activity.checkin_opened": {CO1, CO2}},
    ),
    (
        "+ annual plan published (DOMAIN.md §4): the organization's current members",
        PlanPublishedV1(
            plan_id=uuid.uuid4(), org_id=ORG, year=2026, version=2, title="2026年度政协协商计划",
            previous_plan_id=uuid.uuid4(), entries_count=12, added_entry_keys=[uuid.uuid4()],
            changed_entry_keys=[uuid.uuid4()], removed_entry_keys=[uuid.uuid4()], published_at=AT,
            change_note="增加一项专题协商",
        ),
        {"plan.published": {FIRST, CO1, CO2}},
    ),
    (
        "+ topic accepted into the plan: its proposer",
        TopicAcceptedV1(
            topic_id=uuid.uuid4(), org_id=ORG, year=2026, title="发展普惠托育服务", source_kind="member",
            proposer_id=CO1, plan_id=uuid.uuid4(), entry_key=uuid.uuid4(), accepted_at=AT,
        ),
        {"topic.accepted": {CO1}},
    ),
    (
        "+ topic declined: its proposer",
        TopicDeclinedV1(
            topic_id=uuid.uuid4(), org_id=ORG, year=2026, title="发展普惠托育服务", source_kind="sector",
            proposer_id=CO2, reason="已列入政府年度重点工作", declined_at=AT,
        ),
        {"topic.declined": {CO2}},
    ),
    (
        "activity rescheduled: every invitee",
        ActivityRescheduledV1(
            **_ACTIVITY, previous_starts_at=AT, ends_at=AT, reason="与市委常委会时间冲突", invitee_ids=_INVITEES
        ),
        {"activity.rescheduled": set(_INVITEES)},
    ),
    (
        "activity cancelled: every invitee",
        ActivityCancelledV1(**_ACTIVITY, reason="议题并入专题协商会", invitee_ids=_INVITEES),
        {"activity.cancelled": set(_INVITEES)},
    ),
    (
        "+ leave requested: the consultation office decides",
        LeaveRequestedV1(
            **_ACTIVITY, leave_id=uuid.uuid4(), person_id=CO1, activity_kind=ActivityKind.MEETING,
            reason="出差在外", requested_at=AT,
        ),
        {"activity.leave_requested": {CONSULTATION_STAFF}},
    ),
    (
        "+ outcome sent: the responsible department's users",
        OutcomeSubmittedV1(
            **_OUTCOME, kind=OutcomeKind.RECOMMENDATION, recipients=["市发展改革委"], responsible="市发展改革委",
            submitted_at=AT,
        ),
        {"outcome.feedback_requested": {UNIT_USER}},
    ),
    (
        "outcome feedback overdue: the organizer, the responsible department, the consultation office",
        FeedbackOverdueV1(**_OUTCOME, responsible="市发展改革委"),
        {"outcome.feedback_overdue": {ORGANIZER, UNIT_USER, CONSULTATION_STAFF}},
    ),
    (
        "exit-review alert: staff with the members scope",
        MemberExitReviewRequiredV1(
            person_id=FIRST, org_id=ORG, term_id=uuid.uuid4(), name="张明",
            threshold="unexcused_plenary_absences", unexcused_absences=2,
        ),
        {"member.exit_review_required": {MEMBERS_STAFF}},
    ),
    (
        "+ a partner's webhook endpoint disabled (410): the organization's administrators",
        WebhookEndpointDisabledV1(
            endpoint_id=ENDPOINT, org_id=ORG, unit_id=UNIT, url="https://partner.example.gov.cn/hooks",
            reason="gone", disabled_at=AT,
        ),
        {"webhook.endpoint_disabled": {ADMIN}},
    ),
    (
        "+ a partner's webhook endpoint disabled (failing 5 days): the organization's administrators",
        WebhookEndpointDisabledV1(
            endpoint_id=ENDPOINT, org_id=ORG, unit_id=UNIT, url="https://partner.example.gov.cn/hooks",
            reason="failing", failing_since=datetime(2026, 3, 26, 16, 30, tzinfo=UTC), disabled_at=AT,
        ),
        {"webhook.endpoint_disabled": {ADMIN}},
    ),
]  # fmt: skip


def _envelope(data: EventData) -> CloudEvent:
    subject = (
        getattr(data, "proposal_id", None)
        or getattr(data, "activity_id", None)
        or getattr(data, "endpoint_id", None)
        or getattr(data, "plan_id", None)
        or getattr(data, "topic_id", None)
        or data.person_id  # type: ignore[attr-defined]
    )
    return make_event(data, source="/test", subject=subject, orgid=ORG)


def _told(found: list[Notice]) -> dict[str, set[uuid.UUID]]:
    told: dict[str, set[uuid.UUID]] = {}
    for n in found:
        told.setdefault(n.category, set()).add(n.recipient)
    return told


@pytest.mark.parametrize(("row", "data", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_every_row_of_domain_6_tells_exactly_its_people(
    row: str, data: EventData, expected: dict[str, set[uuid.UUID]]
) -> None:
    found = notices(_envelope(data), data, PEOPLE)
    assert _told(found) == expected
    assert FOREIGN_STAFF not in {n.recipient for n in found}  # another organization's office
    assert len({(n.recipient, n.category) for n in found}) == len(found)  # once each


def test_every_event_told_is_one_the_services_publish() -> None:
    published = {c["address"] for c in json.loads(CATALOG.read_text())["channels"].values()}
    assert {t.event_type for t in RULES} <= published


def test_every_rule_has_its_row() -> None:
    assert {type(d) for _, d, _ in ROWS} == set(RULES)


def _read_for(data: EventData) -> Projections:
    """What `projections.load` reads of PEOPLE for `data`: the people and units' users it names, and
    only those its rule picks by role and scope, or the current members (`audience.READS`)."""
    reads = READS.get(type(data), Reads())
    members = PEOPLE.members if reads.members else frozenset()
    named = {*_uuids(data.model_dump(mode="python")), *members}

    def picked(p: Person) -> bool:
        return reads.role in p.roles and (reads.scope is None or reads.scope in p.scopes)

    return Projections(
        {
            pid: p
            for pid, p in PEOPLE.people.items()
            if p.org_id == ORG and (pid in named or p.unit_id in named or picked(p))
        },
        members=members,
    )


@pytest.mark.parametrize(("row", "data", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_each_event_reads_only_whom_its_rule_picks_and_finds_everyone_it_tells(
    row: str, data: EventData, expected: dict[str, set[uuid.UUID]]
) -> None:
    """The per-event read (`projections.load`) loads an office or the administrators only for an
    event whose rule tells them: what it reads tells exactly what the whole projection tells."""
    read = _read_for(data)
    assert _told(notices(_envelope(data), data, read)) == expected


def test_an_event_no_row_names_makes_no_notice() -> None:
    data = AttendanceRecordedV1(
        activity_id=ACTIVITY, org_id=ORG, person_id=CO1, activity_kind=ActivityKind.MEETING, occurred_at=AT,
        scheduled_minutes=60, attended_minutes=60,
    )  # fmt: skip
    assert notices(_envelope(data), data, PEOPLE) == []


def test_feedback_overdue_and_check_in_opening_are_urgent_and_the_rest_are_not() -> None:
    for _, data, _ in ROWS:
        for n in notices(_envelope(data), data, PEOPLE):
            assert n.urgency == (Urgency.URGENT if n.category in URGENT else Urgency.NORMAL)
    assert {"proposal.feedback_overdue", "outcome.feedback_overdue", "activity.checkin_opened"} == URGENT


def test_every_inbox_template_renders_with_a_real_event() -> None:
    used: set[str] = set()
    for _, data, _ in ROWS:
        for n in notices(_envelope(data), data, PEOPLE):
            text = render_notice("inbox", n)
            assert text.title and text.body and "{" not in text.title + text.body, n.template
            used.add(n.template)
    assert used == set(template_names("inbox"))  # no template left unrendered, none missing


def test_rendered_texts_read_as_before() -> None:
    """The texts the app shows: times in Asia/Shanghai, names from the projection, enums in Chinese."""
    by_category = {
        n.category: render_notice("inbox", n)
        for _, data, _ in ROWS
        for n in notices(_envelope(data), data, PEOPLE)
    }
    assert by_category["proposal.submitted"].body == (
        f"您的提案《{TITLE}》已于 2026-04-01 00:30 提交，等待提案委员会审查立案。"
    )
    assert by_category["proposal.review_needed"].body == f"张明 提交了提案《{TITLE}》，请及时审查立案。"
    assert by_category["proposal.filed"].body == (
        f"提案《{TITLE}》已于 2026-04-01 00:30 立案，编号第0123号，将交承办单位办理。"
    )
    assert by_category["proposal.not_filed"].body.endswith("该提案将转为社情民意信息。")
    assert "主席会议" in by_category["proposal.key_supervision"].body
    assert "2026-04-01" in by_category["proposal.key_designated"].body
    assert by_category["proposal.published"].body == (
        f"经您同意，您的提案《{TITLE}》及其答复已于 2026-04-01 00:30 向社会公开（联系方式已隐去）。"
    )
    assert by_category["proposal.publication_window_closed"].body.endswith(
        "尚未公开（提案人未全部同意公开）。"
    )
    assert by_category["activity.notice"].body == (
        f"请于 2026-04-01 00:30 参加《{FORUM}》，地点：市政协三楼会议室。请在应用中回复参加或请假。"
    )
    assert by_category["activity.leave_requested"].body == (
        f"王芳 申请不参加 2026-04-01 00:30 的《{FORUM}》，理由：出差在外。请及时审批。"
    )
    assert by_category["outcome.feedback_overdue"].body == (
        "协商成果《关于优化营商环境的建议案》的反馈期限 2026-06-01 已过，市发展改革委尚未反馈。"
    )
    assert by_category["member.exit_review_required"].body.startswith(
        "张明 本届无故缺席已达退出机制标准（无故缺席全体会议"
    )


def test_a_cohandler_is_told_its_views_date_and_a_lead_its_reply_date() -> None:
    data = ROWS[11][1]
    texts = {n.recipient: render_notice("inbox", n).body for n in notices(_envelope(data), data, PEOPLE)}
    assert texts[UNIT_USER] == f"提案《{TITLE}》已交由贵单位主办，请于 2026-06-01 前答复。"
    assert (
        texts[OTHER_UNIT_USER]
        == f"提案《{TITLE}》已交由贵单位会办，请于 2026-05-01 前向主办单位提出会办意见。"
    )


def test_a_template_missing_a_variable_fails_to_render() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("inbox", "proposal.submitted", {"title": TITLE})


def test_a_locale_without_its_template_reads_chinese() -> None:
    data = ROWS[0][1]
    n = notices(_envelope(data), data, PEOPLE)[0]
    assert render_notice("inbox", n, "fr") == render_notice("inbox", n)
    assert render_notice("inbox", n, "en") != render_notice("inbox", n)


@given(st.lists(st.sampled_from([FIRST, CO1, CO2, STAFF]), min_size=1, max_size=8))
def test_nobody_is_told_twice_of_one_event_however_often_the_event_names_them(
    invited: list[uuid.UUID],
) -> None:
    data = ProposalCosignRequestedV1(
        proposal_id=PROPOSAL, org_id=ORG, title=TITLE, first_proposer_id=FIRST, invited_ids=invited,
        respond_by=AT, version=2,
    )  # fmt: skip
    found = notices(_envelope(data), data, PEOPLE)
    assert [n.recipient for n in found] == list(dict.fromkeys(invited))


def test_a_disabled_endpoints_notice_says_why_in_the_administrators_language() -> None:
    """The administrators' notice of a disabled webhook endpoint goes through the templates like any
    other: the reason (410, or failing since when, in Shanghai time), in Chinese and in English."""
    texts = {
        (data.reason, locale, channel): render_notice(channel, n, locale)
        for _, data, _ in ROWS
        if isinstance(data, WebhookEndpointDisabledV1)
        for n in notices(_envelope(data), data, PEOPLE)
        for locale in ("zh", "en")
        for channel in ("inbox", "push", "sms")
    }
    assert (
        texts["gone", "zh", "inbox"].title == "Webhook 端点已自动停用：https://partner.example.gov.cn/hooks"
    )
    assert texts["gone", "zh", "inbox"].body.startswith("合作系统答复 410（该地址已不存在）")
    assert "自 2026-03-27 00:30 起连续 5 天投递失败" in texts["failing", "zh", "inbox"].body
    assert "410 Gone" in texts["gone", "en", "inbox"].body and "410" in texts["gone", "zh", "sms"].title
    assert "since 2026-03-27 00:30 (5 days)" in texts["failing", "en", "inbox"].body
    assert texts["failing", "en", "push"].title == "Webhook endpoint disabled"


def test_a_staff_recorded_topic_tells_no_proposer_and_a_plan_with_no_members_known_tells_no_one() -> None:
    recorded = TopicDeclinedV1(
        topic_id=uuid.uuid4(), org_id=ORG, year=2026, title="党委点题", source_kind="party_committee",
        proposer_id=None, reason="并入其他议题", declined_at=AT,
    )  # fmt: skip
    assert notices(_envelope(recorded), recorded, PEOPLE) == []
    plan = PlanPublishedV1(
        plan_id=uuid.uuid4(), org_id=ORG, year=2026, version=1, title="计划", entries_count=1,
        added_entry_keys=[], changed_entry_keys=[], removed_entry_keys=[], published_at=AT,
    )  # fmt: skip
    assert notices(_envelope(plan), plan, Projections(PEOPLE.people)) == []


def test_the_new_categories_read_as_the_app_shows_them() -> None:
    by_category = {
        n.category: render_notice("inbox", n)
        for _, data, _ in ROWS
        for n in notices(_envelope(data), data, PEOPLE)
    }
    assert by_category["plan.published"].title == "2026年度协商计划（第2版）已发布"
    assert "共12项协商议题，本版变动3项（增加一项专题协商）" in by_category["plan.published"].body
    assert by_category["topic.declined"].body == (
        "您提出的协商议题《发展普惠托育服务》未列入2026年度协商计划，理由：已列入政府年度重点工作。"
    )
    assert by_category["activity.checkin_opened"].title == f"签到已开始：{FORUM}"
    assert "2026-04-01 00:30" in by_category["activity.checkin_opened"].body
