"""Logging in with phone + password, tokens, JWKS, refresh rotation (DESIGN.md §6)."""

import uuid
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text

from cppcc_common.db import create_engine, create_sessionmaker, session_scope
from member_svc.people.service import ensure_organization, register_person
from member_svc.settings import Settings

from .conftest import seeding

ORG = uuid.uuid4()
PASSWORD = "Str0ng-密码"


@pytest.fixture(scope="module")
async def people(settings: Settings, client: httpx.AsyncClient) -> dict[str, uuid.UUID]:
    engine = create_engine(settings.database_url, pool_size=1)
    ids = {"member": uuid.uuid4(), "staff": uuid.uuid4()}
    async with session_scope(create_sessionmaker(engine)) as session:
        await ensure_organization(seeding(session), id=ORG, name="测试市政协", level="municipal")
        await register_person(
            seeding(session),
            id=ids["member"],
            org_id=ORG,
            name="委员甲",
            phone="13900000001",
            password=PASSWORD,
            roles=["member"],
        )
        await register_person(
            seeding(session),
            id=ids["staff"],
            org_id=ORG,
            name="工作人员乙",
            phone="13900000002",
            password=PASSWORD,
            roles=["staff"],
            scopes=["proposals"],
        )
    await engine.dispose()
    return ids


async def _login(client: httpx.AsyncClient, phone: str = "13900000001", password: str = PASSWORD) -> Any:
    return await client.post("/api/v1/auth/login", json={"phone": phone, "password": password})


async def test_login_gives_an_eddsa_access_token_verifiable_with_the_jwks(
    client: httpx.AsyncClient, people: dict[str, uuid.UUID]
) -> None:
    r = await _login(client)
    assert r.status_code == 200
    tokens = r.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900 and tokens["refresh_token"]
    jwks = (await client.get("/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "EdDSA"
    [key] = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    assert "d" not in key  # never the private half
    claims = jwt.decode(tokens["access_token"], jwt.PyJWK(key).key, algorithms=["EdDSA"], audience="cppcc")
    assert (
        claims["sub"] == str(people["member"]) and claims["org"] == str(ORG) and claims["roles"] == ["member"]
    )
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.json()["name"] == "委员甲"


async def test_wrong_password_and_unknown_phone_fail_the_same_way(
    client: httpx.AsyncClient, people: dict[str, uuid.UUID]
) -> None:
    wrong = await _login(client, password="nope")
    unknown = await _login(client, phone="13999999999")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "auth.invalid_credentials"
    assert wrong.json()["title"] == "手机号或密码错误"


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, people: dict[str, uuid.UUID]
) -> None:
    first = (await _login(client)).json()["refresh_token"]
    second = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert second.status_code == 200
    second_refresh = second.json()["refresh_token"]
    assert second_refresh != first
    replayed = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})  # stolen copy
    assert replayed.status_code == 401 and replayed.json()["code"] == "auth.invalid_refresh_token"
    after_theft = await client.post("/api/v1/auth/refresh", json={"refresh_token": second_refresh})
    assert after_theft.status_code == 401  # the whole family was revoked, and that stuck


async def test_me_needs_a_token(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["code"] == "auth.unauthenticated"


async def test_private_signing_keys_are_encrypted_at_rest(
    settings: Settings, client: httpx.AsyncClient, people: dict[str, uuid.UUID]
) -> None:
    await _login(client)
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        stored = (await conn.execute(text("SELECT private_key FROM signing_keys"))).scalars().all()
    await engine.dispose()
    assert stored and all("PRIVATE KEY" not in s for s in stored)


async def test_registration_stages_the_person_registered_event(
    settings: Settings, people: dict[str, uuid.UUID]
) -> None:
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        rows = (
            (
                await conn.execute(
                    text("SELECT payload FROM outbox WHERE subject = 'cppcc.member.person_registered.v1'")
                )
            )
            .scalars()
            .all()
        )
    await engine.dispose()
    assert any(str(people["staff"]) in p and '"proposals"' in p for p in rows)
    assert all("password" not in p and "phone" not in p for p in rows)  # nothing personal beyond need
