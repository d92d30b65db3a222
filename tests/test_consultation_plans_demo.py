"""The demo's annual consultation plan (docs/consultation-plans.md), made through the gateway by
the roles that make it: this year's plan is published to the members with its entries, two of
them from collected topics; next year's collection is open; seeding again adds nothing. And the
demo's outcomes (docs/consultation-outcomes.md): one in every state, one overdue (rule 22), and
the past forum in every demo member's duty record as they took part (rules 24, 25)."""

from datetime import datetime
from typing import Any

import httpx
import pytest
from e2e_support import gateway_client

from cppcc_common.clock import SHANGHAI, OffsetClock
from cppcc_common.testing.waiting import eventually_sync
from cppcc_common.workdays import local_date
from cppcc_devstack.demo import auth_headers
from cppcc_devstack.demo_plans import ENTRIES, plans_demo
from cppcc_devstack.stack import Stack

pytestmark = pytest.mark.e2e
C = "/api/v1/consultations"


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Any:
    with gateway_client(stack) as client:
        yield client


def test_the_demo_publishes_this_years_plan_with_entries_from_collected_topics(
    stack: Stack, gw: httpx.Client
) -> None:
    year = OffsetClock(stack.clock_file).now().astimezone(SHANGHAI).year
    member = auth_headers(gw, "member")
    plans = gw.get(f"{C}/plans", params={"year": year}, headers=member).json()["items"]
    assert [(p["status"], p["version_no"]) for p in plans] == [("published", 1)]
    plan = gw.get(f"{C}/plans/{plans[0]['id']}", headers=member).json()
    assert len(plan["entries"]) == len(ENTRIES) + 2 and plan["approval_record"]
    from_topics = [e for e in plan["entries"] if e["topic_id"]]
    assert len(from_topics) == 2
    # The member sees their accepted topic; the office sees every topic of the year with its source.
    mine = gw.get(f"{C}/topics", params={"year": year, "mine": "true"}, headers=member).json()["items"]
    assert [t["status"] for t in mine] == ["accepted"]
    staff = auth_headers(gw, "staff_consultation")
    topics = gw.get(f"{C}/topics", params={"year": year}, headers=staff).json()["items"]
    assert {t["source_kind"] for t in topics} == {"member", "sector", "party_committee"}
    windows = gw.get(f"{C}/topic-windows", params={"year": year + 1}, headers=member).json()["items"]
    assert windows and windows[0]["accepting"] is True
    # Seeding again makes nothing more.
    plans_demo(stack, gw)
    assert len(gw.get(f"{C}/plans", params={"year": year}, headers=staff).json()["items"]) == 1


def _waited(what: str, found: Any) -> Any:
    return eventually_sync(found, what=what, interval=0.5)


def test_the_demo_has_outcomes_in_every_state_one_overdue_and_the_past_forum_in_the_duty_records(
    stack: Stack, gw: httpx.Client
) -> None:
    staff = auth_headers(gw, "staff_consultation")
    outcomes = gw.get(f"{C}/outcomes", params={"limit": 50}, headers=staff).json()["items"]
    assert {o["status"] for o in outcomes} == {"draft", "awaiting_feedback", "feedback_received"}

    def overdue() -> list[dict[str, Any]]:
        found = gw.get(f"{C}/outcomes", params={"limit": 50}, headers=staff).json()["items"]
        return [o for o in found if o["overdue"]]

    # The brief's due date passed while the clock was back; the scanner reports it once it is not.
    [late] = _waited("the overdue demo outcome", overdue)
    assert late["kind"] == "brief" and late["status"] == "awaiting_feedback"
    answered = next(o for o in outcomes if o["status"] == "feedback_received")
    detail = gw.get(f"{C}/outcomes/{answered['id']}", headers=staff).json()
    assert detail["instructions"] and detail["feedback"]["text"]
    # The forum the brief came from: each demo member's record holds what they did there.
    forum = gw.get(f"{C}/activities/{late['activity_id']}", headers=staff).json()
    assert (forum["status"], forum["form"]) == ("closed", "bimonthly_forum")
    year = local_date(datetime.fromisoformat(forum["starts_at"])).year
    expected = {
        "member": "meetings.meeting.attended",
        "member_2": "meetings.meeting.excused_absence",
        "member_3": "meetings.meeting.attended",
        "member_4": "meetings.meeting.unexcused_absence",  # rule 24: leave refused
    }
    for who, rule in expected.items():
        headers = auth_headers(gw, who)

        def rules(headers: dict[str, str] = headers) -> set[str]:
            record = gw.get("/api/v1/duty/records/me", params={"year": year}, headers=headers)
            if record.status_code == 404:
                return set()
            return {e["rule"] for e in record.json()["entries"] if e["source_object_id"] == forum["id"]}

        assert _waited(f"{who}'s record", rules) == {rule}, who
