"""Cross-service tests: the whole stack as real processes, driven through the gateway."""

from collections.abc import Iterator

import pytest
from e2e_support import E2E_ENV, demo_stack

from cppcc_devstack.stack import Stack


@pytest.fixture(scope="session")
def stack(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four services and the gateway as processes; NATS of their own; databases on the test server."""
    with demo_stack(pg_server_url, tmp_path_factory.mktemp("stack"), "e2e", E2E_ENV) as stack:
        yield stack
