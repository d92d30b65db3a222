from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import consultation_svc
from consultation_svc.main import create_app
from consultation_svc.settings import Settings
from cppcc_common.auth import assert_routes_declare_permissions, routes_naming
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer

issuer = TestIssuer()


@pytest.fixture(scope="module")
async def client(databases: Any, module_nats_url: str) -> AsyncIterator[httpx.AsyncClient]:
    url = databases.migrated(Path(consultation_svc.__file__).parent / "migrations", "consultation")
    app = create_app(Settings(database_url=url, nats_url=module_nats_url), key_source=issuer.key_source())
    async with serve_app(app) as c:
        yield c


async def test_the_service_starts_migrated_and_reports_ready(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"database": "ok", "nats": "ok"}
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert b"http_requests_total" in (await client.get("/metrics")).content
    assert "/api/v1/consultations/forms" in (await client.get("/openapi.json")).json()["paths"]


async def test_the_consultation_forms_of_domain_md_are_listed_for_signed_in_users(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/api/v1/consultations/forms")).status_code == 401
    forms = (await client.get("/api/v1/consultations/forms", headers=issuer.headers())).json()
    names = {f["name_zh"] for f in forms}
    assert {"双月协商座谈会", "专题协商会", "书面协商", "网络议政"} <= names


def test_every_route_declares_its_permission() -> None:
    assert_routes_declare_permissions(create_app())


# A unit's partner system reaches only the outcomes its unit is responsible for, and records the
# unit's feedback (rule 22; `readable` hides every other outcome).
PARTNER_ROUTES = {
    "['GET'] /api/v1/consultations/outcomes",
    "['GET'] /api/v1/consultations/outcomes/{outcome_id}",
    "['POST'] /api/v1/consultations/outcomes/{outcome_id}/feedback",
    "['GET'] /api/v1/consultations/outcomes/{outcome_id}/attachments",
    "['GET'] /api/v1/consultations/outcomes/{outcome_id}/attachments/{attachment_id}",
}


def test_partner_clients_reach_only_their_units_outcomes() -> None:
    assert set(routes_naming(create_app(), "partner")) == PARTNER_ROUTES
