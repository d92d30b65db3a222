"""Demo data: accounts are seeded by member-svc; proposals and the partner client are created
through the gateway, the way the app and an administrator create them, so the demo exercises
the real path. Also the helpers the tests use to sign in as each demo role."""

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx

from cppcc_devstack.stack import SERVICES, Stack, StartupFailed
from member_svc.demo_data.accounts import ACCOUNTS, DEMO_PASSWORD

__all__ = ["DEMO_ACCOUNTS", "DEMO_LOGINS", "DEMO_PASSWORD", "auth_headers", "login", "login_as", "seed"]

# The phone of each demo account by role key: member, member_2, staff_proposals,
# staff_consultation, staff_members, leader, unit_user, admin (password DEMO_PASSWORD). The
# partner client has no phone: see `partner_credentials`.
DEMO_ACCOUNTS: dict[str, str] = {a.key: a.phone for a in ACCOUNTS}
DEMO_LOGINS = [(a.phone, a.label, a.name) for a in ACCOUNTS]

# The demo partner system (client credentials) of the unit user's handling unit. Its secret is
# made at seed time and written to the data folder, never committed.
DEMO_PARTNER_NAME = "演示对接系统 / demo partner system"
DEMO_PARTNER_UNIT = next(a.unit for a in ACCOUNTS if a.unit)
PARTNER_FILE = "demo-partner.json"

DEMO_PROPOSALS = [
    (
        "关于加快老旧小区加装电梯的建议",
        "我市建成于2000年前的老旧小区中，多层住宅普遍没有电梯，老年居民上下楼困难。",
        ["简化加装电梯审批流程，推行“一窗受理”", "设立专项补贴，对低收入家庭给予倾斜"],
        True,
    ),
    (
        "关于完善社区养老服务设施的建议",
        "社区养老服务设施分布不均，部分街道日间照料中心使用率低。",
        ["按人口密度优化布点", "引入专业机构运营"],
        False,
    ),
]


@dataclass(frozen=True)
class PartnerCredentials:
    client_id: str
    client_secret: str
    unit_id: str


def seed(stack: Stack) -> None:
    """Loads the demo (idempotent: every `make run` calls it), saying what it does."""
    stack.say("加载演示数据 / loading demo data: accounts, term, units, the roster of 300 members …")
    started = time.monotonic()
    member = SERVICES[0]
    result = subprocess.run(
        [sys.executable, "-m", member.module, "seed-demo"],
        env=stack.env_for(member),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise StartupFailed(f"demo data of member-svc failed:\n{result.stderr[-3000:]}")
    stack.say(f"  委员名单已导入 / roster loaded ({time.monotonic() - started:.1f}s)")
    with httpx.Client(base_url=stack.gateway_url, timeout=10.0) as client:
        stack.say("  示例提案 / demo proposals …")
        _proposals(client)
        stack.say("  对接系统 / demo partner client …")
        _partner(stack, client)


def _proposals(client: httpx.Client) -> None:
    headers = auth_headers(client, "member")
    mine = client.get("/api/v1/proposals", params={"mine": "true"}, headers=headers)
    mine.raise_for_status()
    if mine.json()["items"]:
        return  # loaded before: data survives restarts
    for title, situation, suggestions, submit in DEMO_PROPOSALS:
        created = client.post(
            "/api/v1/proposals",
            headers=headers,
            json={"title": title, "situation": situation, "suggestions": suggestions},
        )
        created.raise_for_status()
        if submit:
            _submit_when_known(client, f"/api/v1/proposals/{created.json()['id']}/submit", headers)


def _submit_when_known(
    client: httpx.Client, path: str, headers: dict[str, str], timeout: float = 60.0
) -> None:
    """Submits once proposal-svc has learned (by event) that the demo member is a current member."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.post(path, headers=headers)
        not_yet = (
            response.status_code == 403 and response.json().get("code") == "proposal.not_a_current_member"
        )
        if not not_yet or time.monotonic() > deadline:
            response.raise_for_status()
            return
        time.sleep(0.2)


def _partner(stack: Stack, client: httpx.Client) -> None:
    """The demo partner client, with a secret that works: kept from an earlier run, else a new
    secret (rotated, or the client registered) written to the data folder."""
    path = stack.data_dir / PARTNER_FILE
    if path.exists():
        kept = PartnerCredentials(**json.loads(path.read_text()))
        if _token_response(client, kept).status_code == 200:
            return
    admin = auth_headers(client, "admin")
    existing = [c for c in _items(client.get("/api/v1/partner-clients", headers=admin)) if _is_demo(c)]
    if existing:
        made = client.post(f"/api/v1/partner-clients/{existing[0]['id']}/rotate-secret", headers=admin)
    else:
        units = _items(client.get("/api/v1/units", headers=admin))
        unit_id = next(u["id"] for u in units if u["name"] == DEMO_PARTNER_UNIT)
        made = client.post(
            "/api/v1/partner-clients", headers=admin, json={"name": DEMO_PARTNER_NAME, "unit_id": unit_id}
        )
    made.raise_for_status()
    body = made.json()
    credentials = PartnerCredentials(body["client_id"], body["client_secret"], body["unit_id"])
    path.write_text(json.dumps(credentials.__dict__))
    path.chmod(0o600)


def _is_demo(client: dict[str, Any]) -> bool:
    return client.get("name") == DEMO_PARTNER_NAME and not client.get("revoked_at")


def _items(response: httpx.Response) -> list[dict[str, Any]]:
    """A collection, whether a bare array or a page (`items`)."""
    response.raise_for_status()
    body = response.json()
    return list(body["items"] if isinstance(body, dict) else body)


def _token_response(client: httpx.Client, credentials: PartnerCredentials) -> httpx.Response:
    return client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        },
    )


# Signing in as the demo roles (tests and tools) -------------------------------------------------


def login(client: httpx.Client, phone: str) -> str:
    response = client.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


def login_as(client: httpx.Client, role: str) -> str:
    """An access token of the demo account with this key (see DEMO_ACCOUNTS)."""
    return login(client, DEMO_ACCOUNTS[role])


def auth_headers(client: httpx.Client, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login_as(client, role)}"}


def partner_credentials(stack: Stack) -> PartnerCredentials:
    """The demo partner client's credentials, as the last seed wrote them."""
    return PartnerCredentials(**json.loads((stack.data_dir / PARTNER_FILE).read_text()))


def partner_token(client: httpx.Client, credentials: PartnerCredentials) -> str:
    """An access token of the partner client (OAuth2 client credentials)."""
    response = _token_response(client, credentials)
    response.raise_for_status()
    return str(response.json()["access_token"])
