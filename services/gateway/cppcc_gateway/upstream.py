"""A lean HTTP/1.1 client for the gateway's upstreams: pooled keep-alive connections over asyncio
protocols, responses parsed by httptools (the parser uvicorn uses), only what forwarding needs.

What it does, and what the gateway relies on:
- a request is written in one socket write (head and a body held whole); a streamed body is
  written piece by piece as it arrives, with the transport's flow control;
- the response's status and raw header bytes are handed over as parsed; its body is read whole
  (`read`) or chunk by chunk as it arrives (`readany`), a chunked one decoded by the parser;
  reading stops while more than `_HIGH_WATER` bytes wait to be taken (no answer is held whole
  unless asked for);
- a connection goes back to the pool only after a complete exchange that both sides keep alive and
  whose status is below 500 (a service closes its connection after an unhandled error); an idle
  connection older than `keepalive` seconds, or one the peer closed, is not reused;
- errors: `ConnectFailed` (nothing was sent: any request may be tried again), `Disconnected` (the
  peer closed the connection before the answer began: only an idempotent request may be sent
  again), `TimeoutError` (connect, or `read_timeout` seconds without a byte of the answer).
"""

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import cast
from urllib.parse import urlsplit

import httptools

Body = bytes | AsyncIterator[bytes]

_HIGH_WATER = 256 * 1024


class UpstreamError(Exception):
    """A failed exchange with an upstream."""


class ConnectFailed(UpstreamError):
    """The connection could not be opened: nothing was sent."""


class Disconnected(UpstreamError):
    """The peer closed the connection before (or while) answering."""


class _Connection(asyncio.Protocol):
    """One upstream connection; one exchange at a time."""

    def __init__(self, pool: "UpstreamPool") -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.reused = False
        self._parser = httptools.HttpResponseParser(self)
        self._response: UpstreamResponse | None = None
        self._can_write = asyncio.Event()
        self._can_write.set()
        self._headers: list[tuple[bytes, bytes]] = []

    # asyncio.Protocol ---------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transport is not a subclass of asyncio.Transport, but it is one
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._can_write.set()
        response = self._response
        if response is not None and not response.complete:
            response._fail(Disconnected(repr(exc) if exc else "connection closed"))

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    def data_received(self, data: bytes) -> None:
        if self._response is None:  # bytes nobody asked for: this connection is not to be trusted
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._response._fail(Disconnected(f"malformed answer: {exc}"))
            self.close()

    # httptools callbacks ------------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:  # an interim answer (100 Continue): the final one follows
            self._headers = []
            return
        response = self._response
        assert response is not None
        response._start(status, self._headers, self._parser.should_keep_alive())
        self._headers = []

    def on_body(self, body: bytes) -> None:
        response = self._response
        assert response is not None
        response._feed(body)
        if response._buffered > _HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        response = self._response
        if response is None or response.status == 0:
            return  # the end of an interim answer
        response._finish()

    # the exchange -------------------------------------------------------------------------------
    async def send(self, head: bytes, body: Body) -> None:
        transport = self.transport
        assert transport is not None
        if isinstance(body, bytes):
            transport.write(head + body if len(body) < 65536 else head)
            if len(body) >= 65536:
                transport.write(body)
            return
        transport.write(head)
        async for chunk in body:
            if self.closed:
                raise Disconnected("connection closed while the body was sent")
            if chunk:
                transport.write(chunk)
            if not self._can_write.is_set():
                await self._can_write.wait()

    def resume(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class UpstreamResponse:
    """An upstream's answer: `status`, `raw_headers` as sent, `content_length` if declared; the
    body by `read()` (whole) or `readany()` (b"" at its end). `release()` when done."""

    def __init__(self, connection: _Connection, read_timeout: float) -> None:
        self._connection = connection
        self._read_timeout = read_timeout
        self.status = 0
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.content_length: int | None = None
        self.complete = False
        self._keep_alive = False
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._error: BaseException | None = None
        self._started = asyncio.get_running_loop().create_future()
        self._waiter: asyncio.Future[None] | None = None
        self._released = False

    # fed by the connection
    def _start(self, status: int, headers: list[tuple[bytes, bytes]], keep_alive: bool) -> None:
        self.status = status
        self.raw_headers = headers
        self._keep_alive = keep_alive
        for name, value in headers:
            if name.lower() == b"content-length":
                with contextlib.suppress(ValueError):
                    self.content_length = int(value)
        if not self._started.done():
            self._started.set_result(None)

    def _feed(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        self._wake()

    def _finish(self) -> None:
        self.complete = True
        self._wake()

    def _fail(self, error: BaseException) -> None:
        self._error = error
        if not self._started.done():
            self._started.set_exception(error)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # read by the caller
    async def _wait_start(self) -> None:
        async with asyncio.timeout(self._read_timeout):
            await self._started

    async def readany(self) -> bytes:
        """The next piece of the body as it arrived (several pieces joined); b"" at its end."""
        while not self._chunks:
            if self.complete:
                return b""
            if self._error is not None:
                raise self._error
            self._waiter = asyncio.get_running_loop().create_future()
            async with asyncio.timeout(self._read_timeout):
                await self._waiter
        data = self._chunks.popleft() if len(self._chunks) == 1 else b"".join(self._chunks)
        self._chunks.clear()
        self._buffered = 0
        self._connection.resume()
        return data

    async def read(self) -> bytes:
        """The whole body."""
        parts = []
        while chunk := await self.readany():
            parts.append(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def release(self) -> None:
        """Ends the exchange: a complete, kept-alive answer below 500 frees its connection for the
        next request; any other is closed."""
        if self._released:
            return
        self._released = True
        connection = self._connection
        connection._response = None
        reusable = self.complete and self._keep_alive and self.status < 500 and not connection.closed
        connection.pool._give_back(connection, reusable)


class UpstreamPool:
    """Keep-alive connections to one upstream (`host`, `port`), at most `limit` at once."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        limit: int = 100,
        keepalive: float = 15.0,
        connect_timeout: float = 3.0,
        read_timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.host_header = f"{host}:{port}".encode("ascii")
        self.keepalive = keepalive
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(limit)
        self._open: set[_Connection] = set()

    async def request(
        self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: Body
    ) -> UpstreamResponse:
        """Sends one request and answers once the response's head has arrived."""
        await self._slots.acquire()
        try:
            connection = await self._connection()
            head = self._head(method, target, headers, body)
            response = UpstreamResponse(connection, self.read_timeout)
            connection._response = response
            try:
                await connection.send(head, body)
                await response._wait_start()
            except BaseException:
                connection._response = None
                connection.close()
                self._give_back(connection, False, release_slot=False)
                raise
        except BaseException:
            self._slots.release()
            raise
        return response

    def _head(self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: Body) -> bytes:
        lines = [method.encode("ascii"), b" ", target, b" HTTP/1.1\r\nhost: ", self.host_header, b"\r\n"]
        for name, value in headers:
            lines += (name, b": ", value, b"\r\n")
        if isinstance(body, bytes) and (body or method in ("POST", "PUT", "PATCH")):
            lines += (b"content-length: ", str(len(body)).encode("ascii"), b"\r\n")
        lines.append(b"\r\n")
        return b"".join(lines)

    async def _connection(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()  # the most recently used: the likeliest still open
            if connection.closed or now - connection.idle_since > self.keepalive:
                connection.close()
                self._open.discard(connection)
                continue
            connection.reused = True
            return connection
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, protocol = await loop.create_connection(lambda: _Connection(self), self.host, self.port)
        except TimeoutError:
            raise
        except OSError as exc:
            raise ConnectFailed(repr(exc)) from exc
        self._open.add(protocol)
        return protocol

    def _give_back(self, connection: _Connection, reusable: bool, *, release_slot: bool = True) -> None:
        if reusable:
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
            self._open.discard(connection)
        if release_slot:
            self._slots.release()

    async def close(self) -> None:
        for connection in list(self._open):
            connection.close()
        self._open.clear()
        self._idle.clear()


def parse_base(url: str) -> tuple[str, int, str]:
    """The host, port and path prefix of an upstream's base URL (`http://host:port[/prefix]`)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"an upstream URL is http://host:port, not {url!r}")
    return parts.hostname, parts.port or 80, parts.path.rstrip("/")


__all__ = ["ConnectFailed", "Disconnected", "UpstreamError", "UpstreamPool", "UpstreamResponse", "parse_base"]
