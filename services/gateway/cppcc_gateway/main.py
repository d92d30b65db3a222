"""Composition root of the gateway."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import Receive, Scope, Send

from cppcc_common.auth import PUBLIC, JwksKeySource, TokenVerifier
from cppcc_common.docs import docs_router
from cppcc_common.error_handlers import install_error_handlers
from cppcc_common.errors import NotFound
from cppcc_common.logging import configure_logging
from cppcc_common.middleware import NO_OPENTELEMETRY, BodySizeLimitMiddleware, install_common_middleware
from cppcc_common.settings import process_clock
from cppcc_gateway.openapi import MergedOpenAPI
from cppcc_gateway.proxy import UPSTREAMS, Forwarder, GatewayAccess, ProxyMiddleware
from cppcc_gateway.ratelimit import TokenBuckets
from cppcc_gateway.routing import CanonicalPathMiddleware
from cppcc_gateway.settings import Settings


@dataclass
class GatewayRuntime:
    settings: Settings
    verifier: TokenVerifier
    clients: dict[str, httpx.AsyncClient]  # the gateway's own calls: readiness, the merged docs
    forwarder: Forwarder
    openapi: MergedOpenAPI
    login_limits: TokenBuckets
    principal_limits: TokenBuckets
    public_limits: TokenBuckets
    extras: dict[str, Any] = field(default_factory=dict)


def _clients(settings: Settings) -> dict[str, httpx.AsyncClient]:
    # Idle connections are dropped before the services' own keep-alive timeout closes them, and a
    # refused connection is tried once more (a service restarting).
    limits = httpx.Limits(
        max_connections=20,
        max_keepalive_connections=4,
        keepalive_expiry=settings.upstream_keepalive_seconds,
    )
    timeout = httpx.Timeout(settings.upstream_timeout_seconds, connect=3.0)
    clients = {
        name: httpx.AsyncClient(
            base_url=getattr(settings, f"{name}_url"),
            transport=httpx.AsyncHTTPTransport(limits=limits, retries=1),
            timeout=timeout,
            follow_redirects=False,
        )
        for name in UPSTREAMS
    }
    for client in clients.values():
        # A forwarded request carries the client's headers, not httpx's defaults (an Accept-Encoding
        # the client never sent would make the service compress for a client that cannot decode).
        for name in ("accept", "accept-encoding", "user-agent"):
            del client.headers[name]
    return clients


ops = APIRouter(tags=["operations"], dependencies=[Depends(PUBLIC)], include_in_schema=False)


@ops.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _signing_keys_available(runtime: GatewayRuntime) -> bool:
    """Whether tokens can be verified: keys are held, or the JWKS answers. The probe goes around the
    key cache: caching the empty set member-svc publishes before its first sign-in would make the
    first real key wait out the cache's refresh interval."""
    source = runtime.verifier.keys
    if getattr(source, "keys", None):
        return True
    try:
        response = await runtime.extras["jwks_client"].get(runtime.settings.jwks_url, timeout=2.0)
        return response.status_code == 200 and isinstance(response.json().get("keys"), list)
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


@ops.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Reports each upstream so operators see a degraded system, but is 503 only when this gateway
    cannot serve at all (no signing keys, or no upstream reachable): one service down must not take
    every gateway replica out of rotation."""
    runtime: GatewayRuntime = request.app.state.runtime

    async def probe(name: str) -> tuple[str, str]:
        try:
            r = await runtime.clients[name].get("/readyz", timeout=2.0)
            return name, "ok" if r.status_code == 200 else "not_ready"
        except httpx.HTTPError:
            return name, "unavailable"

    upstreams = dict(await asyncio.gather(*(probe(n) for n in UPSTREAMS)))
    keys = await _signing_keys_available(runtime)
    serving = keys and any(v != "unavailable" for v in upstreams.values())
    healthy = keys and all(v == "ok" for v in upstreams.values())
    body = {
        "status": "ready" if healthy else "degraded" if serving else "not_ready",
        "signing_keys": "ok" if keys else "unavailable",
        "upstreams": upstreams,
    }
    return JSONResponse(body, status_code=200 if serving else 503)


@ops.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@ops.get("/openapi.json")
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(await request.app.state.runtime.openapi.document())


async def _not_forwarded() -> Response:
    """Reached only by what `ProxyMiddleware` does not forward: an unrouted path (the dependency
    answers 404 first) or a routed path's unsupported method (the router answers 405)."""
    raise NotFound()


proxy = APIRouter(include_in_schema=False)
proxy.add_api_route(
    "/{path:path}",
    _not_forwarded,
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    dependencies=[Depends(GatewayAccess())],
)


class OriginOnlyCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, entered only by a request that names an Origin: one without passes on
    untouched there too, but only after its headers were parsed (4 % of the gateway's hop)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(name == b"origin" for name, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.service_name, settings.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        clients = _clients(settings)
        forwarder = Forwarder(settings)
        await forwarder.start()
        jwks_client = httpx.AsyncClient(timeout=5.0)
        clock = process_clock(settings)
        app.state.runtime = GatewayRuntime(
            settings=settings,
            verifier=TokenVerifier(
                JwksKeySource(
                    settings.jwks_url, ttl=settings.jwks_cache_seconds, client=jwks_client, clock=clock
                ),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                clock=clock,
            ),
            clients=clients,
            forwarder=forwarder,
            openapi=MergedOpenAPI(clients, title="掌上政协 API", version="1.0.0"),
            login_limits=TokenBuckets(
                settings.login_per_minute_per_ip / 60.0, settings.login_per_minute_per_ip
            ),
            principal_limits=TokenBuckets(
                settings.requests_per_second_per_principal, settings.requests_burst_per_principal
            ),
            public_limits=TokenBuckets(
                settings.public_requests_per_second_per_ip, settings.public_requests_burst_per_ip
            ),
            extras={"jwks_client": jwks_client},
        )
        try:
            yield
        finally:
            await asyncio.gather(
                *(c.aclose() for c in clients.values()), jwks_client.aclose(), forwarder.close()
            )

    app = FastAPI(
        title="掌上政协 gateway",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        telemetry=NO_OPENTELEMETRY,
    )
    install_error_handlers(app)
    app.include_router(ops)
    app.include_router(docs_router(title="掌上政协 API"))
    app.include_router(proxy)
    # Innermost: sees the canonical path and the body limit, and forwards without FastAPI.
    app.add_middleware(ProxyMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, uploads=settings.upload_limits
    )
    app.add_middleware(CanonicalPathMiddleware)
    app.add_middleware(
        OriginOnlyCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "Idempotency-Key",
            "If-Match",
            "Accept-Language",
            "X-Request-ID",
        ],
        expose_headers=["ETag", "Location", "X-Request-ID", "Retry-After"],
    )
    # The merged docs page is public; /metrics needs the metrics token in production. The edge
    # adds Vary: Accept-Language to every translated answer, the gateway's own and forwarded ones.
    install_common_middleware(app, settings, private_paths=())
    return app
