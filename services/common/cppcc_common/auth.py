"""Token verification and route permissions (DESIGN.md §6).

Every service verifies the access token itself (EdDSA JWT, keys from member-svc's JWKS, cached
for `ttl` and refreshed on an unknown key id). Keys that cannot be fetched are an outage (503
`auth.keys_unavailable`), never a reason to call a valid token invalid. The JWKS also lists the
partner clients revoked recently (`revoked_subjects`); their tokens are refused.

Every route declares a `Permission` naming the roles it admits; default is deny, and
`assert_routes_declare_permissions` (run by each service's tests) fails on a route without one
or with one that admits "any authenticated caller" without naming roles. Public routes say so
with `PUBLIC`.
"""

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import jwt
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from jwt import PyJWK

from cppcc_common.clock import Clock, SystemClock
from cppcc_common.errors import Forbidden, ServiceUnavailable, Unauthenticated
from cppcc_common.text import Text

ROLES = frozenset({"member", "staff", "leader", "unit_user", "admin", "partner"})
# The roles of people signing in to the app or the web console; partner systems are not people.
PEOPLE = frozenset({"member", "staff", "leader", "unit_user", "admin"})
# Seconds a client should wait before retrying while verification keys are unavailable.
KEYS_RETRY_AFTER = 5


class KeysUnavailable(ServiceUnavailable):
    """The verification keys cannot be loaded: the token may well be valid, so this is 503, not 401."""

    code = "auth.keys_unavailable"
    detail = Text(
        "暂时无法验证登录状态，请稍后重试。", "Sign-ins cannot be verified right now; retry shortly."
    )

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": str(KEYS_RETRY_AFTER)})


@dataclass(frozen=True)
class Principal:
    """Who is calling: person (or partner client) id, organization, roles, unit, scopes."""

    sub: UUID
    org: UUID
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    unit: UUID | None = None
    # The sign-in session the token belongs to (member-svc's refresh-token family, claim `sid`):
    # what a device registered with this token is bound to (notify-svc removes it at sign-out).
    session: UUID | None = None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class KeySource:
    """Where verification keys (and the revoked subjects) come from.

    `get` answers the key or None (unknown: 401) and raises `KeysUnavailable` when it cannot tell.
    """

    async def get(self, kid: str) -> PyJWK | None:
        raise NotImplementedError

    async def revoked(self, sub: UUID) -> bool:
        """Whether the subject (a partner client) was revoked; tokens it holds are refused."""
        return False


class StaticKeySource(KeySource):
    """Keys given directly (tests)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.keys = {k["kid"]: PyJWK(k) for k in jwks.get("keys", [])}
        self.revoked_subjects = _revoked_subjects(jwks)

    async def get(self, kid: str) -> PyJWK | None:
        return self.keys.get(kid)

    async def revoked(self, sub: UUID) -> bool:
        return sub in self.revoked_subjects


def _revoked_subjects(jwks: dict[str, Any]) -> frozenset[UUID]:
    # RFC 7517 §5 lets a JWK Set carry members a verifier does not know; ours lists revoked clients.
    return frozenset(UUID(str(s)) for s in jwks.get("revoked_subjects", []))


class JwksKeySource(KeySource):
    """Fetches a JWKS over HTTP and trusts it for `ttl` seconds of the injectable clock.

    After `ttl / 2` (or on an unknown kid, at most every `min_refresh` s) it refetches; a failed
    refetch keeps the fetched keys until `ttl` has passed, so a brief JWKS outage is invisible and
    a retired key stops verifying within `ttl`. With no trusted keys and no JWKS, or an unknown kid
    while the JWKS is unreachable, it raises `KeysUnavailable` (503), never answers "unknown".
    """

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 300.0,
        min_refresh: float = 10.0,
        client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.url = url
        self.ttl = ttl
        self.min_refresh = min_refresh
        self.client = client
        self.clock = clock or SystemClock()
        self.keys: dict[str, PyJWK] = {}
        self.revoked_subjects: frozenset[UUID] = frozenset()
        self.fetched_at: float | None = None  # when the keys held were fetched
        self.attempted_at: float | None = None  # when a fetch was last tried
        self.last_failed = False
        self._lock = asyncio.Lock()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _age(self, since: float | None, now: float | None = None) -> float:
        """Seconds since `since`; never, or a clock set back before it, counts as long ago."""
        age = (self._now() if now is None else now) - since if since is not None else -1.0
        return age if age >= 0 else float("inf")

    @property
    def loaded(self) -> bool:
        """Whether keys fetched within `ttl` are held (readiness: this process can verify tokens)."""
        return self._loaded_at(self._now())

    def _loaded_at(self, now: float) -> bool:
        return self._age(self.fetched_at, now) < self.ttl

    async def _fetch(self) -> dict[str, Any]:
        client = self.client or httpx.AsyncClient(timeout=5.0)
        try:
            response = await client.get(self.url)
            response.raise_for_status()
            data = response.json()
        finally:
            if self.client is None:
                await client.aclose()
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise ValueError("not a JWK Set")
        return data

    async def _refresh(self) -> None:
        self.attempted_at = self._now()
        try:
            data = await self._fetch()
            keys = {k["kid"]: PyJWK(k) for k in data["keys"] if k.get("kty") == "OKP"}
            revoked = _revoked_subjects(data)
        except (httpx.HTTPError, ValueError, TypeError, KeyError, AttributeError, jwt.PyJWTError):
            self.last_failed = True
            return
        self.keys, self.revoked_subjects = keys, revoked
        self.fetched_at, self.last_failed = self.attempted_at, False

    def _wants_refresh(self, kid: str | None, now: float | None = None) -> bool:
        # Attempts are spaced by `min_refresh`, but never so far apart that the keys expire (ttl)
        # before the periodic refetch (ttl / 2) had a second chance: a short cache time still works.
        now = self._now() if now is None else now
        if self._age(self.attempted_at, now) < min(self.min_refresh, self.ttl / 4):
            return False
        if self._age(self.fetched_at, now) >= self.ttl / 2:
            return True
        return kid is not None and kid not in self.keys

    async def _current(self, kid: str | None) -> dict[str, PyJWK]:
        """The trusted keys, refreshed if due; raises KeysUnavailable when none can be trusted."""
        # The clock is read once on the common path (every request asks): it was read four times.
        now = self._now()
        # While another request refetches, one whose key is already trusted need not wait for it.
        usable = self._loaded_at(now) and (kid is None or kid in self.keys)
        # Without a usable key, wait for a refetch in flight (it may bring the keys) rather than
        # answer 503 while it runs; with one, only a due refetch is started, and never waited for.
        if not usable or (self._wants_refresh(kid, now) and not self._lock.locked()):
            async with self._lock:
                if self._wants_refresh(kid):
                    await self._refresh()
            now = self._now()
        if not self._loaded_at(now):
            raise KeysUnavailable()
        return self.keys

    async def ready(self) -> bool:
        """Whether trusted keys are held, fetching them if due (for a readiness probe)."""
        try:
            await self._current(None)
        except KeysUnavailable:
            return False
        return True

    async def get(self, kid: str) -> PyJWK | None:
        keys = await self._current(kid)
        if kid not in keys and self.last_failed:
            raise KeysUnavailable()  # perhaps a new key we could not fetch: do not call it invalid
        return keys.get(kid)

    async def revoked(self, sub: UUID) -> bool:
        await self._current(None)
        return sub in self.revoked_subjects


_INVALID = Text("访问令牌无效或已过期。", "The access token is invalid or expired.")


@dataclass(frozen=True, slots=True)
class _Verified:
    """A token whose signature, issuer and audience were checked: what it says and which key signed it."""

    principal: Principal
    kid: str
    key: PyJWK
    iat: float
    exp: float


# Verified tokens remembered per process (an entry is a few hundred bytes; 10,000 is a few MB).
VERIFIED_CACHE_SIZE = 10_000


class TokenVerifier:
    """Verifies access tokens; expiry is judged by the injectable clock (tests move time).

    A token's signature is checked once: the outcome is remembered (bounded LRU keyed by the
    token's SHA-256) and a repeat is answered after re-checking, on every request, everything that
    can change during its lifetime: the expiry window by the clock, that its key is still the very
    key object the key source holds (a retired key, or a refetched key set, falls back to a full
    verification), and the partner revocation list. Only successes are remembered.
    """

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: float = 30.0,
        clock: Clock | None = None,
        cache_size: int = VERIFIED_CACHE_SIZE,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.clock = clock or SystemClock()
        self.cache_size = cache_size
        self._verified: OrderedDict[bytes, _Verified] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        """Checks signature, algorithm, issuer, audience, expiry and revocation; returns the principal.

        Raises `Unauthenticated` (401) for a bad token, `KeysUnavailable` (503) when keys cannot be loaded.
        """
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        entry = self._verified.get(digest)
        if entry is not None:
            if await self.keys.get(entry.kid) is entry.key:
                self._verified.move_to_end(digest)
                return await self._admit(entry)
            del self._verified[digest]  # key retired or replaced: verify from scratch
        entry = await self._verify_signature(token)
        principal = await self._admit(entry)
        if self.cache_size > 0:
            self._verified[digest] = entry
            if len(self._verified) > self.cache_size:
                self._verified.popitem(last=False)
        return principal

    async def _admit(self, entry: _Verified) -> Principal:
        """What may change while a verified token lives: the time, and a partner's revocation."""
        now = self.clock.now().timestamp()
        if not (entry.iat - self.leeway <= now < entry.exp + self.leeway):
            raise Unauthenticated(_INVALID)
        principal = entry.principal
        if principal.has_role("partner") and await self.keys.revoked(principal.sub):
            raise Unauthenticated(_INVALID)
        return principal

    async def _verify_signature(self, token: str) -> _Verified:
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            if header.get("alg") != "EdDSA" or not isinstance(kid, str):
                raise Unauthenticated(_INVALID)
            key = await self.keys.get(kid)
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
            principal = Principal(
                sub=UUID(claims["sub"]),
                org=UUID(claims["org"]),
                roles=frozenset(r for r in claims.get("roles", []) if r in ROLES),
                scopes=frozenset(claims.get("scopes", [])),
                unit=UUID(claims["unit"]) if claims.get("unit") else None,
                session=UUID(claims["sid"]) if claims.get("sid") else None,
            )
            return _Verified(principal, kid, key, float(claims["iat"]), float(claims["exp"]))
        except (jwt.PyJWTError, ValueError, TypeError, KeyError, AttributeError) as exc:
            # AttributeError: an id claim that is no string (`"sid": 5`; UUID() calls .replace on it).
            raise Unauthenticated(_INVALID) from exc


def bearer_token(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


Rule = Callable[[Principal], bool]


class Permission:
    """A route's declared permission: a FastAPI dependency returning the verified Principal.

    `Permission("proposal.submit", roles={"member"})` admits a principal with any of the roles
    (and, if `scopes` is given, any of the scopes); `rule` adds a custom predicate. Every
    permission names its roles: one without is refused by the route walk, since it would admit
    any caller with a token, partner systems included.
    """

    def __init__(
        self,
        name: str,
        *,
        roles: Iterable[str] | None = None,
        scopes: Iterable[str] | None = None,
        rule: Rule | None = None,
    ) -> None:
        unknown = set(roles or ()) - ROLES
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)} in permission {name!r}")
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
# Any person signed in (every human role, named); partner clients are not admitted.
SIGNED_IN = Permission("signed_in", roles=PEOPLE)
AUTHENTICATED = SIGNED_IN  # the earlier name; it too names the human roles only


def _permissions_of(dependant: Any) -> list[Permission]:
    found = [dependant.call] if isinstance(dependant.call, Permission) else []
    for sub in dependant.dependencies:
        found.extend(_permissions_of(sub))
    return found


def _route_contexts(app: FastAPI) -> list[tuple[str, list[Permission]]]:
    return [
        (f"{sorted(c.methods or ())} {c.path}", _permissions_of(c.dependant))
        for c in iter_route_contexts(app.routes)
        if isinstance(c.original_route, APIRoute)
    ]


def routes_without_permission(app: FastAPI) -> list[str]:
    """Every API route of the app that declares no Permission (should be empty).

    Walks the effective routes (included routers flattened, with the dependencies they were
    included with), which is what FastAPI actually serves.
    """
    return [route for route, permissions in _route_contexts(app) if not permissions]


def routes_admitting_any_caller(app: FastAPI) -> list[str]:
    """Routes whose permissions name no roles, so any token would do (should be empty)."""
    return [
        route
        for route, permissions in _route_contexts(app)
        if permissions and not any(p.public or p.roles for p in permissions)
    ]


def routes_naming(app: FastAPI, role: str) -> list[str]:
    """Non-public routes a caller with only `role` may reach: every permission on the way names it."""
    return [
        route
        for route, permissions in _route_contexts(app)
        if any(role in p.roles for p in permissions) and all(p.public or role in p.roles for p in permissions)
    ]


def assert_routes_declare_permissions(app: FastAPI) -> None:
    missing = routes_without_permission(app)
    assert not missing, f"routes without a declared permission: {missing}"
    unnamed = routes_admitting_any_caller(app)
    assert not unnamed, f"routes admitting any authenticated caller without naming roles: {unnamed}"
