"""An upstream for the gateway's tests, run as a real uvicorn process: it echoes what reached it.

`/api/v1/proposals/boom` raises: like a service, it answers 500 problem+json and uvicorn then closes the connection.
`/.well-known/jwks.json` serves the JWKS given in `ECHO_JWKS`. Every other path echoes the raw path,
query and header bytes it received, so a test sees exactly what the gateway forwarded.
"""

import json
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse

from cppcc_common.error_handlers import install_error_handlers

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
install_error_handlers(app)


@app.get("/api/v1/proposals/boom")
async def boom() -> None:
    raise RuntimeError("an unhandled error")


@app.get("/api/v1/proposals/large")
async def large() -> StreamingResponse:
    """1 MiB in 64 KiB chunks, no Content-Length (chunked): what the gateway must stream back."""

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(16):
            yield bytes([i]) * 65536

    return StreamingResponse(chunks(), media_type="application/octet-stream")


@app.get("/.well-known/jwks.json")
async def jwks() -> Response:
    return Response(os.environ.get("ECHO_JWKS", '{"keys": []}'), media_type="application/json")


@app.api_route("/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def echo(request: Request) -> Response:
    scope = request.scope
    body = await request.body()
    echoed = {
        "echo": True,
        "method": scope["method"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "query": scope["query_string"].decode("latin-1"),
        "headers": [[k.decode("latin-1"), v.hex()] for k, v in scope["headers"]],
        "client": scope["client"][0] if scope.get("client") else None,
        "body": len(body),
    }
    response = Response(json.dumps(echoed), media_type="application/json")
    response.raw_headers += [
        (b"vary", b"Accept-Language"),
        (b"x-raw", "名单.xlsx".encode()),
    ]
    return response
