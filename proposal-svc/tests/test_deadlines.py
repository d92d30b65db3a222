"""Reply deadlines through the API and the scanner (rule 12, DESIGN.md §9): due-soon warnings, the
overdue exactly once per assignment and due date with two scanner replicas, approved extensions up to
the maximum; on a real database and NATS, the clock moved (FakeClock), never slept."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.clock import FakeClock
from cppcc_common.contracts.member import UnitRegisteredV1
from cppcc_common.db import create_engine
from cppcc_common.events import make_event
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.scanners import race
from cppcc_common.testing.tokens import TestIssuer
from cppcc_common.workdays import start_of_day
from proposal_svc.handling.scanners import ReplyDeadlines
from proposal_svc.main import create_app
from proposal_svc.settings import Settings

from .conftest import MIGRATIONS, enrol

# 10:00 in Shanghai on 30 November 2026. The reply is due three months later: 28 February 2027 (the
# month end clamps); it is overdue from 1 March 00:00 in Shanghai, the first instant of the next month.
BASE = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
DUE = date(2027, 2, 28)
OVERDUE_AT = start_of_day(date(2027, 3, 1))
LATEST = date(2027, 5, 30)  # max_reply_months (6) after the assignment day
ORG = uuid.uuid4()
MEMBER, COSIGNER = uuid.uuid4(), uuid.uuid4()
U1, U2 = uuid.uuid4(), uuid.uuid4()
US = timedelta(microseconds=1)
GOOD = {"title": "关于加装电梯的建议", "situation": "老旧小区没有电梯。", "suggestions": ["设立专项补贴"]}
Headers = Callable[..., dict[str, str]]


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    """The service's own scanners scan once at start-up; these tests drive theirs by the clock."""
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "proposal"),
        nats_url=module_nats_url,
        relay_interval_seconds=0.05,
        scanner_interval_seconds=3600,
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
    engine = create_engine(settings.database_url, pool_size=4)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def who(settings: Settings, issuer: TestIssuer, client: httpx.AsyncClient, db: AsyncEngine) -> Headers:
    nc = await nats.connect(settings.nats_url)
    for n, unit in enumerate((U1, U2)):
        data = UnitRegisteredV1(unit_id=unit, org_id=ORG, name=f"单位{n}", kind="government")
        event = make_event(data, source="/member-svc", subject=unit, orgid=ORG)
        await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await nc.close()
    for _ in range(200):
        async with db.connect() as conn:
            if (await conn.execute(text("SELECT count(*) FROM units"))).scalar_one() == 2:
                break
        await asyncio.sleep(0.05)
    for person in (MEMBER, COSIGNER):
        await enrol(settings, person_id=person, org_id=ORG)
    at = int(BASE.timestamp())
    callers: dict[str, dict[str, Any]] = {
        "member": {"sub": MEMBER, "org": ORG, "roles": ["member"]},
        "staff": {"sub": uuid.uuid4(), "org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
        "unit1": {"sub": uuid.uuid4(), "org": ORG, "roles": ["unit_user"], "unit": U1},
        "unit2": {"sub": uuid.uuid4(), "org": ORG, "roles": ["unit_user"], "unit": U2},
    }
    made = {name: issuer.headers(iat=at - 60, exp=at + 400 * 86400, **kw) for name, kw in callers.items()}
    return lambda name, **extra: {**made[name], **extra}


async def _assigned(client: httpx.AsyncClient, who: Headers, db: AsyncEngine, **body: Any) -> tuple[str, str]:
    """A proposal with a confirmed co-signer, filed and assigned now; (its id, the first assignment's id)."""
    r = await client.post("/api/v1/proposals", json=GOOD, headers=who("member"))
    pid = r.json()["id"]
    assert (await client.post(f"/api/v1/proposals/{pid}/submit", headers=who("member"))).status_code == 200
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO proposal_proposers (proposal_id, person_id, role, position, status)"
                " VALUES (:p, :who, 'cosigner', 1, 'confirmed')"
            ),
            {"p": pid, "who": COSIGNER},
        )
    assert (await client.post(f"/api/v1/proposals/{pid}/file", headers=who("staff"))).status_code == 200
    body = json.loads(json.dumps(body or {"lead_unit_id": U1}, default=str))
    r = await client.post(f"/api/v1/proposals/{pid}/assignments", json=body, headers=who("staff"))
    assert r.status_code == 201, r.text
    return pid, r.json()["assignments"][0]["id"]


async def _events(db: AsyncEngine, event_type: str, proposal_id: str) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT payload FROM outbox WHERE subject = :t ORDER BY created_at"), {"t": event_type}
            )
        ).scalars()
    return [e["data"] for e in map(json.loads, rows) if e["subject"] == proposal_id]


async def _scan(settings: Settings, clock: FakeClock, replicas: int = 1) -> int:
    """Every due notice fired by `replicas` scanner instances racing on the same database."""
    return await race(
        settings.database_url, lambda s: ReplyDeadlines(s, clock, source=settings.source), replicas
    )


def _extension(to: date, **over: Any) -> dict[str, Any]:
    return {
        "reply_due_on": str(to),
        "approved_by": "王秘书长",
        "approved_on": "2026-11-30",
        "reason": "需跨部门协调",
        **over,
    }


async def test_rule_12_due_soon_warnings_fire_at_the_start_of_their_day_once_each(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings, clock: FakeClock
) -> None:
    """15 and 3 days before the due day (policy), at 00:00 in Shanghai: nothing 1 µs before, one
    warning at the instant, never again."""
    clock.set(BASE)
    pid, aid = await _assigned(client, who, db)
    warned: list[int] = []
    for days in (15, 3):
        at = start_of_day(DUE - timedelta(days=days))
        clock.set(at - US)
        await _scan(settings, clock)
        assert [e["days_before"] for e in await _events(db, "cppcc.proposal.due_soon.v1", pid)] == warned
        clock.set(at)
        await _scan(settings, clock)
        warned.append(days)
        events = await _events(db, "cppcc.proposal.due_soon.v1", pid)
        assert [e["days_before"] for e in events] == warned
        assert events[-1]["reply_due_on"] == str(DUE) and events[-1]["assignment_id"] == aid
        assert events[-1]["cosigner_ids"] == [str(COSIGNER)] and events[-1]["unit_id"] == str(U1)
    assert await _events(db, "cppcc.proposal.feedback_overdue.v1", pid) == []


async def test_rule_12_overdue_fires_exactly_once_per_assignment_with_two_scanners_never_for_a_replied_one(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings, clock: FakeClock
) -> None:
    """The due day is still on time: nothing 1 µs before the next day begins (a month end here); at
    that instant two racing replicas give each unreplied lead or split assignment one overdue event."""
    clock.set(BASE)
    late = [await _assigned(client, who, db) for _ in range(3)]
    split_pid, _ = await _assigned(client, who, db, split_unit_ids=[U1, U2])
    replied, raid = await _assigned(client, who, db)
    for step, body in (
        ("accept", None),
        ("communications", {"kind": "phone", "communicated_on": "2026-11-30", "summary": "电话沟通"}),
        ("replies", {"letter": "答复函", "signed_by": "李四", "result_class": "A"}),
    ):
        r = await client.post(
            f"/api/v1/proposals/{replied}/assignments/{raid}/{step}", json=body, headers=who("unit1")
        )
        assert r.status_code in (200, 201), r.text
    clock.set(OVERDUE_AT - US)
    await _scan(settings, clock, replicas=2)
    for pid, _ in [*late, (split_pid, None), (replied, None)]:
        assert await _events(db, "cppcc.proposal.feedback_overdue.v1", pid) == []
    clock.set(OVERDUE_AT)
    await _scan(settings, clock, replicas=2)
    for pid, aid in late:
        [event] = await _events(db, "cppcc.proposal.feedback_overdue.v1", pid)
        assert (event["assignment_id"], event["reply_due_on"], event["is_key"]) == (aid, str(DUE), False)
        assert event["first_proposer_id"] == str(MEMBER) and event["org_id"] == str(ORG)
    split = await _events(db, "cppcc.proposal.feedback_overdue.v1", split_pid)
    assert sorted(e["unit_id"] for e in split) == sorted((str(U1), str(U2)))  # one per split unit
    assert await _events(db, "cppcc.proposal.feedback_overdue.v1", replied) == []
    clock.advance(timedelta(days=40))
    assert await _scan(settings, clock, replicas=2) == 0
    for pid, _ in late:
        assert len(await _events(db, "cppcc.proposal.feedback_overdue.v1", pid)) == 1


async def test_rule_12_an_extension_re_arms_the_warnings_and_the_overdue_for_the_new_date(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings, clock: FakeClock
) -> None:
    clock.set(BASE)
    pid, aid = await _assigned(client, who, db)
    await _scan(settings, clock)
    clock.set(start_of_day(DUE - timedelta(days=15)))  # the old date's first warning went out
    await _scan(settings, clock)
    url = f"/api/v1/proposals/{pid}/assignments/{aid}/extensions"
    new_due = date(2027, 3, 31)
    r = await client.post(url, json=_extension(new_due), headers=who("staff", **{"If-Match": '"1"'}))
    assert r.status_code == 201, r.text
    assert (r.json()["from_due_on"], r.json()["to_due_on"]) == (str(DUE), str(new_due))
    [extended] = await _events(db, "cppcc.proposal.reply_due_extended.v1", pid)
    assert extended["approved_by"] == "王秘书长" and extended["to_due_on"] == str(new_due)
    clock.set(OVERDUE_AT)  # the old date's remaining warning and overdue are void
    await _scan(settings, clock)
    assert await _events(db, "cppcc.proposal.feedback_overdue.v1", pid) == []
    assert [e["reply_due_on"] for e in await _events(db, "cppcc.proposal.due_soon.v1", pid)] == [str(DUE)]
    clock.set(start_of_day(new_due + timedelta(days=1)) - US)
    await _scan(settings, clock, replicas=2)
    soon = await _events(db, "cppcc.proposal.due_soon.v1", pid)
    # Two replicas scan at once: which warning of the new date commits first is theirs to decide.
    assert sorted((e["reply_due_on"], e["days_before"]) for e in soon) == [
        (str(DUE), 15),
        (str(new_due), 3),
        (str(new_due), 15),
    ]
    assert await _events(db, "cppcc.proposal.feedback_overdue.v1", pid) == []
    clock.set(start_of_day(new_due + timedelta(days=1)))
    await _scan(settings, clock, replicas=2)
    [overdue] = await _events(db, "cppcc.proposal.feedback_overdue.v1", pid)
    assert overdue["reply_due_on"] == str(new_due)


async def test_rule_12_an_extension_reaches_the_maximum_exactly_and_never_passes_it(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, clock: FakeClock
) -> None:
    clock.set(BASE)
    pid, aid = await _assigned(client, who, db)
    url = f"/api/v1/proposals/{pid}/assignments/{aid}/extensions"
    past = await client.post(url, json=_extension(LATEST + timedelta(days=1)), headers=who("staff"))
    assert past.status_code == 422, past.text
    assert [e["code"] for e in past.json()["errors"]] == ["beyond_maximum"]
    assert (await client.post(url, json=_extension(LATEST), headers=who("staff"))).status_code == 201
    again = await client.post(url, json=_extension(LATEST), headers=who("staff"))
    assert [e["code"] for e in again.json()["errors"]] == ["not_later"]
    rows = (await client.get(f"/api/v1/proposals/{pid}/assignments", headers=who("staff"))).json()[
        "assignments"
    ]
    assert rows[0]["reply_due_on"] == str(LATEST)


async def test_rule_12_an_extension_needs_the_office_an_approval_and_a_reply_due(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, clock: FakeClock
) -> None:
    clock.set(BASE)
    pid, _ = await _assigned(client, who, db, lead_unit_id=U1, cohandler_unit_ids=[U2])
    rows = (await client.get(f"/api/v1/proposals/{pid}/assignments", headers=who("staff"))).json()[
        "assignments"
    ]
    by_role = {a["role"]: a["id"] for a in rows}
    url = f"/api/v1/proposals/{pid}/assignments/{{}}/extensions"
    later = date(2027, 3, 15)
    assert (
        await client.post(url.format(by_role["lead"]), json=_extension(later), headers=who("unit1"))
    ).status_code == 403
    for missing in ("approved_by", "approved_on", "reason"):
        body = {k: v for k, v in _extension(later).items() if k != missing}
        assert (
            await client.post(url.format(by_role["lead"]), json=body, headers=who("staff"))
        ).status_code == 422
    tomorrow = _extension(later, approved_on="2026-12-01")  # the approval is dated after today (30 Nov)
    r = await client.post(url.format(by_role["lead"]), json=tomorrow, headers=who("staff"))
    assert [e["code"] for e in r.json()["errors"]] == ["in_the_future"]
    r = await client.post(
        url.format(by_role["cohandler"]),
        json=_extension(later, approved_on="2026-11-30"),
        headers=who("staff"),
    )
    assert [e["code"] for e in r.json()["errors"]] == ["no_reply_due"]


async def test_rule_12_a_reassigned_part_is_overdue_only_on_the_new_units_date(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings, clock: FakeClock
) -> None:
    clock.set(BASE)
    pid, aid = await _assigned(client, who, db)
    step = f"/api/v1/proposals/{pid}/assignments/{aid}"
    asked = await client.post(
        f"{step}/reassignment-request", json={"reason": "不属本单位职责"}, headers=who("unit1")
    )
    assert asked.status_code == 200, asked.text
    clock.set(BASE + timedelta(days=1))  # the new unit's reply is due 1 March 2027
    moved = await client.post(f"{step}/reassign", json={"unit_id": str(U2)}, headers=who("staff"))
    assert moved.status_code == 201, moved.text
    clock.set(OVERDUE_AT)
    await _scan(settings, clock, replicas=2)
    assert await _events(db, "cppcc.proposal.feedback_overdue.v1", pid) == []  # the old part is void
    clock.set(start_of_day(date(2027, 3, 2)))
    await _scan(settings, clock, replicas=2)
    [event] = await _events(db, "cppcc.proposal.feedback_overdue.v1", pid)
    assert (event["assignment_id"], event["unit_id"], event["reply_due_on"]) == (
        moved.json()["id"],
        str(U2),
        "2027-03-01",
    )


# Co-handlers' views are due a month after the assignment (policy): 30 December 2026, late from
# 31 December 00:00 in Shanghai.
VIEWS_LATE_AT = start_of_day(date(2026, 12, 31))


async def test_rule_11_a_co_handlers_late_views_are_reported_to_the_lead_unit_exactly_once_with_two_scanners(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings, clock: FakeClock
) -> None:
    """Nothing 1 µs before the day after the views due day; at that instant two racing replicas
    report the silent co-handler once (naming the lead unit), never one that sent its views."""
    clock.set(BASE)
    late, _ = await _assigned(client, who, db, lead_unit_id=U1, cohandler_unit_ids=[U2])
    sent, _ = await _assigned(client, who, db, lead_unit_id=U1, cohandler_unit_ids=[U2])
    rows = (await client.get(f"/api/v1/proposals/{sent}/assignments", headers=who("staff"))).json()
    cohandler = next(a["id"] for a in rows["assignments"] if a["role"] == "cohandler")
    r = await client.post(
        f"/api/v1/proposals/{sent}/assignments/{cohandler}/views",
        json={"views": "同意"},
        headers=who("unit2"),
    )
    assert r.status_code == 200, r.text
    clock.set(VIEWS_LATE_AT - US)
    await _scan(settings, clock, replicas=2)
    assert await _events(db, "cppcc.proposal.cohandler_views_overdue.v1", late) == []
    clock.set(VIEWS_LATE_AT)
    await _scan(settings, clock, replicas=2)
    [event] = await _events(db, "cppcc.proposal.cohandler_views_overdue.v1", late)
    assert (event["unit_id"], event["lead_unit_id"], event["views_due_on"]) == (
        str(U2),
        str(U1),
        "2026-12-30",
    )
    assert await _events(db, "cppcc.proposal.cohandler_views_overdue.v1", sent) == []
    clock.advance(timedelta(days=3))
    await _scan(settings, clock, replicas=2)
    assert len(await _events(db, "cppcc.proposal.cohandler_views_overdue.v1", late)) == 1
    assert await _events(db, "cppcc.proposal.feedback_overdue.v1", late) == []  # the lead is not late


async def test_rule_12_an_assignments_extensions_are_listed_for_the_office_and_its_unit_only(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, clock: FakeClock
) -> None:
    """Who approved, when, why, from → to, oldest first; another unit's caller gets 404, a proposer 403."""
    clock.set(BASE)
    pid, aid = await _assigned(client, who, db, lead_unit_id=U1, cohandler_unit_ids=[U2])
    url = f"/api/v1/proposals/{pid}/assignments/{aid}/extensions"
    first, second = date(2027, 3, 20), date(2027, 4, 10)
    assert (await client.get(url, headers=who("unit1"))).json() == []
    assert (await client.post(url, json=_extension(first), headers=who("staff"))).status_code == 201
    clock.advance(timedelta(hours=1))
    later = _extension(second, approved_by="李主任", reason="等待预算批复")
    assert (await client.post(url, json=later, headers=who("staff"))).status_code == 201
    for caller in ("staff", "unit1"):
        r = await client.get(url, headers=who(caller))
        assert r.status_code == 200, r.text
        assert [(e["from_due_on"], e["to_due_on"], e["approved_by"], e["reason"]) for e in r.json()] == [
            (str(DUE), str(first), "王秘书长", "需跨部门协调"),
            (str(first), str(second), "李主任", "等待预算批复"),
        ]
        assert r.json()[0]["approved_on"] == "2026-11-30"
    assert (await client.get(url, headers=who("unit2"))).status_code == 404  # the co-handler's own only
    assert (await client.get(url, headers=who("member"))).status_code == 403
