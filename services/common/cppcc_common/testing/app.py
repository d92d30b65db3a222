"""Run a service app in-process with its real lifespan (database, NATS, relay, consumers)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


@asynccontextmanager
async def serve_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to `app` after its start-up ran; shuts it down afterwards."""
    async with app.router.lifespan_context(app):
        # As in production (uvicorn --proxy-headers): X-Forwarded-For from the local gateway is trusted.
        trusted = ProxyHeadersMiddleware(app, trusted_hosts="127.0.0.1")  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=trusted, raise_app_exceptions=False)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
