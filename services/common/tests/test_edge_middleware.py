"""The shared outer middleware: client addresses behind trusted proxies, security headers on every
response, and the operational routes that are private in production."""

import ipaddress
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, Request
from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.app import create_service_app
from cppcc_common.auth import PUBLIC
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
