"""Cross-service tests: the whole stack as real processes, driven through the gateway."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import JWKS_CACHE_SECONDS

from cppcc_common.testing.servers import drop_database, free_ports
from cppcc_devstack.demo import seed
from cppcc_devstack.stack import SERVICES, Stack

_PREFIXES = [svc.prefix for svc in SERVICES] + ["GATEWAY_"]


@pytest.fixture(scope="session")
def stack(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four services and the gateway as processes; NATS of their own; databases on the test server."""
    base = free_ports(6)
    stack = Stack(
        tmp_path_factory.mktemp("stack"),
        base_port=base,
        nats_port=base + 5,
        database_url=pg_server_url,
        db_prefix=f"e2e_{uuid.uuid4().hex[:8]}_",
        extra_env={
            "GATEWAY_LOGIN_PER_MINUTE_PER_IP": "30",
            "GATEWAY_REQUESTS_PER_SECOND_PER_PRINCIPAL": "1000",
            "GATEWAY_REQUESTS_BURST_PER_PRINCIPAL": "2000",
            "MEMBER_LOGIN_MAX_FAILURES_PER_IP": "1000",
            # The test clients on 127.0.0.1 play the ingress (test_fuzz.py names its own client
            # address); a client on another loopback address is an ordinary one.
            "GATEWAY_TRUSTED_PROXIES": '["127.0.0.1"]',
            # A short JWKS cache time, so that test_key_retirement.py sees a retired key stop
            # working everywhere within seconds (production: 300 s).
            **{f"{prefix}JWKS_CACHE_SECONDS": str(JWKS_CACHE_SECONDS) for prefix in _PREFIXES},
        },
    )
    try:
        stack.start()
        seed(stack)
        yield stack
    finally:
        stack.stop()
        for svc in SERVICES:
            drop_database(pg_server_url, stack.database_name(svc))


def log_of(stack: Stack, name: str) -> Path:
    return stack.log_dir / f"{name}.log"
