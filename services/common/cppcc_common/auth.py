"""Token verification and route permissions (DESIGN.md §6).

Every service verifies the access token itself (EdDSA JWT, keys from member-svc's JWKS, cached
and refreshed on an unknown key id). Every route declares a `Permission` dependency; default is
deny, and `assert_routes_declare_permissions` (run by each service's tests) fails on a route
without one. Public routes say so with `PUBLIC`.
"""

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import jwt
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from jwt import PyJWK

from cppcc_common.clock import Clock, SystemClock
from cppcc_common.errors import Forbidden, Unauthenticated
from cppcc_common.i18n import Text

ROLES = frozenset({"member", "staff", "leader", "unit_user", "admin", "partner"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: person (or partner client) id, organization, roles, unit, scopes."""

    sub: UUID
    org: UUID
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    unit: UUID | None = None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class KeySource:
    """Where verification keys come from."""

    async def get(self, kid: str) -> PyJWK | None:
        raise NotImplementedError


class StaticKeySource(KeySource):
    """Keys given directly (member-svc verifying its own tokens, tests)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.keys = {k["kid"]: PyJWK(k) for k in jwks.get("keys", [])}

    async def get(self, kid: str) -> PyJWK | None:
        return self.keys.get(kid)


class JwksKeySource(KeySource):
    """Fetches a JWKS over HTTP; caches it; refetches on an unknown kid at most every `min_refresh` s."""

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 300.0,
        min_refresh: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.ttl = ttl
        self.min_refresh = min_refresh
        self.client = client
        self.keys: dict[str, PyJWK] = {}
        self.fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        client = self.client or httpx.AsyncClient(timeout=5.0)
        try:
            response = await client.get(self.url)
            response.raise_for_status()
            data = response.json()
        finally:
            if self.client is None:
                await client.aclose()
        self.keys = {k["kid"]: PyJWK(k) for k in data.get("keys", []) if k.get("kty") == "OKP"}
        self.fetched_at = time.monotonic()

    async def get(self, kid: str) -> PyJWK | None:
        age = time.monotonic() - self.fetched_at
        if kid in self.keys and age < self.ttl:
            return self.keys[kid]
        async with self._lock:
            age = time.monotonic() - self.fetched_at
            if (kid not in self.keys or age >= self.ttl) and age >= self.min_refresh:
                # Keep the cached keys on failure; an unknown kid then fails as unauthenticated.
                with contextlib.suppress(httpx.HTTPError, ValueError, json.JSONDecodeError):
                    await self._refresh()
        return self.keys.get(kid)


_INVALID = Text("访问令牌无效或已过期。", "The access token is invalid or expired.")


class TokenVerifier:
    """Verifies access tokens; expiry is judged by the injectable clock (tests move time)."""

    def __init__(
        self, keys: KeySource, *, issuer: str, audience: str, leeway: float = 30.0, clock: Clock | None = None
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.clock = clock or SystemClock()

    async def verify(self, token: str) -> Principal:
        """Checks signature, algorithm, issuer, audience and expiry; returns the principal."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "EdDSA" or not isinstance(header.get("kid"), str):
                raise Unauthenticated(_INVALID)
            key = await self.keys.get(header["kid"])
            if key is None:
                raise Unauthenticated(_INVALID)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["EdDSA"],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require": ["exp", "iat", "sub", "org"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
            now = self.clock.now().timestamp()
            if not (float(claims["iat"]) - self.leeway <= now < float(claims["exp"]) + self.leeway):
                raise Unauthenticated(_INVALID)
            return Principal(
                sub=UUID(claims["sub"]),
                org=UUID(claims["org"]),
                roles=frozenset(r for r in claims.get("roles", []) if r in ROLES),
                scopes=frozenset(claims.get("scopes", [])),
                unit=UUID(claims["unit"]) if claims.get("unit") else None,
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            raise Unauthenticated(_INVALID) from exc


def bearer_token(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


Rule = Callable[[Principal], bool]


class Permission:
    """A route's declared permission: a FastAPI dependency returning the verified Principal.

    `Permission("proposal.submit", roles={"member"})` admits a principal with any of the roles
    (and, if `scopes` is given, any of the scopes); `rule` adds a custom predicate.
    """

    def __init__(
        self,
        name: str,
        *,
        roles: set[str] | None = None,
        scopes: set[str] | None = None,
        rule: Rule | None = None,
    ) -> None:
        self.name = name
        self.roles = frozenset(roles or ())
        self.scopes = frozenset(scopes or ())
        self.rule = rule
        self.public = False

    def allows(self, principal: Principal) -> bool:
        if self.roles and not principal.roles.intersection(self.roles):
            return False
        if self.scopes and not principal.scopes.intersection(self.scopes):
            return False
        return self.rule(principal) if self.rule else True

    async def __call__(self, request: Request) -> Principal:
        token = bearer_token(request)
        if token is None:
            raise Unauthenticated(headers={"WWW-Authenticate": "Bearer"})
        verifier: TokenVerifier = request.app.state.runtime.verifier
        principal = await verifier.verify(token)
        if not self.allows(principal):
            raise Forbidden()
        request.state.principal = principal
        return principal

    def __repr__(self) -> str:
        return f"Permission({self.name!r})"


class _Public(Permission):
    def __init__(self) -> None:
        super().__init__("public")
        self.public = True

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        return None


PUBLIC = _Public()
AUTHENTICATED = Permission("authenticated")


def _permissions_of(dependant: Any) -> list[Permission]:
    found = [dependant.call] if isinstance(dependant.call, Permission) else []
    for sub in dependant.dependencies:
        found.extend(_permissions_of(sub))
    return found


def routes_without_permission(app: FastAPI) -> list[str]:
    """Every API route of the app that declares no Permission (should be empty).

    Walks the effective routes (included routers flattened, with the dependencies they were
    included with), which is what FastAPI actually serves.
    """
    missing = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and not _permissions_of(context.dependant):
            missing.append(f"{sorted(context.methods or ())} {context.path}")
    return missing


def assert_routes_declare_permissions(app: FastAPI) -> None:
    missing = routes_without_permission(app)
    assert not missing, f"routes without a declared permission: {missing}"
