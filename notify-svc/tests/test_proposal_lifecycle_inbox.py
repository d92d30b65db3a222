"""Who is told what along the proposal lifecycle (DOMAIN.md §6, issue 9): each event type through
the consumer path (published on NATS, consumed, read back from the inbox API)."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import nats
import pytest

from cppcc_common.contracts.member import PersonRegisteredV1
from cppcc_common.contracts.proposal import (
    AssignedUnit,
    HandlingRole,
    NotFiledDisposition,
    ProposalAssignedV1,
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
    ProposalReturnedV1,
    ProposalWithdrawnV1,
)
from cppcc_common.events import CloudEvent, EventData, make_event
from cppcc_common.testing.tokens import TestIssuer
from cppcc_common.testing.waiting import eventually as _eventually
from notify_svc.settings import Settings

ORG = uuid.uuid4()
FIRST, CO1, CO2, OTHER, STAFF, LEADER, STRANGER = (uuid.uuid4() for _ in range(7))
UNIT, OTHER_UNIT, UNIT_USER, OTHER_UNIT_USER = (uuid.uuid4() for _ in range(4))
TITLE = "关于加装电梯的建议"
AT = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 April in Shanghai: the day the reader sees
PEOPLE = {
    FIRST: "张明",
    CO1: "王芳",
    CO2: "刘强",
    OTHER: "陈静",
    STAFF: "李静",
    LEADER: "赵主席",
    STRANGER: "路人",
    UNIT_USER: "孙丽",
    OTHER_UNIT_USER: "周平",
}
UNITS = {UNIT_USER: UNIT, OTHER_UNIT_USER: OTHER_UNIT}


async def _publish(settings: Settings, *events: CloudEvent) -> None:
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    for e in events:
        await js.publish(e.type, e.to_json(), headers={"Nats-Msg-Id": str(e.id)})
    await nc.close()


def _event(data: EventData, subject: uuid.UUID) -> CloudEvent:
    return make_event(data, source="/proposal-svc", subject=subject, orgid=ORG)


@pytest.fixture(scope="module")
async def known(settings: Settings, client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    roles = {
        STAFF: (["staff"], ["proposals"]),
        LEADER: (["leader"], []),
        UNIT_USER: (["unit_user"], []),
        OTHER_UNIT_USER: (["unit_user"], []),
    }
    await _publish(
        settings,
        *(
            make_event(
                PersonRegisteredV1(
                    person_id=p,
                    org_id=ORG,
                    name=name,
                    roles=roles.get(p, (["member"], []))[0],
                    scopes=roles.get(p, (["member"], []))[1],
                    unit_id=UNITS.get(p),
                ),
                source="/member-svc",
                subject=p,
                orgid=ORG,
            )
            for p, name in PEOPLE.items()
        ),
    )
    # The projection first: a marker event every earlier one precedes on the same stream.
    probe = uuid.uuid4()
    await _publish(settings, _event(_returned(probe, [STAFF]), probe))
    await _eventually(lambda: _items(client, issuer, STAFF, probe))


async def _items(
    client: httpx.AsyncClient, issuer: TestIssuer, who: uuid.UUID, about: uuid.UUID
) -> list[dict[str, Any]]:
    r = await client.get(
        "/api/v1/inbox", params={"limit": "100"}, headers=issuer.headers(sub=who, org=ORG, roles=["member"])
    )
    assert r.status_code == 200
    return [i for i in r.json()["items"] if i["object_id"] == str(about)]


async def _told(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, data: EventData, subject: uuid.UUID
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Publishes the event, waits until a sentinel published after it is handled, and returns what
    each known person got about `subject`."""
    await _publish(settings, _event(data, subject))
    sentinel = uuid.uuid4()
    await _publish(settings, _event(_returned(sentinel, [STRANGER]), sentinel))
    await _eventually(lambda: _items(client, issuer, STRANGER, sentinel))
    told = {p: await _items(client, issuer, p, subject) for p in PEOPLE}
    return {p: items for p, items in told.items() if items}


def _returned(proposal_id: uuid.UUID, people: list[uuid.UUID]) -> ProposalReturnedV1:
    return ProposalReturnedV1(
        proposal_id=proposal_id,
        org_id=ORG,
        title=TITLE,
        first_proposer_id=people[0],
        cosigner_ids=people[1:],
        note="请补充数据",
        returned_at=AT,
        version=3,
    )


Told = dict[uuid.UUID, list[dict[str, Any]]]


def _one(told: Told, who: uuid.UUID) -> dict[str, Any]:
    (item,) = told[who]
    return item


async def test_cosign_requested_asks_each_invited_cosigner_with_the_deadline_in_shanghai_time(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None
) -> None:
    pid = uuid.uuid4()
    data = ProposalCosignRequestedV1(
        proposal_id=pid,
        org_id=ORG,
        title=TITLE,
        first_proposer_id=FIRST,
        invited_ids=[CO1, CO2],
        respond_by=AT,
        version=2,
    )
    told = await _told(client, issuer, settings, data, pid)
    assert set(told) == {CO1, CO2}
    item = _one(told, CO2)
    assert item["category"] == "proposal.cosign_requested" and item["title"] == f"联名邀请：{TITLE}"
    assert item["body"] == f"张明 邀请您联名提出提案《{TITLE}》，请于 2026-04-01 00:30 前确认或谢绝。"


@pytest.mark.parametrize("answer", ["confirmed", "declined", "expired"])
async def test_each_cosign_answer_or_expiry_tells_the_first_proposer_only(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None, answer: str
) -> None:
    pid = uuid.uuid4()
    common: dict[str, Any] = {
        "proposal_id": pid,
        "org_id": ORG,
        "first_proposer_id": FIRST,
        "cosigner_id": CO1,
    }
    data: EventData = {
        "confirmed": ProposalCosignConfirmedV1(**common, position=1, confirmed_at=AT, version=3),
        "declined": ProposalCosignDeclinedV1(**common, declined_at=AT, version=3),
        "expired": ProposalCosignExpiredV1(**common, respond_by=AT),
    }[answer]
    told = await _told(client, issuer, settings, data, pid)
    assert set(told) == {FIRST}
    item = _one(told, FIRST)
    assert item["category"] == f"proposal.cosign_{answer}" and "王芳" in item["body"]
    if answer == "expired":
        assert "2026-04-01 00:30" in item["body"]


async def test_a_withdrawal_tells_the_confirmed_cosigners_and_the_proposals_office(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None
) -> None:
    pid = uuid.uuid4()
    data = ProposalWithdrawnV1(
        proposal_id=pid,
        org_id=ORG,
        title=TITLE,
        first_proposer_id=FIRST,
        cosigner_ids=[CO1],
        from_status="filed",
        reason="已由部门解决",
        withdrawn_at=AT,
        version=5,
    )
    told = await _told(client, issuer, settings, data, pid)
    assert set(told) == {CO1, STAFF}
    assert _one(told, STAFF)["body"] == f"张明 撤回了提案《{TITLE}》。理由：已由部门解决"


async def test_a_return_for_revision_tells_every_proposer_the_note(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None
) -> None:
    pid = uuid.uuid4()
    told = await _told(client, issuer, settings, _returned(pid, [FIRST, CO1, CO2]), pid)
    assert set(told) == {FIRST, CO1, CO2}
    item = _one(told, CO2)
    assert item["category"] == "proposal.returned" and item["body"].endswith("提案委员会意见：请补充数据")


async def test_rule_6_not_filing_tells_every_proposer_the_reason_and_the_disposition(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None
) -> None:
    pid = uuid.uuid4()
    data = ProposalNotFiledV1(
        proposal_id=pid,
        org_id=ORG,
        title=TITLE,
        first_proposer_id=FIRST,
        cosigner_ids=[CO1],
        reason="属于学术探讨",
        disposition=NotFiledDisposition.CONVERT_TO_OPINION,
        not_filed_at=AT,
        version=3,
    )
    told = await _told(client, issuer, settings, data, pid)
    assert set(told) == {FIRST, CO1}
    assert (
        _one(told, FIRST)["body"]
        == f"提案《{TITLE}》不予立案，理由：属于学术探讨。该提案将转为社情民意信息。"
    )


async def test_rule_8_a_merge_tells_every_proposer_of_both_proposals_once(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None
) -> None:
    pid = uuid.uuid4()
    data = ProposalMergedV1(
        proposal_id=pid,
        into_proposal_id=uuid.uuid4(),
        org_id=ORG,
        title=TITLE,
        into_title="关于老旧小区改造的建议",
        merged_proposer_ids=[CO1, CO2],
        proposer_ids=[OTHER, CO1, CO2],
        merged_at=AT,
        version=3,
    )
    told = await _told(client, issuer, settings, data, pid)
    assert set(told) == {CO1, CO2, OTHER}  # CO1 and CO2 are in both lists: one item each
    assert "并入提案《关于老旧小区改造的建议》" in _one(told, OTHER)["body"]


async def test_filing_tells_every_proposer(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None
) -> None:
    pid = uuid.uuid4()
    data = ProposalFiledV1(
        proposal_id=pid,
        org_id=ORG,
        title=TITLE,
        first_proposer_id=FIRST,
        cosigner_ids=[CO2],
        is_joint=True,
        filed_at=AT,
        version=3,
        number="第0123号",
        filing_series="year:2026",
    )
    told = await _told(client, issuer, settings, data, pid)
    assert set(told) == {FIRST, CO2}
    item = _one(told, CO2)
    assert item["category"] == "proposal.filed"
    assert item["body"] == f"提案《{TITLE}》已于 2026-04-01 00:30 立案，编号第0123号，将交承办单位办理。"


async def test_rule_19_a_key_designation_tells_the_proposers_and_the_supervising_leaders(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None
) -> None:
    pid = uuid.uuid4()
    data = ProposalKeyDesignatedV1(
        proposal_id=pid,
        org_id=ORG,
        first_proposer_id=FIRST,
        cosigner_ids=[CO1],
        designated_at=AT,
        supervisor_ids=[LEADER],
        version=6,
        meeting="主席会议",
    )
    told = await _told(client, issuer, settings, data, pid)
    assert set(told) == {FIRST, CO1, LEADER}
    assert _one(told, FIRST)["category"] == "proposal.key_designated"
    leader = _one(told, LEADER)
    assert leader["category"] == "proposal.key_supervision"
    assert leader["body"] == "经 2026-04-01 主席会议确定，您督办一件重点提案，请在督办列表中查看。"


# ---- handling and deadlines (rules 9, 12, 15) -----------------------------------------------------


async def test_rule_9_an_assignment_tells_each_units_people_their_part_and_the_proposers_the_due_date(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None
) -> None:
    pid = uuid.uuid4()
    data = ProposalAssignedV1(
        proposal_id=pid,
        org_id=ORG,
        title=TITLE,
        first_proposer_id=FIRST,
        cosigner_ids=[CO1],
        units=[
            AssignedUnit(
                assignment_id=uuid.uuid4(),
                unit_id=UNIT,
                role=HandlingRole.LEAD,
                reply_due_on=date(2026, 6, 30),
            ),
            AssignedUnit(
                assignment_id=uuid.uuid4(),
                unit_id=OTHER_UNIT,
                role=HandlingRole.COHANDLER,
                reply_due_on=None,
                views_due_on=date(2026, 4, 30),
            ),
        ],
        reply_due_on=date(2026, 6, 30),
        is_key=False,
        assigned_at=AT,
    )
    told = await _told(client, issuer, settings, data, pid)
    assert set(told) == {FIRST, CO1, UNIT_USER, OTHER_UNIT_USER}
    assert _one(told, UNIT_USER)["body"] == f"提案《{TITLE}》已交由贵单位主办，请于 2026-06-30 前答复。"
    assert (
        _one(told, OTHER_UNIT_USER)["body"]
        == f"提案《{TITLE}》已交由贵单位会办，请于 2026-04-30 前向主办单位提出会办意见。"
    )
    assert _one(told, CO1)["body"] == f"您的提案《{TITLE}》已交承办单位办理，答复期限为 2026-06-30。"


async def test_rule_15_a_reply_tells_every_proposer_and_asks_for_an_evaluation(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None
) -> None:
    pid = uuid.uuid4()
    data = ProposalHandledV1(
        proposal_id=pid,
        org_id=ORG,
        title=TITLE,
        reply_id=uuid.uuid4(),
        assignment_id=uuid.uuid4(),
        unit_id=UNIT,
        role=HandlingRole.LEAD,
        result_class="B",
        signed_by="局长",
        first_proposer_id=FIRST,
        cosigner_ids=[CO2],
        is_key=False,
        completed=True,
        replied_at=AT,
    )
    told = await _told(client, issuer, settings, data, pid)
    assert set(told) == {FIRST, CO2}
    assert _one(told, CO2)["category"] == "proposal.replied" and "答复类别 B" in _one(told, CO2)["body"]


def _deadline(pid: uuid.UUID) -> dict[str, Any]:
    return {
        "proposal_id": pid,
        "org_id": ORG,
        "title": TITLE,
        "assignment_id": uuid.uuid4(),
        "unit_id": UNIT,
        "role": HandlingRole.LEAD,
        "reply_due_on": date(2026, 6, 30),
        "is_key": True,
        "supervisor_ids": [LEADER],
        "first_proposer_id": FIRST,
        "cosigner_ids": [CO1],
    }


async def test_rule_12_a_due_soon_warning_tells_the_unit_the_office_and_the_supervisors_not_the_proposers(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None
) -> None:
    pid = uuid.uuid4()
    data = ProposalDueSoonV1(**_deadline(pid), days_before=3, warned_at=AT)
    told = await _told(client, issuer, settings, data, pid)
    assert set(told) == {UNIT_USER, STAFF, LEADER}
    assert _one(told, UNIT_USER)["body"] == f"提案《{TITLE}》的答复期限为 2026-06-30，还有 3 天，请按时答复。"


async def test_rule_12_overdue_tells_the_office_the_unit_and_the_supervisors(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, known: None
) -> None:
    pid = uuid.uuid4()
    data = ProposalFeedbackOverdueV1(**_deadline(pid), overdue_at=AT)
    told = await _told(client, issuer, settings, data, pid)
    assert set(told) == {UNIT_USER, STAFF, LEADER}
    item = _one(told, STAFF)
    assert item["category"] == "proposal.feedback_overdue"
    assert item["body"] == f"提案《{TITLE}》的答复期限 2026-06-30 已过，承办单位尚未答复。"
