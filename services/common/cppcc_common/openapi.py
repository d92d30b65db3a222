"""The API document tells the truth (DESIGN.md §5), built once here for every service.

`install_openapi` replaces FastAPI's generator with one that adds to each operation what its
route declares, so a new route inherits it:
- its `Permission`: public → `security: []`; otherwise the bearer JWT (and the OAuth2
  client-credentials scheme when partner systems are admitted), 401/403, and `x-permissions`
  (the permission's name, the roles and scopes it admits);
- a path parameter → 404; a request body → 413; every operation → 422 (parameters are validated,
  unknown query parameters refused);
- If-Match → 400 and 412, and 428 when it is required;
- a write under Idempotency-Key → the header, 409 (the same key still running) and 422 (reused);
- `responses=problems(SomeError, …)` on the route → the statuses of the errors it declares.
Every 4xx/5xx answer is `application/problem+json` with the one `Problem` schema; every request
body has an example (the schema's own, or one built from the schema); tags carry descriptions.
"""

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from cppcc_common.auth import Permission
from cppcc_common.errors import (
    PROBLEM_JSON,
    AppError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    Unauthenticated,
    ValidationFailed,
)
from cppcc_common.idempotency import TOKEN_PATHS, InProgress, KeyReused
from cppcc_common.openapi_components import PROBLEM_REF, PROBLEM_SCHEMAS, SECURITY_SCHEMES
from cppcc_common.versioning import (
    ACCEPTS_IF_MATCH,
    REQUIRES_IF_MATCH,
    MalformedIfMatch,
    PreconditionRequired,
)

FORM = "application/x-www-form-urlencoded"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})

COMMON_TAGS = {"operations": "健康检查与就绪探测 / liveness and readiness probes"}

_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Replays the first answer to a repeated write (1–200 visible characters).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


def problems(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the errors it may raise beyond those derived from its declaration."""
    by_status: dict[int, list[type[AppError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    return {status: {"description": _describe(found)} for status, found in sorted(by_status.items())}


def form_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra=` for a route that parses an x-www-form-urlencoded body itself."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {FORM: {"schema": schema}}}}


def raw_body(*media_types: str) -> dict[str, Any]:
    """`openapi_extra=` for a route that reads a file as the raw request body."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"requestBody": {"required": True, "content": {t: binary for t in media_types}}}


def _describe(errors: list[type[AppError]]) -> str:
    return "; ".join(f"`{e.code}`: {e.title.en}" for e in errors)


def _calls(dependant: Dependant) -> Iterator[Any]:
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _flat_params(dependant: Dependant, kind: str) -> Iterator[Any]:
    yield from getattr(dependant, kind)
    for sub in dependant.dependencies:
        yield from _flat_params(sub, kind)


def _security(permissions: list[Permission]) -> list[dict[str, list[str]]]:
    """Public → no requirement; otherwise the bearer JWT, and client credentials if partners pass."""
    if not permissions or all(p.public for p in permissions):
        return []
    admits_partner = all(
        "partner" in p.roles or (not p.roles and p.rule is None) for p in permissions if not p.public
    )
    return [{"bearer": []}, {"clientCredentials": []}] if admits_partner else [{"bearer": []}]


def _declared(permission: Permission) -> dict[str, Any]:
    """Who a permission admits, as the document tells clients (and the fuzz, which sends each caller
    only to the operations its roles and scopes reach): a caller needs one of the roles and, when
    scopes are named, one of the scopes; `rule` says a further check on the caller applies."""
    return {
        "name": permission.name,
        "roles": sorted(permission.roles),
        "scopes": sorted(permission.scopes),
        "rule": permission.rule is not None,
    }


def _refers_to_resources(operation: dict[str, Any], components: dict[str, Any]) -> bool:
    """A query parameter or body field holding an id names a resource that may not exist (404)."""
    schemas = [p.get("schema", {}) for p in operation.get("parameters", []) if p["in"] == "query"]
    for media in operation.get("requestBody", {}).get("content", {}).values():
        schemas.append(media.get("schema", {}))
    return any(_has_uuid(schema, components, 0) for schema in schemas)


def _has_uuid(schema: Any, components: dict[str, Any], depth: int) -> bool:
    if not isinstance(schema, dict) or depth > 5:
        return False
    if schema.get("format") == "uuid":
        return True
    if "$ref" in schema:
        return _has_uuid(components.get(schema["$ref"].rsplit("/", 1)[-1]), components, depth + 1)
    nested = [*schema.get("properties", {}).values(), schema.get("items")]
    nested += [*schema.get("anyOf", []), *schema.get("oneOf", []), *schema.get("allOf", [])]
    return any(_has_uuid(sub, components, depth + 1) for sub in nested)


def _derived_errors(
    operation: dict[str, Any],
    dependant: Dependant,
    method: str,
    idempotency: bool,
    components: dict[str, Any],
) -> list[type[AppError]]:
    calls = list(_calls(dependant))
    permissions = [c for c in calls if isinstance(c, Permission)]
    found: list[type[AppError]] = [ValidationFailed]
    if _security(permissions):
        found += [Unauthenticated, Forbidden]
    if list(_flat_params(dependant, "path_params")) or _refers_to_resources(operation, components):
        found.append(NotFound)
    if "requestBody" in operation:
        found.append(PayloadTooLarge)
    if REQUIRES_IF_MATCH in calls:
        found += [MalformedIfMatch, PreconditionFailed, PreconditionRequired]
    elif ACCEPTS_IF_MATCH in calls:
        found += [MalformedIfMatch, PreconditionFailed]
    if idempotency:
        found += [InProgress, KeyReused]
    return found


def _refine_operation(
    operation: dict[str, Any], dependant: Dependant, method: str, *, idempotency: bool, examples: "_Examples"
) -> None:
    permissions = [c for c in _calls(dependant) if isinstance(c, Permission)]
    operation["security"] = _security(permissions)
    declared = [p for p in permissions if not p.public]
    if declared:
        operation["x-permissions"] = [_declared(p) for p in declared]
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for response in responses.values():
        if response.get("description") == "Validation Error":  # FastAPI's own 422
            response["description"] = _describe([ValidationFailed])
    for error in _derived_errors(operation, dependant, method, idempotency, examples.components):
        response = responses.setdefault(str(error.status), {"description": _describe([error])})
        if f"`{error.code}`" not in response["description"]:
            response["description"] += "; " + _describe([error])
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
    if REQUIRES_IF_MATCH in _calls(dependant):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
                parameter["required"] = True
    if idempotency:
        operation.setdefault("parameters", []).append(dict(_IDEMPOTENCY_KEY))
    _add_body_examples(operation, examples)


def _add_body_examples(operation: dict[str, Any], examples: "_Examples") -> None:
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        schema = media.get("schema", {})
        if "example" in media or "examples" in media or schema.get("format") == "binary":
            continue
        media["example"] = examples.example(schema)


class _Examples:
    """Builds a plausible example value from a JSON schema (refs resolved against components)."""

    def __init__(self, components: dict[str, Any]) -> None:
        self.components = components

    def example(self, schema: dict[str, Any], depth: int = 0) -> Any:
        if "$ref" in schema:
            target = self.components.get(schema["$ref"].rsplit("/", 1)[-1], {})
            return self.example(target, depth)
        for key in ("examples", "example", "const", "default", "enum"):
            if key in schema and schema[key] not in (None, "", [], {}):
                value = schema[key]
                return value[0] if key in ("examples", "enum") else value
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                options = [s for s in schema[key] if s.get("type") != "null"]
                return self.example(options[0], depth) if options else None
        return _BUILDERS.get(schema.get("type", "object"), _object)(self, schema, depth)


def _object(builder: _Examples, schema: dict[str, Any], depth: int) -> Any:
    if depth > 4:
        return {}
    properties: dict[str, Any] = schema.get("properties", {})
    return {name: builder.example(sub, depth + 1) for name, sub in properties.items()}


def _array(builder: _Examples, schema: dict[str, Any], depth: int) -> Any:
    count = max(1, int(schema.get("minItems", 1)))
    return [builder.example(schema.get("items", {}), depth + 1) for _ in range(count)]


_FORMATS = {
    "uuid": "0195f0a2-7c4e-7b51-9a3e-3c1b2d4e5f60",
    "date": "2027-01-15",
    "date-time": "2027-01-15T09:30:00+08:00",
    "email": "someone@example.com",
    "uri": "https://example.com/",
}
_PATTERN_EXAMPLES = {r"^[0-9]{6}$": "123456", r"^\+?[0-9]+$": "13800000001"}


def _string(builder: _Examples, schema: dict[str, Any], depth: int) -> Any:
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    if schema.get("pattern") in _PATTERN_EXAMPLES:
        return _PATTERN_EXAMPLES[schema["pattern"]]
    length = max(int(schema.get("minLength", 1)), min(4, int(schema.get("maxLength", 4))))
    return ("示例文本" * length)[:length]


def _number(builder: _Examples, schema: dict[str, Any], depth: int) -> Any:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    return max(1, int(low) + (1 if "exclusiveMinimum" in schema else 0))


_BUILDERS: dict[str, Callable[[_Examples, dict[str, Any], int], Any]] = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": _number,
    "number": _number,
    "boolean": lambda *_: True,
    "null": lambda *_: None,
}


def refine_document(
    document: dict[str, Any],
    app: FastAPI,
    *,
    tags: Mapping[str, str],
    idempotency: bool,
) -> dict[str, Any]:
    """The generated document with errors, security, examples and tag descriptions added."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(PROBLEM_SCHEMAS)
    components["securitySchemes"] = SECURITY_SCHEMES
    examples = _Examples(schemas)
    paths = document.get("paths", {})
    for context in iter_route_contexts(app.routes):
        path = context.path_format or ""
        if not isinstance(context.original_route, APIRoute) or path not in paths:
            continue
        for method in context.methods or ():
            operation = paths[path].get(method.lower())
            if operation is not None:
                # Writes take Idempotency-Key, except on the token endpoints (they never replay).
                replays = method.lower() in WRITE_METHODS and not path.startswith(TOKEN_PATHS)
                _refine_operation(
                    operation,
                    context.dependant,
                    method.lower(),
                    idempotency=idempotency and replays,
                    examples=examples,
                )
    _drop_unused(schemas, document, ("HTTPValidationError", "ValidationError"))
    used = {t for item in paths.values() for op in item.values() for t in op.get("tags", [])}
    described = {**COMMON_TAGS, **tags}
    document["tags"] = [{"name": t, "description": described.get(t, "")} for t in sorted(used)]
    return document


def _drop_unused(schemas: dict[str, Any], document: dict[str, Any], names: tuple[str, ...]) -> None:
    """FastAPI's own validation-error schemas, which no answer uses once 422 is a Problem."""
    for name in names:
        schema = schemas.pop(name, None)
        if schema is not None and f'"#/components/schemas/{name}"' in json.dumps(document):
            schemas[name] = schema


def install_openapi(app: FastAPI, *, tags: Mapping[str, str], idempotency: bool) -> None:
    """Serve the refined document as the app's OpenAPI (built once, on first use)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = refine_document(generate(), app, tags=tags, idempotency=idempotency)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
