"""The gateway's upstream client (`cppcc_gateway.upstream`) against a raw asyncio server that writes
its answers byte for byte: streaming without buffering, chunked answers, keep-alive and when a
connection is not reused, timeouts, refused and dropped connections, header bytes as sent."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from cppcc_gateway.upstream import ConnectFailed, Disconnected, UpstreamPool

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await reader.readexactly(length) if length else b""
        self.requests.append(head + body)
        return head + body


@contextlib.asynccontextmanager
async def serve(
    handler: Callable[[Server, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[tuple[Server, int]]:
    state = Server()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        try:
            await handler(state, reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield state, port
    finally:
        server.close()


def _pool(port: int, **kw: Any) -> UpstreamPool:
    return UpstreamPool("127.0.0.1", port, **({"read_timeout": 5.0} | kw))


async def _ok_forever(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        await state.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok")
        await writer.drain()


async def test_a_kept_alive_connection_is_reused_and_the_head_is_sent_as_given() -> None:
    async with serve(_ok_forever) as (state, port):
        pool = _pool(port)
        for _ in range(3):
            response = await pool.request("GET", b"/a?b=1", [(b"X-Name", "张三".encode())], b"")
            assert (response.status, await response.read()) == (200, b"ok")
            assert (b"content-type", b"text/plain") in response.raw_headers
            response.release()
        assert state.connections == 1
        assert state.requests[0].startswith(b"GET /a?b=1 HTTP/1.1\r\n")
        assert b"\r\nX-Name: " + "张三".encode() + b"\r\n" in state.requests[0]
        await pool.close()


async def test_a_body_is_sent_with_its_length() -> None:
    async with serve(_ok_forever) as (state, port):
        pool = _pool(port)
        response = await pool.request("POST", b"/p", [], b'{"a":1}')
        await response.read()
        response.release()
        response = await pool.request("POST", b"/p", [], b"")
        await response.read()
        response.release()
        assert state.requests[0].endswith(b'content-length: 7\r\n\r\n{"a":1}')
        assert state.requests[1].endswith(b"content-length: 0\r\n\r\n")
        await pool.close()


async def test_an_answer_of_500_does_not_leave_its_connection_in_the_pool() -> None:
    async def five_hundred(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await state.read_request(reader)
            writer.write(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 1\r\n\r\nx")
            await writer.drain()

    async with serve(five_hundred) as (state, port):
        pool = _pool(port)
        for _ in range(2):
            response = await pool.request("GET", b"/", [], b"")
            assert (response.status, await response.read()) == (500, b"x")
            response.release()
        assert state.connections == 2
        await pool.close()


async def test_a_chunked_answer_streams_through_as_it_arrives() -> None:
    more = asyncio.Event()

    async def chunked(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await state.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n")
        await writer.drain()
        await more.wait()  # the rest only once the client has read the first piece
        writer.write(b"6\r\nsecond\r\n0\r\n\r\n")
        await writer.drain()
        await state.read_request(reader)  # kept alive: a second request on the same connection
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()

    async with serve(chunked) as (state, port):
        pool = _pool(port)
        response = await pool.request("GET", b"/events", [], b"")
        assert response.content_length is None
        assert await response.readany() == b"first"
        more.set()
        assert await response.readany() == b"second"
        assert await response.readany() == b""
        response.release()
        response = await pool.request("GET", b"/again", [], b"")
        assert response.status == 204
        assert await response.read() == b""
        response.release()
        assert state.connections == 1
        await pool.close()


async def test_a_streamed_request_body_is_sent_as_it_comes() -> None:
    async with serve(_ok_forever) as (state, port):
        pool = _pool(port)

        async def body() -> AsyncIterator[bytes]:
            for piece in (b"ab", b"", b"cd"):
                yield piece

        response = await pool.request("PUT", b"/u", [(b"content-length", b"4")], body())
        assert await response.read() == b"ok"
        response.release()
        assert state.requests[0].endswith(b"\r\n\r\nabcd")
        await pool.close()


async def test_an_upstream_silent_past_the_read_timeout_is_a_timeout() -> None:
    async def silent(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await state.read_request(reader)
        await asyncio.sleep(5)

    async with serve(silent) as (_, port):
        pool = _pool(port, read_timeout=0.2)
        with pytest.raises(TimeoutError):
            await pool.request("GET", b"/", [], b"")
        await pool.close()


async def test_a_body_that_stops_midway_is_a_timeout_and_the_connection_is_dropped() -> None:
    async def stalls(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await state.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
        await writer.drain()
        await asyncio.sleep(5)

    async with serve(stalls) as (_, port):
        pool = _pool(port, read_timeout=0.2)
        response = await pool.request("GET", b"/", [], b"")
        assert await response.readany() == b"abc"
        with pytest.raises(TimeoutError):
            await response.readany()
        response.release()
        assert not pool._idle
        await pool.close()


async def test_a_peer_that_closes_before_answering_is_disconnected() -> None:
    async def hangs_up(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await state.read_request(reader)

    async with serve(hangs_up) as (_, port):
        pool = _pool(port)
        with pytest.raises(Disconnected):
            await pool.request("GET", b"/", [], b"")
        await pool.close()


async def test_a_refused_connection_is_connect_failed() -> None:
    async with serve(_ok_forever) as (_, port):
        pass  # closed: nothing listens on the port any more
    pool = _pool(port)
    with pytest.raises(ConnectFailed):
        await pool.request("GET", b"/", [], b"")
    await pool.close()


async def test_an_idle_connection_past_the_keepalive_is_not_reused() -> None:
    async with serve(_ok_forever) as (state, port):
        pool = _pool(port, keepalive=0.0)
        for _ in range(2):
            response = await pool.request("GET", b"/", [], b"")
            await response.read()
            response.release()
            await asyncio.sleep(0.01)
        assert state.connections == 2
        await pool.close()
