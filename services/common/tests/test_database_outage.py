"""Fault test on real servers (issue 6): while a service's database is down, a request is 503 with
Retry-After (never 500) and /readyz is 503; once the database is back, both answer 200 again.
While NATS is down /readyz is 503 too, and 200 once the service has reconnected.

The test stops a PostgreSQL of its own (its own data directory), never the session's shared one.
"""

import asyncio
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Depends
from sqlalchemy import text

from cppcc_common.app import create_service_app
from cppcc_common.auth import PUBLIC
from cppcc_common.db import SessionDep
from cppcc_common.settings import ServiceSettings
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.servers import (
    database_url,
    run_blocking,
    start_embedded_postgres,
    stop_embedded_postgres,
)
from cppcc_common.testing.tokens import TestIssuer

router = APIRouter(dependencies=[Depends(PUBLIC)])


@router.get("/api/v1/answer")
async def answer(session: SessionDep) -> dict[str, int]:
    return {"answer": (await session.execute(text("SELECT 42"))).scalar_one()}


async def _state(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
    return await client.get("/api/v1/answer"), await client.get("/readyz")


async def _ready_again(client: httpx.AsyncClient, seconds: float = 15.0) -> bool:
    """Polls /readyz while the NATS client reconnects (its own back-off, not a clock we own)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if (await client.get("/readyz")).status_code == 200:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_database_outage_is_503_with_retry_after_and_not_ready(
    tmp_path: Path, nats_server: Any
) -> None:
    data_dir = tmp_path / "pg"
    url = run_blocking(lambda: start_embedded_postgres(data_dir))
    try:
        settings = ServiceSettings(
            database_url=database_url(url, "postgres"),
            nats_url=nats_server.url,
            relay_enabled=False,
            consumers_enabled=False,
        )
        app = create_service_app(
            settings,
            title="outage",
            description="a service whose database goes away",
            routers=[router],
            streams=[],
            idempotency=False,
            key_source=TestIssuer().key_source(),
        )
        async with serve_app(app) as client:
            served, ready = await _state(client)
            assert served.json() == {"answer": 42} and ready.status_code == 200

            run_blocking(lambda: stop_embedded_postgres(data_dir))
            served, ready = await _state(client)
            assert served.status_code == 503, served.text
            assert served.headers["content-type"] == "application/problem+json"
            assert served.json()["code"] == "service_unavailable"
            assert int(served.headers["retry-after"]) > 0
            assert ready.status_code == 503 and ready.json()["checks"] == {
                "database": "unavailable",
                "nats": "ok",
            }

            assert run_blocking(lambda: start_embedded_postgres(data_dir)) == url
            served, ready = await _state(client)
            assert served.json() == {"answer": 42} and ready.status_code == 200

            nats_server.stop()
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["nats"] == "unavailable"
            nats_server.start()
            assert await _ready_again(client)
    finally:
        run_blocking(lambda: stop_embedded_postgres(data_dir))
