"""Client IPs are not the client's to choose: X-Forwarded-For counts only from a configured proxy.

The e2e stack runs as deployed: every service trusts the gateway (127.0.0.1) and the gateway trusts
its ingress, played here by clients on 127.0.0.1. A client on another loopback address (127.0.0.2…)
is an ordinary client: whatever X-Forwarded-For it sends, it is known by its own address.
"""

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from cppcc_common.testing.waiting import PATIENCE
from cppcc_devstack.stack import SERVICES, Stack

pytestmark = pytest.mark.e2e


def _client(base_url: str, source: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=base_url, transport=transport, timeout=10)


def _client_seen_by(stack: Stack, service: str, request_id: str) -> str | None:
    """The client address in the service's access line of the request; the line is written after
    the response is sent, so it may take a moment to appear."""
    deadline = time.monotonic() + PATIENCE
    while True:
        for line in (stack.log_dir / f"{service}.log").read_text(errors="replace").splitlines():
            if request_id in line:
                entry = json.loads(line)
                if entry.get("request_id") == request_id and entry.get("message") == "request":
                    return str(entry.get("client"))
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


def _login(client: httpx.Client, forwarded_for: str, request_id: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for, "X-Request-ID": request_id or uuid.uuid4().hex}
    return client.post(
        "/api/v1/auth/login", json={"phone": "13912345678", "password": "wrong-pw-1"}, headers=headers
    )


@pytest.fixture
def outsider(stack: Stack) -> Iterator[httpx.Client]:
    with _client(stack.gateway_url, "127.0.0.2") as client:
        yield client


def test_a_rotating_x_forwarded_for_does_not_defeat_the_login_limit(outsider: httpx.Client) -> None:
    statuses = [_login(outsider, f"198.51.100.{i}").status_code for i in range(31)]
    assert statuses[-1] == 429, statuses  # the gateway allows 30 a minute per address (tests/conftest.py)


def test_services_take_the_client_address_only_from_the_gateway(stack: Stack) -> None:
    member = next(s for s in SERVICES if s.name == "member")
    through_gateway, from_ingress, direct = (uuid.uuid4().hex for _ in range(3))
    with _client(stack.gateway_url, "127.0.0.3") as client:
        _login(client, "203.0.113.10", through_gateway)
    with _client(stack.gateway_url, "127.0.0.1") as ingress:
        _login(ingress, "203.0.113.20", from_ingress)
    with _client(stack.service_url(member), "127.0.0.3") as client:
        _login(client, "203.0.113.30", direct)
    assert _client_seen_by(stack, "gateway", through_gateway) == "127.0.0.3"
    assert _client_seen_by(stack, "member", through_gateway) == "127.0.0.3"
    assert _client_seen_by(stack, "member", from_ingress) == "203.0.113.20"  # named by a trusted proxy
    assert _client_seen_by(stack, "member", direct) == "127.0.0.3"  # not the gateway: not trusted
