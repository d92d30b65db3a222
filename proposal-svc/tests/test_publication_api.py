"""Publication through the API (rule 20, rule 28): every proposer who counts consents, the office
publishes within the window a copy without contact details, the public reads only what is
published, and a window that closes unpublished tells the office once, with two racing scanners;
on a real database and NATS with the service's clock fixed (FakeClock)."""

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.scanners import race
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.main import create_app
from proposal_svc.publication.scanners import PublicationWindows
from proposal_svc.settings import Settings

from .conftest import announce, enrol

# 10:00 in Shanghai on Friday 26 September 2025: 20 working days over National Day (1–8 October;
# Sunday 28 September and Saturday 11 October are make-up workdays) end on Thursday 30 October, so
# the window closes at 00:00 on 31 October in Shanghai.
BASE = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)
CLOSES = datetime(2025, 10, 30, 16, 0, tzinfo=UTC)
CLOCK = FakeClock(BASE)
ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
MEMBER, COSIGNER, INVITED, OTHER = (uuid.uuid4() for _ in range(4))
UNIT = uuid.uuid4()
MOBILE, LANDLINE, EMAIL, ID_CARD = (
    "13812345678",
    "0571-87654321",
    "zhangsan@example.com",
    "330106199001011234",
)
PROPOSAL = {
    "title": f"关于老旧小区加装电梯的建议（手机{MOBILE}）",
    "situation": f"老旧小区多层住宅普遍没有电梯。联系人张三，固话{LANDLINE}，邮箱{EMAIL}。",
    "suggestions": ["简化审批流程", f"设立专项补贴（身份证号{ID_CARD}的住户已申请）"],
}
REPLY = {
    "letter": f"关于加装电梯的答复：已列入计划。联系人王五，电话{LANDLINE}，手机{MOBILE}。",
    "signed_by": "李四",
    "result_class": "A",
}
Headers = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
async def client(settings: Settings, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source(), clock=CLOCK)) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    for person in (MEMBER, COSIGNER, INVITED, OTHER):
        await enrol(settings, person_id=person, org_id=ORG)
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO units (unit_id, org_id, name, kind) VALUES (:u, :o, '市住建局', 'bureau')"),
            {"u": UNIT, "o": ORG},
        )
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def who(issuer: TestIssuer) -> Headers:
    at = int(BASE.timestamp())
    callers: dict[str, dict[str, Any]] = {
        "member": {"sub": MEMBER, "org": ORG, "roles": ["member"]},
        "cosigner": {"sub": COSIGNER, "org": ORG, "roles": ["member"]},
        "invited": {"sub": INVITED, "org": ORG, "roles": ["member"]},
        "other": {"sub": OTHER, "org": ORG, "roles": ["member"]},
        "staff": {"sub": uuid.uuid4(), "org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
        "unit": {"sub": uuid.uuid4(), "org": ORG, "roles": ["unit_user"], "unit": UNIT},
        "other_org_staff": {
            "sub": uuid.uuid4(),
            "org": OTHER_ORG,
            "roles": ["staff"],
            "scopes": ["proposals"],
        },
    }
    made = {name: issuer.headers(iat=at - 60, exp=at + 400 * 86400, **kw) for name, kw in callers.items()}
    return lambda name: made[name]


@pytest.fixture(autouse=True)
def _clock() -> None:
    CLOCK.set(BASE)


async def _replied(client: httpx.AsyncClient, who: Headers, db: AsyncEngine) -> str:
    """A joint proposal (MEMBER first, COSIGNER confirmed, INVITED still invited) filed, assigned to
    UNIT, accepted and replied at BASE."""
    r = await client.post("/api/v1/proposals", json=PROPOSAL, headers=who("member"))
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert (await client.post(f"/api/v1/proposals/{pid}/submit", headers=who("member"))).status_code == 200
    async with db.begin() as conn:  # co-signers as the co-sign flow leaves them
        await conn.execute(
            text(
                "INSERT INTO proposal_proposers (proposal_id, person_id, role, position, status)"
                " VALUES (:p, :c, 'cosigner', 1, 'confirmed'), (:p, :i, 'cosigner', 2, 'invited')"
            ),
            {"p": pid, "c": COSIGNER, "i": INVITED},
        )
    assert (await client.post(f"/api/v1/proposals/{pid}/file", headers=who("staff"))).status_code == 200
    r = await client.post(
        f"/api/v1/proposals/{pid}/assignments", json={"lead_unit_id": str(UNIT)}, headers=who("staff")
    )
    assert r.status_code == 201, r.text
    step = f"/api/v1/proposals/{pid}/assignments/{r.json()['assignments'][0]['id']}"
    assert (await client.post(f"{step}/accept", headers=who("unit"))).status_code == 200
    talk = {"kind": "phone", "communicated_on": "2025-09-26", "summary": "电话沟通了办理思路"}
    assert (await client.post(f"{step}/communications", json=talk, headers=who("unit"))).status_code == 201
    assert (await client.post(f"{step}/replies", json=REPLY, headers=who("unit"))).status_code == 201
    return str(pid)


async def _consent(
    client: httpx.AsyncClient, who: Headers, pid: str, caller: str, given: bool = True
) -> httpx.Response:
    return await client.put(
        f"/api/v1/proposals/{pid}/publication/consent", json={"consent": given}, headers=who(caller)
    )


async def _publish(client: httpx.AsyncClient, who: Headers, pid: str, **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/proposals/{pid}/publication", json=body, headers=who("staff"))


async def _events(db: AsyncEngine, event_type: str, proposal_id: str) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        rows = (
            await conn.execute(text("SELECT payload FROM outbox WHERE subject = :t"), {"t": event_type})
        ).scalars()
    return [e["data"] for e in map(json.loads, rows) if e["subject"] == proposal_id]


async def _scan(settings: Settings, replicas: int) -> None:
    """Every closed window claimed by `replicas` scanner instances racing on the same database."""
    await race(
        settings.database_url, lambda s: PublicationWindows(s, CLOCK, source=settings.source), replicas
    )


def _has_contact(body: str) -> bool:
    return any(c in body for c in (MOBILE, LANDLINE, "87654321", EMAIL, ID_CARD, str(MEMBER), str(COSIGNER)))


async def test_rule_20_publication_needs_every_proposers_consent_and_removes_contact_details(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid = await _replied(client, who, db)
    refused = await _publish(client, who, pid)
    assert refused.status_code == 409 and refused.json()["code"] == "publication.consent_missing"
    assert "2" in refused.json()["detail"]
    assert (await _consent(client, who, pid, "member")).status_code == 200
    only_first = await _publish(client, who, pid)  # the first proposer's consent alone is not enough
    assert only_first.status_code == 409 and only_first.json()["code"] == "publication.consent_missing"
    no = await _consent(client, who, pid, "cosigner", given=False)
    assert no.status_code == 200 and no.json()["consented"] is False
    assert (await _publish(client, who, pid)).json()["code"] == "publication.consent_missing"
    yes = await _consent(client, who, pid, "cosigner")
    assert yes.status_code == 200, yes.text
    state = yes.json()
    assert state["consented"] is True
    assert [(c["person_id"], c["consent"]) for c in state["consents"]] == [
        (str(MEMBER), True),
        (str(COSIGNER), True),
    ]
    assert state["window"]["due_on"] == "2025-10-30" and state["published_at"] is None
    CLOCK.set(BASE + timedelta(days=3))
    published = await _publish(client, who, pid, byline="张三、李四")
    assert published.status_code == 201, published.text
    assert published.headers["location"] == f"/api/v1/proposals/published/{pid}"
    copy = published.json()
    assert copy["title"] == "关于老旧小区加装电梯的建议（手机[已隐去]）"
    assert copy["byline"] == "张三、李四" and copy["number"].startswith("第")
    assert (
        copy["replies"][0]["unit_name"] == "市住建局" and copy["replies"][0]["result_label"] == "已解决或采纳"
    )
    assert "李四" not in copy["replies"][0]["letter"]  # the unit answers; its signatory is not named
    assert not _has_contact(published.text)
    [event] = await _events(db, "cppcc.proposal.published.v1", pid)
    assert event["org_id"] == str(ORG) and event["first_proposer_id"] == str(MEMBER)
    assert event["cosigner_ids"] == [str(COSIGNER)] and len(event["reply_ids"]) == 1
    assert datetime.fromisoformat(event["published_at"]) == BASE + timedelta(days=3)
    # Once: neither published again nor consent changed afterwards.
    again = await _publish(client, who, pid)
    assert again.status_code == 409 and again.json()["code"] == "publication.already_published"
    late = await _consent(client, who, pid, "member", given=False)
    assert late.status_code == 409 and late.json()["code"] == "publication.already_published"
    # The public, with no token at all, reads it and finds it in its organization's list.
    public = await client.get(f"/api/v1/proposals/published/{pid}")
    assert public.status_code == 200 and public.json() == copy
    assert not _has_contact(public.text) and "attachments" not in public.json()
    listed = await client.get("/api/v1/proposals/published", params={"org_id": str(ORG)})
    assert pid in [p["id"] for p in listed.json()["items"]]
    assert not _has_contact(listed.text)


async def test_rule_20_only_a_proposer_who_counts_consents(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid = await _replied(client, who, db)
    invited = await _consent(client, who, pid, "invited")
    assert invited.status_code == 403 and invited.json()["code"] == "publication.not_a_proposer"
    assert (await _consent(client, who, pid, "other")).status_code == 404
    assert (await _consent(client, who, pid, "unit")).status_code == 403
    draft = (await client.post("/api/v1/proposals", json=PROPOSAL, headers=who("member"))).json()["id"]
    given = await _consent(client, who, draft, "member")  # consent may be given with the draft
    assert given.status_code == 200 and given.json()["consented"] is True
    assert given.headers["etag"] == '"2"'
    assert (await _publish(client, who, draft)).status_code == 404  # the office never sees a draft
    submitted = (await client.post(f"/api/v1/proposals/{draft}/submit", headers=who("member"))).json()
    assert submitted["status"] == "submitted"
    refused = await _publish(client, who, draft)  # not replied yet
    assert refused.status_code == 409 and refused.json()["code"] == "proposal.invalid_transition"


async def test_rule_20_publication_is_refused_from_the_instant_the_window_closes(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    on_time, late = await _replied(client, who, db), await _replied(client, who, db)
    for pid in (on_time, late):
        for caller in ("member", "cosigner"):
            assert (await _consent(client, who, pid, caller)).status_code == 200
    CLOCK.set(CLOSES - timedelta(microseconds=1))
    assert (await _publish(client, who, on_time)).status_code == 201
    CLOCK.set(CLOSES)
    closed = await _publish(client, who, late)
    assert closed.status_code == 409 and closed.json()["code"] == "publication.window_closed"
    assert "2025-10-30" in closed.json()["detail"]


async def test_rule_20_a_window_closing_unpublished_tells_the_office_once_with_two_scanners(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings
) -> None:
    unpublished, published = await _replied(client, who, db), await _replied(client, who, db)
    for caller in ("member", "cosigner"):
        assert (await _consent(client, who, published, caller)).status_code == 200
    assert (await _publish(client, who, published)).status_code == 201
    CLOCK.set(CLOSES - timedelta(microseconds=1))
    await _scan(settings, replicas=2)
    assert await _events(db, "cppcc.proposal.publication_window_closed.v1", unpublished) == []
    CLOCK.set(CLOSES)
    await _scan(settings, replicas=2)
    await _scan(settings, replicas=2)
    [closed] = await _events(db, "cppcc.proposal.publication_window_closed.v1", unpublished)
    assert closed["due_on"] == "2025-10-30" and closed["consented"] is False
    assert datetime.fromisoformat(closed["closed_at"]) == CLOSES
    assert closed["first_proposer_id"] == str(MEMBER) and closed["cosigner_ids"] == [str(COSIGNER)]
    assert await _events(db, "cppcc.proposal.publication_window_closed.v1", published) == []


async def test_rule_28_the_public_sees_only_what_is_published_and_not_withdrawn(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid = await _replied(client, who, db)
    assert (await client.get(f"/api/v1/proposals/published/{pid}")).status_code == 404
    assert (await client.get(f"/api/v1/proposals/published/{uuid.uuid4()}")).status_code == 404
    for caller in ("member", "cosigner"):
        assert (await _consent(client, who, pid, caller)).status_code == 200
    assert (await _publish(client, who, pid)).status_code == 201
    other = await client.get("/api/v1/proposals/published", params={"org_id": str(OTHER_ORG)})
    assert other.status_code == 200 and other.json()["items"] == []
    foreign = await client.post(
        f"/api/v1/proposals/{pid}/publication/withdraw",
        json={"reason": "误发"},
        headers=who("other_org_staff"),
    )
    assert foreign.status_code == 404
    withdrawn = await client.post(
        f"/api/v1/proposals/{pid}/publication/withdraw",
        json={"reason": "提案人申请撤回"},
        headers=who("staff"),
    )
    assert withdrawn.status_code == 204, withdrawn.text
    assert (await client.get(f"/api/v1/proposals/published/{pid}")).status_code == 404
    listed = await client.get("/api/v1/proposals/published", params={"org_id": str(ORG)})
    assert pid not in [p["id"] for p in listed.json()["items"]]
    twice = await client.post(
        f"/api/v1/proposals/{pid}/publication/withdraw", json={"reason": "再次"}, headers=who("staff")
    )
    assert twice.status_code == 409 and twice.json()["code"] == "publication.not_published"
    assert (await _publish(client, who, pid)).json()["code"] == "publication.already_published"


async def test_the_public_list_is_cursor_paginated_newest_first(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    org_list = {"org_id": str(ORG), "limit": 1}
    first = await client.get("/api/v1/proposals/published", params=org_list)
    assert first.status_code == 200
    seen, cursor = [], first.json()["next_cursor"]
    seen += [p["id"] for p in first.json()["items"]]
    while cursor:
        page = (await client.get("/api/v1/proposals/published", params={**org_list, "cursor": cursor})).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen))
    full = (await client.get("/api/v1/proposals/published", params={"org_id": str(ORG), "limit": 100})).json()
    assert [p["id"] for p in full["items"]] == seen


# --- The timeline and the audit trail ---------------------------------------------------------------


async def test_the_timeline_shows_every_handling_step_in_the_apps_words_and_the_audit_trail_what_was_corrected(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings
) -> None:
    pid = await _replied(client, who, db)
    [reply] = (await client.get(f"/api/v1/proposals/{pid}/replies", headers=who("staff"))).json()
    corrected = await client.patch(
        f"/api/v1/proposals/{pid}/replies/{reply['id']}/class",
        json={"result_class": "B", "reason": "尚需列入明年计划"},
        headers={**who("staff"), "If-Match": '"1"'},
    )
    assert corrected.status_code == 200, corrected.text
    leader = str(uuid.uuid4())
    await announce(settings, db, uuid.UUID(leader), ["leader"], org=ORG)  # rule 19: a leader supervises
    key = {"meeting": "主席会议", "meeting_on": "2025-09-26", "supervisor_ids": [leader]}
    assert (
        await client.post(f"/api/v1/proposals/{pid}/key", json=key, headers=who("staff"))
    ).status_code == 200
    for caller in ("member", "cosigner"):
        assert (await _consent(client, who, pid, caller)).status_code == 200
    assert (await _publish(client, who, pid)).status_code == 201

    mine = (await client.get(f"/api/v1/proposals/{pid}/timeline", headers=who("member"))).json()["items"]
    labels = [s["label"] for s in mine]
    for expected in (
        "提交提案",
        "立案",
        "交办承办单位",
        "市住建局（主办）已接收",
        "市住建局（主办）与提案人沟通（电话，2025-09-26）",
        "市住建局（主办）答复（B 列入计划拟解决）",  # the reply as it stands, after the correction
        "承办单位已全部答复",
        "市住建局（主办）的答复类别由A更正为B",
        "列为重点提案",
        "同意公开",
        "答复已公开",
    ):
        assert expected in labels, (expected, "|".join(labels))
    by_label = {s["label"]: s for s in mine}
    talk = by_label["市住建局（主办）与提案人沟通（电话，2025-09-26）"]
    assert talk["note"] == "电话沟通了办理思路" and talk["unit_id"] == str(UNIT) and talk["to_status"] is None
    correction = by_label["市住建局（主办）的答复类别由A更正为B"]
    assert (
        correction["note"] is None and correction["actor_name"] == "政协提案委员会"
    )  # the reason: office only
    assert by_label["答复已公开"]["actor_name"] == "政协提案委员会"
    assert [s["actor_id"] for s in mine if s["label"] == "同意公开"] == [str(MEMBER), str(COSIGNER)]
    office = (await client.get(f"/api/v1/proposals/{pid}/timeline", headers=who("staff"))).json()["items"]
    assert {s["label"]: s for s in office}["市住建局（主办）的答复类别由A更正为B"][
        "note"
    ] == "尚需列入明年计划"
    unit = (await client.get(f"/api/v1/proposals/{pid}/timeline", headers=who("unit"))).json()["items"]
    assert {s["unit_id"] for s in unit} <= {str(UNIT), None}

    trail = await client.get(f"/api/v1/proposals/{pid}/audit", headers=who("staff"))
    assert trail.status_code == 200, trail.text
    entries = {e["action"]: e for e in trail.json()["items"]}
    corrected_entry = entries["reply_class_corrected"]
    assert (
        corrected_entry["before"]["result_class"] == "A" and corrected_entry["after"]["result_class"] == "B"
    )
    assert corrected_entry["reason"] == "尚需列入明年计划" and corrected_entry["actor_id"] is not None
    designated = entries["designate_key"]
    assert designated["before"]["is_key"] is False and designated["after"]["is_key"] is True
    assert (
        designated["after"]["key_supervisor_ids"] == [leader]
        and designated["after"]["key_meeting"] == "主席会议"
    )
    filed = entries["file"]
    assert filed["before"]["filing_number"] is None and filed["after"]["filing_number"] >= 1
    consents = [e for e in trail.json()["items"] if e["action"] == "publication_consent"]
    assert [(e["actor_id"], e["before"], e["after"]) for e in consents] == [
        (str(MEMBER), {"publication_consent": None}, {"publication_consent": True}),
        (str(COSIGNER), {"publication_consent": None}, {"publication_consent": True}),
    ]
    assert entries["publish"]["after"] == {"published_at": (BASE).isoformat()}
    assert (await client.get(f"/api/v1/proposals/{pid}/audit", headers=who("member"))).status_code == 403
    assert (
        await client.get(f"/api/v1/proposals/{pid}/audit", headers=who("other_org_staff"))
    ).status_code == 404


async def test_rule_28_the_audit_keeps_no_drafts_text_so_a_deleted_draft_leaves_none_behind(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid = (await client.post("/api/v1/proposals", json=PROPOSAL, headers=who("member"))).json()["id"]
    edited = await client.patch(
        f"/api/v1/proposals/{pid}",
        json={"title": "关于设立社区食堂的建议"},
        headers={**who("member"), "If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    assert (await client.delete(f"/api/v1/proposals/{pid}", headers=who("member"))).status_code == 204
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT action, before, after FROM proposal_history WHERE proposal_id = :p ORDER BY at, id"
                ),
                {"p": pid},
            )
        ).all()
    assert [tuple(r) for r in rows] == [("create", None, None), ("edit", None, None), ("delete", None, None)]
