"""One merged OpenAPI 3.1 document for the whole API, built from each service's document.

It keeps what each service documents (problem+json errors, `security: []` on public operations,
security schemes, examples, tag descriptions) and adds what the gateway itself may answer: 400
for a path or query it refuses to route, on every operation, and 429 on every operation it
rate-limits (each principal's requests, and logins per client address).
"""

import asyncio
import copy
import time
from typing import Any

import httpx

from cppcc_common.errors import PROBLEM_JSON, RateLimited
from cppcc_common.openapi_components import PROBLEM_REF, PROBLEM_SCHEMAS, SECURITY_SCHEMES
from cppcc_gateway.routing import LOGIN_PATHS, MalformedPath, is_public_read

_SKIP_PATHS = ("/healthz", "/readyz", "/metrics")
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_RATE_LIMITED = {
    "description": f"`{RateLimited.code}`: {RateLimited.title.en} (the gateway's limits; see Retry-After)",
    "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
}


_MALFORMED: dict[str, Any] = {
    "description": f"`{MalformedPath.code}`: {MalformedPath.title.en} (control characters, dot segments,"
    " encoded slashes or bad escapes in the path or query; the gateway refuses them before routing)",
    "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
}


def _add_gateway_answers(path: str, item: dict[str, Any]) -> None:
    """400 on every operation (a path or query the gateway will not route), and 429 where it
    limits: every authenticated operation, the login paths and the public reads."""
    for method, operation in item.items():
        if method not in _METHODS:
            continue
        responses = operation.setdefault("responses", {})
        if "400" in responses:
            responses["400"]["description"] += "; " + _MALFORMED["description"]
        else:
            responses["400"] = copy.deepcopy(_MALFORMED)
        if operation.get("security") != [] or path in LOGIN_PATHS or is_public_read(path):
            operation.setdefault("responses", {}).setdefault("429", copy.deepcopy(_RATE_LIMITED))


def _merge_tags(merged: list[dict[str, Any]], tags: list[dict[str, Any]]) -> None:
    known = {t["name"]: t for t in merged}
    for tag in tags:
        if tag["name"] not in known:
            known[tag["name"]] = dict(tag)
            merged.append(known[tag["name"]])
        elif tag.get("description") and not known[tag["name"]].get("description"):
            known[tag["name"]]["description"] = tag["description"]


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
                "schemas": copy.deepcopy(PROBLEM_SCHEMAS),
                "securitySchemes": copy.deepcopy(SECURITY_SCHEMES),
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
                    _add_gateway_answers(path, merged["paths"][path])
            components = doc.get("components", {})
            merged["components"]["schemas"].update(components.get("schemas", {}))
            merged["components"]["securitySchemes"].update(components.get("securitySchemes", {}))
            _merge_tags(merged["tags"], doc.get("tags", []))
        used = {t for item in merged["paths"].values() for op in item.values() for t in op.get("tags", [])}
        merged["tags"] = sorted((t for t in merged["tags"] if t["name"] in used), key=lambda t: t["name"])
        if complete:
            self._cached, self._at = merged, time.monotonic()
        return merged
