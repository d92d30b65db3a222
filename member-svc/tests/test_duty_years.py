"""The duty year on every path: one record per person and year across a term change, a closed year
stays final (late events are held for review, recomputation leaves it alone), the lists page, the
成绩单 defaults to the current year, and staff list exit-review alerts."""

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import nats
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import text

from cppcc_common.clock import FakeClock
from cppcc_common.contracts.consultation import (
    AbsenceRecordedV1,
    ActivityKind,
    AttendanceRecordedV1,
    SpeechDeliveredV1,
    SpeechMode,
)
from cppcc_common.db import create_engine, create_sessionmaker, session_scope
from cppcc_common.events import EventData, make_event
from cppcc_common.testing.app import serve_app
from member_svc.directory.models import Member, Sector, Term
from member_svc.duty.service import people_of_year
from member_svc.main import create_app
from member_svc.models import Person
from member_svc.people.service import ensure_organization, register_person
from member_svc.settings import Settings

from .conftest import seeding

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
T15, T16, OTHER_TERM = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
SECTOR_A, SECTOR_B = uuid.uuid4(), uuid.uuid4()
MARCH = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)  # term 15
SEPTEMBER = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)  # term 16
PASSWORD = "Passw0rd-庚"
WHO = (
    "switcher",  # term 15 ordinary, term 16 standing
    "demoted",  # term 15 standing, term 16 ordinary
    "plain",  # term 16 only, ordinary
    "staff",
    "proposals_staff",
    "admin",
    "foreign_staff",
    "foreigner",
)
IDS = {k: uuid.uuid4() for k in WHO}
PHONES = {k: f"137100000{i:02d}" for i, k in enumerate(WHO)}
CLOCK = FakeClock(datetime(2026, 10, 1, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, clock=CLOCK)) as c:
        yield c


def _member(who: str, term: uuid.UUID, *, standing: bool, sector: uuid.UUID, org: uuid.UUID = ORG) -> Member:
    return Member(
        id=uuid.uuid4(),
        org_id=org,
        term_id=term,
        person_id=IDS[who],
        sector_id=sector,
        party="无党派",
        is_standing=standing,
        status="active",
        version=1,
    )


@pytest.fixture(scope="module")
async def world(settings: Settings, client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    engine = create_engine(settings.database_url, pool_size=2)
    async with session_scope(create_sessionmaker(engine)) as session:
        await ensure_organization(seeding(session), id=ORG, name="庚市政协", level="municipal")
        await ensure_organization(seeding(session), id=OTHER_ORG, name="癸市政协", level="municipal")
        session.add_all(
            [
                Term(id=T15, org_id=ORG, number=15, starts_on=date(2021, 7, 1), ends_on=date(2026, 6, 30)),
                Term(id=T16, org_id=ORG, number=16, starts_on=date(2026, 7, 1), ends_on=date(2031, 6, 30)),
                Term(
                    id=OTHER_TERM,
                    org_id=OTHER_ORG,
                    number=9,
                    starts_on=date(2023, 1, 1),
                    ends_on=date(2027, 12, 31),
                ),
                Sector(id=SECTOR_A, org_id=ORG, name="经济界"),
                Sector(id=SECTOR_B, org_id=ORG, name="教育界"),
            ]
        )
        roles = {
            "staff": (["staff"], ["members"]),
            "proposals_staff": (["staff"], ["proposals"]),
            "admin": (["admin"], []),
            "foreign_staff": (["staff"], ["members"]),
        }
        for who in WHO:
            r, scopes = roles.get(who, (["member"], []))
            await register_person(
                seeding(session),
                id=IDS[who],
                org_id=OTHER_ORG if who.startswith("foreign") else ORG,
                name=who,
                phone=PHONES[who],
                password=PASSWORD,
                roles=r,
                scopes=scopes,
            )
        await session.flush()
        # The record that does not stand is stored first for both people who change.
        session.add(_member("switcher", T15, standing=False, sector=SECTOR_A))
        session.add(_member("demoted", T16, standing=False, sector=SECTOR_A))
        await session.flush()
        session.add(_member("switcher", T16, standing=True, sector=SECTOR_B))
        session.add(_member("demoted", T15, standing=True, sector=SECTOR_B))
        session.add(_member("plain", T16, standing=False, sector=SECTOR_B))
        session.add(_member("foreigner", OTHER_TERM, standing=False, sector=SECTOR_A, org=OTHER_ORG))
    await engine.dispose()
    return {who: await _login(client, who) for who in WHO}


async def _login(client: httpx.AsyncClient, who: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/login", json={"phone": PHONES[who], "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _publish(settings: Settings, *payloads: EventData) -> None:
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    ids = []
    for data in payloads:
        event = make_event(data, source="/test", subject=uuid.uuid4(), orgid=data.org_id)  # type: ignore[attr-defined]
        ids.append(event.id)
        await js.publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await nc.close()
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        for _ in range(200):
            async with engine.connect() as conn:
                seen = (
                    await conn.execute(
                        text("SELECT count(*) FROM inbox WHERE event_id = ANY(:ids)"), {"ids": ids}
                    )
                ).scalar()
            if seen == len(ids):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("events not consumed in time")
    finally:
        await engine.dispose()


def _activity(who: str, when: datetime, org: uuid.UUID = ORG) -> AttendanceRecordedV1:
    return AttendanceRecordedV1(
        activity_id=uuid.uuid4(),
        org_id=org,
        person_id=IDS[who],
        activity_kind=ActivityKind.ACTIVITY,
        occurred_at=when,
        scheduled_minutes=60,
        attended_minutes=60,
    )


def _speech(who: str, when: datetime = SEPTEMBER) -> SpeechDeliveredV1:
    return SpeechDeliveredV1(
        speech_id=uuid.uuid4(),
        activity_id=uuid.uuid4(),
        org_id=ORG,
        person_id=IDS[who],
        mode=SpeechMode.WRITTEN,
        occurred_at=when,
    )


async def _record(client: httpx.AsyncClient, headers: dict[str, str], who: str, year: int = 2026) -> Any:
    r = await client.get(f"/api/v1/duty/records/{IDS[who]}", params={"year": year}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def _all(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> list[Any]:
    """Every item of a paginated collection, one small page at a time."""
    items: list[Any] = []
    cursor = None
    for _ in range(50):
        query = {**params, "limit": 1} | ({"cursor": cursor} if cursor else {})
        r = await client.get(path, params=query, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 1
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages never end")


# ---- one record per person and year ------------------------------------------------------------


@given(
    standing=st.lists(st.booleans(), min_size=1, max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_a_persons_duty_year_does_not_depend_on_the_order_of_their_member_records(
    standing: list[bool], order: Any
) -> None:
    person = Person(id=uuid.uuid4(), org_id=ORG, name="换届者")
    terms = {
        t.id: t
        for t in (
            Term(
                id=uuid.uuid4(),
                org_id=ORG,
                number=i,
                starts_on=date(2026, 1 + 3 * i, 1),
                ends_on=date(2030, 1, 1),
            )
            for i in range(len(standing))
        )
    }
    records = [
        (Member(person_id=person.id, term_id=t, sector_id=uuid.uuid4(), is_standing=s), person)
        for t, s in zip(terms, standing, strict=True)
    ]
    shuffled = list(records)
    order.shuffle(shuffled)
    [year] = people_of_year(shuffled, terms)
    assert year.is_standing is any(standing)  # rule 26: standing in any of the year's terms
    assert year.member is records[-1][0] and year.term is terms[records[-1][0].term_id]  # the latest term


async def test_a_person_with_two_member_records_in_a_year_has_one_record(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    await _publish(settings, _activity("switcher", MARCH), _activity("switcher", SEPTEMBER))
    records = (
        await client.get("/api/v1/duty/records", params={"year": 2026, "limit": 100}, headers=world["staff"])
    ).json()["items"]
    assert sorted(r["name"] for r in records) == ["demoted", "plain", "switcher"]
    switcher = await _record(client, world["staff"], "switcher")
    assert switcher["categories"]["activities"] == "4.00"  # both terms' acts on one record
    assert switcher["is_standing"] is True and switcher["sector_id"] == str(
        SECTOR_B
    )  # the latest term's sector
    sector_b = (
        await client.get(
            "/api/v1/duty/records",
            params={"year": 2026, "sector_id": str(SECTOR_B)},
            headers=world["staff"],
        )
    ).json()["items"]
    assert sorted(r["name"] for r in sector_b) == ["plain", "switcher"]
    export = await client.get("/api/v1/duty/records/export", params={"year": 2026}, headers=world["staff"])
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert sorted(row[1] for row in rows[1:]) == ["demoted", "plain", "switcher"]


async def test_rule_26_a_member_standing_at_any_time_in_the_year_needs_the_annual_report(
    client: httpx.AsyncClient, world: Any
) -> None:
    for who in ("switcher", "demoted"):  # standing in one of the year's two terms
        r = await client.post(
            f"/api/v1/duty/records/{IDS[who]}/close", params={"year": 2026}, headers=world["staff"]
        )
        assert r.status_code == 409 and r.json()["code"] == "duty.annual_report_missing", who
    # In 2027 `demoted` is an ordinary member only: no report needed.
    r = await client.post(
        f"/api/v1/duty/records/{IDS['demoted']}/close", params={"year": 2027}, headers=world["staff"]
    )
    assert r.status_code == 200, r.text


# ---- lists -------------------------------------------------------------------------------------


async def test_duty_records_are_cursor_paginated_and_honour_limit(
    client: httpx.AsyncClient, world: Any
) -> None:
    whole = await client.get("/api/v1/duty/records", params={"year": 2026}, headers=world["staff"])
    assert set(whole.json()) == {"items", "next_cursor"} and whole.json()["next_cursor"] is None
    paged = await _all(client, "/api/v1/duty/records", world["staff"], year=2026)
    assert [r["person_id"] for r in paged] == [r["person_id"] for r in whole.json()["items"]]
    assert len(paged) == 3
    for bad in ({"limit": 0}, {"limit": 101}, {"cursor": "not-a-cursor"}):
        r = await client.get("/api/v1/duty/records", params={"year": 2026, **bad}, headers=world["staff"])
        assert r.status_code == 422, bad
    foreign = await client.get("/api/v1/duty/records", params={"year": 2026}, headers=world["foreign_staff"])
    assert [r["name"] for r in foreign.json()["items"]] == ["foreigner"]


async def test_the_duty_record_defaults_to_the_current_year_in_asia_shanghai(
    client: httpx.AsyncClient, world: Any
) -> None:
    CLOCK.set(datetime(2025, 12, 31, 16, 30, tzinfo=UTC))  # already 1 January 2026 in Shanghai
    try:
        plain, staff = await _login(client, "plain"), await _login(client, "staff")
        mine = await client.get("/api/v1/duty/records/me", headers=plain)
        assert mine.status_code == 200 and mine.json()["year"] == 2026
        listed = await client.get("/api/v1/duty/records", headers=staff)
        assert {r["year"] for r in listed.json()["items"]} == {2026}
        one = await client.get(f"/api/v1/duty/records/{IDS['plain']}", headers=staff)
        assert one.json()["year"] == 2026
        CLOCK.set(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
        later = await client.get("/api/v1/duty/records/me", headers=await _login(client, "switcher"))
        assert later.status_code == 200 and later.json()["year"] == 2027
    finally:
        CLOCK.set(datetime(2026, 10, 1, 2, 0, tzinfo=UTC))


async def test_staff_with_the_members_scope_list_exit_review_alerts(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    absences = [
        AbsenceRecordedV1(
            activity_id=uuid.uuid4(),
            org_id=ORG,
            person_id=IDS[who],
            activity_kind=ActivityKind.PLENARY,
            occurred_at=SEPTEMBER,
            excused=False,
        )
        for who in ("demoted", "demoted", "plain", "plain")
    ]
    await _publish(settings, *absences)
    path = "/api/v1/duty/exit-review-alerts"
    alerts = await _all(client, path, world["staff"])
    assert sorted((a["name"], a["threshold"]) for a in alerts) == [
        ("demoted", "unexcused_plenary_absences"),
        ("plain", "unexcused_plenary_absences"),
    ]
    assert all(a["term_id"] == str(T16) and a["person_id"] and a["raised_at"] for a in alerts)
    for who in ("plain", "proposals_staff"):
        assert (await client.get(path, headers=world[who])).status_code == 403, who
    assert (await client.get(path, headers=world["foreign_staff"])).json()["items"] == []


# ---- a closed year is final --------------------------------------------------------------------


async def _entries_of(settings: Settings, who: str) -> list[tuple[Any, ...]]:
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT id, rule, points FROM ledger_entries WHERE person_id = :p ORDER BY id"),
                {"p": IDS[who]},
            )
        ).all()
    await engine.dispose()
    return [tuple(r) for r in rows]


async def _closed_total(settings: Settings, who: str) -> str:
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        total = (
            await conn.execute(
                text("SELECT total FROM closed_years WHERE person_id = :p AND year = 2026"), {"p": IDS[who]}
            )
        ).scalar()
    await engine.dispose()
    return f"{total:.2f}"


async def test_a_closed_year_is_final_a_late_event_is_held_for_review(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    await _publish(settings, _activity("plain", SEPTEMBER))
    close = await client.post(
        f"/api/v1/duty/records/{IDS['plain']}/close", params={"year": 2026}, headers=world["staff"]
    )
    assert close.status_code == 200, close.text
    closed = await _record(client, world["staff"], "plain")
    assert closed["closed"] is True and closed["categories"]["activities"] == "2.00"

    await _publish(settings, _speech("plain"))  # a written speech (5) reported after the close
    assert await _record(client, world["staff"], "plain") == closed
    path = "/api/v1/duty/held-entries"
    held = await _all(client, path, world["staff"])
    assert [(h["person_id"], h["rule"], h["points"], h["status"]) for h in held] == [
        (str(IDS["plain"]), "activities.written_speech", "5.00", "pending")
    ]
    for who in ("plain", "proposals_staff"):
        assert (await client.get(path, headers=world[who])).status_code == 403, who
    assert (await client.get(path, headers=world["foreign_staff"])).json()["items"] == []

    foreign = await client.post(f"{path}/{held[0]['id']}/apply", headers=world["foreign_staff"])
    assert foreign.status_code == 404  # another organization's held entry is not theirs to decide
    applied = await client.post(f"{path}/{held[0]['id']}/apply", headers=world["staff"])
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    corrected = await _record(client, world["staff"], "plain")
    assert corrected["closed"] is True and corrected["categories"]["activities"] == "7.00"
    assert await _closed_total(settings, "plain") == corrected["total"]  # the closed total follows
    again = await client.post(f"{path}/{held[0]['id']}/apply", headers=world["staff"])
    assert again.status_code == 409 and again.json()["code"] == "duty.held_entry_decided"

    await _publish(settings, _speech("plain"))
    [pending] = await _all(client, path, world["staff"])
    dismissed = await client.post(f"{path}/{pending['id']}/dismiss", headers=world["staff"])
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert await _record(client, world["staff"], "plain") == corrected
    decided = await _all(client, path, world["staff"], status="dismissed")
    assert [h["id"] for h in decided] == [pending["id"]]
    assert (await client.post(f"{path}/{uuid.uuid4()}/apply", headers=world["staff"])).status_code == 404


async def test_every_held_entry_action_outside_the_table_is_an_invalid_transition_on_the_routes(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    """The applied and the dismissed entry of the test before take neither action again (409), and
    a closed year takes no annual report (409 `duty.year_closed`)."""
    path = "/api/v1/duty/held-entries"
    decided = [
        *await _all(client, path, world["staff"], status="applied"),
        *await _all(client, path, world["staff"], status="dismissed"),
    ]
    assert sorted(h["status"] for h in decided) == ["applied", "dismissed"]
    for held in decided:
        for action in ("apply", "dismiss"):
            r = await client.post(f"{path}/{held['id']}/{action}", headers=world["staff"])
            assert r.status_code == 409 and r.json()["code"] == "duty.held_entry_decided", (held, action)
    late = await client.put(
        "/api/v1/duty/annual-reports/2026",
        content=b"report",
        headers=world["plain"] | {"Content-Type": "text/plain"},
    )
    assert late.status_code == 409 and late.json()["code"] == "duty.year_closed"


async def test_a_closed_year_is_final_recomputation_leaves_it_alone(
    client: httpx.AsyncClient, settings: Settings, world: Any
) -> None:
    before = await _record(client, world["staff"], "plain")
    entries_before = await _entries_of(settings, "plain")
    assert before["closed"] is True and entries_before
    table = await client.post(
        "/api/v1/duty/scoring-tables",
        headers=world["admin"],
        json={"effective_from": "2026-01-01", "values": {"activity_attended_points": 1}},
    )
    assert table.status_code == 201, table.text
    done = await client.post("/api/v1/duty/recompute", params={"year": 2026}, headers=world["admin"])
    assert done.status_code == 200, done.text
    assert await _entries_of(settings, "plain") == entries_before
    assert await _record(client, world["staff"], "plain") == before
    # An open year is re-derived under the new table; nothing new is held.
    assert (await _record(client, world["staff"], "switcher"))["categories"]["activities"] == "2.00"
    assert await _all(client, "/api/v1/duty/held-entries", world["staff"]) == []
