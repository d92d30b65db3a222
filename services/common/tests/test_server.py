"""The HTTP protocol every process serves with (cppcc_common.server, through uvicorn_options)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn

from cppcc_common.server import HOLD_BYTES, CorkedHttpToolsProtocol
from cppcc_common.settings import ServiceSettings, uvicorn_options

SMALL = b'{"ok":true}'
LARGE = bytes(range(256)) * 4096  # 1 MiB


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/large":  # streamed in pieces, as a download is
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for start in range(0, len(LARGE), 65536):
            await send(
                {"type": "http.response.body", "body": LARGE[start : start + 65536], "more_body": True}
            )
        await send({"type": "http.response.body", "body": b""})
        return
    length = str(len(SMALL)).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", length)]})
    await send({"type": "http.response.body", "body": SMALL})


class _CountingTransport:
    """The socket's transport, counting the writes that reach it."""

    writes: list[int] = []

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        _CountingTransport.writes.append(len(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _Counted(CorkedHttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        counting: Any = _CountingTransport(transport)
        super().connection_made(counting)


@contextlib.asynccontextmanager
async def _serving(**options: Any) -> AsyncIterator[str]:
    config = uvicorn.Config(_app, host="127.0.0.1", port=0, log_config=None, lifespan="off", **options)
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_every_process_serves_with_the_corked_protocol() -> None:
    assert uvicorn_options(ServiceSettings())["http"] is CorkedHttpToolsProtocol


async def test_a_small_answer_leaves_in_one_write_and_a_streamed_one_whole() -> None:
    """The head and a small body in one write (uvicorn alone makes two); a streamed body of 1 MiB
    arrives whole and in order over the same kept-alive connection, never held beyond one piece."""
    options = uvicorn_options(ServiceSettings()) | {"http": _Counted}
    async with _serving(**options) as url, httpx.AsyncClient(base_url=url) as client:
        _CountingTransport.writes.clear()
        for _ in range(3):
            answer = await client.get("/small")
            assert answer.content == SMALL
        assert len(_CountingTransport.writes) == 3
        _CountingTransport.writes.clear()
        large = await client.get("/large")
        assert large.content == LARGE
        assert max(_CountingTransport.writes) <= 65536 + HOLD_BYTES
        assert (await client.head("/small")).status_code == 200
