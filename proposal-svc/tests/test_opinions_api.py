"""Public-opinion reports (社情民意信息, DOMAIN.md §3; rules 7, 27, 28) through the API on a real
database and NATS, with the service's clock fixed (FakeClock)."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.main import create_app
from proposal_svc.settings import Settings

from .conftest import enrol

# 09:00 in Shanghai on 2 March 2026.
CLOCK = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
ORG, OTHER_ORG, POLICY_ORG = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
MEMBER, MEMBER_2, FORMER, STAFF, LEADER, POLICY_MEMBER = (uuid.uuid4() for _ in range(6))
REPORT = {
    "title": "关于整治城区电动自行车违规充电的建议",
    "situation": "近期城区多个老旧小区出现电动自行车入户充电、飞线充电现象，存在较大火灾隐患。",
    "analysis": "集中充电设施不足、收费偏高，物业管理力量薄弱，居民安全意识不强。",
    "suggestion": "一是加快建设集中充电设施并给予电价优惠；二是开展联合执法，整治飞线充电。",
}
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def _h(issuer: TestIssuer, **kw: Any) -> dict[str, str]:
    at = int(CLOCK.now().timestamp())
    return issuer.headers(iat=at - 60, exp=at + 30 * 86400, **kw)


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
async def people(issuer: TestIssuer, settings: Settings, db: AsyncEngine) -> dict[str, dict[str, str]]:
    for person in (MEMBER, MEMBER_2):
        await enrol(settings, person_id=person, org_id=ORG)
    await enrol(settings, person_id=FORMER, org_id=ORG, starts_on="2018-01-01", ends_on="2022-12-31")
    await enrol(settings, person_id=POLICY_MEMBER, org_id=POLICY_ORG)

    def h(**kw: Any) -> dict[str, str]:
        return _h(issuer, **kw)

    return {
        "member": h(sub=MEMBER, org=ORG, roles=["member"]),
        "member_2": h(sub=MEMBER_2, org=ORG, roles=["member"]),
        "former": h(sub=FORMER, org=ORG, roles=["member"]),
        "policy_member": h(sub=POLICY_MEMBER, org=POLICY_ORG, roles=["member"]),
        "office": h(sub=STAFF, org=ORG, roles=["staff"], scopes=["opinions"]),
        "proposals_office": h(sub=uuid.uuid4(), org=ORG, roles=["staff"], scopes=["proposals"]),
        "leader": h(sub=LEADER, org=ORG, roles=["leader"]),
        "unit_user": h(sub=uuid.uuid4(), org=ORG, roles=["unit_user"], unit=uuid.uuid4()),
        "partner": h(sub=uuid.uuid4(), org=ORG, roles=["partner"], unit=uuid.uuid4()),
        "foreign_office": h(sub=uuid.uuid4(), org=OTHER_ORG, roles=["staff"], scopes=["opinions"]),
        "foreign_member": h(sub=MEMBER, org=OTHER_ORG, roles=["member"]),
        "policy_admin": h(sub=uuid.uuid4(), org=POLICY_ORG, roles=["admin"]),
        "policy_staff": h(sub=uuid.uuid4(), org=POLICY_ORG, roles=["staff"], scopes=["opinions"]),
    }


async def _events(db: AsyncEngine, event_type: str, report_id: str) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox WHERE subject = :t ORDER BY created_at, id"), {"t": event_type}
        )
        data = [json.loads(r.payload)["data"] for r in rows]
    return [d for d in data if d.get("report_id") == report_id]


async def _draft(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any] | None = None
) -> str:
    r = await client.post("/api/v1/opinions", json=body or REPORT, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _submitted(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any] | None = None
) -> str:
    rid = await _draft(client, headers, body)
    r = await client.post(f"/api/v1/opinions/{rid}/submit", headers=headers)
    assert r.status_code == 200, r.text
    return rid


async def _adopted(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], level: str = "municipal"
) -> str:
    rid = await _submitted(client, people["member"])
    r = await client.post(
        f"/api/v1/opinions/{rid}/adopt",
        json={"level": level, "mode": "single", "adopted_by": "市政协办公室"},
        headers=people["office"],
    )
    assert r.status_code == 200, r.text
    return rid


async def test_a_member_drafts_submits_and_reads_their_report(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], db: AsyncEngine
) -> None:
    created = await client.post(
        "/api/v1/opinions", json={"title": "关于电动自行车充电的建议"}, headers=people["member"]
    )
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/api/v1/opinions/{created.json()['id']}"
    assert created.json()["status"] == "draft" and created.json()["actions"] == ["edit_draft", "submit"]
    rid = created.json()["id"]
    incomplete = await client.post(f"/api/v1/opinions/{rid}/submit", headers=people["member"])
    assert incomplete.status_code == 422
    assert {e["field"] for e in incomplete.json()["errors"]} == {"situation", "analysis", "suggestion"}
    patched = await client.patch(
        f"/api/v1/opinions/{rid}",
        json=REPORT,
        headers={**people["member"], "If-Match": created.headers["ETag"]},
    )
    assert patched.status_code == 200, patched.text
    submitted = await client.post(f"/api/v1/opinions/{rid}/submit", headers=people["member"])
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["submitted_at"] == CLOCK.now().isoformat().replace("+00:00", "Z")
    [event] = await _events(db, "cppcc.opinion.submitted.v1", rid)
    assert event["author_id"] == str(MEMBER) and event["converted_from_proposal_id"] is None
    mine = await client.get("/api/v1/opinions", params={"mine": "true"}, headers=people["member"])
    assert rid in [r["id"] for r in mine.json()["items"]]


async def test_a_report_is_one_matter_within_the_policy_length(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], db: AsyncEngine
) -> None:
    """DOMAIN.md §3: ≤ 1,500 characters by default (situation, analysis and suggestion together);
    an organization's stored policy sets its own."""
    too_long = {**REPORT, "situation": "情" * 1000, "analysis": "析" * 400, "suggestion": "议" * 101}
    r = await client.post("/api/v1/opinions", json=too_long, headers=people["member"])
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "body_too_long"
    assert "1500" in r.json()["errors"][0]["message"]
    fits = {**too_long, "suggestion": "议" * 100}
    assert (await client.post("/api/v1/opinions", json=fits, headers=people["member"])).status_code == 201
    # An organization's administrator sets a shorter report (audited); its staff read the values.
    values = {"opinion_max_chars": 120, "opinion_title_max_chars": 30}
    r = await client.put("/api/v1/opinions/policy", json=values, headers=people["policy_admin"])
    assert r.status_code == 200 and r.json() == values
    assert (await client.get("/api/v1/opinions/policy", headers=people["policy_staff"])).json() == values
    assert (await client.get("/api/v1/opinions/policy", headers=people["office"])).json()[
        "opinion_max_chars"
    ] == 1500
    bad = await client.put(
        "/api/v1/opinions/policy", json={**values, "opinion_max_chars": 5}, headers=people["policy_admin"]
    )
    assert bad.status_code == 422
    async with db.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox WHERE subject = 'cppcc.opinion.policy_changed.v1'")
        )
        [audit] = [json.loads(row.payload)["data"] for row in rows if str(POLICY_ORG) in row.payload]
    assert audit["changed"] == ["opinion_max_chars", "opinion_title_max_chars"]
    assert audit["before"] == {"opinion_max_chars": 1500, "opinion_title_max_chars": 50}
    r = await client.post(
        "/api/v1/opinions", json=REPORT | {"situation": "情" * 100}, headers=people["policy_member"]
    )
    assert r.status_code == 422 and "120" in r.json()["errors"][0]["message"]


async def test_only_a_current_member_submits(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    rid = await _draft(client, people["former"])
    r = await client.post(f"/api/v1/opinions/{rid}/submit", headers=people["former"])
    assert r.status_code == 403 and r.json()["code"] == "proposal.not_a_current_member"


async def test_the_author_withdraws_only_before_review(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], db: AsyncEngine
) -> None:
    rid = await _submitted(client, people["member"])
    r = await client.post(
        f"/api/v1/opinions/{rid}/withdraw", json={"reason": "已解决"}, headers=people["member"]
    )
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert len(await _events(db, "cppcc.opinion.withdrawn.v1", rid)) == 1
    edited = await _submitted(client, people["member"])
    r = await client.post(
        f"/api/v1/opinions/{edited}/edits", json={"title": "关于电动车充电的建议"}, headers=people["office"]
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/opinions/{edited}/withdraw", headers=people["member"])
    assert r.status_code == 409 and r.json()["code"] == "opinion.invalid_transition"


async def test_office_edits_are_kept_with_their_author_and_time_and_the_member_sees_the_edited_text(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], db: AsyncEngine
) -> None:
    rid = await _submitted(client, people["member"])
    edit = {
        "title": "关于加强电动自行车充电安全管理的建议",
        "analysis": "充电设施供给不足是主因。",
        "note": "精简标题",
    }
    r = await client.post(
        f"/api/v1/opinions/{rid}/edits", json=edit, headers={**people["office"], "If-Match": '"2"'}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "edited" and r.json()["edited"] is True
    CLOCK.advance(timedelta(hours=1))
    r = await client.post(
        f"/api/v1/opinions/{rid}/edits", json={"suggestion": "建设集中充电设施。"}, headers=people["office"]
    )
    assert r.status_code == 200
    same = await client.post(
        f"/api/v1/opinions/{rid}/edits", json={"suggestion": "建设集中充电设施。"}, headers=people["office"]
    )
    assert same.status_code == 422 and same.json()["code"] == "opinion.nothing_to_edit"
    stale = await client.post(
        f"/api/v1/opinions/{rid}/edits", json={"title": "新"}, headers={**people["office"], "If-Match": '"2"'}
    )
    assert stale.status_code == 412
    # The situation is the member's account: the office does not edit it.
    r = await client.post(f"/api/v1/opinions/{rid}/edits", json={"situation": "改"}, headers=people["office"])
    assert r.status_code == 422
    seen = (await client.get(f"/api/v1/opinions/{rid}", headers=people["member"])).json()
    assert seen["title"] == edit["title"] and seen["analysis"] == edit["analysis"]
    assert seen["suggestion"] == "建设集中充电设施。" and seen["situation"] == REPORT["situation"]
    edits = (await client.get(f"/api/v1/opinions/{rid}/edits", headers=people["member"])).json()["items"]
    assert [e["actor_id"] for e in edits] == [str(STAFF), str(STAFF)]
    assert edits[0]["before"] == {"title": REPORT["title"], "analysis": REPORT["analysis"]}
    assert edits[0]["after"] == {"title": edit["title"], "analysis": edit["analysis"]}
    assert edits[0]["note"] == "精简标题" and edits[1]["at"] > edits[0]["at"]
    [first, second] = await _events(db, "cppcc.opinion.edited.v1", rid)
    assert first["fields"] == ["title", "analysis"] and second["fields"] == ["suggestion"]


async def test_rule_27_the_highest_adoption_and_instruction_are_recorded_and_each_rise_is_announced(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], db: AsyncEngine
) -> None:
    rid = await _submitted(client, people["member"])
    office = people["office"]

    async def adopt(level: str, mode: str) -> dict[str, Any]:
        r = await client.post(
            f"/api/v1/opinions/{rid}/adopt",
            json={"level": level, "mode": mode, "adopted_by": "某单位"},
            headers=office,
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    adopted_at = CLOCK.now()
    first = await adopt("municipal", "combined")
    assert (first["adoption_level"], first["adoption_mode"]) == ("municipal", "combined")
    CLOCK.advance(timedelta(days=10))
    single = await adopt("municipal", "single")  # the same level, single: higher
    assert single["adoption_mode"] == "single"
    lower = await adopt("county", "single")  # recorded, but the highest stays
    assert (lower["adoption_level"], lower["adoption_mode"]) == ("municipal", "single")
    assert [a["level"] for a in lower["adoptions"]] == ["municipal", "municipal", "county"]
    higher = await adopt("provincial", "combined")
    assert (higher["adoption_level"], higher["adoption_mode"]) == ("provincial", "combined")
    instruction = {
        "level": "provincial",
        "leader": "副省长 王某",
        "text": "请省卫健委研究。",
        "instructed_on": "2026-03-10",
    }
    r = await client.post(f"/api/v1/opinions/{rid}/instructions", json=instruction, headers=office)
    assert r.status_code == 200, r.text
    assert (
        r.json()["instruction_level"] == "provincial"
        and r.json()["instructions"][0]["leader"] == "副省长 王某"
    )
    r = await client.post(
        f"/api/v1/opinions/{rid}/instructions",
        json={**instruction, "level": "municipal", "leader": "市长 李某"},
        headers=office,
    )
    assert r.json()["instruction_level"] == "provincial" and len(r.json()["instructions"]) == 2
    events = await _events(db, "cppcc.opinion.adopted.v1", rid)
    # The first adoption and the three rises (single, provincial, the instruction); never a lower one.
    assert [(e["adoption_level"], e["adoption_mode"], e["instruction_level"]) for e in events] == [
        ("municipal", "combined", None),
        ("municipal", "single", None),
        ("provincial", "combined", None),
        ("provincial", "combined", "provincial"),
    ]
    # The act's time is the first adoption's: every rise is scored in the same duty year.
    assert {e["adopted_at"] for e in events} == {adopted_at.isoformat().replace("+00:00", "Z")}
    assert len(await _events(db, "cppcc.opinion.instructed.v1", rid)) == 2
    listed = await client.get("/api/v1/opinions", params={"adoption_level": "provincial"}, headers=office)
    assert rid in [i["id"] for i in listed.json()["items"]]


async def test_a_report_is_not_adopted_with_a_reason_the_author_is_told(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], db: AsyncEngine
) -> None:
    rid = await _submitted(client, people["member"])
    r = await client.post(
        f"/api/v1/opinions/{rid}/not-adopt", json={"reason": "与已报送信息重复"}, headers=people["office"]
    )
    assert r.status_code == 200 and r.json()["status"] == "not_adopted"
    assert (await client.get(f"/api/v1/opinions/{rid}", headers=people["member"])).json()[
        "not_adopted_reason"
    ] == "与已报送信息重复"
    [event] = await _events(db, "cppcc.opinion.not_adopted.v1", rid)
    assert event["reason"] == "与已报送信息重复"
    again = await client.post(
        f"/api/v1/opinions/{rid}/adopt",
        json={"level": "county", "adopted_by": "县政协"},
        headers=people["office"],
    )
    assert again.status_code == 409
    blank = await client.post(
        f"/api/v1/opinions/{await _submitted(client, people['member'])}/not-adopt",
        json={"reason": " "},
        headers=people["office"],
    )
    assert blank.status_code == 422


async def test_an_adopted_report_is_forwarded_and_its_feedback_recorded(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], db: AsyncEngine
) -> None:
    submitted = await _submitted(client, people["member"])
    early = await client.post(
        f"/api/v1/opinions/{submitted}/forwards",
        json={"recipients": [{"kind": "government", "name": "市政府办公室"}]},
        headers=people["office"],
    )
    assert early.status_code == 409  # only an adopted report is forwarded
    rid = await _adopted(client, people)
    recipients = [
        {"kind": "provincial_cppcc", "name": "省政协办公厅"},
        {"kind": "party_committee", "name": "市委办公室"},
        {"kind": "department", "name": "市消防救援支队"},
    ]
    r = await client.post(
        f"/api/v1/opinions/{rid}/forwards", json={"recipients": recipients}, headers=people["office"]
    )
    assert r.status_code == 200, r.text
    assert [(f["recipient_kind"], f["recipient_name"]) for f in r.json()["forwards"]] == [
        (x["kind"], x["name"]) for x in recipients
    ]
    [event] = await _events(db, "cppcc.opinion.forwarded.v1", rid)
    assert event["recipient_names"] == ["省政协办公厅", "市委办公室", "市消防救援支队"]
    tomorrow = (CLOCK.now() + timedelta(days=1)).date().isoformat()
    fb = {"source": "市消防救援支队", "text": "已开展专项整治。", "received_on": tomorrow}
    r = await client.post(f"/api/v1/opinions/{rid}/feedback", json=fb, headers=people["office"])
    assert r.status_code == 422 and r.json()["code"] == "opinion.date_in_the_future"
    fb["received_on"] = CLOCK.now().date().isoformat()
    r = await client.post(f"/api/v1/opinions/{rid}/feedback", json=fb, headers=people["office"])
    assert r.status_code == 200 and r.json()["feedback"][0]["text"] == "已开展专项整治。"
    assert len(await _events(db, "cppcc.opinion.feedback_recorded.v1", rid)) == 1
    bad = await client.post(
        f"/api/v1/opinions/{rid}/forwards",
        json={"recipients": [{"kind": "nobody", "name": "x"}]},
        headers=people["office"],
    )
    assert bad.status_code == 422
    history = (await client.get(f"/api/v1/opinions/{rid}/history", headers=people["member"])).json()["items"]
    assert [h["action"] for h in history] == ["create", "submit", "adopt", "forward", "feedback"]


async def _not_filed(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], disposition: str
) -> dict[str, Any]:
    proposal = {
        "title": "关于治理小区飞线充电的建议",
        "situation": "小区飞线充电普遍。",
        "suggestions": ["建设充电桩", "加强巡查"],
    }
    r = await client.post("/api/v1/proposals", json=proposal, headers=people["member"])
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert (await client.post(f"/api/v1/proposals/{pid}/submit", headers=people["member"])).status_code == 200
    r = await client.post(
        f"/api/v1/proposals/{pid}/not-file",
        json={"reason": "内容空泛、没有具体建议", "disposition": disposition},
        headers=people["proposals_office"],
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_rule_7_a_not_filed_proposal_converted_at_review_keeps_the_link_both_ways(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], db: AsyncEngine
) -> None:
    proposal = await _not_filed(client, people, "convert_to_opinion")
    rid = proposal["opinion_report_id"]
    assert rid is not None and proposal["not_filed_disposition"] == "convert_to_opinion"
    report = await client.get(f"/api/v1/opinions/{rid}", headers=people["member"])
    assert report.status_code == 200, report.text
    assert report.json()["converted_from_proposal_id"] == proposal["id"]
    assert report.json()["status"] == "submitted" and report.json()["author_id"] == str(MEMBER)
    assert report.json()["title"] == "关于治理小区飞线充电的建议"
    assert report.json()["situation"] == "小区飞线充电普遍。"
    assert report.json()["suggestion"] == "1. 建设充电桩\n2. 加强巡查"
    # The office of reports takes it up like any other.
    assert (await client.get(f"/api/v1/opinions/{rid}", headers=people["office"])).status_code == 200
    [event] = await _events(db, "cppcc.opinion.submitted.v1", rid)
    assert event["converted_from_proposal_id"] == proposal["id"]
    # Once: a second conversion of the same proposal is refused.
    again = await client.post(f"/api/v1/opinions/from-proposal/{proposal['id']}", headers=people["member"])
    assert again.status_code == 409 and again.json()["code"] == "opinion.already_converted"


async def test_rule_7_the_first_proposer_asks_for_a_conversion_after_review(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], db: AsyncEngine
) -> None:
    proposal = await _not_filed(client, people, "none")
    assert proposal["opinion_report_id"] is None
    pid = proposal["id"]
    assert (
        await client.post(f"/api/v1/opinions/from-proposal/{pid}", headers=people["member_2"])
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/opinions/from-proposal/{pid}", headers=people["office"])
    ).status_code == 404
    r = await client.post(
        f"/api/v1/opinions/from-proposal/{pid}",
        json={"note": "委员申请转为社情民意信息"},
        headers=people["member"],
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["converted_from_proposal_id"] == pid
    linked = (await client.get(f"/api/v1/proposals/{pid}", headers=people["member"])).json()
    assert linked["opinion_report_id"] == rid and linked["not_filed_disposition"] == "convert_to_opinion"
    timeline = (await client.get(f"/api/v1/proposals/{pid}/audit", headers=people["proposals_office"])).json()
    assert "convert_to_opinion" in json.dumps(timeline)
    # A proposal that is not `not_filed` is not converted (the proposal's table: 409).
    r = await client.post(
        "/api/v1/proposals",
        json={"title": "关于某事的建议", "situation": "情况", "suggestions": ["建议"]},
        headers=people["member"],
    )
    other = r.json()["id"]
    await client.post(f"/api/v1/proposals/{other}/submit", headers=people["member"])
    r = await client.post(f"/api/v1/opinions/from-proposal/{other}", headers=people["proposals_office"])
    assert r.status_code == 409 and r.json()["code"] == "proposal.invalid_transition"


async def test_rule_28_another_organizations_proposals_office_cannot_convert_a_proposal(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], issuer: TestIssuer
) -> None:
    """Rule 7's conversion reads the proposal through its organization: another organization's
    proposals office (and its first proposer's id in another organization) get the 404 of a proposal
    they cannot see, and nothing is converted."""
    proposal = await _not_filed(client, people, "none")
    pid = proposal["id"]
    foreign = _h(issuer, sub=uuid.uuid4(), org=OTHER_ORG, roles=["staff"], scopes=["proposals"])
    for headers in (foreign, people["foreign_member"]):
        r = await client.post(f"/api/v1/opinions/from-proposal/{pid}", headers=headers)
        assert r.status_code == 404 and r.json()["code"] == "proposal.not_found", r.text
    linked = (await client.get(f"/api/v1/proposals/{pid}", headers=people["member"])).json()
    assert linked["opinion_report_id"] is None and linked["not_filed_disposition"] == "none"


async def test_rule_28_a_report_is_read_by_its_author_the_office_and_the_leaders_only(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    draft = await _draft(client, people["member"])
    submitted = await _submitted(client, people["member"])
    readers = {"member": 200, "office": 200, "leader": 200}
    nobody = ("member_2", "proposals_office", "foreign_office", "foreign_member")
    for who, expected in {**readers, **dict.fromkeys(nobody, 404)}.items():
        r = await client.get(f"/api/v1/opinions/{submitted}", headers=people[who])
        assert r.status_code == expected, (who, r.text)
        listed = await client.get("/api/v1/opinions", params={"limit": 100}, headers=people[who])
        assert (submitted in [i["id"] for i in listed.json()["items"]]) is (expected == 200), who
    # A handling unit's users and partner systems never reach reports.
    for who in ("unit_user", "partner"):
        assert (await client.get(f"/api/v1/opinions/{submitted}", headers=people[who])).status_code == 403
        assert (await client.get("/api/v1/opinions", headers=people[who])).status_code == 403
    # A draft is its author's alone.
    for who in ("office", "leader", "member_2"):
        assert (await client.get(f"/api/v1/opinions/{draft}", headers=people[who])).status_code == 404
    assert (await client.get(f"/api/v1/opinions/{draft}", headers=people["member"])).status_code == 200
    # Leaders read, they do not act.
    r = await client.post(
        f"/api/v1/opinions/{submitted}/adopt",
        json={"level": "county", "adopted_by": "x"},
        headers=people["leader"],
    )
    assert r.status_code == 403
    # The office does not write a member's report, nor a member the office's record.
    r = await client.post(f"/api/v1/opinions/{submitted}/withdraw", headers=people["office"])
    assert r.status_code == 403


async def test_the_office_list_filters_by_status_level_year_and_text_page_by_page(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    marker = f"标记{uuid.uuid4().hex[:6]}"
    ids = [
        await _submitted(client, people["member_2"], REPORT | {"title": f"关于{marker}第{n}项的建议"})
        for n in range(3)
    ]
    office = people["office"]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"q": marker, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/opinions", params=params, headers=office)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert (await client.get("/api/v1/opinions", params={"q": "100%_"}, headers=office)).json()["items"] == []
    by_year = await client.get(
        "/api/v1/opinions", params={"q": marker, "year": 2026, "status": "submitted"}, headers=office
    )
    assert len(by_year.json()["items"]) == 3
    assert (await client.get("/api/v1/opinions", params={"q": marker, "year": 2025}, headers=office)).json()[
        "items"
    ] == []
    assert (
        await client.get("/api/v1/opinions", params={"status": "nonsense"}, headers=office)
    ).status_code == 422


async def test_material_is_attached_to_the_draft_and_read_like_the_report(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    rid = await _draft(client, people["member"])
    upload = {"Content-Type": "application/pdf", "X-Filename": "%E8%B0%83%E7%A0%94.pdf"}
    r = await client.post(
        f"/api/v1/opinions/{rid}/attachments", content=PDF, headers={**people["member"], **upload}
    )
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    assert r.json()["owner_type"] == "opinion" and r.json()["file_name"] == "调研.pdf"
    fake = await client.post(
        f"/api/v1/opinions/{rid}/attachments", content=b"not a pdf", headers={**people["member"], **upload}
    )
    assert fake.status_code == 422
    await client.post(f"/api/v1/opinions/{rid}/submit", headers=people["member"])
    late = await client.post(
        f"/api/v1/opinions/{rid}/attachments", content=PDF, headers={**people["member"], **upload}
    )
    assert late.status_code == 409
    for who, expected in {"member": 200, "office": 200, "member_2": 404, "unit_user": 403}.items():
        r = await client.get(f"/api/v1/opinions/{rid}/attachments/{aid}", headers=people[who])
        assert r.status_code == expected, who
    assert (
        await client.get(f"/api/v1/opinions/{rid}/attachments/{aid}", headers=people["office"])
    ).content == PDF
    listed = await client.get(f"/api/v1/opinions/{rid}/attachments", headers=people["office"])
    assert [a["id"] for a in listed.json()] == [aid]
