"""The authorization matrix of notify-svc (DESIGN.md §11): for every route, every kind of caller gets
its expected answer — 401 without a token, 403 for a role the route does not admit, 404 for an
object that is someone else's, and through otherwise (neither 401, 403 nor 404: the route's own
rule answered).

A person's inbox, devices and preferences are theirs alone (every human role; partner clients
403); webhook endpoints are a partner client's (its own unit's) and an administrator's.
`test_every_route_of_the_service_is_in_the_matrix` keeps the matrix complete.
"""

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import SecretStr
from webhook_support import new_key

from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from notify_svc.main import create_app
from notify_svc.settings import Settings

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
UNIT, OTHER_UNIT = uuid.uuid4(), uuid.uuid4()
OWNER = uuid.uuid4()  # whose device and endpoint the object routes name
THROUGH = "through"

CALLERS: dict[str, dict[str, Any] | None] = {
    "member": {"org": ORG, "roles": ["member"]},
    "staff": {"org": ORG, "roles": ["staff"], "scopes": ["proposals"]},
    "leader": {"org": ORG, "roles": ["leader"]},
    "unit_user": {"org": ORG, "roles": ["unit_user"], "unit": UNIT},
    "admin": {"org": ORG, "roles": ["admin"]},
    "partner": {"org": ORG, "roles": ["partner"], "unit": UNIT},
    "other_partner": {"org": ORG, "roles": ["partner"], "unit": OTHER_UNIT},
    "other_org_admin": {"org": OTHER_ORG, "roles": ["admin"]},
    "public": None,
}
PEOPLE = ("member", "staff", "leader", "unit_user", "admin", "other_org_admin")
NOT_ADMINS = ("member", "staff", "leader", "unit_user")
PARTNERS = ("partner", "other_partner")


def answers(default: str | int, **callers: str | int) -> dict[str, str | int]:
    return {c: callers.get(c, 401 if c == "public" else default) for c in CALLERS}


OWN = answers(THROUGH, **dict.fromkeys(PARTNERS, 403))  # my inbox, my devices, my preferences
SOMEONE_ELSES = answers(404, **dict.fromkeys(PARTNERS, 403))  # another person's item or device
ENDPOINTS = answers(THROUGH, **dict.fromkeys(NOT_ADMINS, 403))
# The partner's endpoint: its own unit and its organization's administrators reach it.
AN_ENDPOINT = answers(THROUGH, **dict.fromkeys(NOT_ADMINS, 403), other_org_admin=404, other_partner=404)
# A message that is not the endpoint's: 404 for whoever reaches the endpoint.
A_MESSAGE = {**AN_ENDPOINT, "partner": 404, "admin": 404}
PREFS = {"locale": "zh", "quiet_hours": {"enabled": True, "start": "22:00", "end": "08:00"}}
DEVICE = {"platform": "android", "vendor": "jpush", "token": "abcdefgh0123"}
HOOK = {"url": "http://127.0.0.1:9/hook", "event_types": ["cppcc.proposal.*"], "description": "x"}

# (method, path template, body, extra headers, expected answers)
MATRIX: list[tuple[str, str, Any, dict[str, str], dict[str, str | int]]] = [
    ("GET", "/api/v1/inbox", None, {}, OWN),
    ("GET", "/api/v1/inbox/unread-count", None, {}, OWN),
    ("GET", "/api/v1/inbox/stream", None, {}, OWN),
    ("POST", "/api/v1/inbox/{random}/read", None, {}, SOMEONE_ELSES),
    ("POST", "/api/v1/inbox/read-all", None, {}, OWN),
    ("DELETE", "/api/v1/inbox/{random}", None, {}, SOMEONE_ELSES),
    ("POST", "/api/v1/devices", DEVICE, {}, OWN),
    ("GET", "/api/v1/devices", None, {}, OWN),
    ("DELETE", "/api/v1/devices", None, {}, OWN),
    ("DELETE", "/api/v1/devices/{device}", None, {}, SOMEONE_ELSES),
    ("GET", "/api/v1/preferences/me", None, {}, OWN),
    ("PUT", "/api/v1/preferences/me", PREFS, {"If-Match": "*"}, OWN),
    (
        "POST",
        "/api/v1/webhooks/endpoints",
        HOOK,
        {},
        ENDPOINTS,
    ),
    ("GET", "/api/v1/webhooks/endpoints", None, {}, ENDPOINTS),
    ("GET", "/api/v1/webhooks/endpoints/{endpoint}", None, {}, AN_ENDPOINT),
    ("PATCH", "/api/v1/webhooks/endpoints/{endpoint}", {"description": "y"}, {"If-Match": "*"}, AN_ENDPOINT),
    ("POST", "/api/v1/webhooks/endpoints/{endpoint}/enable", None, {}, AN_ENDPOINT),
    ("POST", "/api/v1/webhooks/endpoints/{endpoint}/disable", None, {}, AN_ENDPOINT),
    ("POST", "/api/v1/webhooks/endpoints/{endpoint}/rotate-secret", None, {}, AN_ENDPOINT),
    ("POST", "/api/v1/webhooks/endpoints/{endpoint}/test", None, {}, AN_ENDPOINT),
    ("GET", "/api/v1/webhooks/endpoints/{endpoint}/messages/{random}/attempts", None, {}, A_MESSAGE),
    ("POST", "/api/v1/webhooks/endpoints/{endpoint}/messages/{random}/resend", None, {}, A_MESSAGE),
    (
        "POST",
        "/api/v1/webhooks/endpoints/{endpoint}/recover",
        {"since": "2026-03-01T00:00:00+08:00"},
        {},
        AN_ENDPOINT,
    ),
    ("DELETE", "/api/v1/webhooks/endpoints/{endpoint}", None, {}, AN_ENDPOINT),
]


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    return Settings(
        database_url=databases.migrated(
            __import__("pathlib").Path(__import__("notify_svc").__file__).parent / "migrations", "notify"
        ),
        nats_url=module_nats_url,
        webhook_key=SecretStr(new_key()),
        webhook_worker_enabled=False,
        channel_worker_enabled=False,
    )


@pytest.fixture(scope="module")
async def client(settings: Settings, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source())) as c:
        yield c


async def _objects(client: httpx.AsyncClient, issuer: TestIssuer) -> dict[str, str]:
    """A fresh device of OWNER and a fresh endpoint of UNIT for one (route, caller) pair."""
    owner = issuer.headers(sub=OWNER, org=ORG, roles=["member"])
    token = uuid.uuid4().hex
    r = await client.post("/api/v1/devices", json={**DEVICE, "token": token}, headers=owner)
    assert r.status_code == 201, r.text
    partner = issuer.headers(org=ORG, roles=["partner"], unit=UNIT)
    e = await client.post("/api/v1/webhooks/endpoints", json=HOOK, headers=partner)
    assert e.status_code == 201, e.text
    return {"device": r.json()["id"], "endpoint": e.json()["id"]}


def _answer(status: int) -> str | int:
    return status if status in (401, 403, 404) else THROUGH


@pytest.mark.parametrize(
    ("method", "template", "body", "extra", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, *_ in MATRIX]
)
async def test_every_caller_gets_its_answer(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    method: str,
    template: str,
    body: Any,
    extra: dict[str, str],
    expected: dict[str, str | int],
) -> None:
    got: dict[str, str | int] = {}
    for caller, claims in CALLERS.items():
        objects = await _objects(client, issuer)
        path = template.format(random=uuid.uuid4(), **objects)
        headers = {**extra, **(issuer.headers(**claims) if claims else {})}
        if template.endswith("/stream") and expected[caller] == THROUGH:
            # An admitted caller's stream never ends (the in-process client would wait for its
            # end); test_inbox_stream.py reads it over real HTTP.
            got[caller] = THROUGH
            continue
        r = await client.request(method, path, json=body, headers=headers)
        assert r.status_code < 500, (caller, r.status_code, r.text[:200])
        got[caller] = _answer(r.status_code)
    assert got == expected


def test_every_route_of_the_service_is_in_the_matrix(settings: Settings) -> None:
    routes = {
        (method, re.sub(r"\{[^}]+\}", "{}", c.path))
        for c in iter_route_contexts(create_app(settings).routes)
        if isinstance(c.original_route, APIRoute) and c.path.startswith("/api/v1/")
        for method in c.methods or ()
    }
    assert routes == {(m, re.sub(r"\{[^}]+\}", "{}", t)) for m, t, *_ in MATRIX}
