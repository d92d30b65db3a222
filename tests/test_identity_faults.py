"""Identity when things go wrong, on real processes: a freshly started gateway or service whose
JWKS is down or answers 500 says "outage" (503), never "logged out" (401); sign-in codes answer a
known and an unknown phone alike through the gateway."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from e2e_support import gateway_client

from cppcc_common.testing.servers import free_ports
from cppcc_common.testing.tokens import JwksServer
from cppcc_devstack.demo import login
from cppcc_devstack.stack import SERVICES, Stack

pytestmark = pytest.mark.e2e

PROPOSAL = SERVICES[1]


def _start(
    stack: Stack, name: str, args: list[str], env: dict[str, str], port: int
) -> subprocess.Popen[bytes]:
    log = open(stack.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:  # alive is enough: readiness may rightly say "no keys"
        assert proc.poll() is None, f"{name} exited at start-up"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{name} did not start"
        time.sleep(0.2)


@pytest.fixture(params=["down", "answers_500"])
def keyless(stack: Stack, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """A fresh gateway and a fresh proposal-svc whose JWKS is unreachable; their base URLs."""
    with JwksServer({"keys": []}) as jwks:
        if request.param == "down":
            jwks.stop()
        else:
            jwks.status = 500
        gw_port = free_ports(2)
        svc_port = gw_port + 1
        gateway_env = dict(os.environ) | {
            f"GATEWAY_{s.name.upper()}_URL": stack.service_url(s) for s in SERVICES
        }
        gateway_env |= {
            "GATEWAY_PORT": str(gw_port),
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_JWKS_URL": jwks.url,
        }
        service_env = stack.env_for(PROPOSAL) | {
            "PROPOSAL_PORT": str(svc_port),
            "PROPOSAL_JWKS_URL": jwks.url,
        }
        processes = [
            _start(
                stack,
                "gateway-keyless",
                [sys.executable, "-m", "cppcc_gateway", "serve"],
                gateway_env,
                gw_port,
            ),
            _start(
                stack,
                "proposal-keyless",
                [sys.executable, "-m", PROPOSAL.module, "serve"],
                service_env,
                svc_port,
            ),
        ]
        try:
            yield {"gateway": f"http://127.0.0.1:{gw_port}", "service": f"http://127.0.0.1:{svc_port}"}
        finally:
            for proc in processes:
                proc.terminate()
            for proc in processes:
                proc.wait(20)


def test_an_unreachable_jwks_is_an_outage_not_a_logout(stack: Stack, keyless: dict[str, str]) -> None:
    with gateway_client(stack) as gw:
        auth = {"Authorization": f"Bearer {login(gw, '13800000001')}"}
        assert gw.get("/api/v1/proposals", headers=auth).status_code == 200  # a valid token
    for url in keyless.values():
        r = httpx.get(f"{url}/api/v1/proposals", headers=auth, timeout=15.0)
        assert r.status_code == 503, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "auth.keys_unavailable" and int(r.headers["retry-after"]) > 0


def test_sign_in_codes_answer_a_known_and_an_unknown_phone_alike(stack: Stack) -> None:
    def twice(phone: str) -> list[tuple[int, str | None]]:
        answers = []
        with gateway_client(stack) as gw:
            for _ in range(2):
                r = gw.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "reset_password"})
                answers.append((r.status_code, r.headers.get("retry-after") and "set"))
        return answers

    assert twice("13800000003") == twice("13899998888") == [(202, None), (429, "set")]
