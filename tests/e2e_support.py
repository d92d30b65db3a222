"""Helpers of the end-to-end tests."""

import itertools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from cppcc_common.testing.servers import drop_database, free_ports
from cppcc_devstack.demo import seed
from cppcc_devstack.stack import SERVICES, Stack

# The e2e stack's JWKS cache time in every process (production: 300 s).
JWKS_CACHE_SECONDS = 3

# The environment prefix of every process of a stack.
PREFIXES = [svc.prefix for svc in SERVICES] + ["GATEWAY_"]

# The settings of an e2e stack.
E2E_ENV = {
    "GATEWAY_LOGIN_PER_MINUTE_PER_IP": "30",
    "GATEWAY_REQUESTS_PER_SECOND_PER_PRINCIPAL": "1000",
    "GATEWAY_REQUESTS_BURST_PER_PRINCIPAL": "2000",
    "MEMBER_LOGIN_MAX_FAILURES_PER_IP": "1000",
    # The test clients on 127.0.0.1 play the ingress (gateway_client names a client address of
    # its own); a client on another loopback address is an ordinary one.
    "GATEWAY_TRUSTED_PROXIES": '["127.0.0.1"]',
    # A short JWKS cache time, so that test_key_retirement.py sees a retired key stop working
    # everywhere within seconds (production: 300 s).
    **{f"{prefix}JWKS_CACHE_SECONDS": str(JWKS_CACHE_SECONDS) for prefix in PREFIXES},
    # Webhooks reach the tests' receivers on 127.0.0.1, and the queue is looked at often
    # (test_notify_webhooks_e2e.py: an assignment reaches the partner within a second).
    "NOTIFY_WEBHOOK_ALLOW_NETWORKS": '["127.0.0.1/32"]',
    "NOTIFY_WEBHOOK_WORKER_INTERVAL_SECONDS": "0.05",
}

_client_numbers = itertools.count(1)


def gateway_client(stack: Stack, **kwargs: Any) -> httpx.Client:
    """A client of the gateway with an address of its own, as each phone behind the ingress has.

    The test process sits on 127.0.0.1, which the e2e gateway trusts as its ingress, so the
    `X-Forwarded-For` it sends names the client: the per-address login limit one test spends
    is not another's (test_client_addresses.py shows an untrusted peer cannot do this).
    """
    n = next(_client_numbers)
    headers = {"X-Forwarded-For": f"198.18.{n // 250}.{n % 250 + 1}", **kwargs.pop("headers", {})}
    return httpx.Client(
        base_url=stack.gateway_url, headers=headers, timeout=kwargs.pop("timeout", 15.0), **kwargs
    )


@contextmanager
def demo_stack(pg_server_url: str, folder: Path, name: str, extra_env: dict[str, str]) -> Iterator[Stack]:
    """The four services and the gateway as processes with the demo data; NATS of their own;
    databases on the test server, dropped afterwards."""
    base = free_ports(6)
    stack = Stack(
        folder,
        base_port=base,
        nats_port=base + 5,
        database_url=pg_server_url,
        db_prefix=f"{name}_{uuid.uuid4().hex[:8]}_",
        extra_env=extra_env,
    )
    try:
        stack.start()
        seed(stack)
        yield stack
    finally:
        stack.stop()
        for svc in SERVICES:
            drop_database(pg_server_url, stack.database_name(svc))


def inbox_items(call: Callable[[str, str, str], Any], who: str) -> list[dict[str, Any]]:
    """Every item of `who`'s inbox, from every page (`call(method, path, who)` answers the JSON).

    A moved clock also makes the demo's few hundred assigned proposals due and overdue, and their
    newer notices to the offices fill the first pages: a test reading only the first misses its own.
    """
    items: list[dict[str, Any]] = []
    path = "/api/v1/inbox?limit=100"
    while True:
        page = call("GET", path, who)
        items += page["items"]
        if not page["next_cursor"]:
            return items
        path = f"/api/v1/inbox?limit=100&cursor={page['next_cursor']}"
