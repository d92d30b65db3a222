"""Handling through the API (rules 9–11, 13–15, 28): the office assigns and decides reassignments,
a unit — its users and its partner client — accepts, communicates, co-handles and replies; on a real
database and NATS with the service's clock fixed (FakeClock)."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.clock import FakeClock
from cppcc_common.contracts.member import PersonRegisteredV1, UnitRegisteredV1, UnitUserAddedV1
from cppcc_common.db import create_engine
from cppcc_common.events import make_event
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.main import create_app
from proposal_svc.settings import Settings

from .conftest import enrol

# 10:00 in Shanghai on 30 November 2026: three months later is 28 February 2027 (the month end clamps).
BASE = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
CLOCK = FakeClock(BASE)
ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
MEMBER, COSIGNER, STAFF, LEADER, MERGER = (uuid.uuid4() for _ in range(5))
U1, U2, U3, U4 = (uuid.uuid4() for _ in range(4))  # handling units of ORG
FOREIGN_UNIT = uuid.uuid4()  # a unit of another organization
GOOD = {
    "title": "关于加快老旧小区加装电梯的建议",
    "situation": "老旧小区多层住宅普遍没有电梯。",
    "suggestions": ["简化审批流程", "设立专项补贴"],
}
Headers = Callable[..., dict[str, str]]


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
async def units(settings: Settings, client: httpx.AsyncClient, db: AsyncEngine) -> None:
    """The units as member-svc announces them, kept by the consumer (rule 9 checks against them)."""
    events = [
        *(
            UnitRegisteredV1(unit_id=u, org_id=ORG, name=f"单位{n}", kind="government")
            for n, u in enumerate((U1, U2, U3, U4))
        ),
        UnitRegisteredV1(unit_id=FOREIGN_UNIT, org_id=OTHER_ORG, name="外单位", kind="government"),
        UnitUserAddedV1(unit_id=U1, org_id=ORG, person_id=uuid.uuid4(), name="张三"),
    ]
    leader = PersonRegisteredV1(person_id=LEADER, org_id=ORG, name="王主席", roles=["leader"])  # rule 19
    nc = await nats.connect(settings.nats_url)
    for data in events:
        event = make_event(data, source="/member-svc", subject=data.unit_id, orgid=data.org_id)
        await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    event = make_event(leader, source="/member-svc", subject=LEADER, orgid=ORG)
    await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await nc.close()
    for _ in range(200):
        async with db.connect() as conn:
            kept = (await conn.execute(text("SELECT count(*) FROM units"))).scalar_one()
            users = (await conn.execute(text("SELECT count(*) FROM unit_users"))).scalar_one()
            leaders = (await conn.execute(text("SELECT count(*) FROM leaders"))).scalar_one()
        if kept == 5 and users == 1 and leaders == 1:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the units never arrived")


@pytest.fixture(scope="module")
async def who(issuer: TestIssuer, settings: Settings, units: None) -> Headers:
    """Headers for a caller by name (tokens valid across every instant the tests set)."""
    for person in (MEMBER, COSIGNER, MERGER):
        await enrol(settings, person_id=person, org_id=ORG)
    at = int(BASE.timestamp())
    callers: dict[str, dict[str, Any]] = {
        "member": {"sub": MEMBER, "org": ORG, "roles": ["member"]},
        "merger": {"sub": MERGER, "org": ORG, "roles": ["member"]},
        "cosigner": {"sub": COSIGNER, "org": ORG, "roles": ["member"]},
        "staff": {"sub": STAFF, "org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
        "staff_no_scope": {"sub": uuid.uuid4(), "org": ORG, "roles": ["staff"], "scopes": ["consultation"]},
        "foreign_staff": {"sub": uuid.uuid4(), "org": OTHER_ORG, "roles": ["staff"], "scopes": ["proposals"]},
        "leader": {"sub": LEADER, "org": ORG, "roles": ["leader"]},
        **{
            f"unit{n}": {"sub": uuid.uuid4(), "org": ORG, "roles": ["unit_user"], "unit": u}
            for n, u in enumerate((U1, U2, U3, U4), 1)
        },
        **{
            f"partner{n}": {"sub": uuid.uuid4(), "org": ORG, "roles": ["partner"], "unit": u}
            for n, u in enumerate((U1, U2), 1)
        },
        "foreign_unit": {"sub": uuid.uuid4(), "org": OTHER_ORG, "roles": ["unit_user"], "unit": FOREIGN_UNIT},
    }
    made = {name: issuer.headers(iat=at - 60, exp=at + 400 * 86400, **kw) for name, kw in callers.items()}

    def headers(name: str, **extra: str) -> dict[str, str]:
        return {**made[name], **extra}

    return headers


async def _filed(client: httpx.AsyncClient, who: Headers, db: AsyncEngine, *, cosigner: bool = True) -> str:
    r = await client.post("/api/v1/proposals", json=GOOD, headers=who("member"))
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert (await client.post(f"/api/v1/proposals/{pid}/submit", headers=who("member"))).status_code == 200
    if cosigner:  # a co-signer who confirmed, as the co-sign flow leaves them
        async with db.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO proposal_proposers (proposal_id, person_id, role, position, status)"
                    " VALUES (:p, :who, 'cosigner', 1, 'confirmed')"
                ),
                {"p": pid, "who": COSIGNER},
            )
    filed = await client.post(f"/api/v1/proposals/{pid}/file", headers=who("staff"))
    assert filed.status_code == 200, filed.text
    return str(pid)


async def _assigned(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, **body: Any
) -> tuple[str, dict[str, str]]:
    """A filed proposal assigned as `body` says; its assignment ids by unit."""
    pid = await _filed(client, who, db)
    r = await client.post(f"/api/v1/proposals/{pid}/assignments", json=_json(body), headers=who("staff"))
    assert r.status_code == 201, r.text
    return pid, {a["unit_id"]: a["id"] for a in r.json()["assignments"]}


def _json(body: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(body, default=str))


async def _events(db: AsyncEngine, event_type: str, proposal_id: str) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT payload FROM outbox WHERE subject = :t ORDER BY created_at"), {"t": event_type}
            )
        ).scalars()
        envelopes = [json.loads(p) for p in rows]
    return [e["data"] for e in envelopes if e["subject"] == proposal_id]


def _step(pid: str, aid: str, step: str) -> str:
    return f"/api/v1/proposals/{pid}/assignments/{aid}/{step}"


COMMUNICATION = {"kind": "phone", "communicated_on": "2026-11-30", "summary": "电话沟通了办理思路"}
REPLY = {"letter": "关于加装电梯的答复……", "signed_by": "李四", "result_class": "A"}


@pytest.fixture(autouse=True)
def _clock() -> None:
    CLOCK.set(BASE)


# --- Rule 9: assignment -------------------------------------------------------------------------


async def test_rule_9_the_office_assigns_a_lead_unit_with_co_handlers_and_the_due_dates_start(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid = await _filed(client, who, db)
    r = await client.post(
        f"/api/v1/proposals/{pid}/assignments",
        json=_json({"lead_unit_id": U1, "cohandler_unit_ids": [U2, U3]}),
        headers=who("staff"),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["proposal_status"] == "assigned" and r.headers["ETag"] == f'"{body["proposal_version"]}"'
    rows = {a["unit_id"]: a for a in body["assignments"]}
    assert {u: a["role"] for u, a in rows.items()} == {
        str(U1): "lead",
        str(U2): "cohandler",
        str(U3): "cohandler",
    }
    # 30 November + 3 months: 28 February (clamped); co-handlers' views within 1 month: 30 December.
    assert rows[str(U1)]["reply_due_on"] == "2027-02-28" and rows[str(U1)]["views_due_on"] is None
    assert rows[str(U2)]["reply_due_on"] is None and rows[str(U2)]["views_due_on"] == "2026-12-30"
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=who("member"))).json()[
        "status"
    ] == "assigned"
    [event] = await _events(db, "cppcc.proposal.assigned.v1", pid)
    assert event["first_proposer_id"] == str(MEMBER) and event["cosigner_ids"] == [str(COSIGNER)]
    assert event["reply_due_on"] == "2027-02-28" and event["is_key"] is False
    assert [(u["unit_id"], u["role"]) for u in event["units"]] == [
        (str(U1), "lead"),
        (str(U2), "cohandler"),
        (str(U3), "cohandler"),
    ]
    timeline = (await client.get(f"/api/v1/proposals/{pid}/timeline", headers=who("staff"))).json()["items"]
    assert timeline[-1]["action"] == "assign" and timeline[-1]["to_status"] == "assigned"


async def test_rule_9_split_handling_gives_each_unit_its_own_reply_due_date(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    _, rows = await _assigned(client, who, db, split_unit_ids=[U1, U2])
    assert len(rows) == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "lead_or_split_required"),
        ({"lead_unit_id": U1, "split_unit_ids": [U2, U3]}, "lead_or_split_required"),
        ({"split_unit_ids": [U1]}, "lead_or_split_required"),
        ({"split_unit_ids": [U1, U2], "cohandler_unit_ids": [U3]}, "cohandlers_need_a_lead"),
        ({"lead_unit_id": U1, "cohandler_unit_ids": [U1]}, "duplicate_unit"),
        ({"lead_unit_id": FOREIGN_UNIT}, "unknown_unit"),  # another organization's unit
        ({"lead_unit_id": uuid.uuid4()}, "unknown_unit"),
    ],
)
async def test_rule_9_an_assignment_has_one_lead_or_one_reply_per_split_unit_of_the_organization(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, body: dict[str, Any], code: str
) -> None:
    pid = await _filed(client, who, db, cosigner=False)
    r = await client.post(f"/api/v1/proposals/{pid}/assignments", json=_json(body), headers=who("staff"))
    assert r.status_code == 422 and r.json()["code"] == "handling.assignment_invalid", r.text
    assert code in [e["code"] for e in r.json()["errors"]]
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=who("staff"))).json()["status"] == "filed"


async def test_only_the_office_assigns_and_only_a_filed_proposal(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid = await _filed(client, who, db, cosigner=False)
    body = _json({"lead_unit_id": U1})
    url = f"/api/v1/proposals/{pid}/assignments"
    for caller, answer in (
        ("member", 403),
        ("staff_no_scope", 403),
        ("leader", 403),
        ("unit1", 403),
        ("partner1", 403),
        ("foreign_staff", 404),
    ):
        assert (await client.post(url, json=body, headers=who(caller))).status_code == answer, caller
    stale = await client.post(url, json=body, headers=who("staff", **{"If-Match": '"1"'}))
    assert stale.status_code == 412
    assert (await client.post(url, json=body, headers=who("staff"))).status_code == 201
    again = await client.post(url, json=body, headers=who("staff"))
    assert again.status_code == 409 and again.json()["code"] == "proposal.invalid_transition"


# --- Rule 28: a unit sees exactly its assignments ---------------------------------------------------


async def test_rule_28_unit_users_and_partners_see_only_their_units_proposals_without_phone_numbers(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, rows = await _assigned(client, who, db, lead_unit_id=U1, cohandler_unit_ids=[U2])
    for caller, answer in (
        ("unit1", 200),
        ("partner1", 200),
        ("unit2", 200),
        ("partner2", 200),
        ("unit3", 404),
        ("foreign_unit", 404),
    ):
        got = await client.get(f"/api/v1/proposals/{pid}", headers=who(caller))
        assert got.status_code == answer, caller
        if answer == 200:
            assert "phone" not in got.text and "mobile" not in got.text
        listed = (await client.get("/api/v1/proposals", headers=who(caller))).json()["items"]
        assert (pid in {p["id"] for p in listed}) is (answer == 200), caller
    # Within the proposal a unit sees its own assignment only; another unit's is 404.
    mine = (await client.get(f"/api/v1/proposals/{pid}/assignments", headers=who("unit2"))).json()
    assert [a["unit_id"] for a in mine["assignments"]] == [str(U2)]
    other = await client.post(_step(pid, rows[str(U1)], "accept"), headers=who("unit2"))
    assert other.status_code == 404 and other.json()["code"] == "handling.assignment_not_found"
    office = (await client.get(f"/api/v1/proposals/{pid}/assignments", headers=who("staff"))).json()
    assert len(office["assignments"]) == 2


# --- Acceptance ---------------------------------------------------------------------------------


async def test_the_first_acceptance_puts_the_proposal_in_handling_and_a_partner_client_may_do_it(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, rows = await _assigned(client, who, db, split_unit_ids=[U1, U2])
    first = await client.post(_step(pid, rows[str(U1)], "accept"), headers=who("partner1"))
    assert first.status_code == 200 and first.json()["status"] == "accepted", first.text
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=who("staff"))).json()["status"] == "handling"
    second = await client.post(_step(pid, rows[str(U2)], "accept"), headers=who("unit2"))
    assert second.status_code == 200
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=who("staff"))).json()["status"] == "handling"
    assert len(await _events(db, "cppcc.proposal.accepted.v1", pid)) == 2
    again = await client.post(_step(pid, rows[str(U2)], "accept"), headers=who("unit2"))
    assert again.status_code == 409 and again.json()["code"] == "handling.invalid_transition"
    assert first.headers["ETag"] == '"2"'  # the assignment's version
    assert (await client.post(_step(pid, rows[str(U2)], "accept"), headers=who("staff"))).status_code == 403


# --- Rule 10: reassignment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "answer"),
    [
        (timedelta(days=9), 200),  # the day before the window closes
        (timedelta(days=10), 200),  # exactly at day 10
        (timedelta(days=10, seconds=1), 409),  # just after
        (timedelta(days=11), 409),  # the day after
    ],
)
async def test_rule_10_a_unit_asks_to_be_reassigned_only_within_10_days(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, after: timedelta, answer: int
) -> None:
    pid, rows = await _assigned(client, who, db, lead_unit_id=U1)
    CLOCK.set(BASE + after)
    r = await client.post(
        _step(pid, rows[str(U1)], "reassignment-request"), json={"reason": "职责不符"}, headers=who("unit1")
    )
    assert r.status_code == answer, r.text
    if answer == 409:
        assert r.json()["code"] == "handling.reassignment_window_closed"
    else:
        [event] = await _events(db, "cppcc.proposal.reassignment_requested.v1", pid)
        assert event["reason"] == "职责不符" and event["unit_id"] == str(U1)


async def test_rule_10_a_reason_is_required_and_only_staff_reassign(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, rows = await _assigned(client, who, db, lead_unit_id=U1, cohandler_unit_ids=[U2])
    url = _step(pid, rows[str(U1)], "reassignment-request")
    assert (await client.post(url, json={}, headers=who("unit1"))).status_code == 422
    blank = await client.post(url, json={"reason": " \u3000"}, headers=who("unit1"))
    assert blank.status_code == 422 and blank.json()["code"] == "handling.text_required"
    assert (await client.post(url, json={"reason": "不属职责"}, headers=who("unit3"))).status_code == 404
    assert (await client.post(url, json={"reason": "不属职责"}, headers=who("unit1"))).status_code == 200
    reassign = _step(pid, rows[str(U1)], "reassign")
    # A unit can never reassign by itself.
    assert (await client.post(reassign, json=_json({"unit_id": U3}), headers=who("unit1"))).status_code == 403
    # Another unit already handling it, or a unit of another organization, is no target.
    for target in (U2, FOREIGN_UNIT):
        refused = await client.post(reassign, json=_json({"unit_id": target}), headers=who("staff"))
        assert refused.status_code == 422 and refused.json()["code"] == "handling.reassign_target_invalid"
    CLOCK.set(BASE + timedelta(days=3))  # 3 December: the new due date counts from now
    moved = await client.post(reassign, json=_json({"unit_id": U3}), headers=who("staff"))
    assert moved.status_code == 201, moved.text
    assert moved.json()["unit_id"] == str(U3) and moved.json()["reply_due_on"] == "2027-03-03"
    assert moved.json()["role"] == "lead" and moved.json()["status"] == "assigned"
    # The old unit no longer sees the proposal; the new one does.
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=who("unit1"))).status_code == 404
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=who("unit3"))).status_code == 200
    office = (await client.get(f"/api/v1/proposals/{pid}/assignments", headers=who("staff"))).json()
    statuses = {a["unit_id"]: (a["status"], a["reassigned_to_id"]) for a in office["assignments"]}
    assert statuses[str(U1)] == ("reassigned", moved.json()["id"])
    [event] = await _events(db, "cppcc.proposal.reassigned.v1", pid)
    assert event["previous_unit_id"] == str(U1) and event["unit"]["unit_id"] == str(U3)


async def test_rule_10_the_office_may_refuse_and_the_unit_keeps_its_part(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, rows = await _assigned(client, who, db, lead_unit_id=U1)
    aid = rows[str(U1)]
    await client.post(
        _step(pid, aid, "reassignment-request"), json={"reason": "不属职责"}, headers=who("unit1")
    )
    assert (
        await client.post(_step(pid, aid, "refuse-reassignment"), json={}, headers=who("unit1"))
    ).status_code == 403
    refused = await client.post(
        _step(pid, aid, "refuse-reassignment"), json={"note": "属于职责"}, headers=who("staff")
    )
    assert refused.status_code == 200 and refused.json()["status"] == "assigned"
    assert refused.json()["reply_due_on"] == "2027-02-28"
    assert len(await _events(db, "cppcc.proposal.reassignment_refused.v1", pid)) == 1
    assert (await client.post(_step(pid, aid, "accept"), headers=who("unit1"))).status_code == 200


# --- Rules 11, 13, 14, 15: co-handlers, communications, the reply -----------------------------------


async def test_rule_11_a_co_handler_sends_views_to_the_lead_and_cannot_reply_to_the_proposer(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, rows = await _assigned(client, who, db, lead_unit_id=U1, cohandler_unit_ids=[U2])
    co = rows[str(U2)]
    assert (await client.post(_step(pid, co, "accept"), headers=who("unit2"))).status_code == 403
    assert (await client.post(_step(pid, co, "replies"), json=REPLY, headers=who("unit2"))).status_code == 403
    assert (
        await client.post(_step(pid, co, "communications"), json=COMMUNICATION, headers=who("unit2"))
    ).status_code == 403
    views = await client.post(
        _step(pid, co, "views"), json={"views": "建议财政配套"}, headers=who("partner2")
    )
    assert views.status_code == 200 and views.json()["status"] == "views_sent"
    [event] = await _events(db, "cppcc.proposal.cohandler_views_sent.v1", pid)
    assert event["lead_unit_id"] == str(U1)
    # The lead unit reads the views; the proposer sees the assignments without them.
    lead_view = (await client.get(f"/api/v1/proposals/{pid}/assignments", headers=who("unit1"))).json()
    assert {a["unit_id"]: a["views"] for a in lead_view["assignments"]} == {
        str(U1): None,
        str(U2): "建议财政配套",
    }
    proposer_view = (await client.get(f"/api/v1/proposals/{pid}/assignments", headers=who("member"))).json()
    assert [a["views"] for a in proposer_view["assignments"]] == [None, None]
    assert [a["status"] for a in proposer_view["assignments"]] == ["assigned", "views_sent"]
    assert (await client.post(_step(pid, co, "replies"), json=REPLY, headers=who("unit2"))).status_code == 403
    # The lead unit cannot send views for it.
    assert (
        await client.post(_step(pid, rows[str(U1)], "views"), json={"views": "x"}, headers=who("unit1"))
    ).status_code == 403


async def test_a_step_with_a_stale_if_match_on_the_assignment_is_412_and_changes_nothing(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, rows = await _assigned(client, who, db, lead_unit_id=U1, cohandler_unit_ids=[U2])
    stale = await client.post(
        _step(pid, rows[str(U1)], "accept"), headers=who("unit1", **{"If-Match": '"2"'})
    )
    assert stale.status_code == 412 and stale.json()["code"] == "handling.assignment_version_mismatch"
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=who("staff"))).json()["status"] == "assigned"
    views = _step(pid, rows[str(U2)], "views")
    assert (
        await client.post(views, json={"views": "同意"}, headers=who("unit2", **{"If-Match": '"3"'}))
    ).status_code == 412
    sent = await client.post(views, json={"views": "同意"}, headers=who("unit2", **{"If-Match": '"1"'}))
    assert sent.status_code == 200 and sent.headers["ETag"] == '"2"'
    accepted = await client.post(
        _step(pid, rows[str(U1)], "accept"), headers=who("unit1", **{"If-Match": '"1"'})
    )
    assert accepted.status_code == 200


async def test_rule_13_a_reply_cannot_be_submitted_without_a_communication_record(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, rows = await _assigned(client, who, db, lead_unit_id=U1)
    aid = rows[str(U1)]
    assert (await client.post(_step(pid, aid, "accept"), headers=who("unit1"))).status_code == 200
    none = await client.post(_step(pid, aid, "replies"), json=REPLY, headers=who("unit1"))
    assert none.status_code == 409 and none.json()["code"] == "handling.communication_required"
    tomorrow = {**COMMUNICATION, "communicated_on": "2026-12-01"}
    future = await client.post(_step(pid, aid, "communications"), json=tomorrow, headers=who("unit1"))
    assert future.status_code == 422 and future.json()["code"] == "handling.communication_in_the_future"
    for kind in ("carrier_pigeon",):
        bad = await client.post(
            _step(pid, aid, "communications"), json={**COMMUNICATION, "kind": kind}, headers=who("unit1")
        )
        assert bad.status_code == 422
    made = await client.post(_step(pid, aid, "communications"), json=COMMUNICATION, headers=who("unit1"))
    assert made.status_code == 201, made.text
    [event] = await _events(db, "cppcc.proposal.communication_recorded.v1", pid)
    assert event["kind"] == "phone" and event["communicated_on"] == "2026-11-30"
    listed = await client.get(f"/api/v1/proposals/{pid}/communications", headers=who("member"))
    assert [c["summary"] for c in listed.json()["items"]] == [COMMUNICATION["summary"]]
    assert (
        await client.get(f"/api/v1/proposals/{pid}/communications", headers=who("unit3"))
    ).status_code == 404
    replied = await client.post(_step(pid, aid, "replies"), json=REPLY, headers=who("unit1"))
    assert replied.status_code == 201, replied.text
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=who("member"))).json()["status"] == "replied"


async def test_rule_13_a_key_proposals_reply_needs_a_face_to_face_communication(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, rows = await _assigned(client, who, db, lead_unit_id=U1)
    key = {"meeting": "主席会议", "meeting_on": "2026-11-20", "supervisor_ids": [str(LEADER)]}
    assert (
        await client.post(f"/api/v1/proposals/{pid}/key", json=key, headers=who("staff"))
    ).status_code == 200
    aid = rows[str(U1)]
    await client.post(_step(pid, aid, "accept"), headers=who("unit1"))
    for kind in ("phone", "email"):
        await client.post(
            _step(pid, aid, "communications"), json={**COMMUNICATION, "kind": kind}, headers=who("unit1")
        )
    refused = await client.post(_step(pid, aid, "replies"), json=REPLY, headers=who("unit1"))
    assert refused.status_code == 409 and refused.json()["code"] == "handling.face_to_face_required"
    await client.post(
        _step(pid, aid, "communications"), json={**COMMUNICATION, "kind": "visit"}, headers=who("unit1")
    )
    assert (
        await client.post(_step(pid, aid, "replies"), json=REPLY, headers=who("unit1"))
    ).status_code == 201
    [event] = await _events(db, "cppcc.proposal.handled.v1", pid)
    assert event["is_key"] is True


async def test_rule_14_the_lead_replies_only_after_every_co_handler_countersigned(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, rows = await _assigned(client, who, db, lead_unit_id=U1, cohandler_unit_ids=[U2, U3])
    lead = rows[str(U1)]
    await client.post(_step(pid, lead, "accept"), headers=who("unit1"))
    await client.post(_step(pid, lead, "communications"), json=COMMUNICATION, headers=who("unit1"))
    # Countersigning comes after the views.
    early = await client.post(_step(pid, rows[str(U2)], "countersign"), headers=who("unit2"))
    assert early.status_code == 409 and early.json()["code"] == "handling.invalid_transition"
    for n, unit in ((2, U2), (3, U3)):
        sent = await client.post(
            _step(pid, rows[str(unit)], "views"), json={"views": "同意"}, headers=who(f"unit{n}")
        )
        assert sent.status_code == 200
    signed = await client.post(_step(pid, rows[str(U2)], "countersign"), headers=who("unit2"))
    assert signed.status_code == 200 and signed.json()["status"] == "countersigned"
    missing = await client.post(_step(pid, lead, "replies"), json=REPLY, headers=who("unit1"))
    assert missing.status_code == 409 and missing.json()["code"] == "handling.countersign_missing"
    assert (
        await client.post(_step(pid, rows[str(U3)], "countersign"), headers=who("unit3"))
    ).status_code == 200
    assert (
        await client.post(_step(pid, lead, "replies"), json=REPLY, headers=who("unit1"))
    ).status_code == 201


async def test_rule_15_a_reply_carries_a_class_from_the_policy_list_and_split_units_each_reply(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, rows = await _assigned(client, who, db, split_unit_ids=[U1, U2])
    for n, unit in ((1, U1), (2, U2)):
        await client.post(_step(pid, rows[str(unit)], "accept"), headers=who(f"unit{n}"))
        await client.post(
            _step(pid, rows[str(unit)], "communications"), json=COMMUNICATION, headers=who(f"unit{n}")
        )
    wrong = await client.post(
        _step(pid, rows[str(U1)], "replies"), json={**REPLY, "result_class": "D"}, headers=who("unit1")
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "handling.unknown_reply_class"
    assert "A / B / C" in wrong.json()["detail"]
    blank = await client.post(
        _step(pid, rows[str(U1)], "replies"), json={**REPLY, "signed_by": "  "}, headers=who("unit1")
    )
    assert blank.status_code == 422
    first = await client.post(_step(pid, rows[str(U1)], "replies"), json=REPLY, headers=who("partner1"))
    assert first.status_code == 201, first.text
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=who("member"))).json()[
        "status"
    ] == "handling"
    second = await client.post(
        _step(pid, rows[str(U2)], "replies"), json={**REPLY, "result_class": "B"}, headers=who("unit2")
    )
    assert second.status_code == 201
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=who("member"))).json()["status"] == "replied"
    events = await _events(db, "cppcc.proposal.handled.v1", pid)
    assert [(e["unit_id"], e["result_class"], e["completed"]) for e in events] == [
        (str(U1), "A", False),
        (str(U2), "B", True),
    ]
    assert events[1]["cosigner_ids"] == [str(COSIGNER)] and events[1]["signed_by"] == "李四"
    # Every proposer reads both replies; a unit its own.
    assert len((await client.get(f"/api/v1/proposals/{pid}/replies", headers=who("cosigner"))).json()) == 2
    own = (await client.get(f"/api/v1/proposals/{pid}/replies", headers=who("unit2"))).json()
    assert [r["unit_id"] for r in own] == [str(U2)]


async def test_rule_15_the_office_corrects_a_reply_class_and_the_change_is_audited(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, rows = await _assigned(client, who, db, lead_unit_id=U1)
    aid = rows[str(U1)]
    await client.post(_step(pid, aid, "accept"), headers=who("unit1"))
    await client.post(_step(pid, aid, "communications"), json=COMMUNICATION, headers=who("unit1"))
    reply = (await client.post(_step(pid, aid, "replies"), json=REPLY, headers=who("unit1"))).json()
    url = f"/api/v1/proposals/{pid}/replies/{reply['id']}/class"
    body = {"result_class": "B", "reason": "尚未完成，列入计划"}
    assert (
        await client.patch(url, json=body, headers=who("unit1", **{"If-Match": '"1"'}))
    ).status_code == 403
    assert (await client.patch(url, json=body, headers=who("staff"))).status_code == 428
    assert (
        await client.patch(url, json=body, headers=who("staff", **{"If-Match": '"7"'}))
    ).status_code == 412
    unknown = await client.patch(
        url, json={**body, "result_class": "Z"}, headers=who("staff", **{"If-Match": '"1"'})
    )
    assert unknown.status_code == 422
    CLOCK.set(BASE + timedelta(days=2))
    fixed = await client.patch(url, json=body, headers=who("staff", **{"If-Match": '"1"'}))
    assert fixed.status_code == 200 and fixed.json()["result_class"] == "B" and fixed.headers["ETag"] == '"2"'
    [audit] = (await client.get(f"/api/v1/proposals/{pid}/replies", headers=who("staff"))).json()[0][
        "corrections"
    ]
    assert (audit["from_class"], audit["to_class"], audit["reason"], audit["actor_id"]) == (
        "A",
        "B",
        "尚未完成，列入计划",
        str(STAFF),
    )
    assert audit["at"].startswith("2026-12-02")
    # Only the office sees the audit.
    assert (await client.get(f"/api/v1/proposals/{pid}/replies", headers=who("member"))).json()[0][
        "corrections"
    ] == []
    [event] = await _events(db, "cppcc.proposal.reply_class_corrected.v1", pid)
    assert (event["from_class"], event["to_class"]) == ("A", "B")
    missing = await client.patch(
        f"/api/v1/proposals/{pid}/replies/{uuid.uuid4()}/class",
        json=body,
        headers=who("staff", **{"If-Match": '"1"'}),
    )
    assert missing.status_code == 404


async def test_the_units_projection_keeps_a_rename(
    client: httpx.AsyncClient, settings: Settings, db: AsyncEngine, who: Headers
) -> None:
    renamed = UnitRegisteredV1(unit_id=U4, org_id=ORG, name="新名称", kind="government")
    event = make_event(renamed, source="/member-svc", subject=U4, orgid=ORG)
    nc = await nats.connect(settings.nats_url)
    await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await nc.close()
    for _ in range(200):
        async with db.connect() as conn:
            name = (
                await conn.execute(text("SELECT name FROM units WHERE unit_id = :u"), {"u": U4})
            ).scalar_one()
        if name == "新名称":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the rename never arrived")


# --- Rule 8: a merged proposal still gets one reply per proposer ---------------------------------


async def test_rule_8_a_reply_to_a_merged_proposal_answers_every_merged_in_proposals_proposers(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    """A proposal merged into a filed one keeps its proposer; the lead's reply carries one letter for
    it, or is 422 naming what is missing (or not merged here); the merged-in proposer reads it."""
    target = await _filed(client, who, db)
    r = await client.post("/api/v1/proposals", json=GOOD, headers=who("merger"))
    source = r.json()["id"]
    assert (await client.post(f"/api/v1/proposals/{source}/submit", headers=who("merger"))).status_code == 200
    merged = await client.post(
        f"/api/v1/proposals/{source}/merge", json={"into_id": target}, headers=who("staff")
    )
    assert merged.status_code == 200, merged.text
    r = await client.post(
        f"/api/v1/proposals/{target}/assignments", json=_json({"lead_unit_id": U1}), headers=who("staff")
    )
    aid = r.json()["assignments"][0]["id"]
    assert (await client.post(_step(target, aid, "accept"), headers=who("unit1"))).status_code == 200
    r = await client.post(_step(target, aid, "communications"), json=COMMUNICATION, headers=who("unit1"))
    assert r.status_code == 201
    missing = await client.post(_step(target, aid, "replies"), json=REPLY, headers=who("unit1"))
    assert missing.status_code == 422 and missing.json()["code"] == "handling.merged_letters_invalid"
    assert source in missing.json()["detail"]
    stranger = str(uuid.uuid4())
    wrong = [
        {"merged_proposal_id": source, "letter": "答复"},
        {"merged_proposal_id": stranger, "letter": "答复"},
    ]
    r = await client.post(
        _step(target, aid, "replies"), json={**REPLY, "merged_letters": wrong}, headers=who("unit1")
    )
    assert r.status_code == 422 and stranger in r.json()["detail"]
    blank = [{"merged_proposal_id": source, "letter": "  "}]
    r = await client.post(
        _step(target, aid, "replies"), json={**REPLY, "merged_letters": blank}, headers=who("unit1")
    )
    assert r.status_code == 422 and r.json()["code"] == "handling.text_required"
    assert (await client.get(f"/api/v1/proposals/{target}", headers=who("member"))).json()[
        "status"
    ] == "handling"
    letters = [{"merged_proposal_id": source, "letter": "关于您并案提案的答复……"}]
    r = await client.post(
        _step(target, aid, "replies"), json={**REPLY, "merged_letters": letters}, headers=who("unit1")
    )
    assert r.status_code == 201, r.text
    assert r.json()["merged_letters"] == letters
    read = await client.get(f"/api/v1/proposals/{target}/replies", headers=who("merger"))
    assert read.status_code == 200 and read.json()[0]["merged_letters"] == letters
    [handled] = await _events(db, "cppcc.proposal.handled.v1", target)
    assert str(MERGER) in handled["cosigner_ids"]  # told, and a proposer who rates it (rule 16)


async def test_rule_8_a_proposal_nothing_was_merged_into_takes_no_merged_letters(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    pid, parts = await _assigned(client, who, db, lead_unit_id=U1)
    aid = parts[str(U1)]
    assert (await client.post(_step(pid, aid, "accept"), headers=who("unit1"))).status_code == 200
    await client.post(_step(pid, aid, "communications"), json=COMMUNICATION, headers=who("unit1"))
    extra = [{"merged_proposal_id": pid, "letter": "答复"}]
    r = await client.post(
        _step(pid, aid, "replies"), json={**REPLY, "merged_letters": extra}, headers=who("unit1")
    )
    assert r.status_code == 422 and r.json()["code"] == "handling.merged_letters_invalid"
    r = await client.post(_step(pid, aid, "replies"), json=REPLY, headers=who("unit1"))
    assert r.status_code == 201 and r.json()["merged_letters"] == []


# --- Rule 15: the reply letter's file -------------------------------------------------------------

LETTER_PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


async def test_rule_15_the_unit_attaches_its_reply_letter_and_it_is_downloaded_like_the_reply(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine
) -> None:
    """The unit that replied (its user or partner client) uploads the letter's file, checked by the
    organization's policy; the proposers, the office, leaders and the unit download it; another unit
    sees neither the reply nor its file (404), a member cannot upload (403)."""
    pid, parts = await _assigned(client, who, db, lead_unit_id=U1)
    aid = parts[str(U1)]
    assert (await client.post(_step(pid, aid, "accept"), headers=who("unit1"))).status_code == 200
    await client.post(_step(pid, aid, "communications"), json=COMMUNICATION, headers=who("unit1"))
    rid = (await client.post(_step(pid, aid, "replies"), json=REPLY, headers=who("unit1"))).json()["id"]
    url = f"/api/v1/proposals/{pid}/replies/{rid}/attachments"
    file = {"Content-Type": "application/pdf", "X-Filename": "%E7%AD%94%E5%A4%8D%E5%87%BD.pdf"}
    wrong = await client.post(
        url, content=b"MZ", headers=who("partner1", **{**file, "Content-Type": "application/x-msdownload"})
    )
    assert wrong.status_code == 415
    assert (await client.post(url, content=LETTER_PDF, headers=who("unit2", **file))).status_code == 404
    assert (await client.post(url, content=LETTER_PDF, headers=who("member", **file))).status_code == 403
    r = await client.post(url, content=LETTER_PDF, headers=who("partner1", **file))
    assert r.status_code == 201, r.text
    added = r.json()
    assert (added["owner_type"], added["owner_id"], added["file_name"]) == ("reply", rid, "答复函.pdf")
    for caller in ("member", "cosigner", "staff", "leader", "unit1"):
        listed = await client.get(url, headers=who(caller))
        assert [a["id"] for a in listed.json()] == [added["id"]], caller
        got = await client.get(f"{url}/{added['id']}", headers=who(caller))
        assert got.status_code == 200 and got.content == LETTER_PDF, caller
    assert (await client.get(url, headers=who("unit2"))).status_code == 404
    assert (await client.get(f"{url}/{added['id']}", headers=who("unit2"))).status_code == 404
    # A proposal's attachment id is not a reply's (and the reverse).
    assert (
        await client.get(f"/api/v1/proposals/{pid}/attachments/{added['id']}", headers=who("member"))
    ).status_code == 404
