"""Run a service app in-process with its real lifespan (database, NATS, relay, consumers)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI


@asynccontextmanager
async def serve_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to `app` after its start-up ran; shuts it down afterwards."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
