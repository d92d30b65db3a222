"""Nothing depends on being alone (DESIGN.md §10): a second process of every service runs beside
the first, on the same databases and NATS, while the app works through the gateway."""

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from e2e_support import gateway_client

from cppcc_common.testing.servers import free_ports
from cppcc_devstack.demo import login
from cppcc_devstack.stack import SERVICES, Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def second_replicas(stack: Stack) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = []
    for svc in SERVICES:
        env = stack.env_for(svc) | {f"{svc.prefix}PORT": str(port := free_ports(1))}
        log = open(stack.log_dir / f"{svc.name}-replica.log", "ab")  # noqa: SIM115 - closed with the process
        processes.append(
            (
                port,
                subprocess.Popen(
                    [sys.executable, "-m", svc.module, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
                ),
            )
        )
    deadline = time.monotonic() + 60
    for port, proc in processes:
        while True:
            assert proc.poll() is None, "a replica exited at start-up"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "a replica did not become ready"
            time.sleep(0.2)
    yield [p for _, p in processes]
    for _, proc in processes:
        proc.terminate()
    for _, proc in processes:
        proc.wait(20)


def test_with_two_replicas_every_event_is_handled_once(stack: Stack, second_replicas: Any) -> None:
    with gateway_client(stack) as gw:
        member = {"Authorization": f"Bearer {login(gw, '13800000003')}"}
        staff = {"Authorization": f"Bearer {login(gw, '13800000002')}"}
        submitted = set()
        for i in range(15):
            draft = gw.post(
                "/api/v1/proposals",
                headers=member,
                json={
                    "title": f"关于第{i}个社区议题的建议",
                    "situation": "情况说明。",
                    "suggestions": ["一条建议"],
                },
            ).json()
            assert gw.post(f"/api/v1/proposals/{draft['id']}/submit", headers=member).status_code == 200
            submitted.add(draft["id"])

        def office_items() -> list[str]:
            items, cursor = [], None
            while True:
                page = gw.get(
                    "/api/v1/inbox",
                    headers=staff,
                    params={"limit": 100, **({"cursor": cursor} if cursor else {})},
                ).json()
                items += [i["object_id"] for i in page["items"] if i["object_id"] in submitted]
                cursor = page["next_cursor"]
                if not cursor:
                    return items

        deadline = time.monotonic() + 30
        while len(set(office_items())) < len(submitted):
            assert time.monotonic() < deadline, "not every submission reached the office"
            time.sleep(0.2)
        items = office_items()
        assert sorted(items) == sorted(submitted)  # each exactly once
    assert all(p.poll() is None for p in second_replicas)
    for svc in ("notify", "member"):
        module = next(s for s in SERVICES if s.name == svc)
        dead = subprocess.run(
            [sys.executable, "-m", module.module, "dead-letters"],
            env=stack.env_for(module),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert dead.returncode == 0 and dead.stdout.strip() == "", dead.stdout + dead.stderr
