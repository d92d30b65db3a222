"""Token verification and route permissions."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import uuid4

import httpx
import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st

from cppcc_common.auth import (
    PUBLIC,
    SIGNED_IN,
    JwksKeySource,
    KeySource,
    KeysUnavailable,
    Permission,
    Principal,
    TokenVerifier,
    assert_routes_declare_permissions,
    routes_admitting_any_caller,
    routes_naming,
    routes_without_permission,
)
from cppcc_common.clock import FakeClock
from cppcc_common.error_handlers import install_error_handlers
from cppcc_common.errors import Unauthenticated
from cppcc_common.testing.tokens import JwksServer, TestIssuer

issuer = TestIssuer()


def _verifier(source: Any = None, clock: FakeClock | None = None) -> TokenVerifier:
    return TokenVerifier(
        source or issuer.key_source(), issuer=issuer.issuer, audience=issuer.audience, clock=clock
    )


async def test_a_valid_token_gives_the_principal() -> None:
    sub, org, unit = uuid4(), uuid4(), uuid4()
    principal = await _verifier().verify(
        issuer.token(sub=sub, org=org, roles=["unit_user", "bogus"], scopes=["proposals"], unit=unit)
    )
    assert principal == Principal(
        sub=sub, org=org, roles=frozenset({"unit_user"}), scopes=frozenset({"proposals"}), unit=unit
    )


async def test_a_tokens_session_claim_names_its_sign_in_session() -> None:
    session = uuid4()
    assert (await _verifier().verify(issuer.token(sid=str(session)))).session == session
    assert (await _verifier().verify(issuer.token())).session is None  # a token naming none


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
        issuer.token(sid="not-a-uuid"),
        issuer.token(sid="\x00"),
        issuer.token(sid=5),  # an id claim that is no string at all
        issuer.token(sid=[str(uuid4())]),
        issuer.token(unit={"id": str(uuid4())}),
        "not.a.jwt",
        "",
    ],
    # Named, not shown: a token is random, and parallel workers must collect the same ids.
    ids=[
        "expired",
        "audience",
        "issuer",
        "unknown-key",
        "hs256",
        "sub",
        "sid",
        "sid-nul",
        "sid-number",
        "sid-list",
        "unit-object",
        "not-a-jwt",
        "empty",
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


def _app(source: KeySource | None = None) -> FastAPI:
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
        verifier = _verifier(source)

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

    @router.get("/declared", dependencies=[Depends(SIGNED_IN)])
    async def declared() -> None: ...

    @router.get("/forgotten")
    async def forgotten() -> None: ...

    app.include_router(router)
    assert routes_without_permission(app) == ["['GET'] /forgotten"]


def test_a_route_admitting_any_authenticated_caller_fails_the_route_walk() -> None:
    app = FastAPI()

    @app.get("/named", dependencies=[Depends(Permission("thing.read", roles={"member"}))])
    async def named() -> None: ...

    @app.get("/anyone", dependencies=[Depends(Permission("thing.list"))])
    async def anyone() -> None: ...

    @app.get("/anyone-by-rule", dependencies=[Depends(Permission("x", rule=lambda p: p.has_scope("s")))])
    async def anyone_by_rule() -> None: ...

    assert routes_admitting_any_caller(app) == ["['GET'] /anyone", "['GET'] /anyone-by-rule"]
    assert routes_naming(app, "member") == ["['GET'] /named"] and routes_naming(app, "partner") == []
    with pytest.raises(AssertionError, match="without naming roles"):
        assert_routes_declare_permissions(app)


def test_signed_in_names_every_human_role_and_no_partner() -> None:
    person = Principal(sub=uuid4(), org=uuid4(), roles=frozenset({"unit_user"}))
    partner = Principal(sub=uuid4(), org=uuid4(), roles=frozenset({"partner"}))
    assert SIGNED_IN.allows(person) and not SIGNED_IN.allows(partner)
    with pytest.raises(ValueError):
        Permission("typo", roles={"staf"})


async def test_jwks_cache_time_is_judged_by_the_injectable_clock() -> None:
    """A retired key (gone from the JWKS) stops verifying once the cache time has passed."""
    clock = FakeClock(datetime.now(UTC))
    with JwksServer(issuer.jwks) as server:
        verifier = _verifier(JwksKeySource(server.url, ttl=300, clock=clock), clock)
        token = issuer.token(ttl=3600)
        await verifier.verify(token)
        server.jwks = {"keys": []}  # the key is retired
        await verifier.verify(token)  # still within the cache time
        clock.advance(timedelta(seconds=301))
        with pytest.raises(Unauthenticated):
            await verifier.verify(token)


@pytest.mark.parametrize("fault", ["down", "answers_500", "not_a_jwks"])
async def test_an_unreachable_jwks_is_an_outage_not_a_logout(fault: str) -> None:
    """A freshly started service that cannot fetch keys answers 503 (Retry-After), never 401."""
    with JwksServer(issuer.jwks) as server:
        if fault == "down":
            server.stop()
        elif fault == "answers_500":
            server.status = 500
        else:
            server.jwks = {"nope": 1}
        app = _app(JwksKeySource(server.url))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.get("/review", headers=issuer.headers(roles=["staff"], scopes=["proposals"]))
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "auth.keys_unavailable" and int(r.headers["retry-after"]) > 0


async def test_an_unknown_key_with_a_reachable_jwks_stays_unauthenticated() -> None:
    with JwksServer(issuer.jwks) as server:
        app = _app(JwksKeySource(server.url))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.get("/review", headers=TestIssuer().headers(roles=["staff"], scopes=["proposals"]))
        assert r.status_code == 401


async def test_keys_outlive_a_brief_jwks_outage_but_not_the_cache_time() -> None:
    clock = FakeClock(datetime.now(UTC))
    with JwksServer(issuer.jwks) as server:
        verifier = _verifier(JwksKeySource(server.url, ttl=300, min_refresh=10, clock=clock), clock)
        token = issuer.token(ttl=3600)
        await verifier.verify(token)
        server.status = 500
        clock.advance(timedelta(seconds=200))  # past half the cache time: refetch fails, keys kept
        await verifier.verify(token)
        with pytest.raises(KeysUnavailable):  # a key we could not fetch is not called invalid
            await verifier.verify(TestIssuer().token())
        clock.advance(timedelta(seconds=101))
        with pytest.raises(KeysUnavailable):
            await verifier.verify(token)
        server.status = 200
        clock.advance(timedelta(seconds=10))
        await verifier.verify(token)  # the JWKS is back: so are the keys


async def test_requests_arriving_while_expired_keys_are_refetched_wait_for_them_not_503() -> None:
    """Found by make bench: after an idle spell longer than the cache time, the requests that
    arrived while the first one refetched the keys were answered 503."""
    clock = FakeClock(datetime.now(UTC))
    with JwksServer(issuer.jwks) as server:
        verifier = _verifier(JwksKeySource(server.url, ttl=300, clock=clock), clock)
        tokens = [issuer.token(ttl=3600, sub=uuid4()) for _ in range(20)]
        await verifier.verify(tokens[0])
        clock.advance(timedelta(seconds=301))  # idle past the cache time: the keys have lapsed
        server.delay = 0.2
        principals = await asyncio.gather(*(verifier.verify(t) for t in tokens))
        assert len(principals) == 20 and server.requests == 2


async def test_a_cache_time_shorter_than_the_refetch_spacing_still_keeps_keys_fresh() -> None:
    clock = FakeClock(datetime.now(UTC))
    with JwksServer(issuer.jwks) as server:
        verifier = _verifier(JwksKeySource(server.url, ttl=2, min_refresh=10, clock=clock), clock)
        token = issuer.token(ttl=3600)
        for _ in range(10):  # every second for 10 s: the keys never lapse into "unavailable"
            await verifier.verify(token)
            clock.advance(timedelta(seconds=1))


async def test_a_revoked_partner_clients_tokens_are_refused_once_the_jwks_lists_it() -> None:
    clock = FakeClock(datetime.now(UTC))
    partner, person = uuid4(), uuid4()
    with JwksServer(issuer.jwks) as server:
        verifier = _verifier(JwksKeySource(server.url, ttl=300, clock=clock), clock)
        token = issuer.token(sub=partner, roles=["partner"], unit=uuid4())
        await verifier.verify(token)
        server.jwks = {**issuer.jwks, "revoked_subjects": [str(partner)]}
        clock.advance(timedelta(seconds=301))
        with pytest.raises(Unauthenticated):
            await verifier.verify(token)
        assert (await verifier.verify(issuer.token(sub=person))).sub == person


async def test_a_clock_set_back_does_not_freeze_the_jwks_cache() -> None:
    clock = FakeClock(datetime.now(UTC))
    with JwksServer(issuer.jwks) as server:
        verifier = _verifier(JwksKeySource(server.url, ttl=300, clock=clock))  # token expiry: real time
        await verifier.verify(issuer.token())
        clock.advance(timedelta(days=-1))
        rotated = TestIssuer()
        server.jwks = {"keys": issuer.jwks["keys"] + rotated.jwks["keys"]}
        assert await verifier.verify(rotated.token())  # refetched although "fetched tomorrow"


# The verification cache: a token's signature is checked once, everything that can change is not.


class _DecodeCounter:
    """Counts PyJWT signature verifications (the work the cache saves)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = jwt.decode

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(jwt, "decode", counting)


async def test_a_tokens_signature_is_verified_once_per_lifetime(monkeypatch: pytest.MonkeyPatch) -> None:
    decodes = _DecodeCounter(monkeypatch)
    verifier = _verifier()
    token = issuer.token(roles=["staff"], scopes=["proposals"])
    first = await verifier.verify(token)
    for _ in range(5):
        assert await verifier.verify(token) == first
    assert decodes.calls == 1


async def test_a_remembered_token_still_expires_by_the_injectable_clock() -> None:
    clock = FakeClock(datetime.now(UTC))
    verifier = _verifier(clock=clock)
    token = issuer.token(ttl=60)
    await verifier.verify(token)
    clock.advance(timedelta(seconds=60 + 29))  # within the leeway of 30 s
    await verifier.verify(token)
    clock.advance(timedelta(seconds=2))
    with pytest.raises(Unauthenticated):
        await verifier.verify(token)
    clock.advance(timedelta(days=-1))  # a token "issued tomorrow" is refused from the cache too
    with pytest.raises(Unauthenticated):
        await verifier.verify(token)


async def test_a_remembered_token_stops_when_its_key_is_retired_or_replaced() -> None:
    clock = FakeClock(datetime.now(UTC))
    impostor = TestIssuer()
    same_kid = {"keys": [{**impostor.jwks["keys"][0], "kid": issuer.kid}]}
    for retired in ({"keys": []}, same_kid):
        with JwksServer(issuer.jwks) as server:
            verifier = _verifier(JwksKeySource(server.url, ttl=300, clock=clock), clock)
            token = issuer.token(ttl=3600)
            await verifier.verify(token)
            server.jwks = retired
            await verifier.verify(token)  # within the JWKS cache time
            clock.advance(timedelta(seconds=301))
            with pytest.raises(Unauthenticated):
                await verifier.verify(token)


async def test_a_remembered_partner_token_stops_when_the_partner_is_revoked() -> None:
    clock = FakeClock(datetime.now(UTC))
    partner = uuid4()
    with JwksServer(issuer.jwks) as server:
        verifier = _verifier(JwksKeySource(server.url, ttl=300, clock=clock), clock)
        token = issuer.token(sub=partner, roles=["partner"], unit=uuid4())
        await verifier.verify(token)
        await verifier.verify(token)
        server.jwks = {**issuer.jwks, "revoked_subjects": [str(partner)]}
        clock.advance(timedelta(seconds=301))
        with pytest.raises(Unauthenticated):
            await verifier.verify(token)


async def test_the_verification_cache_is_bounded_and_forgets_the_least_recent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decodes = _DecodeCounter(monkeypatch)
    verifier = TokenVerifier(
        issuer.key_source(), issuer=issuer.issuer, audience=issuer.audience, cache_size=3
    )
    tokens = [issuer.token() for _ in range(10)]
    for token in tokens:
        await verifier.verify(token)
    assert len(verifier._verified) == 3
    await verifier.verify(tokens[-1])  # still remembered
    assert decodes.calls == 10
    await verifier.verify(tokens[0])  # forgotten: verified again
    assert decodes.calls == 11 and len(verifier._verified) == 3


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.characters(codec="ascii"))
async def test_a_verified_token_never_vouches_for_a_different_token(position: int, replacement: str) -> None:
    """Any token differing from a remembered one in any character is verified on its own."""
    verifier = _verifier()
    token = issuer.token(roles=["member"])
    await verifier.verify(token)
    i = position % len(token)
    altered = token[:i] + replacement + token[i + 1 :]
    if altered == token:
        return
    try:
        principal = await verifier.verify(altered)
    except Unauthenticated:
        return
    # Base64url slack bits can leave the decoded token unchanged: then it must say the same.
    assert principal == await verifier.verify(token)
