"""Evaluation through the API (rules 16–18): the proposers rate each reply once within the window,
a dissatisfied rating re-opens the unit's part for a second reply, a B-class reply waits for the
unit's completion report, then the proposal is concluded; on a real database and NATS with the
service's clock fixed (FakeClock)."""

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from cppcc_common.workdays import start_of_day
from proposal_svc.main import create_app
from proposal_svc.settings import Settings

from .conftest import enrol

# 10:00 in Shanghai on Friday 26 September 2025, before National Day (1–8 October; Sunday 28
# September and Saturday 11 October are make-up workdays): the window's 15th working day is
# Thursday 23 October (weekdays alone would give 17 October).
BASE = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)
WINDOW_CLOSES = start_of_day(date(2025, 10, 24))
CLOCK = FakeClock(BASE)
ORG = uuid.uuid4()
MEMBER, COSIGNER, OTHER = (uuid.uuid4() for _ in range(3))
U1, U2 = uuid.uuid4(), uuid.uuid4()
GOOD = {
    "title": "关于加快老旧小区加装电梯的建议",
    "situation": "老旧小区多层住宅普遍没有电梯。",
    "suggestions": ["简化审批流程", "设立专项补贴"],
}
COMMUNICATION = {"kind": "phone", "communicated_on": "2025-09-26", "summary": "电话沟通了办理思路"}
Headers = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
async def client(settings: Settings, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source(), clock=CLOCK)) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    for person in (MEMBER, COSIGNER, OTHER):
        await enrol(settings, person_id=person, org_id=ORG)
    async with engine.begin() as conn:  # the units as member-svc's events leave them
        await conn.execute(
            text(
                "INSERT INTO units (unit_id, org_id, name, kind) VALUES (:u, :o, '甲局', 'bureau'), (:v, :o, '乙局', 'bureau')"
            ),
            {"u": U1, "v": U2, "o": ORG},
        )
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def who(issuer: TestIssuer) -> Headers:
    at = int(BASE.timestamp())
    callers: dict[str, dict[str, Any]] = {
        "member": {"sub": MEMBER, "org": ORG, "roles": ["member"]},
        "cosigner": {"sub": COSIGNER, "org": ORG, "roles": ["member"]},
        "other": {"sub": OTHER, "org": ORG, "roles": ["member"]},
        "staff": {"sub": uuid.uuid4(), "org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
        "leader": {"sub": uuid.uuid4(), "org": ORG, "roles": ["leader"]},
        "unit1": {"sub": uuid.uuid4(), "org": ORG, "roles": ["unit_user"], "unit": U1},
        "partner1": {"sub": uuid.uuid4(), "org": ORG, "roles": ["partner"], "unit": U1},
        "unit2": {"sub": uuid.uuid4(), "org": ORG, "roles": ["unit_user"], "unit": U2},
    }
    made = {name: issuer.headers(iat=at - 60, exp=at + 400 * 86400, **kw) for name, kw in callers.items()}
    return lambda name: made[name]


@pytest.fixture(autouse=True)
def _clock() -> None:
    CLOCK.set(BASE)


def _json(body: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(body, default=str))


async def _replied(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, result_class: str = "A", *, split: bool = False
) -> tuple[str, dict[str, str], dict[str, str]]:
    """A joint proposal (MEMBER first, COSIGNER confirmed) filed, assigned to U1 (or split between U1
    and U2), accepted and replied by every unit with `result_class`; its assignments and replies by unit."""
    r = await client.post("/api/v1/proposals", json=GOOD, headers=who("member"))
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert (await client.post(f"/api/v1/proposals/{pid}/submit", headers=who("member"))).status_code == 200
    async with db.begin() as conn:  # a co-signer who confirmed, as the co-sign flow leaves them
        await conn.execute(
            text(
                "INSERT INTO proposal_proposers (proposal_id, person_id, role, position, status)"
                " VALUES (:p, :who, 'cosigner', 1, 'confirmed')"
            ),
            {"p": pid, "who": COSIGNER},
        )
    assert (await client.post(f"/api/v1/proposals/{pid}/file", headers=who("staff"))).status_code == 200
    body = {"split_unit_ids": [U1, U2]} if split else {"lead_unit_id": U1}
    r = await client.post(f"/api/v1/proposals/{pid}/assignments", json=_json(body), headers=who("staff"))
    assert r.status_code == 201, r.text
    parts = {a["unit_id"]: a["id"] for a in r.json()["assignments"]}
    replies = {}
    for unit, aid in parts.items():
        caller = "unit1" if unit == str(U1) else "unit2"
        step = f"/api/v1/proposals/{pid}/assignments/{aid}"
        assert (await client.post(f"{step}/accept", headers=who(caller))).status_code == 200
        assert (
            await client.post(f"{step}/communications", json=COMMUNICATION, headers=who(caller))
        ).status_code == 201
        replies[unit] = await _reply(client, who, pid, aid, caller, result_class)
    return pid, parts, replies


async def _reply(
    client: httpx.AsyncClient, who: Headers, pid: str, aid: str, caller: str, result_class: str
) -> str:
    reply = {"letter": "关于加装电梯的答复……", "signed_by": "李四", "result_class": result_class}
    r = await client.post(
        f"/api/v1/proposals/{pid}/assignments/{aid}/replies", json=reply, headers=who(caller)
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _evaluations(pid: str, rid: str) -> str:
    return f"/api/v1/proposals/{pid}/replies/{rid}/evaluations"


async def _rate(
    client: httpx.AsyncClient,
    who: Headers,
    pid: str,
    rid: str,
    caller: str,
    rating: str,
    comment: str | None = None,
) -> httpx.Response:
    return await client.post(
        _evaluations(pid, rid), json={"rating": rating, "comment": comment}, headers=who(caller)
    )


async def _events(db: AsyncEngine, event_type: str, proposal_id: str) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT payload FROM outbox WHERE subject = :t ORDER BY created_at"), {"t": event_type}
            )
        ).scalars()
        envelopes = [json.loads(p) for p in rows]
    return [e["data"] for e in envelopes if e["subject"] == proposal_id]


async def _status(client: httpx.AsyncClient, who: Headers, pid: str) -> str:
    return str((await client.get(f"/api/v1/proposals/{pid}", headers=who("member"))).json()["status"])


# --- Rule 16 -------------------------------------------------------------------------------------


async def test_rule_16_each_proposer_evaluates_each_reply_once_and_then_the_proposal_concludes(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, _, replies = await _replied(client, who, db)
    rid = replies[str(U1)]
    first = await _rate(client, who, pid, rid, "member", "satisfied", "  答复认真  ")
    assert first.status_code == 201, first.text
    assert first.json()["proposal_status"] == "replied" and first.json()["comment"] == "答复认真"
    again = await _rate(client, who, pid, rid, "member", "dissatisfied")
    assert again.status_code == 409 and again.json()["code"] == "evaluation.already_evaluated"
    last = await _rate(client, who, pid, rid, "cosigner", "basically_satisfied")
    assert last.status_code == 201 and last.json()["proposal_status"] == "concluded"
    assert await _status(client, who, pid) == "concluded"
    evaluated = await _events(db, "cppcc.proposal.evaluated.v1", pid)
    assert [(e["proposer_id"], e["rating"], e["unit_id"], e["reply_id"]) for e in evaluated] == [
        (str(MEMBER), "satisfied", str(U1), rid),
        (str(COSIGNER), "basically_satisfied", str(U1), rid),
    ]
    [concluded] = await _events(db, "cppcc.proposal.concluded.v1", pid)
    assert concluded["ratings"] == {"satisfied": 1, "basically_satisfied": 1}
    assert concluded["unit_ids"] == [str(U1)] and concluded["cosigner_ids"] == [str(COSIGNER)]
    read = await client.get(_evaluations(pid, rid), headers=who("unit1"))
    assert read.status_code == 200
    assert [e["rating"] for e in read.json()["evaluations"]] == ["satisfied", "basically_satisfied"]
    timeline = (await client.get(f"/api/v1/proposals/{pid}/timeline", headers=who("member"))).json()
    own = [s for s in timeline["items"] if s["to_status"]]  # the proposal's own steps (not its units')
    assert [(s["action"], s["to_status"]) for s in own[-2:]] == [
        ("reply", "replied"),
        ("evaluate", "concluded"),
    ]


async def test_rule_16_units_partners_the_office_and_leaders_never_evaluate_and_another_member_sees_nothing(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, _, replies = await _replied(client, who, db)
    rid = replies[str(U1)]
    for caller in ("unit1", "partner1", "staff", "leader"):
        assert (await _rate(client, who, pid, rid, caller, "satisfied")).status_code == 403, caller
    assert (await _rate(client, who, pid, rid, "other", "satisfied")).status_code == 404
    unknown = await _rate(client, who, pid, rid, "member", "excellent")
    assert unknown.status_code == 422 and unknown.json()["code"] == "evaluation.unknown_rating"
    assert (await _rate(client, who, pid, str(uuid.uuid4()), "member", "satisfied")).status_code == 404
    assert await _events(db, "cppcc.proposal.evaluated.v1", pid) == []


async def test_rule_16_the_window_closes_at_the_end_of_its_15th_working_day_across_national_day(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, _, replies = await _replied(client, who, db)
    rid = replies[str(U1)]
    window = (await client.get(_evaluations(pid, rid), headers=who("member"))).json()
    assert (window["due_on"], window["provisional"]) == ("2025-10-23", False)
    CLOCK.set(WINDOW_CLOSES - timedelta(microseconds=1))  # the last instant of 23 October
    assert (await _rate(client, who, pid, rid, "member", "satisfied")).status_code == 201
    CLOCK.set(WINDOW_CLOSES)  # 00:00 on 24 October in Shanghai
    closed = await _rate(client, who, pid, rid, "cosigner", "satisfied")
    assert closed.status_code == 409 and closed.json()["code"] == "evaluation.window_closed"
    assert "2025-10-23" in closed.json()["detail"]
    CLOCK.set(WINDOW_CLOSES + timedelta(days=1))
    assert (await _rate(client, who, pid, rid, "cosigner", "satisfied")).status_code == 409
    assert await _status(client, who, pid) == "replied"


# --- Rule 17 -------------------------------------------------------------------------------------


async def test_rule_17_a_dissatisfied_evaluation_reopens_the_lead_unit_for_a_second_reply(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, parts, replies = await _replied(client, who, db)
    aid, first_reply = parts[str(U1)], replies[str(U1)]
    CLOCK.set(BASE + timedelta(days=10))  # 6 October: the second reply is due 3 months later
    r = await _rate(client, who, pid, first_reply, "cosigner", "dissatisfied", "没有解决问题")
    assert r.status_code == 201 and r.json()["proposal_status"] == "rehandling"
    [part] = (await client.get(f"/api/v1/proposals/{pid}/assignments", headers=who("unit1"))).json()[
        "assignments"
    ]
    assert (part["status"], part["reply_due_on"]) == ("accepted", "2026-01-06")
    [started] = await _events(db, "cppcc.proposal.rehandling_started.v1", pid)
    assert (started["unit_id"], started["reply_due_on"], started["proposer_id"]) == (
        str(U1),
        "2026-01-06",
        str(COSIGNER),
    )
    # Rule 12 watches the new due date: its warnings and its overdue are armed.
    async with db.connect() as conn:
        armed = (
            await conn.execute(
                text("SELECT kind FROM deadline_notices WHERE assignment_id = :a AND due_on = '2026-01-06'"),
                {"a": aid},
            )
        ).scalars()
        assert "overdue" in set(armed)
    late = await _rate(client, who, pid, first_reply, "member", "satisfied")  # re-handled: not now
    assert late.status_code == 409 and late.json()["code"] == "evaluation.part_being_rehandled"
    second_reply = await _reply(client, who, pid, aid, "unit1", "A")  # handling's own reply path
    assert await _status(client, who, pid) == "replied"
    superseded = await _rate(client, who, pid, first_reply, "member", "satisfied")
    assert superseded.status_code == 409 and superseded.json()["code"] == "evaluation.reply_superseded"
    # The second reply has its own window and its own ratings; a part is re-handled once, so a
    # dissatisfied rating of the second reply is final.
    assert (await _rate(client, who, pid, second_reply, "member", "satisfied")).status_code == 201
    final = await _rate(client, who, pid, second_reply, "cosigner", "dissatisfied")
    assert final.status_code == 201 and final.json()["proposal_status"] == "concluded"
    assert len(await _events(db, "cppcc.proposal.rehandling_started.v1", pid)) == 1
    [concluded] = await _events(db, "cppcc.proposal.concluded.v1", pid)
    assert concluded["ratings"] == {"satisfied": 1, "dissatisfied": 1}


async def test_rule_17_in_split_handling_only_the_rated_unit_replies_again(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, parts, replies = await _replied(client, who, db, split=True)
    for caller in ("member", "cosigner"):
        assert (await _rate(client, who, pid, replies[str(U1)], caller, "satisfied")).status_code == 201
    r = await _rate(client, who, pid, replies[str(U2)], "member", "dissatisfied")
    assert r.json()["proposal_status"] == "rehandling"
    rows = (await client.get(f"/api/v1/proposals/{pid}/assignments", headers=who("staff"))).json()[
        "assignments"
    ]
    assert {a["unit_id"]: a["status"] for a in rows} == {str(U1): "replied", str(U2): "accepted"}
    again = await _reply(client, who, pid, parts[str(U2)], "unit2", "C")
    assert await _status(client, who, pid) == "replied"
    assert (await _rate(client, who, pid, again, "member", "satisfied")).status_code == 201
    last = await _rate(client, who, pid, again, "cosigner", "satisfied")
    assert last.json()["proposal_status"] == "concluded"  # U1's ratings still count


async def test_rule_17_a_split_part_being_re_handled_is_not_rated_again_before_its_second_reply(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    """U2's part re-opened by a dissatisfied rating: rating its first reply again (by the other
    proposer too) is a clear 409 until U2 replies a second time; the second reply is rated."""
    pid, parts, replies = await _replied(client, who, db, split=True)
    r = await _rate(client, who, pid, replies[str(U2)], "member", "dissatisfied")
    assert r.json()["proposal_status"] == "rehandling"
    for caller in ("cosigner", "member"):
        again = await _rate(client, who, pid, replies[str(U2)], caller, "satisfied")
        assert again.status_code == 409 and again.json()["code"] == "evaluation.part_being_rehandled"
        assert "second reply" in again.json()["detail"] or "重新办理" in again.json()["detail"]
    assert await _events(db, "cppcc.proposal.evaluated.v1", pid) != []
    assert len(await _events(db, "cppcc.proposal.evaluated.v1", pid)) == 1
    second = await _reply(client, who, pid, parts[str(U2)], "unit2", "A")
    assert (await _rate(client, who, pid, second, "cosigner", "satisfied")).status_code == 201


# --- Rule 18 -------------------------------------------------------------------------------------


def _report(pid: str, aid: str) -> str:
    return f"/api/v1/proposals/{pid}/assignments/{aid}/completion-report"


REPORT = {"report": "加装电梯的补贴已发放", "completed_on": "2025-10-10"}


async def test_rule_18_a_b_class_reply_stays_open_until_the_unit_files_its_completion_report(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, parts, replies = await _replied(client, who, db, "B")
    aid, rid = parts[str(U1)], replies[str(U1)]
    for caller in ("member", "cosigner"):
        r = await _rate(client, who, pid, rid, caller, "satisfied")
        assert r.status_code == 201 and r.json()["proposal_status"] == "replied"
    assert await _events(db, "cppcc.proposal.concluded.v1", pid) == []
    CLOCK.set(BASE + timedelta(days=20))
    future = await client.post(
        _report(pid, aid), json={**REPORT, "completed_on": "2025-10-17"}, headers=who("partner1")
    )
    assert future.status_code == 422 and future.json()["code"] == "evaluation.completion_in_the_future"
    assert (await client.post(_report(pid, aid), json=REPORT, headers=who("unit2"))).status_code == 404
    filed = await client.post(_report(pid, aid), json=REPORT, headers=who("partner1"))
    assert filed.status_code == 201, filed.text
    assert filed.json()["proposal_status"] == "concluded"
    [reported] = await _events(db, "cppcc.proposal.completion_reported.v1", pid)
    assert (reported["unit_id"], reported["completed_on"], reported["reply_id"]) == (
        str(U1),
        "2025-10-10",
        rid,
    )
    assert len(await _events(db, "cppcc.proposal.concluded.v1", pid)) == 1
    again = await client.post(_report(pid, aid), json=REPORT, headers=who("unit1"))
    assert again.status_code == 409
    read = (await client.get(_evaluations(pid, rid), headers=who("member"))).json()
    assert read["completion_report"]["report"] == REPORT["report"]


async def test_rule_18_a_report_before_the_ratings_waits_for_them_and_an_a_class_reply_needs_none(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, parts, replies = await _replied(client, who, db, "B")
    aid, rid = parts[str(U1)], replies[str(U1)]
    first = await client.post(
        _report(pid, aid), json={**REPORT, "completed_on": "2025-09-26"}, headers=who("unit1")
    )
    assert first.status_code == 201 and first.json()["proposal_status"] == "replied"
    twice = await client.post(
        _report(pid, aid), json=REPORT | {"completed_on": "2025-09-26"}, headers=who("unit1")
    )
    assert twice.status_code == 409 and twice.json()["code"] == "evaluation.completion_already_reported"
    assert (await _rate(client, who, pid, rid, "member", "satisfied")).json()["proposal_status"] == "replied"
    # The co-signer stays silent: once the window closed, the office's rule counts that as no
    # objection; here the B part's report came first, so a late rating is refused and the window
    # scanner concludes the proposal (tests/test_evaluation_windows.py).
    CLOCK.set(WINDOW_CLOSES)
    assert (await _rate(client, who, pid, rid, "cosigner", "satisfied")).status_code == 409
    a_class, a_parts, _ = await _replied(client, who, db, "A")
    refused = await client.post(
        _report(a_class, a_parts[str(U1)]),
        json={**REPORT, "completed_on": "2025-10-20"},
        headers=who("unit1"),
    )
    assert (
        refused.status_code == 409 and refused.json()["code"] == "evaluation.completion_report_not_required"
    )


async def test_rule_16_and_18_a_report_before_the_window_closes_waits_for_the_silent_co_signer(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, parts, replies = await _replied(client, who, db, "B")
    assert (await _rate(client, who, pid, replies[str(U1)], "member", "satisfied")).status_code == 201
    CLOCK.set(WINDOW_CLOSES - timedelta(microseconds=1))
    waiting = await client.post(_report(pid, parts[str(U1)]), json=REPORT, headers=who("unit1"))
    assert waiting.status_code == 201 and waiting.json()["proposal_status"] == "replied"


async def test_rule_16_and_18_the_report_after_the_window_closed_concludes(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, parts, replies = await _replied(client, who, db, "B")
    assert (await _rate(client, who, pid, replies[str(U1)], "member", "satisfied")).status_code == 201
    CLOCK.set(WINDOW_CLOSES)  # the co-signer never rated: no objection
    done = await client.post(_report(pid, parts[str(U1)]), json=REPORT, headers=who("unit1"))
    assert done.status_code == 201 and done.json()["proposal_status"] == "concluded"
