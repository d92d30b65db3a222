"""The demo `make run` loads: an account per role, each signing in with the demo password and
holding its role, and a partner client whose credentials the seed wrote to the data folder."""

import base64
import io
import json
import re
import time
from typing import Any

import httpx
import pytest
from e2e_support import gateway_client
from openpyxl import load_workbook

from cppcc_devstack.demo import (
    DEMO_ACCOUNTS,
    DEMO_PARTNER_UNIT,
    DEMO_PROPOSALS,
    auth_headers,
    partner_credentials,
    partner_token,
    seed,
)
from cppcc_devstack.demo_proposals import COUNT, DEMO_UNIT
from cppcc_devstack.stack import Stack
from member_svc.demo_data.accounts import ACCOUNTS
from proposal_svc.statistics.xlsx import XLSX

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Any:
    with gateway_client(stack) as client:
        yield client


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_the_demo_has_a_staff_account_per_scope_a_leader_a_unit_user_and_an_administrator(
    gw: httpx.Client,
) -> None:
    staff_scopes = {tuple(a.scopes) for a in ACCOUNTS if a.roles == ("staff",)}
    assert staff_scopes == {("proposals",), ("consultation",), ("members",), ("opinions",)}
    assert {"member", "leader", "unit_user", "admin"} <= set(DEMO_ACCOUNTS)
    units = {u["name"]: u["id"] for u in _items(gw.get("/api/v1/units", headers=auth_headers(gw, "admin")))}
    for account in ACCOUNTS:
        me = gw.get("/api/v1/me", headers=auth_headers(gw, account.key))
        assert me.status_code == 200, (account.key, me.text)
        body = me.json()
        assert (body["phone"], body["name"]) == (account.phone, account.name)
        assert set(body["roles"]) >= set(account.roles) and set(body["scopes"]) == set(account.scopes)
        assert body["unit_id"] == (units[account.unit] if account.unit else None)


def test_the_demo_partner_client_gets_a_token_of_its_unit_and_keeps_it_across_seeds(
    stack: Stack, gw: httpx.Client
) -> None:
    credentials = partner_credentials(stack)
    assert (stack.data_dir / "demo-partner.json").stat().st_mode & 0o077 == 0
    claims = _claims(partner_token(gw, credentials))
    assert claims["roles"] == ["partner"] and claims["unit"] == credentials.unit_id
    units = _items(gw.get("/api/v1/units", headers=auth_headers(gw, "admin")))
    assert next(u["name"] for u in units if u["id"] == credentials.unit_id) == DEMO_PARTNER_UNIT
    seed(stack)  # every make run seeds again: the same client, the same working secret
    assert partner_credentials(stack) == credentials
    partner_token(gw, credentials)


def _items(response: httpx.Response) -> list[dict[str, Any]]:
    response.raise_for_status()
    body = response.json()
    return list(body["items"] if isinstance(body, dict) else body)


def _all(gw: httpx.Client, role: str, path: str = "/api/v1/proposals") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, str] = {"limit": "100"}
    while True:
        page = gw.get(path, params=params, headers=auth_headers(gw, role))
        page.raise_for_status()
        items += page.json()["items"]
        if not page.json().get("next_cursor"):
            return items
        params["cursor"] = page.json()["next_cursor"]


def test_the_demo_shows_proposals_in_every_state_made_by_the_roles_that_make_them(
    gw: httpx.Client,
) -> None:
    """A joint key proposal filed with its number and supervised by the demo leader; one assigned
    to a lead unit with a co-handler; three of the demo unit user's unit (the only ones that unit
    sees): one replied, rated, concluded and published, one its partner system handled twice after a
    dissatisfied rating, one assigned a hundred days ago (the demo moved the stack's clock back)
    and now overdue; a not-filed one, one merged into the key proposal, a withdrawn one, and the
    proposers' drafts (one returned for revision with the office's note)."""
    by_title = {p["title"]: p for p in _all(gw, "staff_proposals")}
    titles = {proposal.title: proposal.key for proposal in DEMO_PROPOSALS}
    office = {titles[t]: p for t, p in by_title.items() if t in titles}
    assert {key: p["status"] for key, p in office.items()} == {
        "lift": "filed",
        "waterlogging": "assigned",
        "after_school": "concluded",
        "school_meals": "replied",
        "school_bus": "handling",
        "personal": "not_filed",
        "lift_subsidy": "merged",
        "night_market": "withdrawn",
    }
    lift = office["lift"]
    member_2 = gw.get("/api/v1/me", headers=auth_headers(gw, "member_2")).json()["id"]
    assert lift["is_key"] and re.fullmatch(r"第\d{4}号", lift["number"])
    assert [(p["person_id"], p["status"]) for p in lift["proposers"]][1:] == [(member_2, "confirmed")]
    assert office["lift_subsidy"]["merged_into_id"] == lift["id"]
    assert lift["id"] in {p["id"] for p in _all(gw, "leader", "/api/v1/proposals/supervised")}
    staff = auth_headers(gw, "staff_proposals")
    roles = gw.get(f"/api/v1/proposals/{office['waterlogging']['id']}/assignments", headers=staff)
    assert sorted(a["role"] for a in roles.json()["assignments"]) == ["cohandler", "lead"]
    unit_sees = {p["id"] for p in _all(gw, "unit_user")}
    assert {office[key]["id"] for key in ("after_school", "school_meals", "school_bus")} <= unit_sees
    assert office["waterlogging"]["id"] not in unit_sees  # another unit's (rule 28)

    def classes(key: str) -> list[str]:
        replies = gw.get(f"/api/v1/proposals/{office[key]['id']}/replies", headers=staff)
        return sorted(r["result_class"] for r in _items(replies))

    assert classes("after_school") == ["A"]
    assert classes("school_meals") == ["A", "C"]  # the first reply, rated dissatisfied, and the second
    timeline = gw.get(f"/api/v1/proposals/{office['school_meals']['id']}/timeline", headers=staff)
    assert "dissatisfied" in [s["action"] for s in timeline.json()["items"]]
    published = gw.get("/api/v1/proposals/published", params={"org_id": office["after_school"]["org_id"]})
    assert office["after_school"]["id"] in [p["id"] for p in published.json()["items"]]  # no token
    school_bus = office["school_bus"]["id"]

    def overdue_notice() -> bool:
        # Every page: the statistics' template proposals fill the office's inbox too.
        params = {"limit": "100"}
        while True:
            page = gw.get("/api/v1/inbox", params=params, headers=staff).json()
            if any(
                i["category"] == "proposal.feedback_overdue" and i["object_id"] == school_bus
                for i in page["items"]
            ):
                return True
            if not page["next_cursor"]:
                return False
            params["cursor"] = page["next_cursor"]

    deadline = time.monotonic() + 30  # the scanner looks every 5 s
    while not overdue_notice():
        assert time.monotonic() < deadline, "the overdue demo proposal was not reported overdue"
        time.sleep(0.5)
    drafts = {p["title"]: p for p in _all(gw, "member_2") if p["status"] == "draft"}
    parking = next(p for p in DEMO_PROPOSALS if p.key == "parking")
    returned = drafts[parking.title]
    steps = gw.get(f"/api/v1/proposals/{returned['id']}/timeline", headers=auth_headers(gw, "member_2"))
    assert [s["action"] for s in steps.json()["items"]] == ["create", "submit", "return"]
    assert steps.json()["items"][-1]["note"]


def test_the_demo_shows_public_opinion_reports_in_every_state(gw: httpx.Client) -> None:
    """Reports submitted, edited, adopted at the city and the province (single and combined) with
    leaders' instructions, forwarded with feedback, not adopted, withdrawn, a member's draft, and
    one converted from a not-filed proposal that keeps the link both ways (rule 7)."""
    from cppcc_devstack.demo_opinions import CONVERTED_PROPOSAL, DEMO_REPORTS

    office = _all(gw, "staff_opinions", "/api/v1/opinions")
    by_title = {r["title"]: r for r in office}
    assert {"submitted", "edited", "adopted", "not_adopted", "withdrawn"} <= {r["status"] for r in office}
    assert {r["adoption_level"] for r in office} >= {"municipal", "provincial"}
    assert {r["adoption_mode"] for r in office} >= {"single", "combined"}
    meals = by_title[next(r.title for r in DEMO_REPORTS if r.key == "elderly_meals")]
    assert (meals["adoption_level"], meals["instruction_level"]) == ("provincial", "provincial")
    edited = by_title["关于加强电动自行车充电安全管理的建议"]  # the office's edited title
    detail = gw.get(f"/api/v1/opinions/{edited['id']}", headers=auth_headers(gw, "member_2")).json()
    assert detail["edited"] and detail["forwards"] and detail["instructions"] and detail["feedback"]
    converted = by_title[CONVERTED_PROPOSAL["title"]]
    proposal = gw.get(
        f"/api/v1/proposals/{converted['converted_from_proposal_id']}", headers=auth_headers(gw, "member_2")
    ).json()
    assert proposal["status"] == "not_filed" and proposal["opinion_report_id"] == converted["id"]
    mine = _all(gw, "member", "/api/v1/opinions")
    assert "draft" in {r["status"] for r in mine}  # the member's own draft, seen by them alone
    assert "draft" not in {r["status"] for r in office}


def test_the_demo_statistics_show_the_proposals_of_many_units_states_and_ratings(gw: httpx.Client) -> None:
    """The few hundred template proposals (cppcc_devstack/demo_proposals.py) fill the statistics: every
    status, many units, replies and ratings, so the rates are figures; the office's list finds them
    by Chinese full text and exports them through the gateway."""
    staff = auth_headers(gw, "staff_proposals")
    table = gw.get("/api/v1/proposals/statistics", params={"by": "unit"}, headers=staff).json()
    total = table["total"]
    assert total["submitted"]["value"] >= COUNT
    assert all(
        total["statuses"][s]["value"] > 0
        for s in (
            "submitted",
            "filed",
            "assigned",
            "handling",
            "replied",
            "rehandling",
            "concluded",
            "not_filed",
            "withdrawn",
        )
    )
    assert 0 < total["reply_rate"]["value"] < 1 and 0 < total["satisfaction_rate"]["value"] < 1
    assert len(table["rows"]) >= 8  # units
    education = next(r for r in table["rows"] if r["label"] == DEMO_UNIT)
    assert education["replied"]["value"] > 0 and education["rehandled"]["value"] > 0
    listed = gw.get(education["replied"]["list"] + "&limit=100", headers=staff)
    assert listed.status_code == 200 and len(listed.json()["items"]) == min(
        education["replied"]["value"], 100
    )
    found = gw.get("/api/v1/proposals/office", params={"q": "加装电梯", "limit": "100"}, headers=staff).json()
    assert found["items"] and all("电梯" in p["title"] for p in found["items"])
    with gw.stream("GET", "/api/v1/proposals/office/export", headers=staff) as export:
        assert export.status_code == 200
        assert export.headers["content-type"] == XLSX and "content-length" not in export.headers  # streamed
        content = b"".join(export.iter_bytes())
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None and sum(1 for _ in sheet.iter_rows(values_only=True)) >= COUNT + 1
    leader = auth_headers(gw, "leader")  # leaders read the statistics (read-only)
    assert (
        gw.get("/api/v1/proposals/statistics", headers=leader).json()["total"]["submitted"]["value"] >= COUNT
    )
