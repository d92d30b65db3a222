"""Identity keeps its promises when things go wrong (issue 6): key retirement, partner clients
confined to their unit and revocable, no account enumeration, tokens never stored nor cached,
RFC 6749 errors from the token endpoint."""

import base64
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import text

from cppcc_common.auth import _permissions_of
from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine, create_sessionmaker, session_scope
from cppcc_common.testing.app import serve_app
from member_svc.directory.models import Unit
from member_svc.identity.keys import retire_signing_key
from member_svc.main import create_app
from member_svc.people.service import ensure_organization, register_person
from member_svc.settings import Settings

from .conftest import MIGRATIONS, seeding

ORG, UNIT, OTHER_UNIT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PASSWORD = "Passw0rd-乙"
CACHE_SECONDS = 300
clock = FakeClock(datetime.now(UTC))
PHONES = {"member": "13500000001", "admin": "13500000002", "resetter": "13500000003", "known": "13500000004"}


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "member"),
        nats_url=module_nats_url,
        key_encryption_key=kek,
        login_max_failures_per_phone=3,
        login_max_failures_per_ip=1000,
        jwks_cache_seconds=CACHE_SECONDS,
    )


@pytest.fixture(scope="module")
def app(settings: Settings) -> FastAPI:
    return create_app(settings, clock=clock)


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(app) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[Any]:
    engine = create_engine(settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def people(db: Any, client: httpx.AsyncClient) -> None:
    async with session_scope(create_sessionmaker(db)) as session:
        await ensure_organization(seeding(session), id=ORG, name="丙市政协", level="municipal")
        session.add(Unit(id=UNIT, org_id=ORG, name="市教育局", kind="government"))
        session.add(Unit(id=OTHER_UNIT, org_id=ORG, name="市卫生健康委", kind="government"))
        for who, phone in PHONES.items():
            await register_person(
                seeding(session),
                id=uuid.uuid4(),
                org_id=ORG,
                name=who,
                phone=phone,
                password=PASSWORD,
                roles=["admin"] if who == "admin" else ["member"],
            )


async def _login(client: httpx.AsyncClient, who: str, **headers: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"phone": PHONES[who], "password": PASSWORD}, headers=headers
    )


async def _bearer(client: httpx.AsyncClient, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {(await _login(client, who)).json()['access_token']}"}


async def _partner(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, str]]:
    """A new partner client of UNIT and a bearer header with its token."""
    admin = await _bearer(client, "admin")
    body = (
        await client.post(
            "/api/v1/partner-clients", headers=admin, json={"name": "教育局系统", "unit_id": str(UNIT)}
        )
    ).json()
    token = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": body["client_id"],
            "client_secret": body["client_secret"],
        },
    )
    assert token.status_code == 200, token.text
    return body, {"Authorization": f"Bearer {token.json()['access_token']}"}


async def _last_sms(db: Any, phone: str) -> str:
    async with db.connect() as conn:
        body = (
            await conn.execute(
                text("SELECT text FROM local_sms_messages WHERE phone = :p ORDER BY sent_at DESC LIMIT 1"),
                {"p": phone},
            )
        ).scalar_one()
    return str(body.split("验证码为 ")[1][:6])


# A retired signing key stops working everywhere -------------------------------------------------


async def test_a_retired_signing_key_stops_working_within_the_jwks_cache_time(
    client: httpx.AsyncClient, db: Any, settings: Settings, people: None
) -> None:
    token = (await _login(client, "member")).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 200  # the key is now cached
    kid = jwt.get_unverified_header(token)["kid"]
    async with session_scope(create_sessionmaker(db)) as session:
        assert await retire_signing_key(session, kid, clock.now(), settings)
    assert kid not in {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    clock.advance(timedelta(seconds=CACHE_SECONDS + 1))
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 401
    fresh = (await _login(client, "member")).json()["access_token"]
    assert jwt.get_unverified_header(fresh)["kid"] != kid  # a new key signs from now on
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"})).status_code == 200


# Partner clients see only what their unit needs -------------------------------------------------


def _filled(path: str) -> str:
    for name in ("unit_id", "sector_id", "member_id", "client_uuid", "person_id", "import_id", "term_id"):
        path = path.replace("{" + name + "}", str(uuid.uuid4()))
    return path


async def test_partner_clients_reach_no_route_that_does_not_name_them(
    app: FastAPI, client: httpx.AsyncClient, people: None
) -> None:
    """Every route of member-svc refuses a partner token with 403 unless its permission names `partner`."""
    _, partner = await _partner(client)
    walked = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        permissions = _permissions_of(context.dependant)
        if any(p.public or "partner" in p.roles for p in permissions):
            continue
        for method in context.methods or ():
            r = await client.request(method, _filled(context.path), headers=partner)
            walked.append(context.path)
            assert r.status_code == 403, (method, context.path, r.status_code, r.text)
    assert {"/api/v1/sectors", "/api/v1/committees", "/api/v1/units", "/api/v1/orgs/current"} <= set(walked)
    assert "/api/v1/sectors/{sector_id}/officers" in walked


async def test_partner_clients_see_their_own_unit_only(client: httpx.AsyncClient, people: None) -> None:
    _, partner = await _partner(client)
    own = await client.get(f"/api/v1/units/{UNIT}", headers=partner)
    assert own.status_code == 200 and own.json()["name"] == "市教育局"
    assert (await client.get(f"/api/v1/units/{OTHER_UNIT}", headers=partner)).status_code == 404
    member = await _bearer(client, "member")
    assert (await client.get(f"/api/v1/units/{OTHER_UNIT}", headers=member)).status_code == 200


async def test_a_revoked_partner_clients_tokens_stop_working_within_the_jwks_cache_time(
    client: httpx.AsyncClient, people: None
) -> None:
    body, partner = await _partner(client)
    assert (await client.get(f"/api/v1/units/{UNIT}", headers=partner)).status_code == 200
    admin = await _bearer(client, "admin")
    assert (await client.delete(f"/api/v1/partner-clients/{body['id']}", headers=admin)).status_code == 204
    assert body["id"] in (await client.get("/.well-known/jwks.json")).json()["revoked_subjects"]
    clock.advance(timedelta(seconds=CACHE_SECONDS + 1))
    refused = await client.get(f"/api/v1/units/{UNIT}", headers=partner)
    assert refused.status_code == 401 and refused.json()["code"] == "auth.unauthenticated"


# No account enumeration ---------------------------------------------------------------------------


async def _ask_twice(
    client: httpx.AsyncClient, phone: str, purpose: str
) -> list[tuple[int, str | None, str]]:
    answers = []
    for _ in range(2):
        r = await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": purpose})
        answers.append(
            (r.status_code, r.headers.get("retry-after"), r.json().get("code", r.json().get("status")))
        )
    return answers


@pytest.mark.parametrize("purpose", ["login", "reset_password"])
async def test_sms_codes_answer_and_rate_limit_known_and_unknown_phones_alike(
    client: httpx.AsyncClient, db: Any, people: None, purpose: str
) -> None:
    known = await _ask_twice(client, PHONES["known"], purpose)
    unknown = await _ask_twice(client, "13599990000", purpose)
    assert known == unknown and [status for status, _, _ in known] == [202, 429]
    async with db.connect() as conn:
        sent = (
            await conn.execute(text("SELECT count(*) FROM local_sms_messages WHERE phone = '13599990000'"))
        ).scalar()
    assert sent == 0  # nothing is ever sent to a phone without an account
    clock.advance(timedelta(minutes=2))


async def test_failed_password_reset_codes_count_toward_the_phone_lock_out(
    client: httpx.AsyncClient, db: Any, people: None
) -> None:
    phone = PHONES["resetter"]
    await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "reset_password"})
    code = await _last_sms(db, phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):  # the phone locks at three failures
        r = await client.post(
            "/api/v1/auth/password/reset",
            json={"phone": phone, "code": wrong, "new_password": "NewPassw0rd1"},
        )
        assert r.status_code == 401
    locked = await _login(client, "resetter")
    assert locked.status_code == 429 and locked.json()["code"] == "auth.locked"
    still = await client.post(
        "/api/v1/auth/password/reset", json={"phone": phone, "code": code, "new_password": "NewPassw0rd1"}
    )
    assert still.status_code == 429  # the right code does not open a locked phone either
    clock.advance(timedelta(minutes=16))


# Tokens are never stored in the clear, nor cached ------------------------------------------------


async def _idempotency_rows(db: Any, key: str) -> list[Any]:
    async with db.connect() as conn:
        return list(
            (await conn.execute(text("SELECT * FROM idempotency_keys WHERE key = :k"), {"k": key})).all()
        )


async def test_token_endpoints_take_no_part_in_idempotency_replay(
    client: httpx.AsyncClient, db: Any, people: None
) -> None:
    login_key, key = f"login-{uuid.uuid4()}", f"refresh-{uuid.uuid4()}"
    login = await _login(client, "member", **{"Idempotency-Key": login_key})
    refresh = login.json()["refresh_token"]
    first = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": refresh}, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 200
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": refresh}, headers={"Idempotency-Key": key}
    )
    # Not a replay of the token pair: the used refresh token is refused (and its family revoked).
    assert again.status_code == 401 and "idempotent-replayed" not in again.headers
    for kept in (login_key, key):
        assert await _idempotency_rows(db, kept) == []  # not even a hash of the credentials is kept


async def test_answers_with_secrets_are_never_stored_nor_replayed(
    client: httpx.AsyncClient, db: Any, people: None
) -> None:
    admin = await _bearer(client, "admin")
    key = f"create-{uuid.uuid4()}"
    headers = {**admin, "Idempotency-Key": key}
    body = {"name": "督查系统", "unit_id": str(UNIT)}
    created = await client.post("/api/v1/partner-clients", headers=headers, json=body)
    assert created.status_code == 201
    again = await client.post("/api/v1/partner-clients", headers=headers, json=body)
    assert again.status_code == 409 and again.json()["code"] == "idempotency.not_replayable"
    (row,) = await _idempotency_rows(db, key)
    assert row.body is None and created.json()["client_secret"] not in str(row)


async def test_token_responses_are_not_cached(client: httpx.AsyncClient, db: Any, people: None) -> None:
    login = await _login(client, "member")
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    body, _ = await _partner(client)
    token = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": body["client_id"],
            "client_secret": body["client_secret"],
        },
    )
    admin = await _bearer(client, "admin")
    created = await client.post(
        "/api/v1/partner-clients", headers=admin, json={"name": "x", "unit_id": str(UNIT)}
    )
    rotated = await client.post(f"/api/v1/partner-clients/{body['id']}/rotate-secret", headers=admin)
    await client.post("/api/v1/auth/sms-codes", json={"phone": PHONES["member"]})
    sms = await client.post(
        "/api/v1/auth/login/sms",
        json={"phone": PHONES["member"], "code": await _last_sms(db, PHONES["member"])},
    )
    for r in (login, refreshed, token, created, rotated, sms):
        assert r.status_code in (200, 201), r.text
        assert r.headers["cache-control"] == "no-store" and r.headers["pragma"] == "no-cache", r.request.url
    clock.advance(timedelta(minutes=2))


# The token endpoint answers RFC 6749 §5.2 errors --------------------------------------------------

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    ("content", "headers", "status", "error"),
    [
        ("grant_type=password&username=a&password=b", FORM, 400, "unsupported_grant_type"),
        ("grant_type=authorization_code&code=x", FORM, 400, "unsupported_grant_type"),
        ("client_id=pc_x&client_secret=cs_y", FORM, 400, "invalid_request"),
        ("grant_type=client_credentials&grant_type=client_credentials", FORM, 400, "invalid_request"),
        (
            '{"grant_type": "client_credentials"}',
            {"Content-Type": "application/json"},
            400,
            "invalid_request",
        ),
        ("grant_type=client_credentials&client_id=pc%00x&client_secret=cs_y", FORM, 400, "invalid_request"),
        (
            "grant_type=client_credentials&client_id=%E7%94%B2&client_secret=cs_y",
            FORM,
            400,
            "invalid_request",
        ),
        ("grant_type=client_credentials&client_id=pc_nobody&client_secret=cs_y", FORM, 401, "invalid_client"),
        ("grant_type=client_credentials", FORM, 401, "invalid_client"),
        (b"grant_type=client_credentials&client_id=\xff", FORM, 400, "invalid_request"),
    ],
)
async def test_the_token_endpoint_answers_rfc6749_errors(
    client: httpx.AsyncClient, content: str | bytes, headers: dict[str, str], status: int, error: str
) -> None:
    r = await client.post("/api/v1/auth/token", content=content, headers=headers)
    assert r.status_code == status, r.text
    assert r.json()["error"] == error and r.json()["error_description"].isascii()


async def test_a_failed_basic_authentication_is_challenged(client: httpx.AsyncClient) -> None:
    cred = base64.b64encode(b"pc_nobody:cs_wrong").decode()
    r = await client.post(
        "/api/v1/auth/token",
        content="grant_type=client_credentials",
        headers={**FORM, "Authorization": f"Basic {cred}"},
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert r.headers["www-authenticate"].startswith("Basic")


_NAMES = st.sampled_from(["grant_type", "client_id", "client_secret", "scope", "x"])


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(form=st.lists(st.tuples(_NAMES, st.text(max_size=40)), max_size=6))
async def test_any_token_request_is_an_rfc6749_answer(
    client: httpx.AsyncClient, form: list[tuple[str, str]]
) -> None:
    r = await client.post("/api/v1/auth/token", content=urlencode(form), headers=FORM)
    assert r.status_code in (400, 401), r.text
    assert r.json()["error"] in {"invalid_request", "unsupported_grant_type", "invalid_client"}
