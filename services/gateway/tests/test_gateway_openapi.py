"""The merged OpenAPI document keeps every service's promises, and the docs page works offline."""

import base64
import os
import re
from typing import Any

import httpx

from consultation_svc.main import create_app as consultation_app
from cppcc_common.docs import CSP
from cppcc_common.testing.contract import document_broken_promises, operations
from cppcc_gateway.main import create_app
from cppcc_gateway.openapi import MergedOpenAPI
from cppcc_gateway.routing import LOGIN_PATHS
from member_svc.main import create_app as member_app
from member_svc.settings import Settings as MemberSettings
from notify_svc.main import create_app as notify_app
from proposal_svc.main import create_app as proposal_app


async def _merged() -> dict[str, Any]:
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    apps = {
        "member": member_app(MemberSettings(key_encryption_key=kek)),
        "proposal": proposal_app(),
        "consultation": consultation_app(),
        "notify": notify_app(),
    }
    clients = {
        name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://upstream")
        for name, app in apps.items()
    }
    try:
        return await MergedOpenAPI(clients, title="掌上政协 API", version="1.0.0").document()
    finally:
        for client in clients.values():
            await client.aclose()


async def test_the_merged_document_keeps_every_services_promises() -> None:
    document = await _merged()
    assert set(document["x-upstreams"].values()) == {"ok"}
    assert document_broken_promises(document) == []
    assert not [path for path in document["paths"] if path in ("/healthz", "/readyz", "/metrics")]


async def test_the_merged_document_says_where_the_gateway_refuses_paths_and_rate_limits() -> None:
    document = await _merged()
    for method, path, op in operations(document):
        assert "gateway.malformed_path" in op["responses"]["400"]["description"], f"{method} {path}"
        if op["security"] != [] or path in LOGIN_PATHS:
            assert "429" in op["responses"], f"{method} {path}"
    token = document["paths"]["/api/v1/auth/token"]["post"]
    assert token["security"] == [] and "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    flows = document["components"]["securitySchemes"]["clientCredentials"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/api/v1/auth/token"


async def test_the_gateway_docs_page_works_offline() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        page = await client.get("/docs")
        assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
        assert not re.search(r"(src|href)=\"(https?:)?//", page.text)
        assets = re.findall(r"(?:src|href)=\"(/docs/assets/[^\"]+)\"", page.text)
        assert len(assets) >= 3
        for asset in assets:
            assert (await client.get(asset)).status_code == 200, asset
