"""The day-before reminder, the check-in opening and the close after the end, through the scanners
on a real database: each fires exactly once with two replicas racing, never a microsecond early,
again once after a reschedule; the close waits for pending leave decisions. The clock is moved,
never slept."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from consultation_svc.activities.scanners import CheckinOpenings, Closings, Reminders
from consultation_svc.settings import Settings
from cppcc_common.clock import FakeClock
from cppcc_common.scanner import DeadlineScanner
from cppcc_common.testing.scanners import race
from cppcc_common.testing.tokens import TestIssuer

from .conftest import BASE, auth, enrol, staged

ORG = uuid.uuid4()
ANN, BEN = uuid.uuid4(), uuid.uuid4()
US = timedelta(microseconds=1)
STARTS = datetime(2025, 10, 20, 1, 0, tzinfo=UTC)  # Monday 20 October, 09:00 in Shanghai
ENDS = STARTS + timedelta(hours=2)


@pytest.fixture(autouse=True)
def _at_base(clock: FakeClock) -> None:
    clock.set(BASE)


@pytest.fixture(scope="module")
async def people(db: AsyncEngine) -> None:
    await enrol(db, person_id=ANN, org_id=ORG, name="安")
    await enrol(db, person_id=BEN, org_id=ORG, name="本")


def office(issuer: TestIssuer) -> dict[str, str]:
    return auth(issuer, org=ORG, roles=["staff"], scopes=["consultation"])


async def notified(client: httpx.AsyncClient, issuer: TestIssuer) -> str:
    body = {
        "form": "thematic",
        "title": "专题协商会",
        "starts_at": STARTS.isoformat(),
        "ends_at": ENDS.isoformat(),
    }
    activity = (
        await client.post("/api/v1/consultations/activities", json=body, headers=office(issuer))
    ).json()
    url = f"/api/v1/consultations/activities/{activity['id']}"
    r = await client.post(
        url + "/invitees", json={"person_ids": [str(ANN), str(BEN)]}, headers=office(issuer)
    )
    assert r.status_code == 200, r.text
    assert (await client.post(url + "/notice", headers=office(issuer))).status_code == 200
    return str(activity["id"])


def scanner(
    kind: type[DeadlineScanner], clock: FakeClock
) -> Callable[[async_sessionmaker[AsyncSession]], DeadlineScanner]:
    return lambda sessionmaker: kind(sessionmaker, clock, source="/consultation-svc")


async def test_the_reminder_fires_once_the_day_before_with_two_replicas_and_again_after_a_reschedule(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    db: AsyncEngine,
    settings: Settings,
    clock: FakeClock,
    people: None,
) -> None:
    activity = await notified(client, issuer)
    await client.put(
        f"/api/v1/consultations/activities/{activity}/answer",
        json={"answer": "decline"},
        headers=auth(issuer, sub=BEN, org=ORG, roles=["member"]),
    )
    clock.set(STARTS - timedelta(hours=24) - US)
    assert await race(settings.database_url, scanner(Reminders, clock), 2) == 0
    clock.set(STARTS - timedelta(hours=24))
    assert await race(settings.database_url, scanner(Reminders, clock), 2) == 1
    assert await race(settings.database_url, scanner(Reminders, clock), 2) == 0
    [reminder] = await staged(db, "cppcc.consultation.reminder_due.v1", activity)
    assert reminder["invitee_ids"] == [str(ANN)]  # Ben declined
    later = STARTS + timedelta(days=2)
    move = {
        "starts_at": later.isoformat(),
        "ends_at": (later + timedelta(hours=2)).isoformat(),
        "reason": "改期",
    }
    r = await client.post(
        f"/api/v1/consultations/activities/{activity}/reschedule", json=move, headers=office(issuer)
    )
    assert r.status_code == 200, r.text
    clock.set(later - timedelta(hours=24))
    assert await race(settings.database_url, scanner(Reminders, clock), 2) == 1
    assert len(await staged(db, "cppcc.consultation.reminder_due.v1", activity)) == 2


async def test_check_in_opening_tells_the_expected_invitees_once_at_the_policy_window_and_again_after_a_reschedule(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    db: AsyncEngine,
    settings: Settings,
    clock: FakeClock,
    people: None,
) -> None:
    activity = await notified(client, issuer)
    url = f"/api/v1/consultations/activities/{activity}"
    r = await client.post(
        url + "/leave", json={"reason": "出差"}, headers=auth(issuer, sub=BEN, org=ORG, roles=["member"])
    )
    assert r.status_code == 201
    assert (
        await client.post(f"{url}/leaves/{r.json()['id']}/approve", headers=office(issuer))
    ).status_code == 200
    opens = STARTS - timedelta(minutes=60)  # the participation policy's default window
    clock.set(opens - US)
    assert await race(settings.database_url, scanner(CheckinOpenings, clock), 2) == 0
    clock.set(opens)
    assert await race(settings.database_url, scanner(CheckinOpenings, clock), 2) == 1
    assert await race(settings.database_url, scanner(CheckinOpenings, clock), 2) == 0
    [opened] = await staged(db, "cppcc.consultation.checkin_opened.v1", activity)
    assert opened["invitee_ids"] == [str(ANN)]  # Ben is on approved leave
    assert opened["checkin_closes_at"].startswith(ENDS.isoformat()[:19])
    history = (await client.get(url + "/history", headers=office(issuer))).json()["items"]
    assert history[-1]["action"] == "open_checkin" and history[-1]["actor"] is None
    later = STARTS + timedelta(days=3)  # not the other test's new time
    move = {
        "starts_at": later.isoformat(),
        "ends_at": (later + timedelta(hours=2)).isoformat(),
        "reason": "改期",
    }
    clock.set(opens + timedelta(minutes=10))
    assert (await client.post(url + "/reschedule", json=move, headers=office(issuer))).status_code == 200
    clock.set(later - timedelta(minutes=60) - US)
    await race(settings.database_url, scanner(CheckinOpenings, clock), 2)  # other tests' activities
    assert len(await staged(db, "cppcc.consultation.checkin_opened.v1", activity)) == 1
    clock.set(later - timedelta(minutes=60))
    await race(settings.database_url, scanner(CheckinOpenings, clock), 2)
    assert len(await staged(db, "cppcc.consultation.checkin_opened.v1", activity)) == 2


async def test_the_close_comes_the_policy_hours_after_the_end_once_and_waits_for_leave_decisions(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    db: AsyncEngine,
    settings: Settings,
    clock: FakeClock,
    people: None,
) -> None:
    activity = await notified(client, issuer)
    url = f"/api/v1/consultations/activities/{activity}"
    leave = await client.post(
        url + "/leave", json={"reason": "出差"}, headers=auth(issuer, sub=ANN, org=ORG, roles=["member"])
    )
    assert leave.status_code == 201
    due = ENDS + timedelta(hours=48)
    clock.set(due)
    assert await race(settings.database_url, scanner(Closings, clock), 2) == 0  # Ann's leave waits
    r = await client.post(f"{url}/leaves/{leave.json()['id']}/approve", headers=office(issuer))
    assert r.status_code == 200
    clock.set(due - US)
    assert await race(settings.database_url, scanner(Closings, clock), 2) == 0
    clock.set(due)
    assert await race(settings.database_url, scanner(Closings, clock), 2) == 1
    assert (await client.get(url, headers=office(issuer))).json()["status"] == "closed"
    absences = {
        e["person_id"]: e["excused"]
        for e in await staged(db, "cppcc.consultation.absence_recorded.v1", activity)
    }
    assert absences == {str(ANN): True, str(BEN): False}
    history = (await client.get(url + "/history", headers=office(issuer))).json()["items"]
    assert history[-1]["action"] == "close" and history[-1]["actor"] is None


async def test_a_cancelled_activity_is_neither_reminded_nor_closed(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    db: AsyncEngine,
    settings: Settings,
    clock: FakeClock,
    people: None,
) -> None:
    activity = await notified(client, issuer)
    r = await client.post(
        f"/api/v1/consultations/activities/{activity}/cancel", json={"reason": "取消"}, headers=office(issuer)
    )
    assert r.status_code == 200
    clock.set(ENDS + timedelta(days=30))
    for kind in (Reminders, CheckinOpenings, Closings):
        await race(settings.database_url, scanner(kind, clock), 2)
    assert await staged(db, "cppcc.consultation.reminder_due.v1", activity) == []
    assert await staged(db, "cppcc.consultation.checkin_opened.v1", activity) == []
    assert await staged(db, "cppcc.consultation.absence_recorded.v1", activity) == []
