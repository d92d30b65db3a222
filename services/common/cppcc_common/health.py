"""/healthz (alive), /readyz (database and NATS reachable), /metrics (Prometheus) on every service."""

import asyncio

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from cppcc_common.auth import PUBLIC

router = APIRouter(tags=["operations"], dependencies=[Depends(PUBLIC)])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: database and NATS reachable")
async def readyz(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    checks: dict[str, str] = {}
    try:
        async with runtime.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2.0)
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
    nc = runtime.nc
    checks["nats"] = "ok" if nc is not None and nc.is_connected else "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
