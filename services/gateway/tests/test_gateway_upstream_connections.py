"""One client's 500 is not another's 503: the gateway's pool hands out no connection the service
has closed, and an idempotent request is retried once on a connection the peer closed."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from gateway_support import Upstream, running_gateway, settings_for

from cppcc_common.testing.servers import free_port
from cppcc_common.testing.tokens import TestIssuer


async def test_an_upstream_500_that_closes_its_connection_is_not_the_next_callers_503(
    gateway: str, issuer: TestIssuer
) -> None:
    headers = {"Authorization": f"Bearer {issuer.token()}"}
    statuses: list[tuple[int, int, int]] = []
    async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=10) as client:
        for _ in range(40):
            boom = await client.get("/api/v1/proposals/boom")
            # The next caller, with a request that must not be retried blindly (a POST without a key).
            after_post = await client.post("/api/v1/proposals", json={})
            after_get = await client.get("/api/v1/proposals")
            statuses.append((boom.status_code, after_post.status_code, after_get.status_code))
    assert {s[1:] for s in statuses} == {(200, 200)}, statuses


class ClosingUpstream:
    """A real TCP server that answers the first request on each connection (keep-alive) and then,
    like a service restarting or timing out an idle connection, closes it when the next arrives."""

    def __init__(self, issuer: TestIssuer) -> None:
        self.jwks = issuer.jwks
        self.requests: list[bytes] = []
        self.port = free_port()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import json

        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            await reader.readexactly(length)
            self.requests.append(head.split(b"\r\n")[0])
            body = json.dumps(self.jwks).encode() if b"jwks" in head.split(b"\r\n")[0] else b'{"ok": true}'
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")  # the next request on this connection: dropped
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        async with server:
            yield f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def closing_gateway(
    issuer: TestIssuer, upstream: Upstream
) -> AsyncIterator[tuple[str, ClosingUpstream]]:
    closing = ClosingUpstream(issuer)
    async with (
        closing.serving() as url,
        running_gateway(settings_for(url, jwks_url=f"{upstream.url}/.well-known/jwks.json")) as gateway,
    ):
        yield gateway, closing


async def test_idempotent_requests_are_retried_once_on_a_connection_the_peer_closed(
    closing_gateway: tuple[str, ClosingUpstream], issuer: TestIssuer
) -> None:
    gateway, _ = closing_gateway
    headers = {"Authorization": f"Bearer {issuer.token()}"}
    async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=10) as client:
        for method in ("GET", "PUT", "DELETE", "GET"):
            first = await client.request(method, "/api/v1/proposals/1")
            second = await client.request(method, "/api/v1/proposals/1")
            assert (first.status_code, second.status_code) == (200, 200), method
        await client.get("/api/v1/proposals/1")
        keyed = await client.post("/api/v1/proposals", json={}, headers={"Idempotency-Key": "k-1"})
        assert keyed.status_code == 200


async def test_a_request_that_is_not_idempotent_is_not_sent_twice(
    closing_gateway: tuple[str, ClosingUpstream], issuer: TestIssuer
) -> None:
    gateway, closing = closing_gateway
    headers = {"Authorization": f"Bearer {issuer.token()}"}
    async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=10) as client:
        await client.get("/api/v1/proposals/1")
        before = len(closing.requests)
        r = await client.post("/api/v1/proposals", json={})
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    assert len(closing.requests) == before  # it reached no service: the closed connection dropped it
