"""The shared outer middleware: client addresses behind trusted proxies, security headers on every
response, and the operational routes that are private in production."""

import ipaddress
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.app import create_service_app
from cppcc_common.auth import PUBLIC
from cppcc_common.errors import NotFound
from cppcc_common.middleware import TrustedProxyMiddleware
from cppcc_common.settings import ServiceSettings

PROXIES = ["10.0.0.0/8", "192.0.2.1"]
ips = st.ip_addresses(v=4).map(str)


def _middleware() -> TrustedProxyMiddleware:
    return TrustedProxyMiddleware(lambda *_: None, trusted=PROXIES)  # type: ignore[arg-type, return-value]


def _trusted(ip: str) -> bool:
    return ip == "192.0.2.1" or ipaddress.ip_address(ip) in ipaddress.ip_network("10.0.0.0/8")


@given(peer=ips, chain=st.lists(ips, max_size=5))
def test_client_ips_are_not_the_clients_to_choose(peer: str, chain: list[str]) -> None:
    client = _middleware().client_of(peer, ", ".join(chain) if chain else None)
    if not _trusted(peer):
        assert client == peer  # an untrusted peer's header is ignored
        return
    # Behind trusted proxies: the right-most address that is not a proxy (or the left-most hop).
    hops = [peer, *reversed(chain)]
    expected = next((h for h in hops if not _trusted(h)), hops[-1])
    assert client == expected


async def _app_client(app: Any, peer: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(peer, 1234))
    return httpx.AsyncClient(transport=transport, base_url="http://svc")


def _service(**settings: Any) -> Any:
    return create_service_app(
        ServiceSettings(**settings), title="t", description="t", routers=[], streams=[], idempotency=False
    )


async def test_a_service_takes_the_client_address_only_from_its_trusted_proxies() -> None:
    router = APIRouter(dependencies=[Depends(PUBLIC)])

    @router.get("/who")
    async def who(request: Request) -> str:
        return request.client.host if request.client else ""

    def app(**settings: Any) -> Any:
        return create_service_app(
            ServiceSettings(**settings),
            title="t",
            description="t",
            routers=[router],
            streams=[],
            idempotency=False,
        )

    forwarded = {"X-Forwarded-For": "203.0.113.5"}
    async with await _app_client(app(trusted_proxies=["127.0.0.1"])) as c:
        assert (await c.get("/who", headers=forwarded)).json() == "203.0.113.5"  # the gateway
    async with await _app_client(app(trusted_proxies=["127.0.0.1"]), peer="127.0.0.2") as c:
        assert (await c.get("/who", headers=forwarded)).json() == "127.0.0.2"
    async with await _app_client(app()) as c:  # nobody is trusted by default
        assert (await c.get("/who", headers=forwarded)).json() == "127.0.0.1"


SECURITY = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer"}


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/healthz", {}),
        ("GET", "/nowhere", {}),
        ("GET", "/docs", {}),
        ("GET", "/openapi.json", {}),
        ("POST", "/healthz", {"content-length": "99999999"}),
    ],
)
async def test_every_service_response_carries_the_security_headers(
    method: str, path: str, headers: dict[str, str]
) -> None:
    async with await _app_client(_service()) as c:
        r = await c.request(method, path, headers=headers)
    for name, value in SECURITY.items():
        assert r.headers.get_list(name) == [value], (path, r.status_code, r.headers)
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def test_metrics_and_docs_of_a_service_are_not_public_in_production() -> None:
    async with await _app_client(_service(environment="production", metrics_token="tok-123")) as c:
        assert (await c.get("/docs")).status_code == 404
        assert (await c.get("/metrics")).status_code == 404
        assert (await c.get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 404
        assert (await c.get("/metrics", headers={"Authorization": "Bearer tok-123"})).status_code == 200
        assert (await c.get("/healthz")).status_code == 200
    async with await _app_client(_service(environment="production")) as c:
        assert (await c.get("/metrics", headers={"Authorization": "Bearer "})).status_code == 404
    async with await _app_client(_service()) as c:  # development: open, as before
        assert (await c.get("/docs")).status_code == 200 and (await c.get("/metrics")).status_code == 200


def _service_with(router: APIRouter, **settings: Any) -> Any:
    return create_service_app(
        ServiceSettings(**settings),
        title="t",
        description="t",
        routers=[router],
        streams=[],
        idempotency=False,
    )


def _kinds_router() -> APIRouter:
    router = APIRouter(dependencies=[Depends(PUBLIC)])

    @router.get("/ok")
    async def ok() -> dict[str, str]:
        return {"ok": "yes"}

    @router.get("/missing")
    async def missing() -> None:
        raise NotFound()

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("not for the client")

    @router.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"

        return StreamingResponse(chunks(), media_type="text/plain")

    return router


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/ok", {}, 200),
        ("GET", "/stream", {}, 200),
        ("GET", "/missing", {"Accept-Language": "en"}, 404),
        ("GET", "/nowhere", {}, 404),
        ("GET", "/ok?unknown=1", {}, 422),
        ("POST", "/ok", {"content-length": "99999999"}, 413),
        ("GET", "/boom", {}, 500),
        ("GET", "/docs", {}, 404),  # production: private
        ("GET", "/metrics", {}, 404),  # production: without the token
    ],
)
async def test_every_response_carries_request_id_security_headers_and_vary(
    method: str, path: str, headers: dict[str, str], status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Success, client errors, server errors (answered by FastAPI's own error handler), streaming
    answers, and the edge's own refusals: each carries X-Request-ID and the security headers once,
    and `Vary: Accept-Language` when its text was translated; the access line names the request."""
    app = _service_with(_kinds_router(), environment="production", metrics_token="tok")
    async with await _app_client(app) as c:
        r = await c.request(method, path, headers={"X-Request-ID": "req-1", **headers})
    assert r.status_code == status
    assert r.headers.get_list("x-request-id") == ["req-1"]
    for name, value in SECURITY.items():
        assert r.headers.get_list(name) == [value], (path, r.status_code, r.headers)
    if "content-language" in r.headers:
        assert r.headers.get_list("vary") == ["Accept-Language"]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    access = [e for e in lines if e.get("message") == "request" and e.get("request_id") == "req-1"]
    assert [(e["method"], e["path"], e["status"]) for e in access] == [(method, path.split("?")[0], status)]
    assert access[0]["trace_id"] and access[0]["duration_ms"] >= 0
    if status == 500:  # the handler's own line is the request's too
        assert any(e.get("message") == "unhandled error" and e.get("request_id") == "req-1" for e in lines)
