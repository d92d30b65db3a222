"""Consultation activities end to end, through the gateway, every process real: the demo's
activities in every state with the demo member's duty record following the past meeting; and a
standing-committee meeting whose notice goes out late with a reason (rule 21), one leave approved
and one refused (rule 24), two members marked present — one leaving after a third of it (rule 25)
— and the close, after which member-svc's duty ledger holds exactly what each member earned."""

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from e2e_support import gateway_client

from cppcc_common.clock import OffsetClock
from cppcc_common.workdays import local_date, start_of_day
from cppcc_devstack.demo import DEMO_ACCOUNTS, login
from cppcc_devstack.stack import Stack

pytestmark = pytest.mark.e2e
ACTIVITIES = "/api/v1/consultations/activities"


class People:
    """The demo accounts signed in (again after each move of the clock: tokens follow it)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def __call__(self, who: str) -> dict[str, str]:
        if who not in self.tokens:
            self.tokens[who] = login(self.client, DEMO_ACCOUNTS[who])
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def call(self, method: str, path: str, who: str, body: Any = None, expect: int = 200, **kw: Any) -> Any:
        response = self.client.request(method, path, headers=self(who), json=body, **kw)
        assert response.status_code == expect, (method, path, who, response.status_code, response.text)
        return response.json() if response.content else None


@pytest.fixture(scope="module")
def people(stack: Stack) -> Iterator[People]:
    with gateway_client(stack) as client:
        yield People(client)


def _wait(what: str, found: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = found()
        if result:
            return result
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(0.3)


def _rules(people: People, person: str | None, activity: str, year: int) -> set[str]:
    """The ledger's rules of a member's entries from the activity (staff with the members scope, or
    the member's own record)."""
    path = f"/api/v1/duty/records/{person}" if person else "/api/v1/duty/records/me"
    who = "staff_members" if person else "member"
    response = people.client.get(path, params={"year": year}, headers=people(who))
    if response.status_code == 404:
        return set()
    response.raise_for_status()
    return {e["rule"] for e in response.json()["entries"] if e["source_object_id"] == activity}


def test_the_demo_shows_activities_in_every_state_and_the_past_meeting_in_the_members_record(
    people: People,
) -> None:
    listed = people.call("GET", ACTIVITIES, "staff_consultation", params={"limit": 50})["items"]
    assert {"scheduled", "notified", "closed", "cancelled"} <= {a["status"] for a in listed}
    late = next(a for a in listed if a["notice_late_reason"])
    assert late["status"] == "notified"
    past = next(a for a in listed if a["status"] == "closed")
    mine = people.call("GET", ACTIVITIES, "member")["items"]
    assert past["id"] in {a["id"] for a in mine}
    year = local_date(datetime.fromisoformat(past["starts_at"])).year
    rules = _wait("the demo meeting in the member's record", lambda: _rules(people, None, past["id"], year))
    assert rules == {"meetings.standing_committee.attended"}


def test_a_meeting_from_a_late_notice_to_the_close_feeds_the_duty_ledger(
    stack: Stack, people: People
) -> None:
    roster = people.call("GET", "/api/v1/members", "staff_members", params={"limit": 20, "status": "active"})[
        "items"
    ]
    excused, refused = (people.call("GET", "/api/v1/me", key)["id"] for key in ("member", "member_2"))
    stays, leaves_early = [m["person_id"] for m in roster if m["person_id"] not in (excused, refused)][:2]
    clock = OffsetClock(stack.clock_file)
    starts = start_of_day(local_date(clock.now()) + timedelta(days=5)) + timedelta(hours=9)
    body = {
        "form": "thematic_standing",
        "title": "专题议政性常委会议：端到端",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "venue": "市政协常委会议室",
    }
    activity = people.call("POST", ACTIVITIES, "staff_consultation", body, expect=201)["id"]
    url = f"{ACTIVITIES}/{activity}"
    invitees = {"person_ids": [stays, leaves_early, excused, refused]}
    _wait(
        "consultation-svc knows the roster",
        lambda: (
            people.client.post(
                url + "/invitees", json=invitees, headers=people("staff_consultation")
            ).status_code
            == 200
        ),
    )
    # Rule 21: five days before a 10-day lead time the notice needs its reason.
    late = people.call("POST", url + "/notice", "staff_consultation", {}, expect=422)
    assert late["code"] == "consultation.notice_late_reason_required"
    people.call("POST", url + "/notice", "staff_consultation", {"late_reason": "市委临时确定议题"})
    first = people.call("POST", url + "/leave", "member", {"reason": "外出学习"}, expect=201)
    second = people.call("POST", url + "/leave", "member_2", {"reason": "家中有事"}, expect=201)
    people.call("POST", f"{url}/leaves/{first['id']}/approve", "staff_consultation")
    people.call(
        "POST", f"{url}/leaves/{second['id']}/refuse", "staff_consultation", {"reason": "常委会议须出席"}
    )

    moved = starts + timedelta(hours=4) - clock.now()
    clock.move(moved)
    people.tokens.clear()
    try:
        full = {"arrived_at": (starts - timedelta(minutes=5)).isoformat()}
        third = {"arrived_at": starts.isoformat(), "left_at": (starts + timedelta(hours=1)).isoformat()}
        people.call("PUT", f"{url}/attendances/{stays}", "staff_consultation", full)
        people.call("PUT", f"{url}/attendances/{leaves_early}", "staff_consultation", third)
        closed = people.call("POST", url + "/close", "staff_consultation")
        assert closed["status"] == "closed"
    finally:
        clock.move(-moved)
        people.tokens.clear()

    year = local_date(starts).year
    expected = {
        stays: {"meetings.standing_committee.attended"},
        leaves_early: {"meetings.standing_committee.unexcused_absence"},  # rule 25: 60 of 180 minutes
        excused: {"meetings.standing_committee.excused_absence"},
        refused: {"meetings.standing_committee.unexcused_absence"},  # rule 24
    }

    def recorded() -> bool:
        return all(_rules(people, person, activity, year) == rules for person, rules in expected.items())

    _wait("every member's record", recorded)
