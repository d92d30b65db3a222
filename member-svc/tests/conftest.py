import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import member_svc
from cppcc_common.testing.app import serve_app
from member_svc.main import create_app
from member_svc.settings import Settings

MIGRATIONS = Path(member_svc.__file__).parent / "migrations"


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "member"),
        nats_url=module_nats_url,
        key_encryption_key=kek,
        relay_interval_seconds=0.05,
    )


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings)) as c:
        yield c
