from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import proposal_svc
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.main import create_app
from proposal_svc.settings import Settings

MIGRATIONS = Path(proposal_svc.__file__).parent / "migrations"


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "proposal"),
        nats_url=module_nats_url,
        relay_interval_seconds=0.05,
    )


@pytest.fixture(scope="module")
async def client(settings: Settings, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source())) as c:
        yield c
