"""Rule 5's session-proposal window: where it opens (calendar months) and whose policy says how long."""

import calendar
import uuid
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.clock import SHANGHAI
from member_svc.directory.policy import DirectoryPolicy, session_window_opens_on
from member_svc.settings import Settings

from .conftest import sign_in_people

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
PASSWORD = "Passw0rd-窗"
PHONES = {
    "admin": "13700000001",
    "staff": "13700000002",
    "member": "13700000003",
    "other_admin": "13700000004",
}


@pytest.mark.parametrize(
    ("opens_on", "months", "window_opens_on"),
    [
        (date(2027, 1, 31), 3, date(2026, 10, 31)),  # not clamped to the 28th
        (date(2027, 5, 31), 3, date(2027, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 5, 31), 3, date(2028, 2, 29)),  # a leap year
        (date(2027, 3, 30), 1, date(2027, 2, 28)),
        (date(2027, 3, 15), 3, date(2026, 12, 15)),
        (date(2027, 3, 15), 0, date(2027, 3, 15)),
        (date(2027, 3, 15), 12, date(2026, 3, 15)),
    ],
)
def test_rule_5_the_session_window_opens_whole_calendar_months_before_the_plenary(
    opens_on: date, months: int, window_opens_on: date
) -> None:
    policy = DirectoryPolicy(session_window_months_before=months)
    assert session_window_opens_on(opens_on, policy) == window_opens_on


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)), st.integers(0, 12))
def test_rule_5_the_window_opens_on_the_same_day_of_the_month_or_that_months_last_day(
    opens_on: date, months: int
) -> None:
    opened = session_window_opens_on(opens_on, DirectoryPolicy(session_window_months_before=months))
    assert (opens_on.year * 12 + opens_on.month) - (opened.year * 12 + opened.month) == months
    assert opened.day == min(opens_on.day, calendar.monthrange(opened.year, opened.month)[1])


@pytest.fixture(scope="module")
async def tokens(settings: Settings, client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    roles = {
        "admin": (["admin"], []),
        "staff": (["staff"], ["members"]),
        "member": (["member"], []),
        "other_admin": (["admin"], []),
    }
    orgs = [(ORG, "辛市政协", "municipal", None), (OTHER_ORG, "壬县政协", "county", ORG)]
    people = {
        who: (OTHER_ORG if who == "other_admin" else ORG, PHONES[who], r, scopes)
        for who, (r, scopes) in roles.items()
    }
    return await sign_in_people(settings, client, orgs=orgs, people=people, password=PASSWORD)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _schedule(client: httpx.AsyncClient, headers: dict[str, str], number: int, opens_on: str) -> Any:
    term = await client.post(
        "/api/v1/orgs/current/terms",
        headers=headers,
        json={"number": 20 + number, "starts_on": "2026-01-01", "ends_on": "2030-12-31"},
    )
    assert term.status_code == 201, term.text
    r = await client.post(
        "/api/v1/orgs/current/sessions",
        headers=headers,
        json={
            "term_id": term.json()["id"],
            "number": number,
            "opens_on": opens_on,
            "closes_on": opens_on,
            "proposal_deadline_at": f"{opens_on}T12:00:00+08:00",
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_rule_5_the_session_window_length_is_the_organizations_policy(
    client: httpx.AsyncClient, tokens: Any
) -> None:
    policy = "/api/v1/orgs/current/policy"
    assert (await client.get(policy, headers=tokens["staff"])).json() == {"session_window_months_before": 3}
    default = await _schedule(client, tokens["admin"], 1, "2027-01-31")
    assert _at(default["proposal_window_opens_at"]) == datetime(2026, 10, 31, tzinfo=SHANGHAI)

    for who in ("staff", "member"):
        denied = await client.put(policy, headers=tokens[who], json={"session_window_months_before": 2})
        assert denied.status_code == 403, who
    bad = await client.put(policy, headers=tokens["admin"], json={"session_window_months_before": -1})
    assert bad.status_code == 422
    put = await client.put(policy, headers=tokens["admin"], json={"session_window_months_before": 2})
    assert put.status_code == 200 and put.json() == {"session_window_months_before": 2}
    assert (await client.get(policy, headers=tokens["staff"])).json() == {"session_window_months_before": 2}
    # Another organization keeps its own (default) policy.
    assert (await client.get(policy, headers=tokens["other_admin"])).json() == {
        "session_window_months_before": 3
    }

    shorter = await _schedule(client, tokens["admin"], 2, "2027-05-31")
    assert _at(shorter["proposal_window_opens_at"]) == datetime(2027, 3, 31, tzinfo=SHANGHAI)
