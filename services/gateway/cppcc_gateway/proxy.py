"""Forwarding a request to its upstream with one pooled client per upstream."""

import math
from typing import Any

import httpx
from fastapi import Request, Response

from cppcc_common.auth import ROLES, Permission, Principal, bearer_token
from cppcc_common.errors import AppError, NotFound, RateLimited, Unauthenticated
from cppcc_common.i18n import Text
from cppcc_gateway.routing import LOGIN_PATHS, PUBLIC_PATHS, upstream_for

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


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


async def forward(request: Request) -> Response:
    runtime = request.app.state.runtime
    upstream = upstream_for(request.url.path)
    assert upstream is not None
    client: httpx.AsyncClient = runtime.clients[upstream]
    headers: list[tuple[str, str]] = [
        (k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP
    ]
    headers = [
        (k, v) for k, v in headers if k.lower() not in ("x-request-id", "traceparent", "x-forwarded-for")
    ]
    headers.append(("x-request-id", request.state.request_id))
    headers.append(("traceparent", request.state.traceparent))
    headers.append(("x-forwarded-for", _client_ip(request)))
    body = await request.body()
    try:
        upstream_response = await client.request(
            request.method,
            request.url.path,
            params=request.url.query or None,
            content=body,
            headers=headers,
        )
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout() from exc
    except httpx.TransportError as exc:
        raise UpstreamUnavailable(headers={"Retry-After": "5"}) from exc
    out_headers: dict[str, Any] = {
        k: v
        for k, v in upstream_response.headers.items()
        if k.lower() not in HOP_BY_HOP and k.lower() != "x-request-id" and k.lower() != "content-encoding"
    }
    return Response(
        content=upstream_response.content, status_code=upstream_response.status_code, headers=out_headers
    )
