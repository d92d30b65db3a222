"""Cross-service tests: the whole stack as real processes, driven through the gateway."""

from collections.abc import Iterator

import pytest
from e2e_support import JWKS_CACHE_SECONDS, demo_stack

from cppcc_devstack.stack import SERVICES, Stack

_PREFIXES = [svc.prefix for svc in SERVICES] + ["GATEWAY_"]


@pytest.fixture(scope="session")
def stack(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four services and the gateway as processes; NATS of their own; databases on the test server."""
    with demo_stack(
        pg_server_url,
        tmp_path_factory.mktemp("stack"),
        "e2e",
        {
            "GATEWAY_LOGIN_PER_MINUTE_PER_IP": "30",
            "GATEWAY_REQUESTS_PER_SECOND_PER_PRINCIPAL": "1000",
            "GATEWAY_REQUESTS_BURST_PER_PRINCIPAL": "2000",
            "MEMBER_LOGIN_MAX_FAILURES_PER_IP": "1000",
            # The test clients on 127.0.0.1 play the ingress (e2e_support.gateway_client names a
            # client address of its own); a client on another loopback address is an ordinary one.
            "GATEWAY_TRUSTED_PROXIES": '["127.0.0.1"]',
            # A short JWKS cache time, so that test_key_retirement.py sees a retired key stop
            # working everywhere within seconds (production: 300 s).
            **{f"{prefix}JWKS_CACHE_SECONDS": str(JWKS_CACHE_SECONDS) for prefix in _PREFIXES},
            # Webhooks reach the tests' receivers on 127.0.0.1, and the queue is looked at often
            # (test_notify_webhooks_e2e.py: an assignment reaches the partner within a second).
            "NOTIFY_WEBHOOK_ALLOW_NETWORKS": '["127.0.0.1/32"]',
            "NOTIFY_WEBHOOK_WORKER_INTERVAL_SECONDS": "0.05",
        },
    ) as stack:
        yield stack
