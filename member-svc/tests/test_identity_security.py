"""Brute-force lock-out, SMS codes, passwords, logout, and partner clients (DESIGN.md §6)."""

import base64
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text

from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine, create_sessionmaker, session_scope
from cppcc_common.testing.app import serve_app
from member_svc.directory.models import Unit
from member_svc.main import create_app
from member_svc.people.service import ensure_organization, register_person
from member_svc.settings import Settings

from .conftest import MIGRATIONS, seeding

ORG, OTHER_ORG, UNIT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PASSWORD = "Passw0rd-甲"
clock = FakeClock(datetime.now(UTC))


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "member"),
        nats_url=module_nats_url,
        key_encryption_key=kek,
        login_max_failures_per_phone=3,
        login_max_failures_per_ip=8,
    )


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, clock=clock)) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[Any]:
    engine = create_engine(settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


PHONES = {
    "member": "13700000001",
    "admin": "13700000002",
    "other_admin": "13700000003",
    "victim": "13700000004",
    "reset": "13700000005",
    "changer": "13700000006",
    "leaver": "13700000007",
    "thief_victim": "13700000008",
    "rechanger": "13700000009",
    "resetter": "13700000010",
}


@pytest.fixture(scope="module")
async def people(db: Any, client: httpx.AsyncClient) -> None:
    async with session_scope(create_sessionmaker(db)) as session:
        await ensure_organization(seeding(session), id=ORG, name="甲市政协", level="municipal")
        await ensure_organization(seeding(session), id=OTHER_ORG, name="乙市政协", level="municipal")
        session.add(Unit(id=UNIT, org_id=ORG, name="市住房和城乡建设局", kind="government"))
        for who, phone in PHONES.items():
            admin = who.endswith("admin")
            await register_person(
                seeding(session),
                id=uuid.uuid4(),
                org_id=OTHER_ORG if who == "other_admin" else ORG,
                name=who,
                phone=phone,
                password=PASSWORD,
                roles=["admin"] if admin else ["member"],
            )


async def _login(
    client: httpx.AsyncClient, phone: str, password: str = PASSWORD, ip: str = "10.0.0.1"
) -> Any:
    return await client.post(
        "/api/v1/auth/login", json={"phone": phone, "password": password}, headers={"X-Forwarded-For": ip}
    )


async def _last_sms(db: Any, phone: str) -> str:
    async with db.connect() as conn:
        body = (
            await conn.execute(
                text("SELECT text FROM local_sms_messages WHERE phone = :p ORDER BY sent_at DESC LIMIT 1"),
                {"p": phone},
            )
        ).scalar_one()
    return str(body.split("验证码为 ")[1][:6])


async def test_repeated_failures_lock_the_phone_and_say_when_to_retry(
    client: httpx.AsyncClient, people: None
) -> None:
    phone = PHONES["victim"]
    for _ in range(3):
        assert (await _login(client, phone, "wrong")).status_code == 401
    locked = await _login(client, phone)  # even the right password, while locked
    assert locked.status_code == 429 and locked.json()["code"] == "auth.locked"
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    clock.advance(timedelta(minutes=16))
    assert (await _login(client, phone)).status_code == 200


async def test_one_address_guessing_many_phones_is_locked(client: httpx.AsyncClient, people: None) -> None:
    ip = "10.9.9.9"
    for i in range(8):
        await _login(client, f"1360000{i:04d}", "guess", ip=ip)
    assert (await _login(client, PHONES["member"], ip=ip)).status_code == 429
    assert (await _login(client, PHONES["member"], ip="10.1.1.1")).status_code == 200
    clock.advance(timedelta(minutes=16))


async def test_sms_code_login_works_once(client: httpx.AsyncClient, db: Any, people: None) -> None:
    phone = PHONES["member"]
    r = await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "login"})
    assert r.status_code == 202
    code = await _last_sms(db, phone)
    ok = await client.post("/api/v1/auth/login/sms", json={"phone": phone, "code": code})
    assert ok.status_code == 200 and ok.json()["access_token"]
    reused = await client.post("/api/v1/auth/login/sms", json={"phone": phone, "code": code})
    assert reused.status_code == 401 and reused.json()["code"] == "auth.invalid_sms_code"


async def test_sms_codes_are_not_sent_too_often_nor_to_unknown_phones(
    client: httpx.AsyncClient, db: Any, people: None
) -> None:
    phone = PHONES["admin"]
    assert (await client.post("/api/v1/auth/sms-codes", json={"phone": phone})).status_code == 202
    again = await client.post("/api/v1/auth/sms-codes", json={"phone": phone})
    assert again.status_code == 429 and int(again.headers["retry-after"]) <= 60
    unknown = await client.post("/api/v1/auth/sms-codes", json={"phone": "13999990000"})
    assert unknown.status_code == 202  # the same answer: no account enumeration
    async with db.connect() as conn:
        sent = (
            await conn.execute(text("SELECT count(*) FROM local_sms_messages WHERE phone = '13999990000'"))
        ).scalar()
    assert sent == 0
    clock.advance(timedelta(minutes=2))


async def test_wrong_sms_codes_use_up_the_code(client: httpx.AsyncClient, db: Any, people: None) -> None:
    phone = PHONES["admin"]
    await client.post("/api/v1/auth/sms-codes", json={"phone": phone})
    code = await _last_sms(db, phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(2):
        assert (
            await client.post(
                "/api/v1/auth/login/sms",
                json={"phone": phone, "code": wrong},
                headers={"X-Forwarded-For": "10.2.2.2"},
            )
        ).status_code == 401
    # Two failures so far (the phone locks at three); the right code still works.
    assert (
        await client.post("/api/v1/auth/login/sms", json={"phone": phone, "code": code})
    ).status_code == 200


async def test_password_reset_by_sms_signs_out_everywhere(
    client: httpx.AsyncClient, db: Any, people: None
) -> None:
    phone = PHONES["reset"]
    refresh = (await _login(client, phone)).json()["refresh_token"]
    await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "reset_password"})
    code = await _last_sms(db, phone)
    weak = await client.post(
        "/api/v1/auth/password/reset", json={"phone": phone, "code": code, "new_password": "abc"}
    )
    assert weak.status_code == 422 and weak.json()["code"] == "auth.weak_password"
    done = await client.post(
        "/api/v1/auth/password/reset", json={"phone": phone, "code": code, "new_password": "NewPassw0rd"}
    )
    assert done.status_code == 204
    assert (await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})).status_code == 401
    assert (await _login(client, phone)).status_code == 401
    assert (await _login(client, phone, "NewPassw0rd")).status_code == 200


async def test_changing_the_password_needs_the_current_one(client: httpx.AsyncClient, people: None) -> None:
    tokens = (await _login(client, PHONES["changer"])).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    wrong = await client.post(
        "/api/v1/auth/password",
        headers=auth,
        json={"current_password": "nope", "new_password": "Another1pass"},
    )
    assert wrong.status_code == 403
    changed = await client.post(
        "/api/v1/auth/password",
        headers=auth,
        json={"current_password": PASSWORD, "new_password": "Another1pass"},
    )
    assert changed.status_code == 200 and changed.json()["refresh_token"] != tokens["refresh_token"]
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 401


async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient, people: None) -> None:
    refresh = (await _login(client, PHONES["member"], ip="10.3.3.3")).json()["refresh_token"]
    assert (await client.post("/api/v1/auth/logout", json={"refresh_token": refresh})).status_code == 204
    assert (await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})).status_code == 401


async def _admin(client: httpx.AsyncClient, who: str = "admin") -> dict[str, str]:
    token = (await _login(client, PHONES[who], ip=f"10.4.4.{len(who)}")).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def _token(client: httpx.AsyncClient, client_id: str, secret: str, basic: bool = False) -> Any:
    if basic:
        cred = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return await client.post(
            "/api/v1/auth/token",
            content="grant_type=client_credentials",
            headers={"Authorization": f"Basic {cred}", "Content-Type": "application/x-www-form-urlencoded"},
        )
    return await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


async def test_partner_clients_get_unit_bound_tokens_with_a_secret_shown_once(
    client: httpx.AsyncClient, people: None
) -> None:
    admin = await _admin(client)
    created = await client.post(
        "/api/v1/partner-clients", headers=admin, json={"name": "住建局办文系统", "unit_id": str(UNIT)}
    )
    assert created.status_code == 201
    body = created.json()
    listed = (await client.get("/api/v1/partner-clients", headers=admin)).json()["items"]
    assert "client_secret" not in listed[0]
    token = await _token(client, body["client_id"], body["client_secret"])
    assert token.status_code == 200
    me_like = token.json()["access_token"]
    import jwt

    claims = jwt.decode(me_like, options={"verify_signature": False})
    assert claims["roles"] == ["partner"] and claims["unit"] == str(UNIT) and claims["org"] == str(ORG)
    assert (await _token(client, body["client_id"], body["client_secret"], basic=True)).status_code == 200
    bad = await _token(client, body["client_id"], "cs_wrong")
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"


async def test_rotated_partner_secrets_overlap_then_expire_and_revocation_is_final(
    client: httpx.AsyncClient, people: None
) -> None:
    admin = await _admin(client)
    body = (
        await client.post(
            "/api/v1/partner-clients", headers=admin, json={"name": "督办系统", "unit_id": str(UNIT)}
        )
    ).json()
    rotated = (await client.post(f"/api/v1/partner-clients/{body['id']}/rotate-secret", headers=admin)).json()
    assert (await _token(client, body["client_id"], body["client_secret"])).status_code == 200  # overlap
    assert (await _token(client, body["client_id"], rotated["client_secret"])).status_code == 200
    clock.advance(timedelta(hours=25))
    assert (await _token(client, body["client_id"], body["client_secret"])).status_code == 401
    admin = await _admin(client)
    assert (await client.delete(f"/api/v1/partner-clients/{body['id']}", headers=admin)).status_code == 204
    assert (await _token(client, body["client_id"], rotated["client_secret"])).status_code == 401


async def test_partner_clients_are_managed_by_admins_of_their_organization_only(
    client: httpx.AsyncClient, people: None
) -> None:
    admin = await _admin(client)
    body = (
        await client.post(
            "/api/v1/partner-clients", headers=admin, json={"name": "另一个系统", "unit_id": str(UNIT)}
        )
    ).json()
    other = await _admin(client, "other_admin")
    assert (
        await client.post(f"/api/v1/partner-clients/{body['id']}/rotate-secret", headers=other)
    ).status_code == 404
    assert (
        await client.post("/api/v1/partner-clients", headers=other, json={"name": "x", "unit_id": str(UNIT)})
    ).status_code == 404  # not their unit
    member = {
        "Authorization": f"Bearer {(await _login(client, PHONES['member'], ip='10.5.5.5')).json()['access_token']}"
    }
    assert (await client.get("/api/v1/partner-clients", headers=member)).status_code == 403


async def test_signing_keys_rotate_and_old_tokens_verify_until_they_expire(
    client: httpx.AsyncClient, settings: Settings, people: None
) -> None:
    import jwt

    clock.advance(timedelta(days=settings.signing_key_days + 1))  # whatever key there was has retired
    old = (await _login(client, PHONES["member"], ip="10.6.6.6")).json()["access_token"]
    old_kid = jwt.get_unverified_header(old)["kid"]
    clock.advance(timedelta(days=settings.signing_key_days) - timedelta(minutes=5))
    fresh = (await _login(client, PHONES["member"], ip="10.6.6.7")).json()["access_token"]
    clock.advance(timedelta(minutes=6))  # the old key stops signing now
    rotated = (await _login(client, PHONES["member"], ip="10.6.6.8")).json()["access_token"]
    new_kid = jwt.get_unverified_header(rotated)["kid"]
    assert new_kid != old_kid
    kids = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert {old_kid, new_kid} <= kids  # the old key still verifies tokens it signed
    ok = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"})
    assert ok.status_code == 200  # signed by the old key a minute ago, still valid
    clock.advance(timedelta(minutes=settings.access_token_minutes + 10))
    assert old_kid not in {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    expired = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"})
    assert expired.status_code == 401


# ---- sessions ended: what notify-svc forgets a person's push devices by ---------------------------


def _claims(tokens: Any) -> dict[str, Any]:
    return dict(jwt.decode(tokens["access_token"], options={"verify_signature": False}))


async def _sessions_ended(db: Any, person_id: str) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT payload FROM outbox WHERE subject = 'cppcc.member.sessions_ended.v1'"
                    " AND payload LIKE :p ORDER BY created_at"
                ),
                {"p": f"%{person_id}%"},
            )
        ).scalars()
        return [json.loads(p) for p in rows]


async def test_every_token_of_a_session_names_it_and_a_refresh_keeps_it(
    client: httpx.AsyncClient, people: None
) -> None:
    first = (await _login(client, PHONES["leaver"], ip="10.5.5.1")).json()
    again = (await _login(client, PHONES["leaver"], ip="10.5.5.1")).json()
    refreshed = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    sid = _claims(first)["sid"]
    assert uuid.UUID(sid) and _claims(refreshed)["sid"] == sid  # rotation keeps the session
    assert _claims(again)["sid"] != sid  # another sign-in is another session


async def test_signing_out_publishes_the_end_of_that_session_only_once(
    client: httpx.AsyncClient, db: Any, people: None
) -> None:
    mine = (await _login(client, PHONES["leaver"], ip="10.5.5.2")).json()
    other = (await _login(client, PHONES["leaver"], ip="10.5.5.2")).json()
    claims = _claims(mine)
    before = len(await _sessions_ended(db, claims["sub"]))
    for _ in range(2):  # the second sign-out with the same token ends nothing
        r = await client.post("/api/v1/auth/logout", json={"refresh_token": mine["refresh_token"]})
        assert r.status_code == 204
    events = (await _sessions_ended(db, claims["sub"]))[before:]
    assert [e["data"] for e in events] == [
        {
            "person_id": claims["sub"],
            "org_id": str(ORG),
            "reason": "sign_out",
            "session_ids": [claims["sid"]],
            "all_sessions": False,
            "ended_at": events[0]["data"]["ended_at"],
        }
    ]
    assert events[0]["subject"] == claims["sub"] and events[0]["orgid"] == str(ORG)
    assert _claims(other)["sid"] not in json.dumps(events)  # the other session goes on
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    ).status_code == 200


async def test_a_stolen_refresh_token_ends_its_session_and_says_why(
    client: httpx.AsyncClient, db: Any, people: None
) -> None:
    tokens = (await _login(client, PHONES["thief_victim"], ip="10.5.5.3")).json()
    await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    replayed = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replayed.status_code == 401
    claims = _claims(tokens)
    [ended] = await _sessions_ended(db, claims["sub"])  # kept although the request failed
    assert ended["data"]["reason"] == "refresh_token_reused"
    assert ended["data"]["session_ids"] == [claims["sid"]] and not ended["data"]["all_sessions"]


async def test_changing_or_resetting_the_password_ends_every_session(
    client: httpx.AsyncClient, db: Any, people: None
) -> None:
    tokens = (await _login(client, PHONES["rechanger"], ip="10.5.5.4")).json()
    changed = await client.post(
        "/api/v1/auth/password",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        json={"current_password": PASSWORD, "new_password": "Another1pass"},
    )
    assert changed.status_code == 200
    [ended] = await _sessions_ended(db, _claims(tokens)["sub"])
    assert ended["data"]["reason"] == "password_changed" and ended["data"]["all_sessions"] is True

    phone = PHONES["resetter"]
    who = _claims((await _login(client, phone, ip="10.5.5.5")).json())["sub"]
    await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "reset_password"})
    code = await _last_sms(db, phone)
    done = await client.post(
        "/api/v1/auth/password/reset", json={"phone": phone, "code": code, "new_password": "NewPassw0rd"}
    )
    assert done.status_code == 204
    [reset] = await _sessions_ended(db, who)
    assert reset["data"]["reason"] == "password_reset" and reset["data"]["all_sessions"] is True
