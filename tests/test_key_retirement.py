"""A retired signing key stops working everywhere within the JWKS cache time, on real processes:
the gateway, member-svc (which signed it) and the other services all refuse its tokens, while a
token from a fresh login (a new key) works everywhere."""

import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import jwt
import pytest
from e2e_support import JWKS_CACHE_SECONDS, gateway_client

from cppcc_devstack.demo import login
from cppcc_devstack.stack import SERVICES, Stack

pytestmark = pytest.mark.e2e

MEMBER, PROPOSAL, _, NOTIFY = SERVICES
# Where a member's token is checked: the gateway, and each service on its own (services never rely
# on the gateway having checked).
READS = [
    ("gateway", None, "/api/v1/inbox/unread-count"),
    ("member-svc", MEMBER, "/api/v1/me"),
    ("proposal-svc", PROPOSAL, "/api/v1/proposals"),
    ("notify-svc", NOTIFY, "/api/v1/inbox/unread-count"),
]


def _statuses(stack: Stack, token: str) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {token}"}
    out = {}
    for name, svc, path in READS:
        base = stack.gateway_url if svc is None else stack.service_url(svc)
        out[name] = httpx.get(f"{base}{path}", headers=headers, timeout=10).status_code
    return out


def _within(seconds: float, condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def test_a_retired_signing_key_stops_working_everywhere_within_the_cache_time(stack: Stack) -> None:
    with gateway_client(stack) as gw:
        old = login(gw, "13800000003")
    assert set(_statuses(stack, old).values()) == {200}
    kid = jwt.get_unverified_header(old)["kid"]

    retired = subprocess.run(
        [sys.executable, "-m", MEMBER.module, "retire-signing-key", kid],
        env=stack.env_for(MEMBER),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert retired.returncode == 0, retired.stderr
    retired_at = time.monotonic()

    # Every verifier re-reads the key set within the cache time; allow the processes' own latency.
    assert _within(JWKS_CACHE_SECONDS + 5, lambda: set(_statuses(stack, old).values()) == {401}), _statuses(
        stack, old
    )
    assert time.monotonic() - retired_at <= JWKS_CACHE_SECONDS + 5

    with gateway_client(stack) as gw:
        new = login(gw, "13800000003")
    assert jwt.get_unverified_header(new)["kid"] != kid
    # A new key is learnt on first sight (an unknown kid refetches the key set).
    assert _within(JWKS_CACHE_SECONDS, lambda: set(_statuses(stack, new).values()) == {200}), _statuses(
        stack, new
    )
