"""Consultation activities end to end, through the gateway, every process real: the demo's
activities in every state with the demo member's duty record following the past meeting; a
standing-committee meeting whose notice goes out late with a reason (rule 21), one leave approved
and one refused (rule 24), two members marked present — one leaving after a third of it (rule 25)
— and the close, after which member-svc's duty ledger holds exactly what each member earned.

And issue 11's story on a stack of its own whose clock the test moves (`OffsetClock`,
`Stack.clock_file`, as tests/test_proposal_lifecycle.py does): a bimonthly forum whose notice goes
out late with a reason, a leave approved and one refused, check-in opening told to the invitees,
two members checking in by the venue's rotating QR code through the gateway — one scanning out
after an hour, so below 2/3 (rule 25) — the close, an outcome sent and the clock moved past its
feedback due date: exactly one `feedback_overdue` on the bus (rule 22); the members' duty points
follow, and their exit-review alerts follow the organization's table (rule 24: a forum's absences
do not count, a standing-committee meeting's do)."""

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import nats
import pytest
from e2e_support import E2E_ENV, demo_stack, gateway_client, inbox_items

from cppcc_common.clock import OffsetClock
from cppcc_common.events import CloudEvent
from cppcc_common.testing.events import events_on
from cppcc_common.testing.waiting import eventually_sync
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


def _wait(what: str, found: Callable[[], Any]) -> Any:
    return eventually_sync(found, what=what, interval=0.3)


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
    past = next(a for a in listed if a["status"] == "closed" and a["form"] == "thematic_standing")
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


# ---- issue 11's story, on a stack whose clock moves --------------------------------------------------


class World(People):
    """The moved stack and its people, signed in anew after each move of the clock."""

    def __init__(self, stack: Stack, client: httpx.Client) -> None:
        super().__init__(client)
        self.stack = stack
        self.clock = OffsetClock(stack.clock_file)

    def move_to(self, when: datetime) -> None:
        """Moves every process's clock to `when` (from now on, as the wall clock runs)."""
        self.clock.move(when - self.clock.now())
        self.tokens.clear()

    def events(self, event_type: str, predicate: Callable[[CloudEvent], bool]) -> list[CloudEvent]:
        async def read() -> list[CloudEvent]:
            nc = await nats.connect(self.stack.nats_url)
            try:
                return await events_on(nc.jetstream(), event_type, predicate)
            finally:
                await nc.close()

        return asyncio.run(read())

    def person(self, who: str) -> str:
        return str(self.call("GET", "/api/v1/me", who)["id"])


@pytest.fixture(scope="module")
def world(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # The scanners look often, so a moved clock's deadline fires within a second.
    env = {**E2E_ENV, "CONSULTATION_SCANNER_INTERVAL_SECONDS": "0.2"}
    folder = tmp_path_factory.mktemp("consultation")
    with demo_stack(pg_server_url, folder, "consultation", env) as stack, gateway_client(stack) as client:
        yield World(stack, client)


def _of(key: str, value: str) -> Callable[[CloudEvent], bool]:
    return lambda event: str(event.data.get(key)) == value


def _entries(world: World, person: str, activity: str, year: int) -> dict[str, Decimal]:
    """The ledger's entries (rule → points) of a member from the activity (staff with the members scope)."""
    response = world.client.get(
        f"/api/v1/duty/records/{person}", params={"year": year}, headers=world("staff_members")
    )
    if response.status_code == 404:
        return {}
    response.raise_for_status()
    entries = response.json()["entries"]
    return {e["rule"]: Decimal(str(e["points"])) for e in entries if e["source_object_id"] == activity}


def _alerts(world: World) -> dict[str, set[str]]:
    items = world.call("GET", "/api/v1/duty/exit-review-alerts", "staff_members", params={"limit": 100})[
        "items"
    ]
    alerts: dict[str, set[str]] = {}
    for a in items:
        alerts.setdefault(a["person_id"], set()).add(a["threshold"])
    return alerts


def _meeting(world: World, form: str, title: str, starts: datetime, invitees: list[str]) -> str:
    body = {
        "form": form,
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "venue": "市政协机关三楼会议室",
    }
    activity = str(world.call("POST", ACTIVITIES, "staff_consultation", body, expect=201)["id"])
    _wait(
        "consultation-svc knows the members",
        lambda: (
            world.client.post(
                f"{ACTIVITIES}/{activity}/invitees",
                json={"person_ids": invitees},
                headers=world("staff_consultation"),
            ).status_code
            == 200
        ),
    )
    return activity


def _scan(world: World, url: str, who: str) -> dict[str, Any]:
    """The venue's current code, fetched by the office for its screen, scanned by the member's app."""
    code = world.call("GET", url + "/checkin-code", "staff_consultation")
    return dict(world.call("POST", url + "/checkin", who, {"token": code["token"]}))


def test_issue_11_a_bimonthly_forum_from_a_late_notice_to_an_overdue_outcome_and_the_duty_ledger(
    world: World,
) -> None:
    excused, refused, stays, leaves_early = (
        world.person(who) for who in ("member", "member_2", "member_3", "member_4")
    )
    today = local_date(world.clock.now())
    starts = start_of_day(today + timedelta(days=5)) + timedelta(hours=9)
    ends = starts + timedelta(hours=3)
    year = local_date(starts).year
    activity = _meeting(
        world,
        "bimonthly_forum",
        "双月协商座谈会：优化营商环境",
        starts,
        [excused, refused, stays, leaves_early],
    )
    url = f"{ACTIVITIES}/{activity}"

    # Rule 21: five days before, with a ten-day lead time, the notice needs its recorded reason.
    late = world.call("POST", url + "/notice", "staff_consultation", {}, expect=422)
    assert late["code"] == "consultation.notice_late_reason_required"
    notified = world.call("POST", url + "/notice", "staff_consultation", {"late_reason": "市委临时确定议题"})
    assert notified["notice_late_reason"] == "市委临时确定议题"
    [notice] = _wait(  # published by the relay after the commit
        "notice issued",
        lambda: world.events("cppcc.consultation.notice_issued.v1", _of("activity_id", activity)),
    )
    assert notice.data["late"] is True

    # Rule 24: one leave approved, one refused (a refused leave is an unexcused absence).
    first = world.call("POST", url + "/leave", "member", {"reason": "外出学习"}, expect=201)
    second = world.call("POST", url + "/leave", "member_2", {"reason": "家中有事"}, expect=201)
    world.call("POST", f"{url}/leaves/{first['id']}/approve", "staff_consultation")
    world.call(
        "POST", f"{url}/leaves/{second['id']}/refuse", "staff_consultation", {"reason": "座谈会须出席"}
    )

    # Check-in opens an hour before: the members still expected are told, urgently.
    world.move_to(starts - timedelta(minutes=30))
    [opened] = _wait(
        "check-in opened",
        lambda: world.events("cppcc.consultation.checkin_opened.v1", _of("activity_id", activity)),
    )
    assert set(opened.data["invitee_ids"]) == {refused, stays, leaves_early}  # not the excused member
    _wait(
        "the check-in notice in the member's inbox",
        lambda: any(
            i["category"] == "activity.checkin_opened" and i["object_id"] == activity
            for i in inbox_items(world.call, "member_3")
        ),
    )

    # Two members scan the venue's rotating code through the gateway; a code is this activity's only.
    code = world.call("GET", url + "/checkin-code", "staff_consultation")["token"]
    for who in ("member_3", "member_4"):
        scanned = world.call("POST", url + "/checkin", who, {"token": code})
        assert scanned["effect"] == "arrival" and scanned["left_at"] is None
    assert world.call("POST", url + "/checkin", "member_3", {"token": code})["effect"] == "repeat"
    # One leaves an hour after the start: a later code scanned is the departure (60 of 180 minutes).
    world.move_to(starts + timedelta(hours=1))
    left = _scan(world, url, "member_4")
    assert left["effect"] == "departure"

    world.move_to(ends + timedelta(minutes=30))
    closed = world.call("POST", url + "/close", "staff_consultation")
    assert closed["status"] == "closed"

    # The duty ledger follows: attended, excused, unexcused (refused leave), absent (rule 25).
    expected = {
        stays: {"meetings.meeting.attended"},
        excused: {"meetings.meeting.excused_absence"},
        refused: {"meetings.meeting.unexcused_absence"},
        leaves_early: {"meetings.meeting.unexcused_absence"},
    }

    def recorded() -> dict[str, set[str]]:
        return {p: set(_entries(world, p, activity, year)) for p in expected}

    try:
        _wait("every member's record", lambda: recorded() == expected)
    finally:
        assert recorded() == expected
    assert _entries(world, refused, activity, year) == _entries(world, leaves_early, activity, year)
    assert _entries(world, leaves_early, activity, year)["meetings.meeting.unexcused_absence"] < 0
    assert _entries(world, stays, activity, year)["meetings.meeting.attended"] == 0
    # A forum is no standing-committee meeting: its absences raise no exit-review alert (rule 24).
    assert not {refused, leaves_early} & set(_alerts(world))

    # An outcome of the forum goes to the government; its feedback is due in three months (rule 22).
    outcome = world.call(
        "POST",
        "/api/v1/consultations/outcomes",
        "staff_consultation",
        {
            "activity_id": activity,
            "kind": "recommendation",
            "title": "关于进一步优化营商环境的建议案",
            "text": "一、压减涉企审批环节；二、完善中小企业融资担保体系。",
            "recipients": [
                {"kind": "party_committee", "name": "中共示例市委"},
                {"kind": "department", "name": "市发展和改革委员会", "responsible": True},
            ],
        },
        expect=201,
    )
    sent = world.call("POST", f"/api/v1/consultations/outcomes/{outcome['id']}/submit", "staff_consultation")
    due = date.fromisoformat(sent["feedback_due_on"])
    assert due > local_date(world.clock.now()) + timedelta(days=85)
    overdue_at = start_of_day(due + timedelta(days=1))
    of_outcome = _of("outcome_id", outcome["id"])
    world.move_to(overdue_at - timedelta(minutes=1))
    time.sleep(1.0)  # five scans of the moved clock, the due day not over
    assert world.events("cppcc.consultation.feedback_overdue.v1", of_outcome) == []
    world.move_to(overdue_at + timedelta(minutes=1))
    _wait("feedback_overdue", lambda: world.events("cppcc.consultation.feedback_overdue.v1", of_outcome))
    world.move_to(overdue_at + timedelta(days=1))
    time.sleep(1.0)  # more scans, a day later
    [overdue] = world.events("cppcc.consultation.feedback_overdue.v1", of_outcome)
    assert overdue.data["feedback_due_on"] == due.isoformat()
    assert (
        world.call("GET", f"/api/v1/consultations/outcomes/{outcome['id']}", "staff_consultation")[
            "feedback_due_on"
        ]
        == due.isoformat()
    )
    _wait(
        "the consultation office is told",
        lambda: any(
            i["category"] == "outcome.feedback_overdue" for i in inbox_items(world.call, "staff_consultation")
        ),
    )

    # Exit-review alerts follow the organization's table: with one unexcused standing-committee
    # absence as its threshold, a standing-committee meeting both of them miss raises theirs.
    now = local_date(world.clock.now())
    world.call(
        "POST",
        "/api/v1/duty/scoring-tables",
        "admin",
        {"effective_from": now.isoformat(), "values": {"exit_review_unexcused_standing_committee": 1}},
        expect=201,
    )
    standing_starts = start_of_day(now + timedelta(days=2)) + timedelta(hours=9)
    standing = _meeting(
        world, "thematic_standing", "专题议政性常委会议", standing_starts, [refused, leaves_early, stays]
    )
    surl = f"{ACTIVITIES}/{standing}"
    world.call("POST", surl + "/notice", "staff_consultation", {"late_reason": "议题调整"})
    world.move_to(standing_starts + timedelta(minutes=10))
    assert _scan(world, surl, "member_3")["effect"] == "arrival"
    world.move_to(standing_starts + timedelta(hours=4))
    world.call("POST", surl + "/close", "staff_consultation")
    alerts = _wait(
        "the exit-review alerts",
        lambda: (found := _alerts(world)) and {refused, leaves_early} <= set(found) and found,
    )
    assert alerts[refused] == alerts[leaves_early] == {"unexcused_standing_committee_absences"}
    assert stays not in alerts
    _wait(
        "the members office is told",
        lambda: any(
            i["category"] == "member.exit_review_required" for i in inbox_items(world.call, "staff_members")
        ),
    )
