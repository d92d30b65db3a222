"""/healthz (alive), /readyz (database and NATS reachable), /metrics (Prometheus) on every service.

/readyz is 503 while the database or NATS does not answer a round trip within 1.5 s each (checked
concurrently), so an orchestrator takes the replica out of rotation until they are back.
"""

import asyncio

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from nats.aio.client import Client as NATS
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.auth import PUBLIC

router = APIRouter(tags=["operations"], dependencies=[Depends(PUBLIC)])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


# Below the gateway's 2 s wait for a service's /readyz.
CHECK_TIMEOUT_SECONDS = 1.5


async def _database_ok(engine: AsyncEngine) -> bool:
    """A round trip, connecting included, within the timeout."""

    async def ping() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(ping(), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception:
        return False
    return True


async def _nats_ok(nc: NATS | None) -> bool:
    """Connected and answering a PING within the timeout (`is_connected` lags a dead server)."""
    if nc is None or not nc.is_connected:
        return False
    try:
        await asyncio.wait_for(nc.flush(), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception:
        return False
    return nc.is_connected


@router.get("/readyz", summary="Readiness: database and NATS reachable")
async def readyz(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    database, nats = await asyncio.gather(_database_ok(runtime.engine), _nats_ok(runtime.nc))
    checks = {"database": "ok" if database else "unavailable", "nats": "ok" if nats else "unavailable"}
    ready = database and nats
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
