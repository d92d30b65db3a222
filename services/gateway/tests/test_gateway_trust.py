"""Client addresses, rate-limit buckets, readiness and the headers every gateway answer carries."""

from typing import Any

import httpx
from gateway_support import Upstream, raw_request, running_gateway, serving, settings_for
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from cppcc_common.testing.servers import free_port
from cppcc_common.testing.tokens import TestIssuer
from cppcc_gateway.ratelimit import TokenBuckets

LOGIN = b"/api/v1/auth/login"


async def test_a_rotating_x_forwarded_for_does_not_defeat_the_login_limit(upstream: Upstream) -> None:
    async with running_gateway(settings_for(upstream.url, login_per_minute_per_ip=5)) as gateway:
        statuses = [
            (
                await raw_request(
                    gateway,
                    LOGIN,
                    method=b"POST",
                    headers=[(b"x-forwarded-for", f"198.51.100.{i}".encode())],
                    local_address="127.0.0.1",  # uvicorn's --proxy-headers trusted this peer
                )
            ).status
            for i in range(8)
        ]
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}, statuses


async def test_a_configured_proxy_names_the_client(upstream: Upstream) -> None:
    settings = settings_for(upstream.url, login_per_minute_per_ip=2, trusted_proxies=["127.0.0.5"])
    async with running_gateway(settings) as gateway:

        async def login(xff: bytes) -> tuple[int, list[str]]:
            r = await raw_request(
                gateway, LOGIN, method=b"POST", headers=[(b"x-forwarded-for", xff)], local_address="127.0.0.5"
            )
            seen = [
                bytes.fromhex(v).decode() for k, v in r.json().get("headers", []) if k == "x-forwarded-for"
            ]
            return r.status, seen

        assert await login(b"198.51.100.1") == (200, ["198.51.100.1"])
        assert await login(b"203.0.113.50, 198.51.100.2") == (200, ["198.51.100.2"])  # right-most untrusted
        assert (await login(b"198.51.100.1"))[0] == 200
        assert (await login(b"198.51.100.1"))[0] == 429  # that client's own budget


def test_rate_limit_buckets_do_not_reset_for_everyone_when_one_client_fills_them() -> None:
    buckets = TokenBuckets(rate_per_second=1.0, burst=2, max_keys=100)
    for _ in range(2):
        buckets.take("victim-target", now=0.0)
    assert buckets.take("victim-target", now=0.0) > 0
    for i in range(1000):  # an attacker with many addresses fills the table
        buckets.take(f"attacker-{i}", now=0.5)
        if i % 50 == 0:
            assert buckets.take("victim-target", now=0.5) > 0  # still limited
    assert len(buckets.buckets) <= 100


def test_rate_limit_buckets_evict_full_buckets_first() -> None:
    buckets = TokenBuckets(rate_per_second=0.1, burst=2, max_keys=10)
    buckets.take("limited", now=0.0)
    buckets.take("limited", now=0.0)
    for i in range(9):
        buckets.take(f"idle-{i}", now=0.0)
    assert buckets.take("limited", now=1.0) > 0  # now the least recently used is an idle one
    # By t=10 the idle ones have refilled, the limited one has not: a new key evicts only them.
    buckets.take("new", now=10.0)
    assert list(buckets.buckets) == ["limited", "new"]  # its state kept (1 token of 2)


async def test_gateway_readiness_is_503_only_when_it_cannot_serve(
    upstream: Upstream, issuer: TestIssuer
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    one_down = settings_for(upstream.url, notify_url=dead)
    async with running_gateway(one_down) as gateway, httpx.AsyncClient(base_url=gateway) as client:
        r = await client.get("/readyz")
        assert r.status_code == 200, r.text
        assert r.json()["upstreams"]["notify"] == "unavailable" and r.json()["status"] == "degraded"
    all_down = settings_for(dead, jwks_url=f"{upstream.url}/.well-known/jwks.json")
    async with running_gateway(all_down) as gateway, httpx.AsyncClient(base_url=gateway) as client:
        r = await client.get("/readyz")
        assert r.status_code == 503 and set(r.json()["upstreams"].values()) == {"unavailable"}
    no_keys = settings_for(upstream.url, jwks_url=f"{dead}/.well-known/jwks.json")
    async with running_gateway(no_keys) as gateway, httpx.AsyncClient(base_url=gateway) as client:
        r = await client.get("/readyz")
        assert r.status_code == 503 and r.json()["signing_keys"] == "unavailable"


async def test_a_gateway_ready_before_the_first_signing_key_accepts_the_first_token(
    upstream: Upstream, issuer: TestIssuer
) -> None:
    jwks: dict[str, Any] = {"keys": []}  # member-svc before its first sign-in
    keys = Starlette(routes=[Route("/jwks", lambda _: JSONResponse(jwks))])
    async with serving(keys) as keys_url:
        settings = settings_for(upstream.url, jwks_url=f"{keys_url}/jwks")
        async with running_gateway(settings) as gateway, httpx.AsyncClient(base_url=gateway) as client:
            assert (await client.get("/readyz")).status_code == 200
            jwks.update(issuer.jwks)  # the first sign-in creates a key
            r = await client.get("/api/v1/proposals", headers={"Authorization": f"Bearer {issuer.token()}"})
            assert r.status_code == 200, r.text


SECURITY = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
}


async def test_every_gateway_response_carries_the_security_headers_once(
    gateway: str, issuer: TestIssuer
) -> None:
    auth = [(b"authorization", f"Bearer {issuer.token()}".encode())]
    answers = [
        await raw_request(gateway, b"/api/v1/proposals", headers=auth),  # proxied
        await raw_request(gateway, b"/api/v1/nowhere", headers=auth),  # the gateway's own 404
        await raw_request(gateway, b"/api/v1/proposals"),  # 401
        await raw_request(gateway, b"/api/v1/proposals/%07", headers=auth),  # 400
        await raw_request(gateway, b"/healthz"),
        await raw_request(
            gateway, b"/api/v1/proposals", method=b"DELETE", headers=[*auth, (b"content-length", b"9999999")]
        ),
        await raw_request(
            gateway,
            b"/api/v1/proposals",
            method=b"OPTIONS",
            headers=[(b"origin", b"http://localhost:3000"), (b"access-control-request-method", b"GET")],
        ),
    ]
    for r in answers:
        for name, value in SECURITY.items():
            assert r.header(name.decode()) == [value], (r.status, name, r.headers)
        csp = b"".join(r.header("content-security-policy"))
        assert b"frame-ancestors 'none'" in csp, (r.status, r.headers)


async def test_the_gateway_metrics_need_the_metrics_token_in_production(upstream: Upstream) -> None:
    settings = settings_for(upstream.url, environment="production", metrics_token="s3cret-token")
    async with running_gateway(settings) as gateway, httpx.AsyncClient(base_url=gateway) as client:
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 404
        ok = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and b"http_requests_total" in ok.content
        assert (await client.get("/docs")).status_code == 200  # the merged docs page is public


async def test_published_proposals_pass_without_a_token_and_are_rate_limited_per_client_address(
    upstream: Upstream,
) -> None:
    """Rule 20: the public reads published proposals with no login; with no principal to limit, the
    gateway limits each client address; every other proposal path still needs a token."""
    settings = settings_for(
        upstream.url,
        public_requests_per_second_per_ip=0.001,
        public_requests_burst_per_ip=3,
        trusted_proxies=["127.0.0.5"],  # the ingress, which names each client
    )
    async with running_gateway(settings) as gateway:

        async def read(target: bytes, client: str) -> int:
            headers = [(b"x-forwarded-for", client.encode())]
            return (await raw_request(gateway, target, headers=headers, local_address="127.0.0.5")).status

        one = b"/api/v1/proposals/published/01a23034-ddf3-76cd-80be-fa962d02747f"
        listed = b"/api/v1/proposals/published?org_id=01a23034-ddf3-76cd-80be-fa962d02747f"
        statuses = [await read(t, "198.51.100.7") for t in (listed, one, listed, one, listed)]
        assert statuses == [200, 200, 200, 429, 429]
        assert await read(one, "198.51.100.8") == 200  # another client's own budget
        assert await read(b"/api/v1/proposals/01a23034-ddf3-76cd-80be-fa962d02747f", "198.51.100.9") == 401
        assert await read(b"/api/v1/proposals/publishedX", "198.51.100.9") == 401  # whole segments only


async def test_a_calendar_feed_passes_without_a_token_and_is_rate_limited_per_client_address(
    upstream: Upstream,
) -> None:
    """A member's iCalendar feed: its secret link is the credential (calendar apps send no token);
    the gateway limits each client address; the member's own calendar routes still need a token."""
    settings = settings_for(
        upstream.url,
        public_requests_per_second_per_ip=0.001,
        public_requests_burst_per_ip=2,
        trusted_proxies=["127.0.0.5"],
    )
    async with running_gateway(settings) as gateway:

        async def read(target: bytes, client: str) -> int:
            headers = [(b"x-forwarded-for", client.encode())]
            return (await raw_request(gateway, target, headers=headers, local_address="127.0.0.5")).status

        feed = b"/api/v1/consultations/calendar-feeds/Xz6z22q6VK7uj-6dcp9JyglwcBn9ZpCUow3bgZfTIxI.ics"
        assert [await read(feed, "198.51.100.17") for _ in range(3)] == [200, 200, 429]
        assert await read(feed, "198.51.100.18") == 200
        assert await read(b"/api/v1/consultations/me/calendar-feed", "198.51.100.19") == 401
        assert await read(b"/api/v1/consultations/calendar-feedsX/a.ics", "198.51.100.19") == 401
