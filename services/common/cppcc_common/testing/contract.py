"""Checks every service runs on its own app: the OpenAPI document keeps its promises, every
collection has the one list shape, and every route refuses undeclared query parameters."""

import inspect
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from cppcc_common.auth import ROLES, TokenVerifier
from cppcc_common.errors import PROBLEM_JSON
from cppcc_common.openapi_components import PROBLEM_REF
from cppcc_common.pagination import DEFAULT_LIMIT
from cppcc_common.testing.tokens import TestIssuer

METHODS = ("get", "put", "post", "delete", "patch")
EVERY_SCOPE = {"members", "proposals", "consultation", "opinions"}
STATUS_NAMES = re.compile(r"^(status|\w+_status|kind)$")


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def _json_body(operation: dict[str, Any]) -> dict[str, Any] | None:
    content: dict[str, Any] = operation.get("requestBody", {}).get("content", {})
    return content.get("application/json") or content.get("application/x-www-form-urlencoded")


def document_broken_promises(document: dict[str, Any]) -> list[str]:
    """Every promise of DESIGN.md §5 the document breaks, one line each (empty when it keeps them)."""
    broken: list[str] = []
    schemes = document.get("components", {}).get("securitySchemes", {})
    flows = schemes.get("clientCredentials", {}).get("flows", {})
    if schemes.get("bearer", {}).get("scheme") != "bearer" or "clientCredentials" not in flows:
        broken.append("securitySchemes: bearer JWT and OAuth2 client credentials are not both declared")
    for tag in document.get("tags", []):
        if not tag.get("description"):
            broken.append(f"tag {tag['name']} has no description")
    for method, path, op in operations(document):
        where = f"{method.upper()} {path}"
        responses = op.get("responses", {})
        if "security" not in op:
            broken.append(f"{where}: no security requirement (public operations say security: [])")
        elif op["security"] and not {"401", "403"} <= set(responses):
            broken.append(f"{where}: protected but 401/403 not documented")
        if "422" not in responses:
            broken.append(f"{where}: 422 not documented")
        body = _json_body(op)
        if body is not None and "example" not in body and "examples" not in body:
            broken.append(f"{where}: request body without an example")
        for status, response in responses.items():
            if status.isdigit() and int(status) >= 400:
                schema = response.get("content", {}).get(PROBLEM_JSON, {}).get("schema")
                if schema != PROBLEM_REF or len(response.get("content", {})) != 1:
                    broken.append(
                        f"{where}: {status} is not application/problem+json with the Problem schema"
                    )
    broken += _untyped_statuses(document)
    return broken


def _untyped_statuses(document: dict[str, Any]) -> list[str]:
    """Status-like fields of every schema render as enums (Literal or Enum in the model)."""
    broken = []
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        for field, sub in schema.get("properties", {}).items():
            # An HTTP status (Problem.status) is a number; a lifecycle status is text and an enum.
            if STATUS_NAMES.match(field) and sub.get("type") != "integer" and not _is_enum(sub, document):
                broken.append(f"schema {name}.{field} is not an enum")
    return broken


def _is_enum(schema: dict[str, Any], document: dict[str, Any]) -> bool:
    if "$ref" in schema:
        return _is_enum(document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], document)
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    return bool(options) and all(
        "enum" in s or "const" in s or "$ref" in s and _is_enum(s, document) for s in options
    )


def collections_off_the_list_shape(document: dict[str, Any], bounded: set[str]) -> list[str]:
    """GET operations answering a bare array (except `bounded` ones), and paginated ones whose
    `limit`/`cursor` differ from the one shape."""
    broken = []
    for method, path, op in operations(document):
        if method != "get":
            continue
        schema = (
            op.get("responses", {})
            .get("200", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema", {})
        )
        if schema.get("type") == "array" and path not in bounded:
            broken.append(f"GET {path}: a bare array, not {{items, next_cursor}}")
        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
        if "cursor" in params or "limit" in params:
            limit = params.get("limit", {}).get("schema", {})
            if limit.get("default") != DEFAULT_LIMIT or "cursor" not in params:
                broken.append(f"GET {path}: limit default {limit.get('default')} / cursor not the one shape")
    return broken


# A route that reads its body itself (a form, a file) must say so with `openapi_extra=`.
_READS_BODY = re.compile(r"request\.(body|stream|form)\(\)|await (_body|read_limited_body)\(request")


def routes_reading_undocumented_bodies(app: FastAPI) -> list[str]:
    """Routes whose endpoint reads the raw request body while the document shows no body."""
    document = app.openapi()
    missing = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not _READS_BODY.search(inspect.getsource(route.endpoint)):
            continue
        for method in sorted(context.methods or ()):
            operation = document["paths"].get(context.path_format, {}).get(method.lower(), {})
            if "requestBody" not in operation:
                missing.append(f"{method} {context.path_format}")
    return missing


def _sample_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "0195f0a2-7c4e-7b51-9a3e-3c1b2d4e5f60", path)


async def routes_accepting_unknown_query_parameters(app: FastAPI) -> list[str]:
    """Every API route answering anything but 422 `unknown_query_parameter` to `?zz_unknown=1`,
    asked by a principal holding every role and scope (a refused caller hears 401/403 first).

    Runs without the app's lifespan: the refusal comes before the route does any work."""
    issuer = TestIssuer()
    if not hasattr(app.state, "runtime"):
        verifier = TokenVerifier(issuer.key_source(), issuer=issuer.issuer, audience=issuer.audience)
        app.state.runtime = SimpleNamespace(verifier=verifier)
    headers = issuer.headers(roles=sorted(ROLES), scopes=sorted(EVERY_SCOPE))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    failures = []
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client:
        for context in iter_route_contexts(app.routes):
            if not isinstance(context.original_route, APIRoute):
                continue
            for method in sorted(context.methods or ()):
                url = _sample_path(context.path_format or "/") + "?zz_unknown=1"
                response = await client.request(method, url)
                problem = response.json() if response.status_code == 422 else {}
                if "zz_unknown" not in [e.get("field") for e in problem.get("errors") or []]:
                    failures.append(f"{method} {context.path_format} → {response.status_code}")
    return failures
