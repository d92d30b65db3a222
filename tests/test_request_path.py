"""The request path of every process: what each request runs, checked over every route."""

import base64
import inspect
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

import consultation_svc.main
import member_svc.main
import member_svc.settings
import notify_svc.main
import proposal_svc.main
from cppcc_gateway.main import create_app as create_gateway


def _member_svc() -> FastAPI:
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return member_svc.main.create_app(member_svc.settings.Settings(key_encryption_key=kek))


FACTORIES: dict[str, Callable[[], FastAPI]] = {
    "member-svc": _member_svc,
    "proposal-svc": proposal_svc.main.create_app,
    "consultation-svc": consultation_svc.main.create_app,
    "notify-svc": notify_svc.main.create_app,
    "gateway": create_gateway,
}


def _calls(dependant: Dependant) -> Iterator[Any]:
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _runs_on_the_loop(call: Any) -> bool:
    """A coroutine (or async generator) function, or an object whose __call__ is one."""
    for candidate in (call, getattr(call, "__call__", None)):  # noqa: B004 (the method, not callable())
        if inspect.iscoroutinefunction(candidate) or inspect.isasyncgenfunction(candidate):
            return True
    return False


@pytest.mark.parametrize("process", FACTORIES)
def test_no_route_dependency_runs_in_the_threadpool(process: str) -> None:
    """FastAPI runs a plain `def` endpoint or dependency in a worker thread: a thread hop and GIL
    hand-over per request (the If-Match parsers cost a submit ~2 % in the dispatch alone) for code
    that never blocks. Every endpoint and dependency of every route is `async def`."""
    app = FACTORIES[process]()
    assert any(isinstance(c.original_route, APIRoute) for c in iter_route_contexts(app.routes))
    found = sorted(
        {
            f"{context.path}: {getattr(call, '__qualname__', repr(call))}"
            for context in iter_route_contexts(app.routes)
            if isinstance(context.original_route, APIRoute)
            for call in _calls(context.dependant)
            if call is not None and not _runs_on_the_loop(call)
        }
    )
    assert not found, found


@pytest.mark.parametrize("process", FACTORIES)
async def test_no_request_asks_opentelemetry_for_a_provider(
    process: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FastAPI's native telemetry is off in every process: left on, each request asked
    OpenTelemetry whether a provider was configured (an environment lookup), ~2 % of a hot read."""
    import httpx
    from opentelemetry import trace

    asked: list[int] = []
    real = trace.get_tracer_provider

    def counting() -> trace.TracerProvider:
        asked.append(1)
        return real()

    monkeypatch.setattr(trace, "get_tracer_provider", counting)
    app = FACTORIES[process]()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # no runtime: 500s are fine
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        await client.get("/healthz")
        await client.get("/nowhere")
    assert asked == []
