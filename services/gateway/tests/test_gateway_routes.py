"""Every operation of a service's OpenAPI document is reachable through the gateway, and only those."""

import base64
from typing import Any

import pytest

from cppcc_gateway.routing import ROUTES, upstream_for

OPERATIONAL = ("/metrics", "/healthz", "/readyz", "/docs", "/openapi.json")


def _documents() -> dict[str, dict[str, Any]]:
    from consultation_svc.main import create_app as consultation
    from member_svc.main import create_app as member
    from member_svc.settings import Settings as MemberSettings
    from notify_svc.main import create_app as notify
    from proposal_svc.main import create_app as proposal

    key = base64.urlsafe_b64encode(b"k" * 32).decode().rstrip("=")
    apps = {
        "member": member(MemberSettings(key_encryption_key=key)),
        "proposal": proposal(),
        "consultation": consultation(),
        "notify": notify(),
    }
    return {name: app.openapi() for name, app in apps.items()}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return _documents()


def test_every_documented_operation_is_routed_to_its_service(documents: dict[str, dict[str, Any]]) -> None:
    wrong = [
        (service, path, upstream_for(path))
        for service, doc in documents.items()
        for path in doc["paths"]
        if not path.startswith(OPERATIONAL) and upstream_for(path) != service
    ]
    assert not wrong, wrong


def test_the_gateway_routes_only_what_a_service_documents(documents: dict[str, dict[str, Any]]) -> None:
    documented = {(service, path) for service, doc in documents.items() for path in doc["paths"]}
    unused = [
        route
        for route in ROUTES
        if not any(
            service == route.upstream and upstream_for(path) == service and _under(path, route.prefix)
            for service, path in documented
        )
    ]
    assert not unused, unused
    assert all(upstream_for(p) is None for p in OPERATIONAL)


def _under(path: str, prefix: str) -> bool:
    return path == prefix.rstrip("/") or path.startswith(prefix.rstrip("/") + "/")
