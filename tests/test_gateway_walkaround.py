"""The gateway cannot be walked around: through the real stack, no spelling of a path reaches a
service's operational routes or a path the gateway does not route."""

import asyncio

import httpx
import pytest
from gateway_support import raw_request

from cppcc_devstack.demo import login
from cppcc_devstack.stack import Stack

pytestmark = pytest.mark.e2e

WALKS = [
    b"/api/v1/proposals/..%2F..%2F..%2Fmetrics",
    b"/api/v1/proposals/../../../metrics",
    b"/api/v1/proposals/%2e%2e/%2e%2e/%2e%2e/metrics",
    b"/api/v1/proposals/..%2f..%2f..%2fopenapi.json",
    b"/api/v1/me/../parties",
    b"/api/v1/me/..%2Fparties",
    b"/api/v1/inbox/..%2F..%2F..%2Fdocs",
    b"/api/v1/proposals/%07",
]


def test_walking_around_the_gateway_reaches_no_service_route(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        token = login(client, "13800000009")
    auth = [(b"authorization", f"Bearer {token}".encode())]

    async def walk() -> list[tuple[bytes, int, bytes]]:
        return [
            (t, (r := await raw_request(stack.gateway_url, t, headers=auth)).status, r.body) for t in WALKS
        ]

    for target, status, body in asyncio.run(walk()):
        assert status in (400, 404), (target, status, body[:200])
        assert b"http_requests_total" not in body and b'"openapi"' not in body, target
