"""Local vendors for the channel tests: a JPush REST endpoint (aiohttp, HTTP/1.1), an APNs endpoint
speaking HTTP/2 (the `h2` library, prior knowledge over plain TCP), and a vendor that never answers."""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import h2.config
import h2.connection
import h2.events
from aiohttp import web


@dataclass
class Call:
    headers: dict[str, str]
    body: bytes
    path: str = ""
    http_version: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class JPushServer:
    """`POST /v3/push` answering each call with the next scripted (status, body)."""

    answers: list[tuple[int, dict[str, Any]]] = field(
        default_factory=lambda: [(200, {"sendno": "0", "msg_id": "1"})]
    )
    calls: list[Call] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def _push(self, request: web.Request) -> web.Response:
        self.calls.append(
            Call(
                dict(request.headers),
                await request.read(),
                request.path,
                f"HTTP/{request.version.major}.{request.version.minor}",
            )
        )
        status, body = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return web.json_response(body, status=status)

    async def __aenter__(self) -> "JPushServer":
        app = web.Application()
        app.router.add_post("/v3/push", self._push)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/v3/push"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@dataclass
class ApnsServer:
    """An HTTP/2 server (h2c, prior knowledge) answering `POST /3/device/<token>` with the next
    scripted (status, reason); it records each request's pseudo-headers, headers and body."""

    answers: list[tuple[int, str | None]] = field(default_factory=lambda: [(200, None)])
    calls: list[Call] = field(default_factory=list)
    url: str = ""
    _server: asyncio.Server | None = None

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        streams: dict[int, Call] = {}
        try:
            while data := await reader.read(65535):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        headers = {str(k): str(v) for k, v in event.headers}
                        streams[event.stream_id] = Call(headers, b"", headers.get(":path", ""), "HTTP/2")
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id].body += event.data
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        self.calls.append(streams.pop(event.stream_id))
                        status, reason = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
                        body = json.dumps({"reason": reason}).encode() if reason else b""
                        conn.send_headers(
                            event.stream_id,
                            [
                                (":status", str(status)),
                                ("apns-id", self.calls[-1].headers.get("apns-id", "")),
                            ],
                            end_stream=not body,
                        )
                        if body:
                            conn.send_data(event.stream_id, body, end_stream=True)
                writer.write(conn.data_to_send())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> "ApnsServer":
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()


@dataclass
class DeadVendor:
    """Accepts connections and never answers (until closed): a vendor that hangs."""

    accepted: int = 0
    url: str = ""
    _server: asyncio.Server | None = None
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.append(writer)

    async def __aenter__(self) -> "DeadVendor":
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        for w in self._writers:
            w.close()
        self._server.close()
