"""The demo's annual consultation plan (docs/consultation-plans.md), made through the gateway by
the roles that make it: this year's plan is published to the members with its entries, two of
them from collected topics; next year's collection is open; seeding again adds nothing."""

from typing import Any

import httpx
import pytest
from e2e_support import gateway_client

from cppcc_common.clock import SHANGHAI, OffsetClock
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
