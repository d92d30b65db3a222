"""Pure ASGI middleware (cheap on the hot path): request id, trace id, metrics, access log, body cap,
the client address behind trusted proxies, security headers, and private operational routes.

`install_common_middleware` installs `EdgeMiddleware`, the one outer layer every process (services
and gateway) shares: each of those concerns used to be a layer of its own, each wrapping `send`
again; one layer with one send wrapper and one pass over the request headers costs a fraction.
"""

import hmac
import ipaddress
import json
import re
import secrets
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cppcc_common.errors import PROBLEM_JSON, AppError, NotFound, PayloadTooLarge
from cppcc_common.i18n import negotiate_language, with_vary
from cppcc_common.logging import access_log, request_id_var, trace_id_var
from cppcc_common.tracing import continue_trace, trace_id_of

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.telemetry import TelemetryConfig

    from cppcc_common.settings import ServiceSettings

# FastAPI's own OpenTelemetry hooks, off (`FastAPI(telemetry=NO_OPENTELEMETRY)` in every process):
# the edge layer gives each request its ids, metrics and access line. Left on, FastAPI asks
# OpenTelemetry on every request whether a provider is configured (an environment lookup each
# time), ~2 % of a hot read.
NO_OPENTELEMETRY: "TelemetryConfig" = {"tracing": False, "metrics": False, "logs": False}

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"])

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


# Not counted, not logged: probes and scrapes would drown the requests.
_QUIET = ("/metrics", "/healthz", "/readyz")

# Sent on every response unless the app set its own (the docs page sets its own CSP).
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)

# The labelled children of the two metrics, looked up once per (method, route[, status]):
# `labels()` validates and hashes its arguments under a lock on every call.
_COUNTERS: dict[tuple[str, str, int], Any] = {}
_LATENCIES: dict[tuple[str, str], Any] = {}


def _observe(method: str, route: str, status: int, elapsed: float) -> None:
    counter = _COUNTERS.get((method, route, status))
    if counter is None:
        counter = _COUNTERS[(method, route, status)] = HTTP_REQUESTS.labels(method, route, str(status))
    latency = _LATENCIES.get((method, route))
    if latency is None:
        latency = _LATENCIES[(method, route)] = HTTP_LATENCY.labels(method, route)
    counter.inc()
    latency.observe(elapsed)


def _decorate(
    headers: list[tuple[bytes, bytes]], request_id: bytes, security: bool, vary: bool
) -> list[tuple[bytes, bytes]]:
    """The response's headers with Vary (when translated), the security headers the app did not set
    itself, and X-Request-ID, in that order."""
    present = {k.lower() for k, _ in headers}
    if vary and b"content-language" in present:
        headers = with_vary(headers)
    if security:
        headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
    headers.append((b"x-request-id", request_id))
    return headers


class EdgeMiddleware:
    """The outer edge of every process, one pure-ASGI layer with one send wrapper per request.

    It takes the client address from trusted proxies only, assigns X-Request-ID (or keeps a sane
    incoming one) and the trace id (from traceparent), hides the private operational routes in
    production, adds the security headers and `Vary: Accept-Language` to every response (5xx
    included when installed outside FastAPI's error handler, as `install_common_middleware` does),
    and counts and logs each request in one JSON access line.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted: Sequence[str] = (),
        operational: "OperationalAccess | None" = None,
        security_headers: bool = True,
        vary_on_language: bool = True,
    ) -> None:
        self.app = app
        self.proxies = TrustedProxies(trusted)
        self.operational = operational
        self.security = security_headers
        self.vary = vary_on_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                self.proxies.forward(
                    scope, _joined_header(scope, b"x-forwarded-for"), _header(scope, b"x-forwarded-proto")
                )
            await self.app(scope, receive, send)
            return
        incoming = traceparent = forwarded_proto = None
        forwarded_for: list[bytes] = []
        for key, value in scope["headers"]:  # one pass over the headers for everything below
            if key == b"x-request-id":
                incoming = value if incoming is None else incoming
            elif key == b"traceparent":
                traceparent = value if traceparent is None else traceparent
            elif key == b"x-forwarded-for":
                forwarded_for.append(value)
            elif key == b"x-forwarded-proto":
                forwarded_proto = value if forwarded_proto is None else forwarded_proto
        if self.proxies.trusted:
            self.proxies.forward(
                scope,
                b",".join(forwarded_for).decode("latin-1") if forwarded_for else None,
                forwarded_proto.decode("latin-1") if forwarded_proto is not None else None,
            )
        request_id = incoming.decode("latin-1") if incoming is not None else ""
        if not _REQUEST_ID_OK.match(request_id):
            request_id = secrets.token_hex(8)
        # The one trace-context rule (cppcc_common.tracing), shared with the change context.
        trace_header = continue_trace(traceparent.decode("latin-1") if traceparent is not None else None)
        trace_id = trace_id_of(trace_header) or ""  # never empty: continue_trace keeps a well-formed one
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["traceparent"] = trace_header
        rid_token = request_id_var.set(request_id)
        tid_token = trace_id_var.set(trace_id)
        status = 500
        start = time.perf_counter()
        raw_id = request_id.encode("latin-1")
        security, vary = self.security, self.vary

        async def send_decorated(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = _decorate(list(message.get("headers", ())), raw_id, security, vary)
            await send(message)

        try:
            if self.operational is not None and not self.operational.allowed(scope):
                await send_problem(scope, send_decorated, NotFound())
            else:
                await self.app(scope, receive, send_decorated)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            if not route.startswith(_QUIET):
                method = scope.get("method", "")
                _observe(method, route, status, elapsed)
                # The access line's fields are gathered only when it will be written (LOG_LEVEL).
                if access_log.enabled():
                    client = scope.get("client")
                    access_log.write(
                        {
                            "method": method,
                            "path": scope.get("path"),
                            "client": client[0] if client else None,
                            "status": status,
                            "duration_ms": round(elapsed * 1000, 2),
                        }
                    )
            request_id_var.reset(rid_token)
            trace_id_var.reset(tid_token)


class RequestContextMiddleware(EdgeMiddleware):
    """Request id, trace id, metrics and the access log alone (no proxies, no extra headers)."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, security_headers=False, vary_on_language=False)


class BodySizeLimitMiddleware:
    """Refuses request bodies over the limit with 413 before the app reads them.

    `uploads` raises the limit for the paths under given prefixes (file uploads such as rosters).
    A `{name}` segment of a prefix stands for any one path segment, as in a route's path
    (`/api/v1/proposals/{proposal_id}/attachments`); the longest matching prefix wins.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, uploads: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = [
            (_prefix_pattern(prefix), limit)
            for prefix, limit in sorted((uploads or {}).items(), key=lambda kv: -len(kv[0]))
        ]

    def limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.uploads if prefix.match(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope.get("path", ""))
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await _send_413(scope, send)
            return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _send_413(scope, send)


def _prefix_pattern(prefix: str) -> re.Pattern[str]:
    """A path prefix whose `{name}` segments match any one segment (never a `/`)."""
    parts = re.split(r"\{[^/{}]+\}", prefix)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


class _BodyTooLarge(PayloadTooLarge, HTTPException):  # type: ignore[misc]  # (detail, headers: see __init__)
    """Raised from `receive` once a body passes the limit.

    An HTTPException, because FastAPI's body parser lets those through where it turns any other
    error of `receive` into "the body is broken" (a chunked body over the limit used to be answered
    422 `json_invalid`); a `PayloadTooLarge`, so the app's error handlers answer it 413
    `payload_too_large`. Raised where no handler sees it, the middleware answers it itself.
    """

    def __init__(self) -> None:
        PayloadTooLarge.__init__(self)  # whose base ends in HTTPException.__init__(<the code>): mend
        self.status_code = self.status
        self.headers = {}


async def _send_413(scope: Scope, send: Send) -> None:
    await send_problem(scope, send, PayloadTooLarge())


async def send_problem(scope: Scope, send: Send, error: AppError) -> None:
    """Answers with `error` as problem+json from a pure ASGI middleware (outside FastAPI's handlers)."""
    lang = negotiate_language(_header(scope, b"accept-language"))
    body = error.problem(lang, scope.get("path", ""))
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(raw)).encode()),
        (b"content-language", b"en" if lang == "en" else b"zh-CN"),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


def _networks(entries: Sequence[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


# Peers remembered per process as trusted or not (parsing an address costs more than the rest
# of the check); bounded, since an address is the client's to choose.
_TRUST_CACHE_SIZE = 1024


class TrustedProxies:
    """The client address from `X-Forwarded-For`, only when the peer is a trusted proxy.

    The client is the right-most address in the header that is not itself a trusted proxy (each
    proxy appends the peer it saw; anything left of that the client could have written). From any
    other peer the header is ignored: a client cannot choose its own address. `X-Forwarded-Proto`
    from a trusted proxy sets the scheme.
    """

    def __init__(self, trusted: Sequence[str] = ()) -> None:
        self.trusted = _networks(trusted)
        self._known: dict[str, bool] = {}

    def is_trusted(self, host: str) -> bool:
        known = self._known.get(host)
        if known is None:
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                known = False
            else:
                known = any(address in network for network in self.trusted)
            if len(self._known) >= _TRUST_CACHE_SIZE:
                self._known.clear()
            self._known[host] = known
        return known

    def client_of(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address given the peer and its X-Forwarded-For header."""
        if not forwarded_for or not self.is_trusted(peer):
            return peer
        client = peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break  # a trusted proxy wrote garbage: keep the last address we could trust
            client = hop
            if not self.is_trusted(hop):
                break
        return client

    def forward(self, scope: Scope, forwarded_for: str | None, forwarded_proto: str | None) -> None:
        """Sets the scope's client and scheme from the headers of a trusted peer (others are ignored)."""
        if not self.trusted or not scope.get("client"):
            return
        peer = scope["client"][0]
        if not self.is_trusted(peer):
            return
        client = self.client_of(peer, forwarded_for)
        if client != peer:
            scope["client"] = (client, 0)
        proto = (forwarded_proto or "").strip().lower()
        if proto in ("http", "https"):
            scope["scheme"] = proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]


class TrustedProxyMiddleware(TrustedProxies):
    """`TrustedProxies` as a middleware of its own (the test app; the edge does it for services)."""

    def __init__(self, app: ASGIApp, trusted: Sequence[str] = ()) -> None:
        super().__init__(trusted)
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            self.forward(
                scope, _joined_header(scope, b"x-forwarded-for"), _header(scope, b"x-forwarded-proto")
            )
        await self.app(scope, receive, send)


def _joined_header(scope: Scope, name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == name]
    return ",".join(values) if values else None


class OperationalAccess:
    """Production: `/metrics` answers only with the metrics bearer token, and the private paths
    (a service's `/docs`) not at all; both look like any unknown path (404)."""

    def __init__(self, metrics_token: str | None, private_paths: Sequence[str] = ()) -> None:
        self.expected = f"Bearer {metrics_token}".encode() if metrics_token else None
        self.private = tuple(private_paths)

    def allowed(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        if path in self.private or any(path.startswith(p + "/") for p in self.private):
            return False
        if path == "/metrics":
            given = next((v for k, v in scope.get("headers", ()) if k == b"authorization"), b"")
            return self.expected is not None and hmac.compare_digest(given, self.expected)
        return True


def install_common_middleware(
    app: "FastAPI", settings: "ServiceSettings", *, private_paths: Sequence[str] = ("/docs",)
) -> None:
    """The edge every process shares (`EdgeMiddleware`): outside everything else, FastAPI's own
    error handler included, so that a 500 too carries X-Request-ID and the security headers, and
    the handler's log line carries the request id.

    In production `/metrics` needs the metrics token and `private_paths` are hidden.
    """
    operational = None
    if settings.environment == "production":
        token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
        operational = OperationalAccess(token, private_paths)
    build = app.build_middleware_stack

    def build_with_edge() -> ASGIApp:
        # Starlette builds the stack as [its error handler, *user middleware, …]: the edge can
        # only be outside the error handler by wrapping what it builds.
        return EdgeMiddleware(build(), trusted=settings.trusted_proxies, operational=operational)

    app.build_middleware_stack = build_with_edge  # type: ignore[method-assign]
