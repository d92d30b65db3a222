"""The gateway merges every service's OpenAPI document into one (cppcc_gateway/openapi.py), and
components of the same name overwrite each other there: two services defining a schema of the
same name differently would leave one service's routes validated against the other's schema
(found when proposal-svc's policy body was first named like member-svc's `PolicyValues`)."""

import base64
import importlib
import os
from typing import Any

SERVICES = ("member_svc", "proposal_svc", "consultation_svc", "notify_svc")


def _schemas(service: str) -> dict[str, Any]:
    """The service's OpenAPI component schemas, from its app (nothing is started or connected)."""
    main = importlib.import_module(f"{service}.main")
    settings = importlib.import_module(f"{service}.settings")
    extra = {"key_encryption_key": base64.urlsafe_b64encode(os.urandom(32)).decode()}
    values = {
        "database_url": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
        "nats_url": "nats://127.0.0.1:1",
        **(extra if service == "member_svc" else {}),
    }
    app = main.create_app(settings.Settings(**values))
    return dict(app.openapi().get("components", {}).get("schemas", {}))


def test_no_two_services_define_a_schema_of_the_same_name_differently() -> None:
    seen: dict[str, tuple[str, Any]] = {}
    conflicts = []
    for service in SERVICES:
        for name, schema in _schemas(service).items():
            if name in seen and seen[name][1] != schema:
                conflicts.append(f"{name}: {seen[name][0]} and {service}")
            seen.setdefault(name, (service, schema))
    assert conflicts == []
