"""The composition root every service shares: `create_service_app` builds a FastAPI app whose
lifespan opens the database engine and NATS, sets up the streams, and runs the outbox relay,
the consumers and the deadline scanners as background tasks.
"""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cppcc_common import bus, contracts  # noqa: F401  (registers every event contract)
from cppcc_common.auth import JwksKeySource, KeySource, TokenVerifier
from cppcc_common.clock import Clock
from cppcc_common.consumer import Consumer, ConsumerSpec
from cppcc_common.db import (
    ReadPool,
    create_engine,
    create_read_pool,
    create_read_sessionmaker,
    create_sessionmaker,
    listen,
    publish_on_commit,
)
from cppcc_common.docs import docs_router
from cppcc_common.error_handlers import install_error_handlers
from cppcc_common.errors import AppError
from cppcc_common.health import router as health_router
from cppcc_common.idempotency import IdempotencyMiddleware
from cppcc_common.logging import configure_logging
from cppcc_common.middleware import NO_OPENTELEMETRY, BodySizeLimitMiddleware, install_common_middleware
from cppcc_common.openapi import install_openapi
from cppcc_common.outbox import OutboxRelay
from cppcc_common.query import reject_unknown_query_parameters
from cppcc_common.scanner import DeadlineScanner
from cppcc_common.settings import ServiceSettings, process_clock

log = logging.getLogger("cppcc.app")


@dataclass
class Runtime:
    """Everything a running service holds; reachable as `request.app.state.runtime`."""

    settings: ServiceSettings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    verifier: TokenVerifier
    read_sessionmaker: async_sessionmaker[AsyncSession]  # autocommit: single-statement reads
    read_pool: ReadPool  # plain asyncpg: the hottest reads (ReadConnectionDep)
    nc: NATS | None = None
    js: JetStreamContext | None = None
    relay: OutboxRelay | None = None
    consumers: list[Consumer] = field(default_factory=list)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)


StartupHook = Callable[[Runtime], Awaitable[None]]
# A key source, or a factory building one from the service's sessionmaker (member-svc reads its own keys).
KeySourceArg = KeySource | Callable[[async_sessionmaker[AsyncSession]], KeySource] | None
ScannerFactory = Callable[[Runtime], DeadlineScanner]


async def _listen_for_outbox(runtime: Runtime) -> None:
    """Wakes the relay on NOTIFY (events committed by a process without a relay: a command, the demo's
    seeding, a pod of another version); polling stays the source of truth if this connection drops."""
    assert runtime.relay is not None
    await listen(runtime.settings.database_url, "cppcc_outbox", runtime.relay.wake)


def _spawn(runtime: Runtime, coro: Awaitable[Any], name: str) -> None:
    task = asyncio.ensure_future(coro)
    task.set_name(name)
    runtime.tasks.append(task)


async def start_runtime(
    settings: ServiceSettings,
    *,
    streams: Sequence[str],
    consumers: Sequence[ConsumerSpec] = (),
    scanners: Sequence[ScannerFactory] = (),
    key_source: KeySourceArg = None,
    clock: Clock | None = None,
    on_startup: Sequence[StartupHook] = (),
) -> Runtime:
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    sessionmaker = create_sessionmaker(engine)
    if callable(key_source):
        key_source = key_source(sessionmaker)
    clock = clock or process_clock(settings)
    verifier = TokenVerifier(
        key_source or JwksKeySource(settings.jwks_url, ttl=settings.jwks_cache_seconds, clock=clock),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        clock=clock,
    )
    runtime = Runtime(
        settings=settings,
        clock=clock,
        engine=engine,
        sessionmaker=sessionmaker,
        verifier=verifier,
        read_sessionmaker=create_read_sessionmaker(engine),
        read_pool=await create_read_pool(settings.database_url, size=settings.database_pool_size),
    )
    runtime.nc = await bus.connect(settings.nats_url, name=settings.service_name)
    runtime.js = runtime.nc.jetstream()
    await bus.ensure_streams(runtime.js, list(streams), replicas=settings.stream_replicas)
    for hook in on_startup:
        await hook(runtime)
    if settings.relay_enabled:
        runtime.relay = OutboxRelay(
            engine, runtime.js, batch_size=settings.relay_batch_size, interval=settings.relay_interval_seconds
        )
        publish_on_commit(sessionmaker, runtime.relay.wake)
        _spawn(runtime, runtime.relay.run(), "outbox-relay")
        _spawn(runtime, _listen_for_outbox(runtime), "outbox-listen")
    if settings.consumers_enabled:
        for spec in consumers:
            consumer = Consumer(
                spec, runtime.js, runtime.sessionmaker, clock=runtime.clock, source=settings.source
            )
            await consumer.start()
            runtime.consumers.append(consumer)
            _spawn(runtime, consumer.run(), f"consumer-{spec.name}")
    for factory in scanners:
        scanner = factory(runtime)
        _spawn(runtime, scanner.run(), f"scanner-{scanner.name}")
    return runtime


async def stop_runtime(runtime: Runtime) -> None:
    for task in runtime.tasks:
        task.cancel()
    await asyncio.gather(*runtime.tasks, return_exceptions=True)
    if runtime.nc is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(runtime.nc.close(), timeout=5.0)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(runtime.read_pool.close(), timeout=5.0)
    await runtime.engine.dispose()


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    streams: Sequence[str],
    consumers: Sequence[ConsumerSpec] = (),
    scanners: Sequence[ScannerFactory] = (),
    key_source: KeySourceArg = None,
    clock: Clock | None = None,
    on_startup: Sequence[StartupHook] = (),
    idempotency: bool = True,
    tags: Mapping[str, str] | None = None,
) -> FastAPI:
    """A service app with errors, logging, health, metrics, and its background machinery.

    `tags` describes each OpenAPI tag the routers use. Every route refuses undeclared query
    parameters, and the OpenAPI document says what each route may answer (`cppcc_common.openapi`).

    `idempotency` installs the Idempotency-Key middleware; the service's database then needs the
    `idempotency_keys` table (`cppcc_common.idempotency.create_idempotency_table_v1`).
    """
    configure_logging(settings.service_name, settings.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start_runtime(
            settings,
            streams=streams,
            consumers=consumers,
            scanners=scanners,
            key_source=key_source,
            clock=clock,
            on_startup=on_startup,
        )
        app.state.runtime = runtime
        # What start-up built (modules, the app, its routes) lives as long as the process: moved out
        # of the collector's sight, a full collection no longer rescans it while requests wait.
        gc.collect()
        gc.freeze()
        log.info("started", extra={"port": settings.port})
        try:
            yield
        finally:
            await stop_runtime(runtime)

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(reject_unknown_query_parameters)],
        telemetry=NO_OPENTELEMETRY,
    )
    install_error_handlers(app)
    install_openapi(app, tags=tags or {}, idempotency=idempotency)
    app.include_router(health_router)
    app.include_router(docs_router(title=title))
    for router in routers:
        app.include_router(router)

    async def owner_of(token: str) -> str | None:
        try:
            return str((await app.state.runtime.verifier.verify(token)).sub)
        except AppError:
            return None

    if idempotency:
        app.add_middleware(IdempotencyMiddleware, engine=lambda: app.state.runtime.engine, owner_of=owner_of)
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, uploads=settings.upload_limits
    )
    install_common_middleware(app, settings)  # the edge adds Vary: Accept-Language too
    return app
