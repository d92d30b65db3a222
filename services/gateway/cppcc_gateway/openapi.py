"""One merged OpenAPI 3.1 document for the whole API, built from each service's document."""

import asyncio
import copy
import time
from typing import Any

import httpx

_SKIP_PATHS = ("/healthz", "/readyz", "/metrics")


class MergedOpenAPI:
    def __init__(
        self, clients: dict[str, httpx.AsyncClient], *, title: str, version: str, ttl: float = 30.0
    ) -> None:
        self.clients = clients
        self.title = title
        self.version = version
        self.ttl = ttl
        self._cached: dict[str, Any] | None = None
        self._at = 0.0

    async def _fetch(self, name: str) -> tuple[str, dict[str, Any] | None]:
        try:
            response = await self.clients[name].get("/openapi.json", timeout=5.0)
            response.raise_for_status()
            return name, response.json()
        except (httpx.HTTPError, ValueError):
            return name, None

    async def document(self) -> dict[str, Any]:
        if self._cached is not None and time.monotonic() - self._at < self.ttl:
            return self._cached
        results = await asyncio.gather(*(self._fetch(n) for n in self.clients))
        merged: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {
                "title": self.title,
                "version": self.version,
                "description": "掌上政协统一接口。错误为 application/problem+json（RFC 9457）；"
                "默认中文，`Accept-Language: en` 返回英文。",
            },
            "paths": {},
            "components": {
                "schemas": {},
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            },
            "security": [{"bearer": []}],
            "tags": [],
            "x-upstreams": {},
        }
        complete = True
        for name, doc in results:
            merged["x-upstreams"][name] = "ok" if doc else "unavailable"
            if doc is None:
                complete = False
                continue
            for path, item in doc.get("paths", {}).items():
                if not path.startswith(_SKIP_PATHS):
                    merged["paths"][path] = copy.deepcopy(item)
            merged["components"]["schemas"].update(doc.get("components", {}).get("schemas", {}))
            merged["tags"].extend(t for t in doc.get("tags", []) if t not in merged["tags"])
        if complete:
            self._cached, self._at = merged, time.monotonic()
        return merged
