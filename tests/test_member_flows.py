"""member-svc's identity features through the gateway, every process real."""

import asyncio
import time
from typing import Any

import asyncpg
import httpx
import pytest
from e2e_support import gateway_client
from sqlalchemy.engine import make_url

from cppcc_common.testing.waiting import PATIENCE
from cppcc_devstack.demo import login
from cppcc_devstack.stack import SERVICES, Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Any:
    with gateway_client(stack) as client:
        yield client


def _last_sms(stack: Stack, phone: str) -> str:
    url = (
        make_url(stack.database_url(SERVICES[0]))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )

    async def query() -> str:
        conn = await asyncpg.connect(url)
        try:
            return str(
                await conn.fetchval(
                    "SELECT text FROM local_sms_messages WHERE phone = $1 ORDER BY sent_at DESC LIMIT 1",
                    phone,
                )
            )
        finally:
            await conn.close()

    return asyncio.run(query()).split("验证码为 ")[1][:6]


def test_a_unit_user_added_by_an_admin_logs_in_by_sms_through_the_gateway(
    gw: httpx.Client, stack: Stack
) -> None:
    admin = {"Authorization": f"Bearer {login(gw, '13800000009')}"}
    unit = gw.post("/api/v1/units", headers=admin, json={"name": "市城市管理局", "kind": "government"})
    assert unit.status_code == 201, unit.text
    user = gw.post(
        f"/api/v1/units/{unit.json()['id']}/users",
        headers=admin,
        json={"name": "城管局办文员", "phone": "13811110001"},
    )
    assert user.status_code == 201
    assert gw.post("/api/v1/auth/sms-codes", json={"phone": "13811110001"}).status_code == 202
    code = _last_sms(stack, "13811110001")
    tokens = gw.post("/api/v1/auth/login/sms", json={"phone": "13811110001", "code": code})
    assert tokens.status_code == 200
    me = gw.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}).json()
    assert me["roles"] == ["unit_user"] and me["unit_id"] == unit.json()["id"]
    # A unit user sees no member data.
    assert (
        gw.get(
            "/api/v1/members", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}
        ).status_code
        == 403
    )


def test_a_partner_system_gets_a_token_with_client_credentials_through_the_gateway(gw: httpx.Client) -> None:
    admin = {"Authorization": f"Bearer {login(gw, '13800000009')}"}
    unit = gw.post("/api/v1/units", headers=admin, json={"name": "市水务局"}).json()
    client = gw.post(
        "/api/v1/partner-clients", headers=admin, json={"name": "水务局办文系统", "unit_id": unit["id"]}
    )
    assert client.status_code == 201
    body = client.json()
    token = gw.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": body["client_id"],
            "client_secret": body["client_secret"],
        },
    )
    assert token.status_code == 200 and token.json()["token_type"] == "Bearer"
    partner = {"Authorization": f"Bearer {token.json()['access_token']}"}
    # A partner system sees its own unit and nothing it does not need (issue 6).
    assert gw.get(f"/api/v1/units/{unit['id']}", headers=partner).status_code == 200
    for path in ("/api/v1/consultations/forms", "/api/v1/sectors", "/api/v1/units", "/api/v1/inbox"):
        assert gw.get(path, headers=partner).status_code == 403, path
    wrong = gw.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": body["client_id"], "client_secret": "nope"},
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_a_scheduled_plenary_session_makes_proposals_session_proposals(gw: httpx.Client) -> None:
    admin = {"Authorization": f"Bearer {login(gw, '13800000009')}"}
    org = gw.get("/api/v1/orgs/current", headers=admin).json()
    today = time.strftime("%Y-%m-%d")
    # The demo's current term (other tests, the fuzzer among them, may have added odd ones).
    term = (
        next((t for t in org["terms"] if t["starts_on"] <= today <= t["ends_on"]), None)
        or gw.post(
            "/api/v1/orgs/current/terms",
            headers=admin,
            json={"number": 15, "starts_on": "2023-01-01", "ends_on": "2027-12-31"},
        ).json()
    )
    year = int(today[:4])
    session = gw.post(
        "/api/v1/orgs/current/sessions",
        headers=admin,
        json={
            "term_id": term["id"],
            "number": 19,
            "opens_on": f"{year}-12-30" if today < f"{year}-12-30" else today,
            "closes_on": f"{year}-12-31",
            "proposal_window_opens_at": f"{year}-01-01T00:00:00+08:00",
            "proposal_deadline_at": f"{year}-12-31T23:00:00+08:00",
        },
    )
    assert session.status_code == 201, session.text
    member = {"Authorization": f"Bearer {login(gw, '13800000003')}"}

    def kind_of_new_submission() -> str | None:
        draft = gw.post(
            "/api/v1/proposals",
            headers=member,
            json={
                "title": "关于优化政务服务的建议",
                "situation": "办事环节多。",
                "suggestions": ["推行一网通办"],
            },
        ).json()
        return str(gw.post(f"/api/v1/proposals/{draft['id']}/submit", headers=member).json()["kind"])

    deadline = time.monotonic() + PATIENCE
    kind = kind_of_new_submission()
    while kind != "session" and time.monotonic() < deadline:  # proposal-svc learns the window by event
        time.sleep(0.3)
        kind = kind_of_new_submission()
    assert kind == "session"
