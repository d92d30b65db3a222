"""A freshly started gateway that cannot fetch the JWKS says "outage" (503), not "logged out" (401)."""

import httpx
import pytest
from fastapi import FastAPI

from cppcc_common.testing.tokens import JwksServer, TestIssuer
from cppcc_gateway.main import create_app
from cppcc_gateway.settings import Settings


async def _get_me(app: FastAPI, headers: dict[str, str]) -> httpx.Response:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            return await client.get("/api/v1/me", headers=headers)


@pytest.mark.parametrize("fault", ["down", "answers_500"])
async def test_a_gateway_without_reachable_keys_answers_503_not_401(fault: str) -> None:
    issuer = TestIssuer()
    with JwksServer(issuer.jwks) as jwks:
        if fault == "down":
            jwks.stop()
        else:
            jwks.status = 500
        r = await _get_me(create_app(Settings(jwks_url=jwks.url)), issuer.headers())
    assert r.status_code == 503 and r.json()["code"] == "auth.keys_unavailable"
    assert int(r.headers["retry-after"]) > 0


async def test_a_gateway_with_reachable_keys_refuses_an_unknown_key_with_401() -> None:
    with JwksServer(TestIssuer().jwks) as jwks:
        r = await _get_me(create_app(Settings(jwks_url=jwks.url)), TestIssuer().headers())
    assert r.status_code == 401
