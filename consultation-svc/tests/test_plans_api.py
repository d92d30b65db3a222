"""Annual plans and topic collection through the API, on a real PostgreSQL and NATS, the clock
moved by a FakeClock (DOMAIN.md §4, rule 28)."""

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import consultation_svc
from consultation_svc.main import create_app
from consultation_svc.settings import Settings
from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer

from .conftest import enrol

MIGRATIONS = Path(consultation_svc.__file__).parent / "migrations"
BASE = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
MEMBER, MEMBER_2, STAFF, STAFF_2, LEADER = (uuid.uuid4() for _ in range(5))
AGRICULTURE, ECONOMY, ECONOMIC_COMMITTEE, OTHER_COMMITTEE = (uuid.uuid4() for _ in range(4))
Headers = Callable[..., dict[str, str]]

ENTRY = {
    "topic": "推进城市更新和老旧小区改造",
    "form": "bimonthly_forum",
    "planned_month": 5,
    "participants": {"scope": "sectors", "groups": [{"name": "经济界"}, {"name": "工商联界"}]},
    "lead_department": "市住房城乡建设局",
}


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "consultation"),
        nats_url=module_nats_url,
        relay_interval_seconds=0.05,
    )


@pytest.fixture(scope="module", autouse=True)
async def members(db: AsyncEngine) -> None:
    """Member 2 of the agriculture sector, a member of 民盟 on the economic committee (the projection)."""
    await enrol(db, person_id=MEMBER_2, org_id=ORG, name="王二", sector_id=AGRICULTURE)
    await enrol(
        db,
        person_id=MEMBER,
        org_id=ORG,
        name="张一",
        sector_id=ECONOMY,
        party="民盟盟员",
        committee_ids=[ECONOMIC_COMMITTEE],
    )


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(BASE)


@pytest.fixture(scope="module")
async def client(
    settings: Settings, issuer: TestIssuer, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source(), clock=clock)) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def who(issuer: TestIssuer) -> Headers:
    at = int(BASE.timestamp())
    callers: dict[str, dict[str, Any]] = {
        "member": {"sub": MEMBER, "org": ORG, "roles": ["member"]},
        "member_2": {"sub": MEMBER_2, "org": ORG, "roles": ["member"]},
        "staff": {"sub": STAFF, "org": ORG, "roles": ["staff"], "scopes": ["consultation"]},
        "staff_2": {"sub": STAFF_2, "org": ORG, "roles": ["staff"], "scopes": ["consultation"]},
        "staff_proposals": {"sub": uuid.uuid4(), "org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
        "leader": {"sub": LEADER, "org": ORG, "roles": ["leader"]},
        "admin": {"sub": uuid.uuid4(), "org": ORG, "roles": ["admin"]},
        "other_staff": {
            "sub": uuid.uuid4(),
            "org": OTHER_ORG,
            "roles": ["staff"],
            "scopes": ["consultation"],
        },
        "other_member": {"sub": uuid.uuid4(), "org": OTHER_ORG, "roles": ["member"]},
    }
    made = {name: issuer.headers(iat=at - 60, exp=at + 800 * 86400, **kw) for name, kw in callers.items()}
    return lambda name, **extra: {**made[name], **extra}


async def _events(db: AsyncEngine, event_type: str, subject: str) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox WHERE subject = :t ORDER BY created_at"), {"t": event_type}
        )
        events = [json.loads(r.payload) for r in rows]
    return [e for e in events if e["subject"] == subject]


async def _published_plan(
    client: httpx.AsyncClient, who: Headers, year: int, entries: int = 2
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/consultations/plans",
        json={"year": year, "title": f"{year}年度协商计划"},
        headers=who("staff"),
    )
    assert r.status_code == 201, r.text
    plan = r.json()
    for n in range(entries):
        r = await client.post(
            f"/api/v1/consultations/plans/{plan['id']}/entries",
            json={**ENTRY, "topic": f"议题{n}", "planned_month": n + 1},
            headers=who("staff"),
        )
        assert r.status_code == 201, r.text
    pid = plan["id"]
    assert (
        await client.post(f"/api/v1/consultations/plans/{pid}/submit", headers=who("staff"))
    ).status_code == 200
    r = await client.post(
        f"/api/v1/consultations/plans/{pid}/approve", json={"record": "主席会议审定"}, headers=who("leader")
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/consultations/plans/{pid}/publish", headers=who("staff"))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_plan_is_drafted_approved_and_published_to_the_members(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    r = await client.post(
        "/api/v1/consultations/plans",
        json={"year": 2027, "title": "政协XX市委员会2027年度协商工作计划", "notes": "围绕中心、服务大局"},
        headers=who("staff"),
    )
    assert r.status_code == 201, r.text
    plan = r.json()
    pid = plan["id"]
    assert (plan["status"], plan["version_no"], r.headers["ETag"]) == ("draft", 1, '"1"')
    # Staff see the draft; members and leaders do not (rule 28), nor another organization.
    assert (
        await client.get(f"/api/v1/consultations/plans/{pid}", headers=who("staff_proposals"))
    ).status_code == 200
    for caller in ("member", "leader", "other_staff", "other_member"):
        r = await client.get(f"/api/v1/consultations/plans/{pid}", headers=who(caller))
        assert r.status_code == 404, caller
    # An empty plan is not submitted.
    r = await client.post(f"/api/v1/consultations/plans/{pid}/submit", headers=who("staff"))
    assert r.status_code == 409 and r.json()["code"] == "plan.empty"
    r = await client.post(f"/api/v1/consultations/plans/{pid}/entries", json=ENTRY, headers=who("staff"))
    assert r.status_code == 201, r.text
    entry = r.json()["entries"][0]
    assert entry["participants"]["groups"][1]["name"] == "工商联界" and entry["planned_month"] == 5
    r = await client.post(
        f"/api/v1/consultations/plans/{pid}/entries",
        json={
            "topic": "优化营商环境",
            "form": "thematic",
            "planned_on": "2027-09-16",
            "participants": {"scope": "standing", "note": "邀请市政府分管领导、有关专家"},
            "lead_unit_id": str(uuid.uuid4()),
        },
        headers=who("staff"),
    )
    assert r.status_code == 201 and r.json()["entries"][1]["planned_month"] == 9
    # One plan per organization and year.
    r = await client.post(
        "/api/v1/consultations/plans", json={"year": 2027, "title": "又一份"}, headers=who("staff")
    )
    assert r.status_code == 409 and r.json()["code"] == "plan.exists"
    r = await client.post(f"/api/v1/consultations/plans/{pid}/submit", headers=who("staff"))
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    # The leader sees it now and sends it back with a reason; resubmitted, approves it.
    assert (await client.get(f"/api/v1/consultations/plans/{pid}", headers=who("leader"))).status_code == 200
    r = await client.post(
        f"/api/v1/consultations/plans/{pid}/return", json={"reason": "请增加界别协商"}, headers=who("leader")
    )
    assert (
        r.status_code == 200
        and r.json()["status"] == "draft"
        and r.json()["return_reason"] == "请增加界别协商"
    )
    await client.post(f"/api/v1/consultations/plans/{pid}/submit", headers=who("staff"))
    # Staff do not approve under the default policy (a leader does).
    r = await client.post(
        f"/api/v1/consultations/plans/{pid}/approve", json={"record": "x"}, headers=who("staff_2")
    )
    assert r.status_code == 403 and r.json()["code"] == "plan.not_an_approver"
    r = await client.post(
        f"/api/v1/consultations/plans/{pid}/approve",
        json={"record": "经2027年1月8日主席会议审议、报市委同意"},
        headers=who("leader"),
    )
    assert r.status_code == 200 and r.json()["approval_record"].startswith("经2027年1月8日")
    # Published: the members see it, with its entries; it is announced once.
    assert (await client.get(f"/api/v1/consultations/plans/{pid}", headers=who("member"))).status_code == 404
    r = await client.post(f"/api/v1/consultations/plans/{pid}/publish", headers=who("staff"))
    assert r.status_code == 200 and r.json()["status"] == "published"
    r = await client.get(f"/api/v1/consultations/plans/{pid}", headers=who("member"))
    assert r.status_code == 200 and len(r.json()["entries"]) == 2 and r.json()["actions"] == ["revise"]
    (event,) = await _events(db, "cppcc.consultation.plan_published.v1", pid)
    assert event["orgid"] == str(ORG)
    assert (
        event["data"]["version"] == 1
        and event["data"]["entries_count"] == 2
        and event["data"]["year"] == 2027
    )
    # A published plan is not edited in place.
    r = await client.post(f"/api/v1/consultations/plans/{pid}/entries", json=ENTRY, headers=who("staff"))
    assert r.status_code == 409 and r.json()["code"] == "plan.invalid_transition"
    r = await client.get(f"/api/v1/consultations/plans/{pid}/history", headers=who("staff"))
    steps = [(h["action"], h["to_status"]) for h in r.json()["items"]]
    assert steps[0] == ("create", "draft") and steps[-1] == ("publish", "published")
    assert ("return", "draft") in steps


async def test_rule_28_each_caller_lists_only_the_plans_and_topics_they_may_see(
    client: httpx.AsyncClient, who: Headers, clock: FakeClock
) -> None:
    year = 2035
    published = await _published_plan(client, who, year, entries=1)
    r = await client.post(
        f"/api/v1/consultations/plans/{published['id']}/revise", json={"reason": "调整"}, headers=who("staff")
    )
    draft = r.json()
    r = await client.post(
        "/api/v1/consultations/plans", json={"year": year + 1, "title": "草稿"}, headers=who("staff")
    )
    other_draft = r.json()
    await client.post(
        f"/api/v1/consultations/plans/{other_draft['id']}/entries", json=ENTRY, headers=who("staff")
    )
    await client.post(f"/api/v1/consultations/plans/{other_draft['id']}/submit", headers=who("staff"))

    async def listed(caller: str, route: str = "/api/v1/consultations/plans") -> set[str]:
        items: set[str] = set()
        for y in (year, year + 1):
            r = await client.get(route, params={"year": y}, headers=who(caller))
            assert r.status_code == 200, r.text
            items |= {p["id"] for p in r.json()["items"]}
        return items

    assert await listed("staff") == {published["id"], draft["id"], other_draft["id"]}
    assert await listed("staff_proposals") == {published["id"], draft["id"], other_draft["id"]}
    assert await listed("leader") == {published["id"], other_draft["id"]}  # submitted, not the draft
    assert await listed("member") == {published["id"]}
    assert await listed("other_staff") == set() and await listed("other_member") == set()
    # Topics: a member lists their own and the accepted ones; another organization lists none.
    await client.post(
        "/api/v1/consultations/topic-windows",
        json={"year": year, "closes_at": (BASE + timedelta(days=3)).isoformat()},
        headers=who("staff"),
    )
    body = {"year": year, "title": "议题", "description": "说明", "source_kind": "member"}
    own = (await client.post("/api/v1/consultations/topics", json=body, headers=who("member"))).json()
    others = (await client.post("/api/v1/consultations/topics", json=body, headers=who("member_2"))).json()
    recorded = {**body, "source_kind": "government", "source_name": "市政府办公室"}
    gov = (
        await client.post("/api/v1/consultations/topics/recorded", json=recorded, headers=who("staff"))
    ).json()
    accept = {
        "plan_id": draft["id"],
        "form": "talk",
        "planned_month": 3,
        "participants": {"scope": "all"},
        "lead_department": "市政府办公室",
    }
    assert (
        await client.post(
            f"/api/v1/consultations/topics/{gov['id']}/accept", json=accept, headers=who("staff")
        )
    ).status_code == 200
    assert await listed("member", "/api/v1/consultations/topics") == {own["id"], gov["id"]}
    assert await listed("leader", "/api/v1/consultations/topics") == {own["id"], others["id"], gov["id"]}
    assert await listed("other_member", "/api/v1/consultations/topics") == set()
    r = await client.get(
        "/api/v1/consultations/topics", params={"mine": "true", "year": year}, headers=who("member_2")
    )
    assert [t["id"] for t in r.json()["items"]] == [others["id"]]


async def test_a_change_after_publication_is_a_new_version_approved_again_and_announced(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    v1 = await _published_plan(client, who, 2028, entries=3)
    r = await client.post(
        f"/api/v1/consultations/plans/{v1['id']}/revise",
        json={"reason": "市委新增点题"},
        headers=who("staff"),
    )
    assert r.status_code == 201, r.text
    v2 = r.json()
    assert (v2["version_no"], v2["status"], v2["previous_id"], v2["change_note"]) == (
        2,
        "draft",
        v1["id"],
        "市委新增点题",
    )
    assert [e["entry_key"] for e in v2["entries"]] == [e["entry_key"] for e in v1["entries"]]
    # One revision at a time; members still read version 1, not the draft.
    r = await client.post(
        f"/api/v1/consultations/plans/{v1['id']}/revise", json={"reason": "再改"}, headers=who("staff")
    )
    assert r.status_code == 409 and r.json()["code"] == "plan.revision_open"
    assert (
        await client.get(f"/api/v1/consultations/plans/{v2['id']}", headers=who("member"))
    ).status_code == 404
    first, second, third = v2["entries"]
    r = await client.put(
        f"/api/v1/consultations/plans/{v2['id']}/entries/{second['id']}",
        json={**ENTRY, "topic": second["topic"], "planned_month": 11},
        headers=who("staff"),
    )
    assert r.status_code == 200, r.text
    r = await client.delete(
        f"/api/v1/consultations/plans/{v2['id']}/entries/{third['id']}", headers=who("staff")
    )
    assert r.status_code == 200 and len(r.json()["entries"]) == 2
    r = await client.post(
        f"/api/v1/consultations/plans/{v2['id']}/entries",
        json={**ENTRY, "topic": "党委点题：托育服务"},
        headers=who("staff"),
    )
    added = r.json()["entries"][-1]
    # Approval again (the default policy), then published: version 1 is superseded and stays readable.
    r = await client.post(f"/api/v1/consultations/plans/{v2['id']}/publish", headers=who("staff"))
    assert r.status_code == 409 and r.json()["code"] == "plan.approval_required"
    await client.post(f"/api/v1/consultations/plans/{v2['id']}/submit", headers=who("staff"))
    await client.post(
        f"/api/v1/consultations/plans/{v2['id']}/approve", json={"record": "主席会议"}, headers=who("leader")
    )
    r = await client.post(f"/api/v1/consultations/plans/{v2['id']}/publish", headers=who("staff"))
    assert r.status_code == 200 and r.json()["status"] == "published"
    old = (await client.get(f"/api/v1/consultations/plans/{v1['id']}", headers=who("member"))).json()
    assert old["status"] == "superseded" and old["superseded_by"] == v2["id"] and len(old["entries"]) == 3
    (event,) = await _events(db, "cppcc.consultation.plan_published.v1", v2["id"])
    data = event["data"]
    assert (data["version"], data["previous_plan_id"], data["entries_count"]) == (2, v1["id"], 3)
    assert data["added_entry_keys"] == [added["entry_key"]]
    assert data["changed_entry_keys"] == [second["entry_key"]]
    assert data["removed_entry_keys"] == [third["entry_key"]]
    assert data["change_note"] == "市委新增点题"
    # The superseded version is not revised; the members' list shows both versions of the year.
    r = await client.post(
        f"/api/v1/consultations/plans/{v1['id']}/revise", json={"reason": "x"}, headers=who("staff")
    )
    assert r.status_code == 409
    r = await client.get("/api/v1/consultations/plans", params={"year": 2028}, headers=who("member"))
    assert [(p["version_no"], p["status"]) for p in r.json()["items"]] == [
        (2, "published"),
        (1, "superseded"),
    ]
    assert first["entry_key"] in {e["entry_key"] for e in old["entries"]}


async def test_the_office_approves_when_the_policy_says_so_and_revisions_may_skip_approval(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    policy = (await client.get("/api/v1/consultations/plan-policy", headers=who("staff"))).json()
    assert policy["approver"] == "leader" and policy["revision_needs_approval"] is True
    changed = {**policy, "approver": "office", "revision_needs_approval": False}
    assert (
        await client.put("/api/v1/consultations/plan-policy", json=changed, headers=who("staff"))
    ).status_code == 403
    r = await client.put("/api/v1/consultations/plan-policy", json=changed, headers=who("admin"))
    assert r.status_code == 200 and r.json()["approver"] == "office"
    try:
        r = await client.post(
            "/api/v1/consultations/plans", json={"year": 2029, "title": "2029"}, headers=who("staff")
        )
        pid = r.json()["id"]
        await client.post(f"/api/v1/consultations/plans/{pid}/entries", json=ENTRY, headers=who("staff"))
        await client.post(f"/api/v1/consultations/plans/{pid}/submit", headers=who("staff"))
        # Not the one who submitted it; not a leader under this policy; another office member.
        for caller in ("staff", "leader"):
            r = await client.post(
                f"/api/v1/consultations/plans/{pid}/approve", json={"record": "办公室"}, headers=who(caller)
            )
            assert r.status_code == 403, caller
        r = await client.post(
            f"/api/v1/consultations/plans/{pid}/approve",
            json={"record": "秘书长办公会"},
            headers=who("staff_2"),
        )
        assert r.status_code == 200, r.text
        assert (
            await client.post(f"/api/v1/consultations/plans/{pid}/publish", headers=who("staff"))
        ).status_code == 200
        r = await client.post(
            f"/api/v1/consultations/plans/{pid}/revise", json={"reason": "调整时间"}, headers=who("staff")
        )
        v2 = r.json()["id"]
        r = await client.post(f"/api/v1/consultations/plans/{v2}/publish", headers=who("staff"))
        assert r.status_code == 200 and r.json()["status"] == "published"
        (event,) = await _events(db, "cppcc.consultation.plan_published.v1", v2)
        assert event["data"]["added_entry_keys"] == event["data"]["changed_entry_keys"] == []
    finally:
        await client.put("/api/v1/consultations/plan-policy", json=policy, headers=who("admin"))


async def test_an_entry_is_refused_with_every_problem_named(client: httpx.AsyncClient, who: Headers) -> None:
    r = await client.post(
        "/api/v1/consultations/plans", json={"year": 2030, "title": "2030"}, headers=who("staff")
    )
    pid = r.json()["id"]
    bad = {
        **ENTRY,
        "form": "banquet",
        "planned_on": "2031-05-01",
        "participants": {"scope": "members"},
        "lead_department": None,
    }
    r = await client.post(f"/api/v1/consultations/plans/{pid}/entries", json=bad, headers=who("staff"))
    assert r.status_code == 422 and r.json()["code"] == "plan.entry_invalid"
    fields = {e["field"]: e["code"] for e in r.json()["errors"]}
    assert fields == {
        "form": "unknown_form",
        "planned_on": "year_mismatch",
        "participants.member_ids": "members_required",
        "lead_department": "lead_required",
    }
    # A stale If-Match is 412; the right one passes.
    r = await client.patch(
        f"/api/v1/consultations/plans/{pid}",
        json={"title": "新"},
        headers=who("staff", **{"If-Match": '"9"'}),
    )
    assert r.status_code == 412 and r.json()["code"] == "plan.version_mismatch"
    r = await client.patch(
        f"/api/v1/consultations/plans/{pid}",
        json={"title": "新"},
        headers=who("staff", **{"If-Match": '"1"'}),
    )
    assert r.status_code == 200 and r.json()["title"] == "新" and r.headers["ETag"] == '"2"'
    r = await client.post(
        f"/api/v1/consultations/plans/{pid}/discard", json={"reason": "重新起草"}, headers=who("staff")
    )
    assert r.status_code == 200 and r.json()["status"] == "discarded"
    # A discarded draft no longer holds the year.
    r = await client.post(
        "/api/v1/consultations/plans", json={"year": 2030, "title": "2030"}, headers=who("staff")
    )
    assert r.status_code == 201 and r.json()["version_no"] == 2


async def test_members_propose_topics_only_in_the_window_and_staff_accept_them_into_the_plan(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, clock: FakeClock
) -> None:
    topic = {
        "year": 2031,
        "title": "关于发展普惠托育服务的议题",
        "description": "托育服务供给不足。",
        "reason": "群众关切",
        "source_kind": "member",
    }
    r = await client.post("/api/v1/consultations/topics", json=topic, headers=who("member"))
    assert r.status_code == 409 and r.json()["code"] == "topic.window_closed"
    assert "尚未开启" in r.json()["detail"]
    closes = BASE + timedelta(days=30)
    r = await client.post(
        "/api/v1/consultations/topic-windows",
        json={"year": 2031, "closes_at": closes.isoformat(), "note": "面向全体委员征集2031年度协商议题"},
        headers=who("staff"),
    )
    assert r.status_code == 201 and r.json()["accepting"] is True
    window = r.json()
    # The members see the window; another organization does not.
    assert (
        await client.get(f"/api/v1/consultations/topic-windows/{window['id']}", headers=who("member"))
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/consultations/topic-windows/{window['id']}", headers=who("other_member"))
    ).status_code == 404
    r = await client.post("/api/v1/consultations/topics", json=topic, headers=who("member"))
    assert r.status_code == 201, r.text
    mine = r.json()
    assert (mine["status"], mine["source_kind"], mine["proposer_id"]) == ("proposed", "member", str(MEMBER))
    r = await client.post(
        "/api/v1/consultations/topics",
        json={
            **topic,
            "title": "关于乡村振兴的议题",
            "source_kind": "sector",
            "source_name": "农业界",
            "source_id": str(AGRICULTURE),
        },
        headers=who("member_2"),
    )
    assert r.status_code == 201 and r.json()["source_name"] == "农业界"
    on_behalf = r.json()
    r = await client.post(
        "/api/v1/consultations/topics", json={**topic, "source_kind": "party"}, headers=who("member")
    )
    assert r.status_code == 422 and r.json()["code"] == "topic.source_name_required"
    r = await client.post(
        "/api/v1/consultations/topics",
        json={**topic, "source_kind": "party_committee"},
        headers=who("member"),
    )
    assert r.status_code == 422 and r.json()["code"] == "topic.source_not_allowed"
    # Staff record the Party committee's topic (党委点题) at any time; members do not use that route.
    r = await client.post(
        "/api/v1/consultations/topics/recorded",
        json={
            **topic,
            "title": "市委点题：优化营商环境",
            "source_kind": "party_committee",
            "source_name": "市委",
        },
        headers=who("staff"),
    )
    assert r.status_code == 201 and r.json()["proposer_id"] is None
    party = r.json()
    assert (
        await client.post("/api/v1/consultations/topics/recorded", json=topic, headers=who("member"))
    ).status_code == 403
    (event,) = await _events(db, "cppcc.consultation.topic_proposed.v1", party["id"])
    assert event["data"]["source_kind"] == "party_committee" and event["data"]["source_name"] == "市委"
    # A member sees their own topics, not another member's proposed one; staff and leaders see all.
    r = await client.get("/api/v1/consultations/topics", params={"year": 2031}, headers=who("member"))
    assert [t["id"] for t in r.json()["items"]] == [mine["id"]]
    assert (
        await client.get(f"/api/v1/consultations/topics/{on_behalf['id']}", headers=who("member"))
    ).status_code == 404
    r = await client.get("/api/v1/consultations/topics", params={"year": 2031}, headers=who("leader"))
    assert len(r.json()["items"]) == 3
    # Accepted into an entry of the 2031 plan draft: the entry links the topic; every member sees it.
    r = await client.post(
        "/api/v1/consultations/plans", json={"year": 2031, "title": "2031"}, headers=who("staff")
    )
    plan = r.json()
    accept = {
        "plan_id": plan["id"],
        "form": "thematic",
        "planned_month": 6,
        "participants": {"scope": "all"},
        "lead_department": "市卫生健康委",
    }
    r = await client.post(
        f"/api/v1/consultations/topics/{party['id']}/accept", json=accept, headers=who("staff")
    )
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert (accepted["status"], accepted["plan_id"]) == ("accepted", plan["id"])
    entries = (await client.get(f"/api/v1/consultations/plans/{plan['id']}", headers=who("staff"))).json()[
        "entries"
    ]
    assert entries[0]["topic_id"] == party["id"] and entries[0]["entry_key"] == accepted["entry_key"]
    assert entries[0]["topic"] == party["title"]
    (event,) = await _events(db, "cppcc.consultation.topic_accepted.v1", party["id"])
    assert event["data"]["entry_key"] == accepted["entry_key"]
    assert (
        await client.get(f"/api/v1/consultations/topics/{party['id']}", headers=who("member"))
    ).status_code == 200
    # Into another year's plan: 409; declined with a reason the proposer reads.
    r = await client.post(
        "/api/v1/consultations/plans", json={"year": 2032, "title": "2032"}, headers=who("staff")
    )
    r = await client.post(
        f"/api/v1/consultations/topics/{on_behalf['id']}/accept",
        json={**accept, "plan_id": r.json()["id"]},
        headers=who("staff"),
    )
    assert r.status_code == 409 and r.json()["code"] == "topic.plan_year_mismatch"
    r = await client.post(
        f"/api/v1/consultations/topics/{on_behalf['id']}/decline",
        json={"reason": "宜以提案形式提出"},
        headers=who("staff"),
    )
    assert r.status_code == 200 and r.json()["decline_reason"] == "宜以提案形式提出"
    r = await client.get(f"/api/v1/consultations/topics/{on_behalf['id']}", headers=who("member_2"))
    assert r.json()["status"] == "declined"
    (event,) = await _events(db, "cppcc.consultation.topic_declined.v1", on_behalf["id"])
    assert event["data"]["proposer_id"] == str(MEMBER_2) and event["data"]["reason"] == "宜以提案形式提出"
    # Only its proposer withdraws a topic.
    r = await client.post(f"/api/v1/consultations/topics/{mine['id']}/withdraw", headers=who("member_2"))
    assert r.status_code == 404
    r = await client.post(f"/api/v1/consultations/topics/{mine['id']}/withdraw", headers=who("member"))
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    # Past its closing time the window takes no topic, with the time it closed.
    clock.set(closes)
    r = await client.post("/api/v1/consultations/topics", json=topic, headers=who("member"))
    assert r.status_code == 409 and r.json()["code"] == "topic.window_closed"
    assert "已于" in r.json()["detail"]
    r = await client.get(f"/api/v1/consultations/topic-windows/{window['id']}", headers=who("member"))
    assert r.json()["accepting"] is False
    # Extended after its closing time, it takes topics again.
    r = await client.post(
        f"/api/v1/consultations/topic-windows/{window['id']}/extend",
        json={"closes_at": (closes + timedelta(days=7)).isoformat()},
        headers=who("staff"),
    )
    assert r.status_code == 200 and r.json()["accepting"] is True
    assert (
        await client.post("/api/v1/consultations/topics", json=topic, headers=who("member"))
    ).status_code == 201
    clock.set(BASE)


async def test_the_collection_window_is_extended_closed_and_reopened(
    client: httpx.AsyncClient, who: Headers, clock: FakeClock
) -> None:
    topic = {"year": 2033, "title": "议题", "description": "说明", "source_kind": "member"}
    r = await client.post(
        "/api/v1/consultations/topic-windows",
        json={"year": 2033, "closes_at": (BASE + timedelta(days=1)).isoformat()},
        headers=who("staff"),
    )
    wid = r.json()["id"]
    r = await client.post(
        "/api/v1/consultations/topic-windows",
        json={"year": 2033, "closes_at": (BASE + timedelta(days=1)).isoformat()},
        headers=who("staff"),
    )
    assert r.status_code == 409 and r.json()["code"] == "topic.window_exists"
    r = await client.post(
        f"/api/v1/consultations/topic-windows/{wid}/extend",
        json={"closes_at": (BASE - timedelta(days=1)).isoformat()},
        headers=who("staff"),
    )
    assert r.status_code == 422 and r.json()["code"] == "topic.closes_in_the_past"
    r = await client.post(
        f"/api/v1/consultations/topic-windows/{wid}/extend",
        json={"closes_at": (BASE + timedelta(days=10)).isoformat()},
        headers=who("staff"),
    )
    assert r.status_code == 200 and r.json()["accepting"] is True
    clock.set(BASE + timedelta(days=5))
    try:
        assert (
            await client.post("/api/v1/consultations/topics", json=topic, headers=who("member"))
        ).status_code == 201
        r = await client.post(f"/api/v1/consultations/topic-windows/{wid}/close", headers=who("staff"))
        assert r.status_code == 200 and r.json()["status"] == "closed"
        r = await client.post("/api/v1/consultations/topics", json=topic, headers=who("member"))
        assert r.status_code == 409 and r.json()["code"] == "topic.window_closed"
        r = await client.post(
            f"/api/v1/consultations/topic-windows/{wid}/reopen",
            json={"closes_at": (BASE + timedelta(days=6)).isoformat()},
            headers=who("staff"),
        )
        assert r.status_code == 200 and r.json()["accepting"] is True
        assert (
            await client.post("/api/v1/consultations/topics", json=topic, headers=who("member"))
        ).status_code == 201
    finally:
        clock.set(BASE)


async def test_a_member_proposes_at_most_the_policys_number_of_topics_a_year(
    client: httpx.AsyncClient, who: Headers
) -> None:
    await client.post(
        "/api/v1/consultations/topic-windows",
        json={"year": 2034, "closes_at": (BASE + timedelta(days=1)).isoformat()},
        headers=who("staff"),
    )
    topic = {"year": 2034, "title": "议题", "description": "说明", "source_kind": "member"}
    made = []
    for _ in range(5):
        r = await client.post("/api/v1/consultations/topics", json=topic, headers=who("member"))
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    r = await client.post("/api/v1/consultations/topics", json=topic, headers=who("member"))
    assert r.status_code == 409 and r.json()["code"] == "topic.limit_reached"
    await client.post(f"/api/v1/consultations/topics/{made[0]}/withdraw", headers=who("member"))
    assert (
        await client.post("/api/v1/consultations/topics", json=topic, headers=who("member"))
    ).status_code == 201


async def test_a_member_proposes_on_behalf_only_of_a_sector_party_or_committee_they_belong_to(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, issuer: TestIssuer
) -> None:
    closes = BASE + timedelta(days=30)
    r = await client.post(
        "/api/v1/consultations/topic-windows",
        json={"year": 2039, "closes_at": closes.isoformat()},
        headers=who("staff"),
    )
    assert r.status_code == 201, r.text
    topic = {"year": 2039, "title": "关于民营经济的议题", "description": "融资难。"}

    async def propose(caller: str, **source: Any) -> httpx.Response:
        body = {**topic, **{k: str(v) for k, v in source.items()}}
        return await client.post("/api/v1/consultations/topics", json=body, headers=who(caller))

    # A sector or committee is named by member-svc's id.
    r = await propose("member", source_kind="sector", source_name="经济界")
    assert r.status_code == 422 and r.json()["code"] == "topic.source_id_required"
    # Not their sector, committee or party: 403, nothing stored.
    for caller, source in (
        ("member", {"source_kind": "sector", "source_name": "农业界", "source_id": AGRICULTURE}),
        ("member", {"source_kind": "committee", "source_name": "文史委", "source_id": OTHER_COMMITTEE}),
        ("member", {"source_kind": "party", "source_name": "民建市委会"}),
        ("member_2", {"source_kind": "party", "source_name": "民盟市委会"}),  # of no party
        ("member_2", {"source_kind": "sector", "source_name": "经济界", "source_id": ECONOMY}),
    ):
        r = await propose(caller, **source)
        assert r.status_code == 403 and r.json()["code"] == "topic.not_in_source", (caller, source, r.text)
    # Their own: accepted, the id kept with the name.
    for source in (
        {"source_kind": "sector", "source_name": "经济界", "source_id": ECONOMY},
        {"source_kind": "committee", "source_name": "经济委员会", "source_id": ECONOMIC_COMMITTEE},
        {"source_kind": "party", "source_name": "民盟市委会"},
        {"source_kind": "party", "source_name": "中国民主同盟示例市委员会"},
    ):
        r = await propose("member", **source)
        assert r.status_code == 201, (source, r.text)
        expected = str(source["source_id"]) if "source_id" in source else None
        assert r.json()["source_id"] == expected
    # A member whose term is over no longer speaks for the group.
    former = uuid.uuid4()
    await enrol(
        db,
        person_id=former,
        org_id=ORG,
        sector_id=ECONOMY,
        starts_on=date(2018, 1, 1),
        ends_on=date(2022, 12, 31),
    )
    r = await client.post(
        "/api/v1/consultations/topics",
        json={**topic, "source_kind": "sector", "source_name": "经济界", "source_id": str(ECONOMY)},
        headers=issuer.headers(
            iat=int(BASE.timestamp()) - 60,
            exp=int(BASE.timestamp()) + 86400,
            sub=former,
            org=ORG,
            roles=["member"],
        ),
    )
    assert r.status_code == 403 and r.json()["code"] == "topic.not_in_source"


async def _member_headers(issuer: TestIssuer, person: uuid.UUID) -> dict[str, str]:
    at = int(BASE.timestamp())
    return issuer.headers(iat=at - 60, exp=at + 86400, sub=person, org=ORG, roles=["member"])


async def _collecting(client: httpx.AsyncClient, who: Headers, year: int) -> None:
    closes = BASE + timedelta(days=30)
    r = await client.post(
        "/api/v1/consultations/topic-windows",
        json={"year": year, "closes_at": closes.isoformat()},
        headers=who("staff"),
    )
    assert r.status_code == 201, r.text


async def test_rule_28_a_member_speaks_only_for_groups_of_their_own_organization(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, issuer: TestIssuer
) -> None:
    """The same person is a member of another organization too: its sector, committee and party
    are not theirs here."""
    person, sector, committee = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await enrol(db, person_id=person, org_id=ORG, name="两地委员")
    await enrol(
        db,
        person_id=person,
        org_id=OTHER_ORG,
        name="两地委员",
        sector_id=sector,
        party="民建",
        committee_ids=[committee],
    )
    await _collecting(client, who, 2040)
    topic = {"year": 2040, "title": "关于营商环境的议题", "description": "涉企审批环节多。"}
    for source in (
        {"source_kind": "sector", "source_name": "经济界", "source_id": str(sector)},
        {"source_kind": "committee", "source_name": "经济委员会", "source_id": str(committee)},
        {"source_kind": "party", "source_name": "民建市委会"},
    ):
        r = await client.post(
            "/api/v1/consultations/topics",
            json={**topic, **source},
            headers=await _member_headers(issuer, person),
        )
        assert r.status_code == 403 and r.json()["code"] == "topic.not_in_source", (source, r.text)


async def test_a_member_speaks_for_their_party_as_member_svc_names_it(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, issuer: TestIssuer
) -> None:
    """member-svc's member records name the party as its directory does (民盟, 无党派), and the
    members projection keeps that name."""
    person, nonpartisan = uuid.uuid4(), uuid.uuid4()
    await enrol(db, person_id=person, org_id=ORG, name="盟员委员", party="民盟")
    await enrol(db, person_id=nonpartisan, org_id=ORG, name="无党派委员", party="无党派")
    await _collecting(client, who, 2041)
    topic = {"year": 2041, "title": "关于职业教育的议题", "description": "产教融合不够深入。"}
    body = {**topic, "source_kind": "party", "source_name": "中国民主同盟示例市委员会"}
    r = await client.post(
        "/api/v1/consultations/topics", json=body, headers=await _member_headers(issuer, nonpartisan)
    )
    assert r.status_code == 403 and r.json()["code"] == "topic.not_in_source", r.text
    r = await client.post(
        "/api/v1/consultations/topics", json=body, headers=await _member_headers(issuer, person)
    )
    assert r.status_code == 201, r.text
