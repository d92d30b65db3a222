"""Pure ASGI middleware (cheap on the hot path): request id, trace id, metrics, access log, body cap."""

import logging
import re
import secrets
import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cppcc_common.logging import request_id_var, trace_id_var

log = logging.getLogger("cppcc.access")

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"])

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


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
        traceparent = _header(scope, b"traceparent")
        match = _TRACEPARENT.match(traceparent or "")
        trace_id = match.group(1) if match else secrets.token_hex(16)
        if not match:
            traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
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
                log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope.get("path"),
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(rid_token)
            trace_id_var.reset(tid_token)


class BodySizeLimitMiddleware:
    """Refuses request bodies over the limit with 413 before the app reads them.

    `uploads` raises the limit for the paths under given prefixes (file uploads such as rosters).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, uploads: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = sorted((uploads or {}).items(), key=lambda kv: -len(kv[0]))

    def limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.uploads if path.startswith(prefix)), self.max_bytes)

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


class _BodyTooLarge(Exception):
    pass


async def _send_413(scope: Scope, send: Send) -> None:
    import json

    from cppcc_common.i18n import negotiate_language

    lang = negotiate_language(_header(scope, b"accept-language"))
    body: dict[str, Any] = {
        "type": "https://errors.cppcc.example/payload_too_large",
        "title": "Payload too large" if lang == "en" else "请求内容过大",
        "status": 413,
        "code": "payload_too_large",
        "instance": scope.get("path", ""),
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})
