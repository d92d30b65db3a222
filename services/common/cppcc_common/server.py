"""The HTTP protocol every process serves with: uvicorn's httptools protocol, one write per answer.

uvicorn writes an answer's status line and headers to the socket as soon as the app sends
`http.response.start`, and its body as a second write when `http.response.body` follows: two
system calls and two TCP segments for every small answer, which the peer (a client, or the gateway
reading a service) reads twice. Measured in the gateway's profile, the socket writes were a fifth of
its CPU. `CorkedHttpToolsProtocol` holds one small write back until the end of the event loop's
iteration: the next write in the same iteration (the body, sent right after the start) goes out
joined with it, in one call; if none comes, it goes out alone at the end of the iteration. At most
one small write is ever held, so a streamed body is not buffered and flow control is unchanged.
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# A write at most this long is held for the next one (a response head); a longer one goes at once.
HOLD_BYTES = 16 * 1024
# The next write is joined to a held one up to this length (a copy); a longer one follows it.
JOIN_BYTES = 256 * 1024


class _CorkedTransport:
    """A transport whose small write waits for the next write of the same loop iteration."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            if len(data) <= JOIN_BYTES:
                self._transport.write(held + bytes(data))
            else:  # a large body is not copied to save a call
                self._transport.write(held)
                self._transport.write(data)
        elif len(data) <= HOLD_BYTES:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
        else:
            self._transport.write(data)

    def writelines(self, lines: Any) -> None:
        self.write(b"".join(lines))

    def flush(self) -> None:
        """Sends what is held (the end of the loop iteration, or before the connection closes)."""
        if self._held is not None:
            data, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CorkedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing each small answer in one call (see the module docstring)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        corked: Any = _CorkedTransport(transport, self.loop)
        super().connection_made(corked)
