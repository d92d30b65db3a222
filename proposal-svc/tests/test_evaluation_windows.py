"""The evaluation window's close through the scanner (rules 16–18, DESIGN.md §9): a replied proposal
whose last window closed concludes with the same `concluded` event as a rating's, exactly once with
two scanner replicas racing, never 1 µs before the close, never while a B-class reply awaits its
completion report; on a real database and NATS, the clock moved (FakeClock), never slept."""

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
from cppcc_common.testing.scanners import race
from cppcc_common.testing.tokens import TestIssuer
from cppcc_common.workdays import start_of_day
from proposal_svc.evaluation.scanners import EvaluationWindows
from proposal_svc.main import create_app
from proposal_svc.settings import Settings

from .conftest import MIGRATIONS, enrol

# 10:00 in Shanghai on Friday 26 September 2025: the window's 15th working day is Thursday
# 23 October (National Day and its make-up workdays), so it closes at 00:00 on 24 October.
BASE = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)
CLOSES = start_of_day(date(2025, 10, 24))
US = timedelta(microseconds=1)
ORG = uuid.uuid4()
MEMBER, COSIGNER = uuid.uuid4(), uuid.uuid4()
U1, U2 = uuid.uuid4(), uuid.uuid4()
GOOD = {"title": "关于加装电梯的建议", "situation": "老旧小区没有电梯。", "suggestions": ["设立专项补贴"]}
COMMUNICATION = {"kind": "phone", "communicated_on": "2025-09-26", "summary": "电话沟通了办理思路"}
Headers = Callable[[str], dict[str, str]]


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


@pytest.fixture(autouse=True)
def _at_base(clock: FakeClock) -> None:
    clock.set(BASE)


@pytest.fixture(scope="module")
async def client(
    settings: Settings, issuer: TestIssuer, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source(), clock=clock)) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    for person in (MEMBER, COSIGNER):
        await enrol(settings, person_id=person, org_id=ORG)
    async with engine.begin() as conn:  # the units as member-svc's events leave them
        await conn.execute(
            text(
                "INSERT INTO units (unit_id, org_id, name, kind)"
                " VALUES (:u, :o, '甲局', 'bureau'), (:v, :o, '乙局', 'bureau')"
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
        "staff": {"sub": uuid.uuid4(), "org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
        "unit1": {"sub": uuid.uuid4(), "org": ORG, "roles": ["unit_user"], "unit": U1},
        "unit2": {"sub": uuid.uuid4(), "org": ORG, "roles": ["unit_user"], "unit": U2},
        "admin": {"sub": uuid.uuid4(), "org": ORG, "roles": ["admin"]},
    }
    made = {name: issuer.headers(iat=at - 60, exp=at + 800 * 86400, **kw) for name, kw in callers.items()}
    return lambda name: made[name]


async def _replied(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, result_class: str = "A", *, split: bool = False
) -> tuple[str, dict[str, str], dict[str, str]]:
    """A joint proposal (MEMBER first, COSIGNER confirmed) replied now by U1 (or by U1 and U2 in
    split handling) with `result_class`; its assignments and replies by unit."""
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
    body = {"split_unit_ids": [str(U1), str(U2)]} if split else {"lead_unit_id": str(U1)}
    r = await client.post(f"/api/v1/proposals/{pid}/assignments", json=body, headers=who("staff"))
    assert r.status_code == 201, r.text
    parts = {a["unit_id"]: a["id"] for a in r.json()["assignments"]}
    replies = {}
    for unit, aid in parts.items():
        caller = "unit1" if unit == str(U1) else "unit2"
        step = f"/api/v1/proposals/{pid}/assignments/{aid}"
        assert (await client.post(f"{step}/accept", headers=who(caller))).status_code == 200
        r = await client.post(f"{step}/communications", json=COMMUNICATION, headers=who(caller))
        assert r.status_code == 201
        reply = {"letter": "关于加装电梯的答复……", "signed_by": "李四", "result_class": result_class}
        r = await client.post(f"{step}/replies", json=reply, headers=who(caller))
        assert r.status_code == 201, r.text
        replies[unit] = r.json()["id"]
    return pid, parts, replies


async def _rate(client: httpx.AsyncClient, who: Headers, pid: str, rid: str, caller: str) -> str:
    r = await client.post(
        f"/api/v1/proposals/{pid}/replies/{rid}/evaluations",
        json={"rating": "satisfied"},
        headers=who(caller),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["proposal_status"])


async def _concluded(db: AsyncEngine, proposal_id: str) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT payload FROM outbox WHERE subject = 'cppcc.proposal.concluded.v1'")
            )
        ).scalars()
    return [e["data"] for e in map(json.loads, rows) if e["subject"] == proposal_id]


async def _status(client: httpx.AsyncClient, who: Headers, pid: str) -> str:
    return str((await client.get(f"/api/v1/proposals/{pid}", headers=who("member"))).json()["status"])


async def _scan(settings: Settings, clock: FakeClock, replicas: int = 2) -> int:
    """Every closed window settled by `replicas` scanner instances racing on the same database."""
    return await race(
        settings.database_url, lambda s: EvaluationWindows(s, clock, source=settings.source), replicas
    )


async def test_rule_16_the_window_closing_concludes_a_silent_co_signers_proposal_exactly_once_with_two_scanners(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings, clock: FakeClock
) -> None:
    """The first proposer rated, the co-signer stayed silent: nothing 1 µs before the close; at the
    close two racing replicas conclude it once, with the ratings given; never again."""
    pid, _, replies = await _replied(client, who, db)
    silent, _, _ = await _replied(client, who, db)  # nobody rated: silence is no objection too
    assert await _rate(client, who, pid, replies[str(U1)], "member") == "replied"
    clock.set(CLOSES - US)
    await _scan(settings, clock)
    assert await _concluded(db, pid) == [] and await _status(client, who, pid) == "replied"
    clock.set(CLOSES)
    assert await _scan(settings, clock) >= 2
    [concluded] = await _concluded(db, pid)
    assert concluded["ratings"] == {"satisfied": 1} and concluded["unit_ids"] == [str(U1)]
    assert await _status(client, who, pid) == "concluded"
    [quiet] = await _concluded(db, silent)
    assert quiet["ratings"] == {}
    clock.set(CLOSES + timedelta(days=1))
    assert await _scan(settings, clock) == 0  # settled once: nothing is claimed again
    assert len(await _concluded(db, pid)) == 1 and len(await _concluded(db, silent)) == 1


async def test_rule_16_split_parts_windows_closing_together_conclude_once_with_two_scanners(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings, clock: FakeClock
) -> None:
    """Both parts' windows close at the same instant: the replicas each claim one, the proposal's
    lock orders them, the second finds it concluded."""
    pid, _, _ = await _replied(client, who, db, split=True)
    clock.set(CLOSES)
    await _scan(settings, clock)
    [concluded] = await _concluded(db, pid)
    assert sorted(concluded["unit_ids"]) == sorted([str(U1), str(U2)])


async def test_rule_18_a_closed_window_never_concludes_a_b_class_reply_before_its_completion_report(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings, clock: FakeClock
) -> None:
    pid, parts, replies = await _replied(client, who, db, "B")
    assert await _rate(client, who, pid, replies[str(U1)], "member") == "replied"
    clock.set(CLOSES)
    await _scan(settings, clock)
    assert await _concluded(db, pid) == [] and await _status(client, who, pid) == "replied"
    report = {"report": "加装电梯的补贴已发放", "completed_on": "2025-10-20"}
    r = await client.post(
        f"/api/v1/proposals/{pid}/assignments/{parts[str(U1)]}/completion-report",
        json=report,
        headers=who("unit1"),
    )
    assert r.status_code == 201 and r.json()["proposal_status"] == "concluded"
    assert len(await _concluded(db, pid)) == 1


# 10:00 in Shanghai on Thursday 17 December 2026. The package does not know 2027: 15 working days
# counted over its weekends only end on Thursday 7 January 2027, provisionally; with 2027 entered
# (1–3 January off) they end on Friday 8 January, and the window closes at 00:00 on 9 January.
REPLIED_LATE_2026 = datetime(2026, 12, 17, 2, 0, tzinfo=UTC)
ENTERED_2027 = {
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"] + [f"2027-02-{d:02}" for d in range(5, 12)],
    "workdays": ["2027-01-30", "2027-02-20"],
    "notice": "国务院办公厅关于2027年部分节假日安排的通知",
}


async def test_rule_16_entering_an_unknown_year_recounts_provisional_windows_and_the_scanner_follows(
    client: httpx.AsyncClient, who: Headers, db: AsyncEngine, settings: Settings, clock: FakeClock
) -> None:
    clock.set(REPLIED_LATE_2026)
    pid, _, replies = await _replied(client, who, db)
    url = f"/api/v1/proposals/{pid}/replies/{replies[str(U1)]}/evaluations"
    window = (await client.get(url, headers=who("member"))).json()
    assert (window["due_on"], window["provisional"]) == ("2027-01-07", True)
    r = await client.put(
        "/api/v1/proposals/working-calendar/2027",
        json=ENTERED_2027,
        headers={**who("admin"), "If-Match": '"0"'},
    )
    assert r.status_code == 200, r.text
    window = (await client.get(url, headers=who("member"))).json()
    assert (window["due_on"], window["provisional"]) == ("2027-01-08", False)
    closes = start_of_day(date(2027, 1, 9))
    assert datetime.fromisoformat(window["closes_at"]) == closes
    for at in (start_of_day(date(2027, 1, 8)), closes - US):  # the provisional close, 1 µs before the new
        clock.set(at)
        await _scan(settings, clock)
        assert await _concluded(db, pid) == []
    clock.set(closes)
    await _scan(settings, clock)
    assert len(await _concluded(db, pid)) == 1
