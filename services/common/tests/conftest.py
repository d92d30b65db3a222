"""Fixtures for the shared mechanisms' tests: a real database with the messaging tables and a
test table, and a private nats-server per test with a TESTING stream."""

from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from mech_support import TEST_STREAM, metadata

from cppcc_common.db import create_engine, create_sessionmaker


@pytest.fixture(scope="module")
def mech_db_url(databases: Any) -> str:
    return str(databases.empty("mech"))


@pytest.fixture
async def engine(mech_db_url: str) -> AsyncIterator[Any]:
    engine = create_engine(mech_db_url, pool_size=10)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: Any) -> Any:
    return create_sessionmaker(engine)


@pytest.fixture
def nats_server(nats_server_factory: Any, tmp_path: Any) -> Any:
    server = nats_server_factory(tmp_path / "nats")
    server.start()
    return server


@pytest.fixture
async def js(nats_server: Any) -> AsyncIterator[Any]:
    nc = await nats.connect(nats_server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    js = nc.jetstream()
    await js.add_stream(TEST_STREAM)
    yield js
    await nc.close()
