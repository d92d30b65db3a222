"""Pure ASGI middleware (cheap on the hot path): request id, trace id, metrics, access log, body cap,
the client address behind trusted proxies, security headers, and private operational routes.

`install_common_middleware` adds the outer layers every process (services and gateway) shares.
"""

import hmac
import ipaddress
import json
import logging
import re
import secrets
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cppcc_common.errors import PROBLEM_JSON, AppError, NotFound, PayloadTooLarge
from cppcc_common.i18n import negotiate_language
from cppcc_common.logging import request_id_var, trace_id_var
from cppcc_common.tracing import continue_trace, trace_id_of

if TYPE_CHECKING:
    from fastapi import FastAPI

    from cppcc_common.settings import ServiceSettings

log = logging.getLogger("cppcc.access")

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


class RequestContextMiddleware:
    """Assigns X-Request-ID (or keeps a sane incoming one), keeps traceparent, logs and counts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID_OK.match(incoming) else secrets.token_hex(8)
        traceparent = continue_trace(_header(scope, b"traceparent"))
        trace_id = trace_id_of(traceparent)
        scope.setdefault("state", {})
        scope["state"]["request_id"] = request_id
        scope["state"]["traceparent"] = traceparent
        rid_token = request_id_var.set(request_id)
        tid_token = trace_id_var.set(trace_id)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            method = scope.get("method", "")
            if not route.startswith(("/metrics", "/healthz", "/readyz")):
                HTTP_REQUESTS.labels(method, route, str(status)).inc()
                HTTP_LATENCY.labels(method, route).observe(elapsed)
            if log.isEnabledFor(logging.INFO) and not route.startswith(("/metrics", "/healthz", "/readyz")):
                # The access line's fields are gathered only when it will be written (LOG_LEVEL).
                client = scope.get("client")
                log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope.get("path"),
                        "client": client[0] if client else None,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(rid_token)
            trace_id_var.reset(tid_token)


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


class _BodyTooLarge(Exception):
    pass


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


class TrustedProxyMiddleware:
    """Sets the client address from `X-Forwarded-For` only when the peer is a trusted proxy.

    The client is the right-most address in the header that is not itself a trusted proxy (each
    proxy appends the peer it saw; anything left of that the client could have written). From any
    other peer the header is ignored: a client cannot choose its own address. `X-Forwarded-Proto`
    from a trusted proxy sets the scheme.
    """

    def __init__(self, app: ASGIApp, trusted: Sequence[str] = ()) -> None:
        self.app = app
        self.trusted = _networks(trusted)

    def is_trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted and scope.get("client"):
            peer = scope["client"][0]
            if self.is_trusted(peer):
                client = self.client_of(peer, _joined_header(scope, b"x-forwarded-for"))
                if client != peer:
                    scope["client"] = (client, 0)
                proto = (_header(scope, b"x-forwarded-proto") or "").strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = (
                        proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
                    )
        await self.app(scope, receive, send)


def _joined_header(scope: Scope, name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == name]
    return ",".join(values) if values else None


# Sent on every response unless the app set its own (the docs page sets its own CSP).
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)


class SecurityHeadersMiddleware:
    """Adds nosniff, a frame policy and a referrer policy to every response, each exactly once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class OperationalAccessMiddleware:
    """Production: `/metrics` answers only with the metrics bearer token, and the private paths
    (a service's `/docs`) not at all; both look like any unknown path (404)."""

    def __init__(self, app: ASGIApp, metrics_token: str | None, private_paths: Sequence[str] = ()) -> None:
        self.app = app
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.allowed(scope):
            await send_problem(scope, send, NotFound())
            return
        await self.app(scope, receive, send)


def install_common_middleware(
    app: "FastAPI", settings: "ServiceSettings", *, private_paths: Sequence[str] = ("/docs",)
) -> None:
    """The outer layers every process shares; call after adding the app's own middleware.

    From the outside in: the client address (trusted proxies only), request id and access log,
    security headers, and in production the private operational routes.
    """
    if settings.environment == "production":
        token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
        app.add_middleware(OperationalAccessMiddleware, metrics_token=token, private_paths=private_paths)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(TrustedProxyMiddleware, trusted=settings.trusted_proxies)
