"""Run a service app in-process with its real lifespan (database, NATS, relay, consumers)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from cppcc_common.middleware import TrustedProxyMiddleware


@asynccontextmanager
async def serve_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to `app` after its start-up ran; shuts it down afterwards."""
    async with app.router.lifespan_context(app):
        # As behind the gateway: X-Forwarded-For from it (this client, 127.0.0.1) names the client.
        trusted = TrustedProxyMiddleware(app, trusted=["127.0.0.1"])
        transport = httpx.ASGITransport(app=trusted, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
