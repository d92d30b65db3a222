"""Idempotency-Key on writes from the mobile app (DESIGN.md §5), on the real proposal API."""

import uuid
from typing import Any

import httpx
from sqlalchemy import text

from cppcc_common.db import create_engine
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.settings import Settings

BODY = {"title": "关于规范共享单车停放的建议", "situation": "乱停放影响通行。", "suggestions": ["划定停放区"]}


async def _count(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return len((await client.get("/api/v1/proposals", headers=headers)).json()["items"])


async def test_the_same_key_and_body_replays_the_first_response(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    headers = issuer.headers(org=uuid.uuid4(), roles=["member"])
    keyed = {**headers, "Idempotency-Key": "draft-1"}
    first = await client.post("/api/v1/proposals", json=BODY, headers=keyed)
    again = await client.post("/api/v1/proposals", json=BODY, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert await _count(client, headers) == 1


async def test_the_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    headers = {**issuer.headers(org=uuid.uuid4(), roles=["member"]), "Idempotency-Key": "draft-2"}
    assert (await client.post("/api/v1/proposals", json=BODY, headers=headers)).status_code == 201
    other = await client.post("/api/v1/proposals", json={**BODY, "title": "另一件事"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"


async def test_keys_belong_to_their_caller(client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    org = uuid.uuid4()
    a = {**issuer.headers(org=org, roles=["member"]), "Idempotency-Key": "shared"}
    b = {**issuer.headers(org=org, roles=["member"]), "Idempotency-Key": "shared"}
    first = await client.post("/api/v1/proposals", json=BODY, headers=a)
    second = await client.post("/api/v1/proposals", json=BODY, headers=b)
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]


async def test_a_request_still_running_answers_409(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer
) -> None:
    sub = uuid.uuid4()
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.begin() as conn:  # as if a first request had claimed the key a moment ago
        await conn.execute(
            text("INSERT INTO idempotency_keys (owner, key, request_hash) VALUES (:o, 'busy', 'x')"),
            {"o": str(sub)},
        )
    await engine.dispose()
    r = await client.post(
        "/api/v1/proposals",
        json=BODY,
        headers={**issuer.headers(sub=sub, roles=["member"]), "Idempotency-Key": "busy"},
    )
    assert r.status_code == 409 and r.json()["code"] == "idempotency.in_progress" and r.headers["retry-after"]


async def test_errors_are_replayed_too_and_bad_keys_refused(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    headers = {**issuer.headers(roles=["member"]), "Idempotency-Key": "submit-missing"}
    missing = f"/api/v1/proposals/{uuid.uuid4()}/submit"
    first: Any = await client.post(missing, headers=headers)
    again = await client.post(missing, headers=headers)
    assert first.status_code == again.status_code == 404 and again.headers["idempotent-replayed"] == "true"
    bad = await client.post(
        "/api/v1/proposals",
        json=BODY,
        headers={**issuer.headers(roles=["member"]), "Idempotency-Key": "x" * 300},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "idempotency.bad_key"
