"""Forwarding a request to its upstream: plain ASGI in front of pooled keep-alive connections
(`cppcc_gateway.upstream`, a lean HTTP/1.1 client chosen over aiohttp by measurement).

Headers are bytes and pass through as bytes (the client's UTF-8 bytes are sent on unchanged). The
path forwarded is the canonical path the gateway routed on (`routing.CanonicalPathMiddleware`).
Bodies stream through: a request body that arrives in pieces is sent on as it arrives, a large
answer is sent back chunk by chunk; neither is parsed. A connection that carried a 5xx is not
reused (a service closes it after an unhandled error), and an idempotent request is retried once
when the peer closed the connection under it; any other request is never sent twice.
"""

import logging
import math
from collections.abc import AsyncIterator

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from cppcc_common.auth import ROLES, Permission, Principal, bearer_token
from cppcc_common.errors import AppError, NotFound, RateLimited, Unauthenticated
from cppcc_common.middleware import send_problem
from cppcc_common.text import Text
from cppcc_gateway.routing import LOGIN_PATHS, PUBLIC_PATHS, is_public_read, upstream_for
from cppcc_gateway.settings import Settings
from cppcc_gateway.upstream import (
    ConnectFailed,
    Disconnected,
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
    parse_base,
)

UPSTREAMS = ("member", "proposal", "consultation", "notify")
log = logging.getLogger("cppcc.gateway")

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
    }
)
# Set by the gateway itself, never taken from the client: the request's ids and the client address.
_REQUEST_OWN = frozenset(
    {
        b"x-request-id",
        b"traceparent",
        b"forwarded",
        b"x-forwarded-for",
        b"x-forwarded-host",
        b"x-forwarded-proto",
        b"x-real-ip",
    }
)
# The gateway's own server adds date and x-request-id; upstream's copies would be sent twice.
_RESPONSE_OWN = frozenset({b"date", b"server", b"x-request-id"})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class UpstreamUnavailable(AppError):
    status = 503
    code = "gateway.upstream_unavailable"
    title = Text("服务暂不可用", "Service unavailable")
    detail = Text(
        "后台服务暂时无法访问，请稍后重试。", "A backend service is unreachable; please retry later."
    )


class UpstreamTimeout(AppError):
    status = 504
    code = "gateway.upstream_timeout"
    title = Text("服务响应超时", "Upstream timeout")
    detail = Text(
        "后台服务响应超时，请稍后重试。", "A backend service did not answer in time; please retry later."
    )


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class GatewayAccess(Permission):
    """The gateway's one permission: public paths pass (logins and public reads rate-limited per
    IP); every other path needs a valid token, and each principal is rate-limited. Services check
    roles again."""

    def __init__(self) -> None:
        super().__init__("gateway.forward", roles=ROLES)  # any verified token; services check roles

    async def __call__(self, request: Request) -> Principal | None:  # type: ignore[override]
        runtime = request.app.state.runtime
        path = request.url.path
        if upstream_for(path) is None:
            raise NotFound()
        if path in PUBLIC_PATHS:
            if path in LOGIN_PATHS:
                _limit(runtime.login_limits.take(_client_ip(request)))
            return None
        if is_public_read(path):  # no principal to limit: the client's address is
            _limit(runtime.public_limits.take(_client_ip(request)))
            return None
        token = bearer_token(request)
        if token is None:
            raise Unauthenticated(headers={"WWW-Authenticate": "Bearer"})
        principal: Principal = await runtime.verifier.verify(token)
        _limit(runtime.principal_limits.take(str(principal.sub)))
        request.state.principal = principal
        return principal


def _limit(wait: float) -> None:
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(headers={"Retry-After": str(seconds)}, retry_after=seconds)


def request_headers(request: Request) -> list[tuple[bytes, bytes]]:
    """The client's headers as sent, minus hop-by-hop ones and those the gateway sets itself."""
    raw: list[tuple[bytes, bytes]] = request.scope["headers"]
    named = {
        token.strip().lower() for key, value in raw if key == b"connection" for token in value.split(b",")
    }
    headers = [(k, v) for k, v in raw if k not in HOP_BY_HOP and k not in _REQUEST_OWN and k not in named]
    headers.append((b"x-request-id", request.state.request_id.encode()))
    headers.append((b"traceparent", request.state.traceparent.encode()))
    headers.append((b"x-forwarded-for", _client_ip(request).encode()))
    return headers


def _retriable(method: str, raw_headers: list[tuple[bytes, bytes]]) -> bool:
    return method in IDEMPOTENT or any(k == b"idempotency-key" for k, _ in raw_headers)


def _checked_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The client's header bytes, sent on unchanged; a value that is not UTF-8 text is refused
    (the services read header values as text)."""
    try:
        for _, value in headers:
            if not value.isascii():
                value.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedHeader() from None
    return headers


class MalformedHeader(AppError):
    status = 400
    code = "gateway.malformed_header"
    title = Text("请求头无效", "Malformed header")
    detail = Text(
        "请求头的值须为 UTF-8 文本（非 ASCII 字符请先进行百分号编码）。",
        "A header value must be UTF-8 text (percent-encode anything beyond ASCII).",
    )


class ClientDisconnected(Exception):
    """The client went away while its request body was being streamed on."""


Body = bytes | AsyncIterator[bytes]


async def read_body(scope: Scope, receive: Receive) -> tuple[Body, bool]:
    """The request body and whether it can be sent again. A body that arrived in one piece is
    that piece (no copy); a longer one with a declared length is streamed on as it arrives (never
    held whole); a longer one without (chunked from the client) is read here, once, so the body
    limit is enforced before anything reaches a service."""
    message = await receive()
    first = message.get("body", b"")
    if not message.get("more_body", False):
        return first, True
    if not any(k == b"content-length" for k, _ in scope["headers"]):
        chunks = [first]
        while message.get("more_body", False):
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected
            chunks.append(message.get("body", b""))
        return b"".join(chunks), True

    async def rest() -> AsyncIterator[bytes]:
        yield first
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected
            more = message.get("more_body", False)
            yield message.get("body", b"")

    return rest(), False


# Bodies up to this size are read whole and sent in one message; larger ones stream through.
_WHOLE_BODY_BYTES = 256 * 1024


class Forwarder:
    """A pool of keep-alive connections per upstream (`cppcc_gateway.upstream`); chosen by
    measurement over aiohttp and httpx (see docs/operations.md, gateway)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bases = {name: getattr(settings, f"{name}_url").rstrip("/") for name in UPSTREAMS}
        self.pools: dict[str, tuple[UpstreamPool, bytes]] = {}

    async def start(self) -> None:
        for name, base in self.bases.items():
            host, port, prefix = parse_base(base)
            pool = UpstreamPool(
                host,
                port,
                limit=100,
                # Idle connections are dropped before the services' own keep-alive timeout closes them.
                keepalive=self.settings.upstream_keepalive_seconds,
                connect_timeout=3.0,
                read_timeout=self.settings.upstream_timeout_seconds,
            )
            self.pools[name] = (pool, prefix.encode("ascii"))

    async def close(self) -> None:
        for pool, _ in self.pools.values():
            await pool.close()

    async def request(
        self, upstream: str, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: Body
    ) -> UpstreamResponse:
        pool, prefix = self.pools[upstream]
        return await pool.request(method, prefix + target, headers, body)


async def forward(scope: Scope, receive: Receive, send: Send, upstream: str, forwarder: Forwarder) -> None:
    """Forwards one request and streams the answer back; errors before the answer starts are
    problems (503, 504), after it the connection to the client is dropped."""
    request = Request(scope)
    query = scope.get("query_string", b"")
    target = scope["raw_path"] + (b"?" + query if query else b"")
    method = scope["method"]
    headers = _checked_headers(request_headers(request))
    body, resendable = await read_body(scope, receive)
    if not resendable:
        # Streamed: the service needs the declared length (it refuses over-long bodies by it).
        length = next(v for k, v in scope["headers"] if k == b"content-length")
        headers.append((b"content-length", length))
    attempts = 2 if resendable else 1
    for attempt in range(1, attempts + 1):
        try:
            response = await forwarder.request(upstream, method, target, headers, body)
            break
        except TimeoutError as exc:
            raise _failed(upstream, exc, UpstreamTimeout()) from exc
        except ConnectFailed as exc:
            # Nothing was sent (a service restarting): any request may be tried once more.
            if attempt == attempts:
                raise _failed(upstream, exc) from exc
        except (Disconnected, OSError) as exc:
            # The peer closed a kept-alive connection under the request: only a request that may
            # safely arrive twice is sent again.
            if attempt == attempts or not _retriable(method, scope["headers"]):
                raise _failed(upstream, exc) from exc
        except UpstreamError as exc:
            raise _failed(upstream, exc) from exc
    try:
        await _relay_response(method, response, send)
    finally:
        response.release()


def _failed(upstream: str, exc: BaseException, error: AppError | None = None) -> AppError:
    """The problem a client gets for a failed upstream exchange; the cause goes to the log."""
    log.warning("upstream request failed", extra={"upstream": upstream, "error": repr(exc)})
    return error or UpstreamUnavailable(headers={"Retry-After": "5"})


async def _relay_response(method: str, upstream: UpstreamResponse, send: Send) -> None:
    headers = [
        (k, v)
        for k, v in upstream.raw_headers
        if k.lower() not in HOP_BY_HOP and k.lower() not in _RESPONSE_OWN
    ]
    length = upstream.content_length
    if method == "HEAD":
        headers.append((b"content-length", str(length or 0).encode()))
        await send({"type": "http.response.start", "status": upstream.status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    try:
        whole = length is not None and length <= _WHOLE_BODY_BYTES
        first = await upstream.read() if whole else await upstream.readany()
    except TimeoutError as exc:
        raise UpstreamTimeout() from exc
    except (UpstreamError, OSError) as exc:
        raise UpstreamUnavailable(headers={"Retry-After": "5"}) from exc
    if whole:
        headers.append((b"content-length", str(len(first)).encode()))
    elif length is not None:
        headers.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": upstream.status, "headers": headers})
    if whole:
        await send({"type": "http.response.body", "body": first})
        return
    # A large or unsized body streams through, one chunk at a time (never held whole).
    chunk = first
    while chunk:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        chunk = await upstream.readany()
    await send({"type": "http.response.body", "body": b""})


class _ProxyRoute:
    """What the metrics and the access log read as the route of a forwarded request."""

    path = "/{path:path}"


_PROXY_ROUTE = _ProxyRoute()
FORWARDED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})


class ProxyMiddleware:
    """The forwarding path as plain ASGI: a request for a routed path is checked (token, limits)
    and forwarded here, without FastAPI's routing or dependency solving; everything else (the
    gateway's own routes, methods it does not forward) goes on to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.access = GatewayAccess()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in FORWARDED_METHODS:
            await self.app(scope, receive, send)
            return
        upstream = upstream_for(scope["path"])
        if upstream is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = _PROXY_ROUTE
        request = Request(scope, receive)
        runtime = request.app.state.runtime
        try:
            await self.access(request)
            await forward(scope, receive, send, upstream, runtime.forwarder)
        except AppError as error:
            await send_problem(scope, send, error)
        except ClientDisconnected:
            return
