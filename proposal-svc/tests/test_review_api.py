"""The proposals office's review (file, return, not file, merge) and key proposals, through the API
on a real database and NATS, with the service's clock fixed (FakeClock)."""

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.auth import Principal
from cppcc_common.change import Change, new_traceparent, trace_id_of
from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine, create_sessionmaker
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.events import wait_for_event
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.main import create_app
from proposal_svc.proposals import service
from proposal_svc.proposals.domain import LIFECYCLE, Action, Status
from proposal_svc.proposals.policy import DEFAULT_REFUSAL_REASONS
from proposal_svc.settings import Settings

from .conftest import announce, enrol

# 09:00 in Shanghai on 2 March 2026.
CLOCK = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
MEMBER, MEMBER_2, STAFF, LEADER, LEADER_2 = (uuid.uuid4() for _ in range(5))
GOOD = {
    "title": "关于加快老旧小区加装电梯的建议",
    "situation": "老旧小区多层住宅普遍没有电梯。",
    "suggestions": ["简化审批流程", "设立专项补贴"],
}
OFFICE_NAME = "政协提案委员会"


def _h(issuer: TestIssuer, **kw: Any) -> dict[str, str]:
    """Headers with a token valid at the service's (fake) time."""
    at = int(CLOCK.now().timestamp())
    return issuer.headers(iat=at - 60, exp=at + 7 * 86400, **kw)


@pytest.fixture(scope="module")
async def client(settings: Settings, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source(), clock=CLOCK)) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def people(
    issuer: TestIssuer, settings: Settings, client: httpx.AsyncClient, db: AsyncEngine
) -> dict[str, dict[str, str]]:
    for person in (MEMBER, MEMBER_2):
        await enrol(settings, person_id=person, org_id=ORG)
    for leader in (LEADER, LEADER_2):  # rule 19: the supervisors are the organization's leaders
        await announce(settings, db, leader, ["leader"], org=ORG)

    def h(**kw: Any) -> dict[str, str]:
        return _h(issuer, **kw)

    return {
        "member": h(sub=MEMBER, org=ORG, roles=["member"]),
        "member_2": h(sub=MEMBER_2, org=ORG, roles=["member"]),
        "other_member": h(sub=uuid.uuid4(), org=ORG, roles=["member"]),
        "staff": h(sub=STAFF, org=ORG, roles=["staff"], scopes=["proposals"]),
        "staff_no_scope": h(sub=uuid.uuid4(), org=ORG, roles=["staff"], scopes=["consultation"]),
        "leader": h(sub=LEADER, org=ORG, roles=["leader", "member"]),
        "leader_2": h(sub=LEADER_2, org=ORG, roles=["leader"]),
        "foreign_staff": h(sub=uuid.uuid4(), org=OTHER_ORG, roles=["staff"], scopes=["proposals"]),
        "unit_user": h(sub=uuid.uuid4(), org=ORG, roles=["unit_user"], unit=uuid.uuid4()),
    }


async def _submitted(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any] | None = None
) -> str:
    r = await client.post("/api/v1/proposals", json=body or GOOD, headers=headers)
    assert r.status_code == 201, r.text
    submitted = await client.post(f"/api/v1/proposals/{r.json()['id']}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text
    return str(r.json()["id"])


async def _filed(client: httpx.AsyncClient, people: dict[str, dict[str, str]], who: str = "member") -> Any:
    pid = await _submitted(client, people[who])
    r = await client.post(f"/api/v1/proposals/{pid}/file", headers=people["staff"])
    assert r.status_code == 200, r.text
    return r.json()


async def _add_cosigners(
    db: AsyncEngine, proposal_id: str, cosigners: list[tuple[uuid.UUID, int, str]]
) -> None:
    """Co-signers as the co-sign flow leaves them: (person, position, status)."""
    async with db.begin() as conn:
        for person, position, status in cosigners:
            await conn.execute(
                text(
                    "INSERT INTO proposal_proposers (proposal_id, person_id, role, position, status)"
                    " VALUES (:p, :who, 'cosigner', :pos, :status)"
                ),
                {"p": proposal_id, "who": person, "pos": position, "status": status},
            )


async def _events(db: AsyncEngine, event_type: str, proposal_id: str) -> list[dict[str, Any]]:
    """The events of `event_type` staged in the outbox for the proposal (its CloudEvents subject)."""
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT payload FROM outbox WHERE subject = :t ORDER BY created_at"), {"t": event_type}
            )
        ).scalars()
        envelopes = [json.loads(p) for p in rows]
    return [e for e in envelopes if e["subject"] == proposal_id]


async def _proposers(
    db: AsyncEngine, proposal_id: str
) -> list[tuple[uuid.UUID, str, int, str, uuid.UUID | None]]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT person_id, role, position, status, merged_from_id FROM proposal_proposers"
                " WHERE proposal_id = :p ORDER BY position"
            ),
            {"p": proposal_id},
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


# --- Filing -------------------------------------------------------------------------------------


async def test_filing_numbers_are_gap_free_under_concurrency(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings
) -> None:
    """Many filings at once in one organization's series get exactly 1..N, each once; filing a
    proposal twice at once files it once and takes one number."""
    org, member = uuid.uuid4(), uuid.uuid4()
    await enrol(settings, person_id=member, org_id=org)
    headers = _h(issuer, sub=member, org=org, roles=["member"])
    staff = _h(issuer, sub=uuid.uuid4(), org=org, roles=["staff"], scopes=["proposals"])
    ids = [await _submitted(client, headers) for _ in range(23)]
    twice = ids[:3]  # these three are filed by two requests at the same time
    answers = await asyncio.gather(
        *(client.post(f"/api/v1/proposals/{pid}/file", headers=staff) for pid in [*ids, *twice])
    )
    assert sorted(r.status_code for r in answers) == [200] * 23 + [409] * 3, [r.text for r in answers]
    numbers = sorted(r.json()["number"] for r in answers if r.status_code == 200)
    assert numbers == [f"第{n:04d}号" for n in range(1, 24)]
    assert {r.json()["filing_series"] for r in answers if r.status_code == 200} == {"year:2026"}


async def test_a_rolled_back_filing_gives_its_number_back(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, db: AsyncEngine
) -> None:
    """The counter is raised in the filing's own transaction: a filing that rolls back leaves no gap."""
    org, member = uuid.uuid4(), uuid.uuid4()
    await enrol(settings, person_id=member, org_id=org)
    headers = _h(issuer, sub=member, org=org, roles=["member"])
    first, second = await _submitted(client, headers), await _submitted(client, headers)
    staff = Principal(sub=uuid.uuid4(), org=org, roles=frozenset({"staff"}), scopes=frozenset({"proposals"}))
    sessions = create_sessionmaker(db)
    async with sessions() as session, session.begin() as transaction:
        change = Change(session, CLOCK.now(), "/proposal-svc", new_traceparent(), staff)
        filed = await service.file(change, uuid.UUID(first), None)
        assert filed.number == "第0001号"
        await transaction.rollback()
    staff_headers = _h(issuer, sub=staff.sub, org=org, roles=["staff"], scopes=["proposals"])
    r = await client.post(f"/api/v1/proposals/{second}/file", headers=staff_headers)
    assert r.json()["number"] == "第0001号"
    again = await client.post(f"/api/v1/proposals/{first}/file", headers=staff_headers)
    assert again.json()["number"] == "第0002号"


async def test_a_session_proposal_is_numbered_in_its_session_and_an_ordinary_one_in_its_year(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, db: AsyncEngine
) -> None:
    org, member, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await enrol(settings, person_id=member, org_id=org)
    headers = _h(issuer, sub=member, org=org, roles=["member"])
    staff = _h(issuer, sub=uuid.uuid4(), org=org, roles=["staff"], scopes=["proposals"])
    ordinary = await _submitted(client, headers)
    async with db.begin() as conn:  # the window opens exactly now (its opening instant counts)
        await conn.execute(
            text(
                "INSERT INTO session_windows (session_id, org_id, opens_at, closes_at) VALUES (:s, :o, :a, :b)"
            ),
            {"s": session_id, "o": org, "a": CLOCK.now(), "b": CLOCK.now() + timedelta(days=30)},
        )
    in_session = await _submitted(client, headers)
    filed = {
        pid: (await client.post(f"/api/v1/proposals/{pid}/file", headers=staff)).json()
        for pid in (ordinary, in_session)
    }
    assert (filed[ordinary]["filing_series"], filed[ordinary]["number"]) == ("year:2026", "第0001号")
    assert filed[in_session]["kind"] == "session"
    assert (filed[in_session]["filing_series"], filed[in_session]["number"]) == (
        f"session:{session_id}",
        "第0001号",
    )


async def test_the_filed_event_names_only_confirmed_cosigners_in_signing_order_and_carries_the_trace(
    client: httpx.AsyncClient, settings: Settings, people: Any, db: AsyncEngine
) -> None:
    pid = await _submitted(client, people["member"])
    second, first, invited, declined = (uuid.uuid4() for _ in range(4))
    await _add_cosigners(
        db,
        pid,
        [
            (second, 2, "confirmed"),
            (first, 1, "confirmed"),
            (invited, 3, "invited"),
            (declined, 4, "declined"),
        ],
    )
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    r = await client.post(
        f"/api/v1/proposals/{pid}/file", headers={**people["staff"], "traceparent": traceparent}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "filed" and r.json()["filed_at"] == CLOCK.now().isoformat().replace(
        "+00:00", "Z"
    )
    nc = await nats.connect(settings.nats_url)
    try:
        event = await wait_for_event(nc.jetstream(), "cppcc.proposal.filed.v1", lambda e: e.subject == pid)
    finally:
        await nc.close()
    assert event.data["cosigner_ids"] == [str(first), str(second)] and event.data["is_joint"] is True
    assert (event.data["number"], event.data["filing_series"]) == (
        r.json()["number"],
        r.json()["filing_series"],
    )
    assert event.data["first_proposer_id"] == str(MEMBER) and event.data["version"] == r.json()["version"]
    assert trace_id_of(event.traceparent) == trace_id and event.actorid == STAFF


# --- Return for revision ---------------------------------------------------------------------------


async def test_returning_for_revision_needs_a_note_that_the_proposer_sees_from_the_committee(
    client: httpx.AsyncClient, people: Any, db: AsyncEngine
) -> None:
    pid = await _submitted(client, people["member"])
    url = f"/api/v1/proposals/{pid}/return"
    for body in ({}, {"note": None}, {"note": ""}, {"note": "请补充\x00数据"}):
        r = await client.post(url, json=body, headers=people["staff"])
        assert r.status_code == 422, (body, r.text)
    blank = await client.post(url, json={"note": "  \n "}, headers=people["staff"])
    assert blank.status_code == 422 and blank.json()["code"] == "proposal.note_required"
    returned = await client.post(url, json={"note": "请补充具体数据"}, headers=people["staff"])
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "draft" and returned.json()["kind"] is None
    [event] = await _events(db, "cppcc.proposal.returned.v1", pid)
    assert event["data"]["note"] == "请补充具体数据" and event["data"]["first_proposer_id"] == str(MEMBER)
    mine = (await client.get(f"/api/v1/proposals/{pid}/timeline", headers=people["member"])).json()["items"]
    assert [(s["action"], s["to_status"]) for s in mine] == [
        ("create", "draft"),
        ("submit", "submitted"),
        ("return", "draft"),
    ]
    assert mine[-1]["note"] == "请补充具体数据"
    assert (mine[-1]["actor_id"], mine[-1]["actor_name"]) == (None, OFFICE_NAME)
    assert mine[1]["actor_id"] == str(MEMBER)  # the proposer's own steps name the proposer
    # A draft again: the office no longer sees it; the proposer edits and submits it again.
    assert (await client.get(f"/api/v1/proposals/{pid}/timeline", headers=people["staff"])).status_code == 404
    again = await client.post(f"/api/v1/proposals/{pid}/submit", headers=people["member"])
    assert again.status_code == 200 and again.json()["kind"] == "ordinary"


# --- Not filed -------------------------------------------------------------------------------------


async def test_rule_6_not_filing_needs_a_reason_from_the_policy_list(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, db: AsyncEngine
) -> None:
    """Only a reason of the organization's own list (not the defaults it replaced) is taken; the
    proposer is told it by the event and sees it in the timeline."""
    org, member = uuid.uuid4(), uuid.uuid4()
    await enrol(settings, person_id=member, org_id=org)
    own_reasons = ["涉及国家秘密", "不属于本级政协职责范围"]
    async with db.begin() as conn:
        await conn.execute(
            text("INSERT INTO proposal_policies (org_id, values) VALUES (:o, :v)"),
            {"o": org, "v": json.dumps({"refusal_reasons": own_reasons})},
        )
    headers = _h(issuer, sub=member, org=org, roles=["member"])
    staff = _h(issuer, sub=uuid.uuid4(), org=org, roles=["staff"], scopes=["proposals"])
    pid = await _submitted(client, headers)
    url = f"/api/v1/proposals/{pid}/not-file"
    for reason in ("不想立案", DEFAULT_REFUSAL_REASONS[5], own_reasons[1] + " ", own_reasons[1][:-1]):
        r = await client.post(url, json={"reason": reason, "disposition": "none"}, headers=staff)
        assert r.status_code == 422 and r.json()["code"] == "proposal.unknown_refusal_reason", reason
        assert r.json()["errors"][0]["allowed"] == own_reasons
    for body in (
        {"disposition": "none"},
        {"reason": None, "disposition": "none"},
        {"reason": own_reasons[1]},
    ):
        assert (await client.post(url, json=body, headers=staff)).status_code == 422, body
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=headers)).json()["status"] == "submitted"
    r = await client.post(
        url, json={"reason": own_reasons[1], "disposition": "forward_as_letter"}, headers=staff
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["not_filed_reason"]) == ("not_filed", own_reasons[1])
    [event] = await _events(db, "cppcc.proposal.not_filed.v1", pid)
    assert event["data"]["reason"] == own_reasons[1] and event["data"]["first_proposer_id"] == str(member)
    steps = (await client.get(f"/api/v1/proposals/{pid}/timeline", headers=headers)).json()["items"]
    assert (steps[-1]["action"], steps[-1]["note"], steps[-1]["actor_name"]) == (
        "not_file",
        own_reasons[1],
        OFFICE_NAME,
    )


@pytest.mark.parametrize("disposition", ["convert_to_opinion", "forward_as_letter", "none"])
async def test_rule_7_a_not_filed_proposal_keeps_its_disposition_and_the_event_carries_it(
    client: httpx.AsyncClient, people: Any, db: AsyncEngine, disposition: str
) -> None:
    pid = await _submitted(client, people["member"])
    body = {"reason": DEFAULT_REFUSAL_REASONS[9], "disposition": disposition}
    r = await client.post(f"/api/v1/proposals/{pid}/not-file", json=body, headers=people["staff"])
    assert r.status_code == 200, r.text
    assert r.json()["not_filed_disposition"] == disposition
    # Rule 7: a conversion creates the report in the same transaction and the proposal names it
    # (test_opinions_api.py follows the link both ways).
    converted = disposition == "convert_to_opinion"
    assert (r.json()["opinion_report_id"] is not None) is converted
    [event] = await _events(db, "cppcc.proposal.not_filed.v1", pid)
    assert event["data"]["disposition"] == disposition and event["data"]["title"] == GOOD["title"]
    bad = await client.post(
        f"/api/v1/proposals/{await _submitted(client, people['member'])}/not-file",
        json={**body, "disposition": "convert"},
        headers=people["staff"],
    )
    assert bad.status_code == 422


# --- Merge -----------------------------------------------------------------------------------------


async def test_rule_8_merging_keeps_every_proposer(
    client: httpx.AsyncClient, people: Any, db: AsyncEngine
) -> None:
    """The source's first proposer and confirmed co-signers join the filed target after its own
    proposers, in the source's order, keeping where they came from; unconfirmed ones do not."""
    target = await _filed(client, people, "member_2")
    target_cosigner = uuid.uuid4()
    await _add_cosigners(db, target["id"], [(target_cosigner, 1, "confirmed")])
    source = await _submitted(client, people["member"])
    confirmed_2, confirmed_1, invited, declined = (uuid.uuid4() for _ in range(4))
    await _add_cosigners(
        db,
        source,
        [
            (confirmed_2, 2, "confirmed"),
            (confirmed_1, 1, "confirmed"),
            (invited, 3, "invited"),
            (declined, 4, "declined"),
        ],
    )
    r = await client.post(
        f"/api/v1/proposals/{source}/merge", json={"into_id": target["id"]}, headers=people["staff"]
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["merged_into_id"]) == ("merged", target["id"])
    src = uuid.UUID(source)
    assert await _proposers(db, target["id"]) == [
        (MEMBER_2, "first", 0, "confirmed", None),
        (target_cosigner, "cosigner", 1, "confirmed", None),
        (MEMBER, "cosigner", 2, "confirmed", src),
        (confirmed_1, "cosigner", 3, "confirmed", src),
        (confirmed_2, "cosigner", 4, "confirmed", src),
    ]
    [event] = await _events(db, "cppcc.proposal.merged.v1", source)
    assert event["data"]["into_proposal_id"] == target["id"]
    assert event["data"]["merged_proposer_ids"] == [str(p) for p in (MEMBER, confirmed_1, confirmed_2)]
    assert event["data"]["proposer_ids"] == [
        str(p) for p in (MEMBER_2, target_cosigner, MEMBER, confirmed_1, confirmed_2)
    ]
    # The target records the merge too: a new version and a step in its timeline.
    after = (await client.get(f"/api/v1/proposals/{target['id']}", headers=people["staff"])).json()
    assert (after["status"], after["version"]) == ("filed", target["version"] + 1)
    steps = (
        await client.get(f"/api/v1/proposals/{target['id']}/timeline", headers=people["member_2"])
    ).json()["items"]
    assert (steps[-1]["action"], steps[-1]["note"], steps[-1]["actor_name"]) == (
        "merge_in",
        GOOD["title"],
        OFFICE_NAME,
    )
    src_steps = (await client.get(f"/api/v1/proposals/{source}/timeline", headers=people["member"])).json()[
        "items"
    ]
    assert (src_steps[-1]["action"], src_steps[-1]["note"]) == ("merge", target["number"])


async def test_rule_8_a_proposal_merges_only_into_a_filed_proposal_of_its_organization(
    client: httpx.AsyncClient, people: Any, issuer: TestIssuer, settings: Settings
) -> None:
    source = await _submitted(client, people["member"])
    url = f"/api/v1/proposals/{source}/merge"
    submitted = await _submitted(client, people["member_2"])
    for into in (submitted, source):
        r = await client.post(url, json={"into_id": into}, headers=people["staff"])
        assert r.status_code == 409 and r.json()["code"] == "proposal.merge_target_not_filed", r.text
    foreign_member = uuid.uuid4()
    await enrol(settings, person_id=foreign_member, org_id=OTHER_ORG)
    foreign = await _submitted(client, _h(issuer, sub=foreign_member, org=OTHER_ORG, roles=["member"]))
    filed_foreign = await client.post(f"/api/v1/proposals/{foreign}/file", headers=people["foreign_staff"])
    assert filed_foreign.status_code == 200
    for into in (foreign, str(uuid.uuid4())):
        r = await client.post(url, json={"into_id": into}, headers=people["staff"])
        assert r.status_code == 404 and r.json()["code"] == "proposal.merge_target_not_found", r.text
    for into in (None, "not-a-uuid"):
        assert (await client.post(url, json={"into_id": into}, headers=people["staff"])).status_code == 422
    assert (await client.get(f"/api/v1/proposals/{source}", headers=people["member"])).json()[
        "status"
    ] == "submitted"


# --- Key proposals ---------------------------------------------------------------------------------


async def test_rule_19_key_designation_records_the_meeting_and_the_supervisors(
    client: httpx.AsyncClient, people: Any, db: AsyncEngine
) -> None:
    filed = await _filed(client, people)
    url = f"/api/v1/proposals/{filed['id']}/key"
    designation = {
        "meeting": "十四届主席会议第五次会议",
        "meeting_on": "2026-03-02",
        "supervisor_ids": [str(LEADER), str(LEADER_2)],
    }
    submitted = await _submitted(client, people["member"])
    early = await client.post(f"/api/v1/proposals/{submitted}/key", json=designation, headers=people["staff"])
    assert early.status_code == 409 and early.json()["code"] == "proposal.invalid_transition"
    for bad in (
        {**designation, "supervisor_ids": []},
        {**designation, "meeting_on": "2026-03-03"},  # the day after the service's today
        {**designation, "meeting": " "},
        {**designation, "meeting_on": "0001-01-01"},
        {k: v for k, v in designation.items() if k != "meeting"},
    ):
        assert (await client.post(url, json=bad, headers=people["staff"])).status_code == 422, bad
    r = await client.post(url, json=designation, headers=people["staff"])
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["is_key"], got["key_meeting"], got["key_meeting_on"]) == (
        True,
        designation["meeting"],
        "2026-03-02",
    )
    assert got["key_supervisor_ids"] == designation["supervisor_ids"] and got["status"] == "filed"
    [event] = await _events(db, "cppcc.proposal.key_designated.v1", filed["id"])
    assert event["data"]["supervisor_ids"] == designation["supervisor_ids"]
    assert event["data"]["meeting"] == designation["meeting"]
    assert datetime.fromisoformat(event["data"]["designated_at"]).date() == date(2026, 3, 2)
    again = await client.post(url, json=designation, headers=people["staff"])
    assert again.status_code == 409 and again.json()["code"] == "proposal.already_key"
    # The supervising leaders' lists; not another leader's; not staff's.
    for who, listed in (("leader", True), ("leader_2", True)):
        items = (await client.get("/api/v1/proposals/supervised", headers=people[who])).json()["items"]
        assert (filed["id"] in {p["id"] for p in items}) is listed
    assert (await client.get("/api/v1/proposals/supervised", headers=people["staff"])).status_code == 403


async def test_rule_19_every_supervisor_is_a_leader_of_the_organization(
    client: httpx.AsyncClient, people: Any, settings: Settings, db: AsyncEngine
) -> None:
    """A member, a person announced without the leader role, another organization's leader and an
    unknown id are each refused (422 naming them); nothing is recorded; the leaders alone pass."""
    plain, foreign = uuid.uuid4(), uuid.uuid4()
    await announce(settings, db, plain, ["member", "staff"], org=ORG)
    await announce(settings, db, foreign, ["leader"], org=OTHER_ORG)
    filed = await _filed(client, people)
    url = f"/api/v1/proposals/{filed['id']}/key"
    for stranger in (MEMBER, plain, foreign, uuid.uuid4()):
        body = {
            "meeting": "主席会议",
            "meeting_on": "2026-03-01",
            "supervisor_ids": [str(LEADER), str(stranger)],
        }
        r = await client.post(url, json=body, headers=people["staff"])
        assert r.status_code == 422 and r.json()["code"] == "proposal.supervisor_not_a_leader", r.text
        assert str(stranger) in r.json()["detail"] and str(LEADER) not in r.json()["detail"]
    assert (await client.get(f"/api/v1/proposals/{filed['id']}", headers=people["staff"])).json()[
        "is_key"
    ] is False
    body = {"meeting": "主席会议", "meeting_on": "2026-03-01", "supervisor_ids": [str(LEADER_2)]}
    assert (await client.post(url, json=body, headers=people["staff"])).status_code == 200


async def test_a_leaders_supervision_list_has_only_their_key_proposals_page_by_page(
    client: httpx.AsyncClient, issuer: TestIssuer, people: Any, settings: Settings, db: AsyncEngine
) -> None:
    leader = uuid.uuid4()
    await announce(settings, db, leader, ["leader", "member"], org=ORG)
    headers = _h(issuer, sub=leader, org=ORG, roles=["leader"])
    other_org_leader = _h(issuer, sub=leader, org=OTHER_ORG, roles=["leader"])
    mine = set()
    for n in range(5):
        filed = await _filed(client, people)
        supervisors = [str(leader)] if n % 2 == 0 else [str(LEADER)]
        body = {"meeting": "主席会议", "meeting_on": "2026-02-27", "supervisor_ids": supervisors}
        assert (
            await client.post(f"/api/v1/proposals/{filed['id']}/key", json=body, headers=people["staff"])
        ).status_code == 200
        if n % 2 == 0:
            mine.add(filed["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/proposals/supervised", params=params, headers=headers)).json()
        seen += [p["id"] for p in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(seen) == 3 and set(seen) == mine
    assert (await client.get("/api/v1/proposals/supervised", headers=other_org_leader)).json()["items"] == []


# --- Who may act, and the lifecycle through the API ------------------------------------------------

ACTIONS = {
    Action.FILE: ("file", None),  # (path, body)
    Action.RETURN: ("return", {"note": "请修改"}),
    Action.NOT_FILE: ("not-file", {"reason": DEFAULT_REFUSAL_REASONS[0], "disposition": "none"}),
    Action.MERGE: ("merge", "target"),
    Action.DESIGNATE_KEY: (
        "key",
        {"meeting": "主席会议", "meeting_on": "2026-03-01", "supervisor_ids": [str(LEADER)]},
    ),
}


EVENTS = {
    Action.FILE: "cppcc.proposal.filed.v1",
    Action.RETURN: "cppcc.proposal.returned.v1",
    Action.NOT_FILE: "cppcc.proposal.not_filed.v1",
    Action.MERGE: "cppcc.proposal.merged.v1",
    Action.DESIGNATE_KEY: "cppcc.proposal.key_designated.v1",
}


async def _stored(db: AsyncEngine, status: Status, *, org: uuid.UUID = ORG, by: uuid.UUID = MEMBER) -> str:
    """A proposal in `status`, written as the earlier steps would have left it."""
    pid = uuid.uuid4()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO proposals (id, org_id, status, kind, title, situation, suggestions, first_proposer_id,"
                " created_at, updated_at, submitted_at, version)"
                " VALUES (:id, :org, :status, 'ordinary', '案由', '情况', '[\"建议\"]', :who, :at, :at, :at, 3)"
            ),
            {"id": pid, "org": org, "status": status.value, "who": by, "at": CLOCK.now() - timedelta(days=1)},
        )
        await conn.execute(
            text(
                "INSERT INTO proposal_proposers (proposal_id, person_id, role, position, status)"
                " VALUES (:p, :who, 'first', 0, 'confirmed')"
            ),
            {"p": pid, "who": by},
        )
    return str(pid)


def _body(action: Action, target: str) -> Any:
    body = ACTIONS[action][1]
    return {"into_id": target} if body == "target" else body


@pytest.mark.parametrize("status", [s for s in Status if s != Status.DRAFT])
async def test_every_office_action_in_every_status_answers_as_the_lifecycle_table(
    client: httpx.AsyncClient, people: Any, db: AsyncEngine, status: Status
) -> None:
    """200 where LIFECYCLE allows the pair (its one event staged, continuing the request's trace, and
    nothing staged otherwise), 409 where it does not, for each office action; a deleted draft is a
    tombstone nobody reads (404)."""
    target = (await _filed(client, people))["id"]
    for action, (path, _) in ACTIONS.items():
        pid = await _stored(db, status)
        trace_id = secrets.token_hex(16)
        headers = {**people["staff"], "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
        r = await client.post(f"/api/v1/proposals/{pid}/{path}", json=_body(action, target), headers=headers)
        expected = 404 if status == Status.DELETED else 200 if LIFECYCLE.allows(status, action) else 409
        assert r.status_code == expected, (status, action, r.text)
        staged = await _events(db, EVENTS[action], pid)
        if expected == 200:
            assert r.json()["status"] == LIFECYCLE.check(status, action)
            assert r.json()["version"] == 4 and r.headers["etag"] == '"4"'
            [event] = staged
            assert trace_id_of(event["traceparent"]) == trace_id and event["data"]["version"] == 4
        else:
            assert staged == []


async def test_office_actions_are_404_to_who_cannot_see_and_403_to_who_sees_but_may_not_act(
    client: httpx.AsyncClient, people: Any, db: AsyncEngine
) -> None:
    target = (await _filed(client, people))["id"]
    expected = {
        "foreign_staff": 404,  # another organization's proposal is not there for them
        "staff_no_scope": 403,  # not the proposals office
        "leader": 403,  # sees every proposal, acts on none
        "member": 403,  # the proposer sees their own, but the office decides
        "other_member": 403,
        "unit_user": 403,
    }
    for action, (path, _) in ACTIONS.items():
        status = Status.FILED if action == Action.DESIGNATE_KEY else Status.SUBMITTED
        pid = await _stored(db, status)
        for who, answer in expected.items():
            r = await client.post(
                f"/api/v1/proposals/{pid}/{path}", json=_body(action, target), headers=people[who]
            )
            assert r.status_code == answer, (action, who, r.text)
        missing = await client.post(
            f"/api/v1/proposals/{uuid.uuid4()}/{path}", json=_body(action, target), headers=people["staff"]
        )
        assert missing.status_code == 404
        stale = await client.post(
            f"/api/v1/proposals/{pid}/{path}",
            json=_body(action, target),
            headers={**people["staff"], "If-Match": '"2"'},
        )
        assert stale.status_code == 412
        assert (await client.get(f"/api/v1/proposals/{pid}", headers=people["staff"])).json()["version"] == 3


async def test_the_timeline_is_for_whoever_may_read_the_proposal(
    client: httpx.AsyncClient, people: Any, db: AsyncEngine
) -> None:
    filed = await _filed(client, people)
    url = f"/api/v1/proposals/{filed['id']}/timeline"
    for who, answer in (
        ("member", 200),
        ("staff", 200),
        ("leader", 200),
        ("other_member", 404),
        ("foreign_staff", 404),
        ("staff_no_scope", 404),
        ("unit_user", 404),  # a unit reads only the proposals assigned to it (rule 28)
    ):
        assert (await client.get(url, headers=people[who])).status_code == answer, who
    steps = (await client.get(url, headers=people["leader"])).json()["items"]
    assert [s["action"] for s in steps] == ["create", "submit", "file"]
    assert steps[-1]["note"] == filed["number"]
    assert (steps[-1]["actor_id"], steps[-1]["actor_name"]) == (None, OFFICE_NAME)
    office = (await client.get(url, headers=people["staff"])).json()["items"]
    assert (office[-1]["actor_id"], office[-1]["actor_name"]) == (str(STAFF), None)
    assert office[0]["actor_id"] == str(MEMBER)
    assert (
        await client.get(f"/api/v1/proposals/{uuid.uuid4()}/timeline", headers=people["staff"])
    ).status_code == 404
