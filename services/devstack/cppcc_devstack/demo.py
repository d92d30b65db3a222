"""Demo data: accounts are seeded by member-svc; proposals are created through the gateway,
the way the app creates them, so the demo exercises the real path."""

import subprocess
import sys
import time

import httpx

from cppcc_devstack.stack import SERVICES, Stack, StartupFailed

DEMO_PASSWORD = "Demo@2026"
DEMO_LOGINS = [
    ("13800000001", "委员 / member", "张明"),
    ("13800000003", "委员 / member", "王强"),
    ("13800000002", "提案委工作人员 / proposals office staff", "李静"),
    ("13800000009", "系统管理员 / admin", "赵敏"),
]

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


def seed(stack: Stack) -> None:
    member = SERVICES[0]
    result = subprocess.run(
        [sys.executable, "-m", member.module, "seed-demo"],
        env=stack.env_for(member),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise StartupFailed(f"demo data of member-svc failed:\n{result.stderr[-3000:]}")
    with httpx.Client(base_url=stack.gateway_url, timeout=10.0) as client:
        token = login(client, "13800000001")
        headers = {"Authorization": f"Bearer {token}"}
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


def login(client: httpx.Client, phone: str) -> str:
    response = client.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])
