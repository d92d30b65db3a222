"""Cross-service tests: the whole stack as real processes, driven through the gateway."""

import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cppcc_common.testing.servers import drop_database, free_port, port_in_use
from cppcc_devstack.demo import seed
from cppcc_devstack.stack import SERVICES, Stack


def _free_base_port() -> int:
    for _ in range(200):
        base = random.randint(20000, 40000)
        if not any(port_in_use(base + i) for i in range(5)):
            return base
    raise RuntimeError("no five consecutive free ports")


@pytest.fixture(scope="session")
def stack(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four services and the gateway as processes; NATS of their own; databases on the test server."""
    stack = Stack(
        tmp_path_factory.mktemp("stack"),
        base_port=_free_base_port(),
        nats_port=free_port(),
        database_url=pg_server_url,
        db_prefix=f"e2e_{uuid.uuid4().hex[:8]}_",
        extra_env={"GATEWAY_LOGIN_PER_MINUTE_PER_IP": "30", "MEMBER_LOGIN_MAX_FAILURES_PER_IP": "1000"},
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
