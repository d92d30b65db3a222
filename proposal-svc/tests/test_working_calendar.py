"""proposal-svc's working calendar (DESIGN.md §9): administrators read a year's schedule and enter
the years the package does not know (If-Match), a stored year wins over the package, and every
process sees an entered year: at once where it was entered, within `RELOAD_AFTER` elsewhere."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.change import system_change
from cppcc_common.db import create_engine, create_sessionmaker
from cppcc_common.testing.tokens import TestIssuer
from cppcc_common.versioning import IfMatch
from cppcc_common.workdays import Reckoned
from cppcc_common.workdays_store import RELOAD_AFTER, calendar_for, set_year
from proposal_svc.settings import Settings

ORG = uuid.uuid4()
ADMIN = uuid.uuid4()
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PATH = "/api/v1/proposals/working-calendar"
# 2027 as the State Council might publish it: New Year, Spring Festival with two make-up Saturdays.
ENTERED_2027 = {
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"] + [f"2027-02-{d:02}" for d in range(5, 12)],
    "workdays": ["2027-01-30", "2027-02-20"],
    "notice": "国务院办公厅关于2027年部分节假日安排的通知",
}


@pytest.fixture(scope="module")
def admin(issuer: TestIssuer) -> dict[str, str]:
    return issuer.headers(sub=ADMIN, org=ORG, roles=["admin"])


@pytest.fixture(scope="module")
async def replicas(settings: Settings) -> AsyncIterator[list[async_sessionmaker[AsyncSession]]]:
    """Two processes' worth of database access (each its own pool, so its own cached calendar)."""
    engines = [create_engine(settings.database_url, pool_size=2) for _ in range(2)]
    yield [create_sessionmaker(e) for e in engines]
    for engine in engines:
        await engine.dispose()


async def test_a_package_year_reads_with_its_holidays_make_up_workdays_and_version_0(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    r = await client.get(f"{PATH}/2025", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == "package" and body["version"] == 0 and r.headers["ETag"] == '"0"'
    assert {f"2025-10-0{d}" for d in range(1, 9)} <= set(body["holidays"])
    assert body["workdays"] == ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]


async def test_a_year_nobody_entered_reads_as_unknown(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    r = await client.get(f"{PATH}/2040", headers=admin)
    assert r.status_code == 200
    assert r.json() | {"updated_at": None} == {
        "year": 2040,
        "source": "unknown",
        "holidays": [],
        "workdays": [],
        "notice": None,
        "version": 0,
        "updated_at": None,
        "updated_by": None,
    }


@pytest.mark.parametrize(
    ("roles", "scopes"),
    [(["member"], []), (["staff"], ["proposals"]), (["leader"], []), (["unit_user"], []), (["partner"], [])],
)
async def test_only_an_administrator_reads_or_enters_the_working_calendar(
    client: httpx.AsyncClient, issuer: TestIssuer, roles: list[str], scopes: list[str]
) -> None:
    headers = issuer.headers(sub=uuid.uuid4(), org=ORG, roles=roles, scopes=scopes)
    assert (await client.get(f"{PATH}/2025", headers=headers)).status_code == 403
    put = await client.put(f"{PATH}/2031", json=ENTERED_2027, headers=headers | {"If-Match": "*"})
    assert put.status_code == 403
    assert (await client.get(f"{PATH}/2025")).status_code == 401


async def test_an_entered_year_overrides_the_package_year_in_the_service_calendar(
    client: httpx.AsyncClient, admin: dict[str, str], replicas: list[async_sessionmaker[AsyncSession]]
) -> None:
    # 2024 as entered: National Day only, no make-up Sunday 29 September (the package has one).
    days_off = [f"2024-10-0{d}" for d in range(1, 8)]
    r = await client.put(
        f"{PATH}/2024", json={"holidays": days_off, "workdays": []}, headers=admin | {"If-Match": '"0"'}
    )
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"1"'
    assert r.json()["source"] == "administrator" and r.json()["updated_by"] == str(ADMIN)
    assert r.json()["holidays"] == days_off
    async with replicas[0]() as session:
        cal = await calendar_for(session, now=T0)
    assert not cal.is_working_day(date(2024, 9, 29))  # the package's make-up Sunday is gone
    assert not cal.is_working_day(date(2024, 10, 7))
    assert cal.is_working_day(date(2024, 5, 1))  # Labour Day was not entered: a working Wednesday


async def test_entering_an_unknown_year_makes_a_provisional_count_over_it_final(
    client: httpx.AsyncClient, admin: dict[str, str], replicas: list[async_sessionmaker[AsyncSession]]
) -> None:
    start = date(2026, 12, 25)  # a Friday; 1 January 2027 is a Friday too
    async with replicas[1]() as session:
        before = await calendar_for(session, now=T0)
    assert before.add_working_days(start, 5) == Reckoned(date(2027, 1, 1), True)
    r = await client.put(f"{PATH}/2027", json=ENTERED_2027, headers=admin | {"If-Match": '"0"'})
    assert r.status_code == 200, r.text
    async with replicas[1]() as session:
        after = await calendar_for(session, now=T0 + RELOAD_AFTER)
    assert after.add_working_days(start, 5) == Reckoned(date(2027, 1, 4), False)
    assert after.add_working_days(date(2027, 1, 29), 1) == Reckoned(date(2027, 1, 30), False)  # Saturday


async def test_the_replica_that_enters_a_year_sees_it_at_once_and_another_within_the_reload_interval(
    replicas: list[async_sessionmaker[AsyncSession]],
) -> None:
    here, there = replicas
    at = T0 + timedelta(days=1)
    for sessionmaker in replicas:
        async with sessionmaker() as session:
            assert not (await calendar_for(session, now=at)).knows(2032)
    async with here() as session, session.begin():
        change = system_change(session, now=at, source="/proposal-svc")
        await set_year(
            change, 2032, holidays=[date(2032, 1, 1)], workdays=[], notice=None, expected=IfMatch.ANY
        )
    soon, later = at + timedelta(seconds=1), at + RELOAD_AFTER
    async with here() as session:
        assert (await calendar_for(session, now=soon)).knows(2032)
    async with there() as session:
        assert not (await calendar_for(session, now=soon)).knows(2032)
        assert not (await calendar_for(session, now=later - timedelta(microseconds=1))).knows(2032)
        assert (await calendar_for(session, now=later)).knows(2032)


async def test_replacing_an_entered_year_needs_the_version_read(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {"holidays": ["2034-01-02"], "workdays": []}
    assert (await client.put(f"{PATH}/2034", json=body, headers=admin)).status_code == 428
    first = await client.put(f"{PATH}/2034", json=body, headers=admin | {"If-Match": '"0"'})
    assert first.status_code == 200 and first.json()["version"] == 1
    stale = await client.put(f"{PATH}/2034", json=body, headers=admin | {"If-Match": '"0"'})
    assert stale.status_code == 412 and stale.json()["code"] == "calendar.version_mismatch"
    second = await client.put(
        f"{PATH}/2034", json=body | {"workdays": ["2034-01-07"]}, headers=admin | {"If-Match": '"1"'}
    )
    assert second.status_code == 200 and second.headers["ETag"] == '"2"'
    assert (await client.get(f"{PATH}/2034", headers=admin)).json()["workdays"] == ["2034-01-07"]


async def test_two_first_entries_of_a_year_at_once_one_wins_and_the_other_is_412(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {"holidays": ["2035-01-01"], "workdays": []}
    answers = await asyncio.gather(
        *(client.put(f"{PATH}/2035", json=body, headers=admin | {"If-Match": '"0"'}) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [200, 412]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"holidays": ["2026-12-31"], "workdays": []}, [("holidays.0", "not_in_year")]),
        ({"holidays": [], "workdays": ["2036-01-07"]}, [("workdays.0", "not_a_weekend_day")]),  # Monday
        ({"holidays": ["2036-01-05"], "workdays": ["2036-01-05"]}, [("workdays.0", "holiday_and_workday")]),
        ({"holidays": ["2036-01-01", "2036-01-01"], "workdays": []}, [("holidays.1", "duplicate")]),
    ],
)
async def test_a_schedule_that_is_not_a_year_s_schedule_is_422_with_each_problem(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    headers = admin | {"If-Match": "*"}
    zh = await client.put(f"{PATH}/2036", json=body, headers=headers)
    en = await client.put(f"{PATH}/2036", json=body, headers=headers | {"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 422
    assert zh.json()["code"] == "calendar.schedule_invalid"
    assert [(e["field"], e["code"]) for e in zh.json()["errors"]] == errors
    assert zh.json()["errors"][0]["message"] != en.json()["errors"][0]["message"]
    assert (await client.get(f"{PATH}/2036", headers=admin)).json()["source"] == "unknown"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("2036", {"holidays": [], "workdays": [], "notice": "国办\x00发"}),
        ("2036", {"holidays": [], "workdays": [], "notice": "\x1b[31m"}),
        ("2036", {"holidays": ["2036-01-01"] * 61, "workdays": []}),
        ("2036", {"holidays": [], "workdays": [], "version": 9}),
        ("2036", {"holidays": ["9999-01-01"], "workdays": []}),
        ("2036", {"holidays": []}),
        ("1999", {"holidays": [], "workdays": []}),
        ("2101", {"holidays": [], "workdays": []}),
    ],
)
async def test_hostile_or_out_of_range_input_to_the_calendar_is_422(
    client: httpx.AsyncClient, admin: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    r = await client.put(f"{PATH}/{path}", json=body, headers=admin | {"If-Match": "*"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
