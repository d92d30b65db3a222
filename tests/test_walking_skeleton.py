"""The walking skeleton (issue 2), end to end through the gateway with every process real:
a member logs in (member-svc), drafts and submits a proposal (proposal-svc: state change and
event in one transaction), the relay publishes it, notify-svc writes inbox items for the
proposals office and the member, and both read them through the gateway."""

import time
from typing import Any

import httpx
import pytest
from e2e_support import gateway_client

from cppcc_common.testing.waiting import eventually_sync
from cppcc_devstack.demo import DEMO_PASSWORD, DEMO_PROPOSALS, login, seed
from cppcc_devstack.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Any:
    with gateway_client(stack) as client:
        yield client


def _auth(gw: httpx.Client, phone: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(gw, phone)}"}


def test_a_submitted_proposal_reaches_the_proposals_office_and_the_members_inbox(gw: httpx.Client) -> None:
    member = _auth(gw, "13800000003")
    staff = _auth(gw, "13800000002")
    draft = gw.post(
        "/api/v1/proposals",
        headers=member,
        json={
            "title": "关于增设社区公共充电桩的建议",
            "situation": "电动自行车充电难，楼道充电隐患大。",
            "suggestions": ["在小区集中设置充电点", "对老旧小区给予建设补贴"],
        },
    )
    assert draft.status_code == 201, draft.text
    proposal_id = draft.json()["id"]
    submitted = gw.post(f"/api/v1/proposals/{proposal_id}/submit", headers=member)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"

    def inbox_item(headers: dict[str, str], category: str) -> Any:
        items = gw.get("/api/v1/inbox", headers=headers).json()["items"]
        return next((i for i in items if i["object_id"] == proposal_id and i["category"] == category), None)

    office_item = eventually_sync(lambda: inbox_item(staff, "proposal.review_needed"))
    assert office_item["title"] == "新提案待审查：关于增设社区公共充电桩的建议"
    assert "王强" in office_item["body"]
    receipt = eventually_sync(lambda: inbox_item(member, "proposal.submitted"))
    assert "已于" in receipt["body"]
    assert gw.get("/api/v1/inbox/unread-count", headers=member).json()["unread"] >= 1
    # The staff member reads the submitted proposal; another member cannot.
    assert gw.get(f"/api/v1/proposals/{proposal_id}", headers=staff).status_code == 200
    assert gw.get(f"/api/v1/proposals/{proposal_id}", headers=_auth(gw, "13800000001")).status_code == 404


def test_the_submission_counts_in_the_members_duty_record(gw: httpx.Client) -> None:
    """proposal-svc's event reaches member-svc's ledger: the member's 成绩单 shows the points."""
    member = _auth(gw, "13800000003")
    year = int(time.strftime("%Y"))

    def proposal_points() -> Any:
        r = gw.get("/api/v1/duty/records/me", params={"year": year}, headers=member)
        return r.status_code == 200 and float(r.json()["categories"]["proposals"]) > 0 and r.json()

    record = eventually_sync(proposal_points)
    assert any(e["source_type"] == "cppcc.proposal.submitted.v1" for e in record["entries"])
    assert record["rank_in_org"] >= 1 and record["rank_in_sector"] >= 1
    staff = _auth(gw, "13800000009")
    ranked, cursor = [], None
    while True:  # the records are paginated
        params = {"year": year, "limit": 100} | ({"cursor": cursor} if cursor else {})
        page = gw.get("/api/v1/duty/records", params=params, headers=staff).json()
        ranked += page["items"]
        if (cursor := page["next_cursor"]) is None:
            break
    assert len(ranked) >= 300  # the demo organization's roster


def test_the_gateway_checks_tokens_and_answers_problems_in_both_languages(gw: httpx.Client) -> None:
    r = gw.get("/api/v1/proposals")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "未登录或登录已过期"
    r = gw.get("/api/v1/proposals", headers={"Authorization": "Bearer forged", "Accept-Language": "en"})
    assert r.status_code == 401 and r.json()["title"] == "Not authenticated"
    assert gw.get("/api/v1/nowhere").status_code == 404
    r = gw.post("/api/v1/auth/login", json={"phone": "13800000001", "password": "wrong"})
    assert r.status_code == 401 and r.json()["code"] == "auth.invalid_credentials"


def test_request_ids_travel_through_the_gateway(gw: httpx.Client, stack: Stack) -> None:
    r = gw.get("/api/v1/me", headers={**_auth(gw, "13800000001"), "X-Request-ID": "e2e-trace-42"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "e2e-trace-42"
    assert r.json()["roles"] == ["member"]
    eventually_sync(lambda: "e2e-trace-42" in (stack.log_dir / "member.log").read_text())


def test_one_merged_openapi_document_and_docs_page(gw: httpx.Client) -> None:
    doc = gw.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    for path in (
        "/api/v1/auth/login",
        "/api/v1/proposals/{proposal_id}/submit",
        "/api/v1/inbox",
        "/api/v1/consultations/forms",
    ):
        assert path in doc["paths"], path
    assert all(v == "ok" for v in doc["x-upstreams"].values())
    docs = gw.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text
    assert gw.get("/readyz").json()["status"] == "ready"


def _mine(gw: httpx.Client, member: dict[str, str]) -> list[dict[str, Any]]:
    """Every page of the member's own proposals (the demo makes a few hundred)."""
    items: list[dict[str, Any]] = []
    params = {"mine": "true", "limit": "100"}
    while True:
        page = gw.get("/api/v1/proposals", params=params, headers=member).json()
        items += page["items"]
        if not page.get("next_cursor"):
            return items
        params["cursor"] = page["next_cursor"]


def test_demo_data_loads_once(stack: Stack, gw: httpx.Client) -> None:
    member = _auth(gw, "13800000001")
    before = _mine(gw, member)
    seed(stack)
    after = _mine(gw, member)
    demo = [p for p in DEMO_PROPOSALS if p.author == "member"]
    # The stack is shared: other e2e tests add proposals of the member (test_opinions_e2e.py); the
    # demo's are there exactly once (the statistics' template proposals have titles of their own),
    # and seeding again adds nothing.
    assert len(before) == len(after) and len(demo) > 1
    titles = [p["title"] for p in after]
    assert all(titles.count(p.title) == 1 for p in demo)


def test_logins_are_rate_limited_per_ip(stack: Stack) -> None:
    with gateway_client(stack) as gw:
        _spend_the_login_budget(gw)


def _spend_the_login_budget(gw: httpx.Client) -> None:
    codes = [
        gw.post(
            "/api/v1/auth/login", json={"phone": "13899999999", "password": DEMO_PASSWORD + "x"}
        ).status_code
        for _ in range(40)
    ]
    assert 429 in codes
    limited = gw.post("/api/v1/auth/login", json={"phone": "13800000001", "password": DEMO_PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["code"] == "rate_limited"


def _token_from_stack(stack: Stack) -> str:
    # Logins through the gateway are rate-limited by now: ask member-svc directly.
    with httpx.Client(base_url=f"http://127.0.0.1:{stack.base_port + 1}") as client:
        return login(client, "13800000001")


def test_a_stopped_service_is_503_while_the_others_still_answer(stack: Stack, gw: httpx.Client) -> None:
    token = {"Authorization": f"Bearer {_token_from_stack(stack)}"}
    stack.processes["consultation"].terminate()
    stack.processes["consultation"].wait(15)
    r = gw.get("/api/v1/consultations/forms", headers=token)
    assert r.status_code == 503 and r.json()["code"] == "gateway.upstream_unavailable"
    assert gw.get("/api/v1/inbox", headers=token).status_code == 200
    assert gw.get("/readyz").json()["upstreams"]["consultation"] == "unavailable"
