"""Forwarding a request to its upstream: plain ASGI in front of one pooled aiohttp session.

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

import aiohttp
from aiohttp.connector import Connection
from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from yarl import URL

from cppcc_common.auth import ROLES, Permission, Principal, bearer_token
from cppcc_common.errors import AppError, NotFound, RateLimited, Unauthenticated
from cppcc_common.middleware import send_problem
from cppcc_common.text import Text
from cppcc_gateway.routing import LOGIN_PATHS, PUBLIC_PATHS, is_public_read, upstream_for
from cppcc_gateway.settings import Settings

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


def _text_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """aiohttp writes header text as UTF-8: decoding the client's bytes as UTF-8 sends them on
    byte for byte. A value that is not UTF-8 cannot be sent on unchanged, so it is refused."""
    try:
        return [(k.decode("latin-1"), v.decode("utf-8")) for k, v in headers]
    except UnicodeDecodeError:
        raise MalformedHeader() from None


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


class _UpstreamResponse(aiohttp.ClientResponse):
    """An answer whose connection is never reused after a 5xx: the service may close it once the
    answer is sent (uvicorn does after an unhandled error), and the pool must not hand it to the
    next caller. A short body ends with its headers, and aiohttp hands the connection back inside
    `start`; nothing else runs before this returns, so closing it here is in time."""

    async def start(self, connection: Connection) -> "_UpstreamResponse":
        protocol = connection.protocol
        await super().start(connection)
        if self.status >= 500 and protocol is not None:
            if self.connection is not None:
                protocol.force_close()  # still reading the body: closed when it is released
            else:
                protocol.close()  # already back in the pool: the pool drops a closed connection
        return self


class Forwarder:
    """One aiohttp session (and connection pool) for every upstream; chosen by measurement over
    httpx (see docs/operations.md, gateway)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bases = {name: getattr(settings, f"{name}_url").rstrip("/") for name in UPSTREAMS}
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=200,
            limit_per_host=100,
            # Idle connections are dropped before the services' own keep-alive timeout closes them.
            keepalive_timeout=self.settings.upstream_keepalive_seconds,
            enable_cleanup_closed=False,
        )
        self.session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=3.0,
                sock_connect=3.0,
                sock_read=self.settings.upstream_timeout_seconds,
            ),
            # A forwarded request carries the client's headers, not the client library's defaults
            # (an Accept-Encoding the client never sent would make the service compress for a
            # client that cannot decode), and the service's bytes go back as they came.
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
            auto_decompress=False,
            # Never keep one caller's cookies for the next.
            cookie_jar=aiohttp.DummyCookieJar(),
            raise_for_status=False,
            response_class=_UpstreamResponse,
        )
        # The retry rule is the gateway's own (`forward`): aiohttp would also resend an idempotent
        # request by itself, which would make "once" twice.
        self.session._retry_connection = False

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def request(
        self, upstream: str, method: str, target: bytes, headers: list[tuple[str, str]], body: Body
    ) -> aiohttp.ClientResponse:
        assert self.session is not None
        url = URL(self.bases[upstream] + target.decode("ascii"), encoded=True)
        return await self.session.request(
            method,
            url,
            headers=headers,
            data=body if body else None,
            allow_redirects=False,
            compress=None,
        )


async def forward(scope: Scope, receive: Receive, send: Send, upstream: str, forwarder: Forwarder) -> None:
    """Forwards one request and streams the answer back; errors before the answer starts are
    problems (503, 504), after it the connection to the client is dropped."""
    request = Request(scope)
    query = scope.get("query_string", b"")
    target = scope["raw_path"] + (b"?" + query if query else b"")
    method = scope["method"]
    headers = _text_headers(request_headers(request))
    body, resendable = await read_body(scope, receive)
    if not resendable:
        # Streamed: the service needs the declared length (it refuses over-long bodies by it).
        length = next(v for k, v in scope["headers"] if k == b"content-length")
        headers.append(("content-length", length.decode("latin-1")))
    attempts = 2 if resendable else 1
    for attempt in range(1, attempts + 1):
        try:
            response = await forwarder.request(upstream, method, target, headers, body)
            break
        except TimeoutError as exc:
            raise _failed(upstream, exc, UpstreamTimeout()) from exc
        except aiohttp.ClientConnectorError as exc:
            # Nothing was sent (a service restarting): any request may be tried once more.
            if attempt == attempts:
                raise _failed(upstream, exc) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            # The peer closed a kept-alive connection under the request: only a request that may
            # safely arrive twice is sent again.
            if attempt == attempts or not _retriable(method, scope["headers"]):
                raise _failed(upstream, exc) from exc
        except aiohttp.ClientError as exc:
            raise _failed(upstream, exc) from exc
    try:
        await _relay_response(method, response, send)
    finally:
        response.release()


def _failed(upstream: str, exc: BaseException, error: AppError | None = None) -> AppError:
    """The problem a client gets for a failed upstream exchange; the cause goes to the log."""
    log.warning("upstream request failed", extra={"upstream": upstream, "error": repr(exc)})
    return error or UpstreamUnavailable(headers={"Retry-After": "5"})


async def _relay_response(method: str, upstream: aiohttp.ClientResponse, send: Send) -> None:
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
        first = await upstream.read() if whole else await upstream.content.readany()
    except TimeoutError as exc:
        raise UpstreamTimeout() from exc
    except aiohttp.ClientError as exc:
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
        chunk = await upstream.content.readany()
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
