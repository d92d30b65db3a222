"""Token verification and route permissions."""

from typing import Annotated, Any
from uuid import uuid4

import httpx
import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI

from cppcc_common.auth import (
    AUTHENTICATED,
    PUBLIC,
    JwksKeySource,
    Permission,
    Principal,
    TokenVerifier,
    routes_without_permission,
)
from cppcc_common.errors import Unauthenticated, install_error_handlers
from cppcc_common.testing.tokens import TestIssuer

issuer = TestIssuer()


def _verifier(source: Any = None) -> TokenVerifier:
    return TokenVerifier(source or issuer.key_source(), issuer=issuer.issuer, audience=issuer.audience)


async def test_a_valid_token_gives_the_principal() -> None:
    sub, org, unit = uuid4(), uuid4(), uuid4()
    principal = await _verifier().verify(
        issuer.token(sub=sub, org=org, roles=["unit_user", "bogus"], scopes=["proposals"], unit=unit)
    )
    assert principal == Principal(
        sub=sub, org=org, roles=frozenset({"unit_user"}), scopes=frozenset({"proposals"}), unit=unit
    )


@pytest.mark.parametrize(
    "token",
    [
        issuer.token(ttl=-120),  # expired
        issuer.token(aud="someone-else"),  # wrong audience
        issuer.token(iss="evil"),  # wrong issuer
        TestIssuer().token(),  # signed by an unknown key
        jwt.encode(
            {"sub": str(uuid4()), "org": str(uuid4())},
            "s" * 32,
            algorithm="HS256",
            headers={"kid": issuer.kid},
        ),  # algorithm confusion
        issuer.token(sub="not-a-uuid"),
        "not.a.jwt",
        "",
    ],
)
async def test_bad_tokens_are_unauthenticated(token: str) -> None:
    with pytest.raises(Unauthenticated):
        await _verifier().verify(token)


async def test_jwks_is_fetched_and_refetched_for_a_new_key() -> None:
    current = {"jwks": issuer.jwks}
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json=current["jwks"])

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    source = JwksKeySource("http://member/.well-known/jwks.json", client=client, min_refresh=0)
    verifier = _verifier(source)
    await verifier.verify(issuer.token())
    await verifier.verify(issuer.token())
    assert len(calls) == 1  # cached
    rotated = TestIssuer()
    current["jwks"] = {"keys": issuer.jwks["keys"] + rotated.jwks["keys"]}
    await verifier.verify(rotated.token())  # unknown kid: refetched
    assert len(calls) == 2


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    staff_only = Permission("thing.review", roles={"staff"}, scopes={"proposals"})

    @app.get("/open", dependencies=[Depends(PUBLIC)])
    async def open_route() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/review")
    async def review(principal: Annotated[Principal, Depends(staff_only)]) -> dict[str, str]:
        return {"sub": str(principal.sub)}

    class Runtime:
        verifier = _verifier()

    app.state.runtime = Runtime()
    return app


async def test_permissions_deny_by_default_and_admit_by_role_and_scope() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as c:
        assert (await c.get("/open")).status_code == 200
        r = await c.get("/review")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert (await c.get("/review", headers=issuer.headers(roles=["member"]))).status_code == 403
        assert (await c.get("/review", headers=issuer.headers(roles=["staff"]))).status_code == 403
        ok = await c.get("/review", headers=issuer.headers(roles=["staff"], scopes=["proposals"]))
        assert ok.status_code == 200


def test_the_route_walk_finds_routes_without_a_permission() -> None:
    app = FastAPI()
    router = APIRouter()

    @router.get("/declared", dependencies=[Depends(AUTHENTICATED)])
    async def declared() -> None: ...

    @router.get("/forgotten")
    async def forgotten() -> None: ...

    app.include_router(router)
    assert routes_without_permission(app) == ["['GET'] /forgotten"]
