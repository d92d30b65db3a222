"""The baselines every figure is a ratio of, served by uvicorn like the services (one worker).

- `bare_asgi`: a raw ASGI callable answering a fixed JSON body (the floor of the server itself).
- `bare_fastapi()`: FastAPI with one asyncpg pool, no middleware, no auth, running the same SQL
  as the services' hot reads (a proposal by id: proposal-svc's own statement, `read_statement`). It also answers under the gateway's paths, so a gateway can use it
  as an upstream (the fair test of the hop's own cost).

The DSNs come from BENCH_NOTIFY_DSN and BENCH_PROPOSAL_DSN.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from cppcc_common.auth import Principal
from proposal_svc.proposals.repository import read_statement

_OK = b'{"status":"ok"}'
_MEMBER = frozenset({"member"})

UNREAD_SQL = "SELECT count(*) FROM inbox_items WHERE person_id = $1 AND read_at IS NULL"
INBOX_SQL = (
    "SELECT id, category, title, body, object_type, object_id, created_at, read_at FROM inbox_items"
    " WHERE person_id = $1 ORDER BY created_at DESC, id DESC LIMIT 21"
)


async def bare_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"15")],
        }
    )
    await send({"type": "http.response.body", "body": _OK})


def _jsonable(row: asyncpg.Record) -> dict[str, Any]:
    return {
        k: (str(v) if v is not None and not isinstance(v, int | str | list) else v) for k, v in row.items()
    }


def bare_fastapi() -> FastAPI:
    pools: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pools["notify"] = await asyncpg.create_pool(os.environ["BENCH_NOTIFY_DSN"], min_size=4, max_size=10)
        pools["proposal"] = await asyncpg.create_pool(
            os.environ["BENCH_PROPOSAL_DSN"], min_size=4, max_size=10
        )
        yield
        for pool in pools.values():
            await pool.close()

    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(_OK, media_type="application/json")

    @app.get("/api/v1/inbox/unread-count")
    async def unread(person: UUID) -> dict[str, int]:
        return {"unread": await pools["notify"].fetchval(UNREAD_SQL, person)}

    @app.get("/api/v1/inbox")
    async def inbox(person: UUID) -> dict[str, Any]:
        rows = await pools["notify"].fetch(INBOX_SQL, person)
        return {"items": [_jsonable(r) for r in rows[:20]], "next_cursor": None}

    @app.get("/api/v1/proposals/{proposal_id}")
    async def proposal(proposal_id: UUID, person: UUID, org: UUID) -> JSONResponse:
        # The service's own statement (visibility, proposers), for its proposer: like with like.
        reader = Principal(sub=person, org=org, roles=_MEMBER)
        row = await pools["proposal"].fetchrow(*read_statement(reader, proposal_id))
        if row is None:
            return JSONResponse({"status": 404}, status_code=404)
        return JSONResponse(_jsonable(row))

    return app
