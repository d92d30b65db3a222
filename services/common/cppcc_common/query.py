"""Undeclared query parameters are 422 (DESIGN.md §5): a client must never believe a filter worked
when it was ignored (`?q=…` used to return the whole list).

`reject_unknown_query_parameters` is installed app-wide by `create_service_app`; it compares the
request's query keys with every query parameter the matched route declares, its dependencies
included (the whole dependant tree, as FastAPI serves it). The caller's permission is checked
first, so a caller the route would refuse hears 401/403, as for any other invalid request.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from cppcc_common.auth import Permission
from cppcc_common.errors import ValidationFailed
from cppcc_common.i18n import Text, negotiate_language

_UNKNOWN = Text("不支持的查询参数：{names}", "Unknown query parameters: {names}")
# Only so much of the client's input is echoed back.
_MAX_NAME, _MAX_LISTED = 64, 10
_FIELD = Text("不支持此查询参数", "This query parameter is not supported")


def _query_names(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        yield param.alias
    for sub in dependant.dependencies:
        yield from _query_names(sub)


def _permissions(dependant: Dependant) -> Iterator[Permission]:
    if isinstance(dependant.call, Permission):
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _permissions(sub)


@dataclass
class Declared:
    """What a route declares: its query parameter names and its permissions."""

    names: set[str] = field(default_factory=set)
    permissions: list[Permission] = field(default_factory=list)


def declared_query_parameters(app: FastAPI) -> dict[int, Declared]:
    """id of each API route of the app → what it declares (in any inclusion)."""
    declared: dict[int, Declared] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            entry = declared.setdefault(id(route), Declared())
            entry.names.update(_query_names(context.dependant))
            entry.permissions.extend(p for p in _permissions(context.dependant) if p not in entry.permissions)
    return declared


def _declared_for(request: Request) -> Declared | None:
    app: Any = request.app
    table: dict[int, Declared] | None = getattr(app.state, "declared_query_parameters", None)
    if table is None:
        table = app.state.declared_query_parameters = declared_query_parameters(app)
    route = request.scope.get("route")
    return table.get(id(route)) if isinstance(route, APIRoute) else None


async def reject_unknown_query_parameters(request: Request) -> None:
    """422 listing every query parameter the route does not declare."""
    if not request.query_params:
        return
    declared = _declared_for(request)
    if declared is None:
        return
    unknown = sorted({k[:_MAX_NAME] for k in request.query_params if k not in declared.names})[:_MAX_LISTED]
    if unknown:
        for permission in declared.permissions:
            await permission(request)  # 401/403 first, as for any other invalid request
        lang = negotiate_language(request.headers.get("accept-language"))
        errors = [
            {"field": k, "code": "unknown_query_parameter", "message": _FIELD.render(lang)} for k in unknown
        ]
        raise ValidationFailed(_UNKNOWN, errors=errors, names=", ".join(unknown))
