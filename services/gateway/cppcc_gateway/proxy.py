"""Forwarding a request to its upstream with one pooled client per upstream.

Headers are bytes and pass through as bytes (never decoded and re-encoded). The path forwarded is
the canonical path the gateway routed on (`routing.CanonicalPathMiddleware`). A connection that
carried a 5xx is not reused (a service closes it after an unhandled error), and an idempotent
request is retried once when the peer closed the connection under it.
"""

import math

import httpx
from fastapi import Request, Response

from cppcc_common.auth import ROLES, Permission, Principal, bearer_token
from cppcc_common.errors import AppError, NotFound, RateLimited, Unauthenticated
from cppcc_common.i18n import Text
from cppcc_gateway.routing import LOGIN_PATHS, PUBLIC_PATHS, upstream_for

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
# The peer closed a kept-alive connection under the request: nothing (complete) came back.
_PEER_CLOSED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


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
    """The gateway's one permission: public paths pass (logins rate-limited per IP); every other
    path needs a valid token, and each principal is rate-limited. Services check roles again."""

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


def _retriable(request: Request) -> bool:
    return request.method in IDEMPOTENT or any(k == b"idempotency-key" for k, _ in request.scope["headers"])


async def _exchange(
    client: httpx.AsyncClient, upstream_request: httpx.Request
) -> tuple[httpx.Response, bytes]:
    """Sends the request and reads the whole body; a connection that carried a 5xx is closed."""
    response = await client.send(upstream_request, stream=True)
    try:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
        if response.status_code >= 500:
            # The service may close this connection once the answer is sent (uvicorn does after an
            # unhandled error); close it first so the pool never hands it to the next caller.
            stream = response.extensions.get("network_stream")
            if stream is not None:
                await stream.aclose()
    finally:
        await response.aclose()
    return response, body


async def forward(request: Request) -> Response:
    runtime = request.app.state.runtime
    scope = request.scope
    upstream = upstream_for(scope["path"])
    assert upstream is not None
    client: httpx.AsyncClient = runtime.clients[upstream]
    query = scope.get("query_string", b"")
    url = client.base_url.copy_with(raw_path=scope["raw_path"] + (b"?" + query if query else b""))
    upstream_request = client.build_request(
        request.method, url, headers=request_headers(request), content=await request.body()
    )
    attempts = 2 if _retriable(request) else 1
    for attempt in range(1, attempts + 1):
        try:
            upstream_response, body = await _exchange(client, upstream_request)
            break
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout() from exc
        except _PEER_CLOSED as exc:
            if attempt == attempts:
                raise UpstreamUnavailable(headers={"Retry-After": "5"}) from exc
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(headers={"Retry-After": "5"}) from exc
    return _response(request, upstream_response, body)


def _response(request: Request, upstream: httpx.Response, body: bytes) -> Response:
    headers = [
        (k, v)
        for k, v in upstream.headers.raw
        if k.lower() not in HOP_BY_HOP and k.lower() not in _RESPONSE_OWN
    ]
    length = upstream.headers.get("content-length") if request.method == "HEAD" else str(len(body))
    response = Response(content=body, status_code=upstream.status_code)
    response.raw_headers = [*headers, (b"content-length", (length or "0").encode())]
    return response
