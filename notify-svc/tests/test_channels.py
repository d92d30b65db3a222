"""People's channels on real NATS and PostgreSQL with local vendors (issue 10): devices, preferences,
the push and SMS queue written with the inbox item, quiet hours by the injected clock, retries,
pruning, isolation of a dead vendor, and each adapter's wire format."""

import asyncio
import base64
import hashlib
import hmac
import logging
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx
import jwt
import nats
import pytest
from aiohttp import web
from channel_support import ApnsServer, DeadVendor, JPushServer
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from webhook_support import eventually, new_key, publish

from cppcc_common.clock import FakeClock
from cppcc_common.contracts.member import PersonRegisteredV1, SessionsEndedV1
from cppcc_common.contracts.proposal import HandlingRole, ProposalFeedbackOverdueV1, ProposalSubmittedV1
from cppcc_common.db import create_engine, create_sessionmaker
from cppcc_common.events import CloudEvent, make_event
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from notify_svc import crypto
from notify_svc.channels.providers import DevelopmentProvider, Message, Outcome, Provider
from notify_svc.channels.push.apns import ApnsProvider
from notify_svc.channels.push.jpush import JPushProvider
from notify_svc.channels.queue.domain import JITTER, RETRY_DELAYS, Status
from notify_svc.channels.queue.models import Delivery, DeliveryAttempt
from notify_svc.channels.sms.aliyun import AliyunSmsProvider, signature
from notify_svc.channels.worker import ChannelWorker
from notify_svc.main import create_app
from notify_svc.models import InboxItem, Recipient
from notify_svc.preferences.models import PreferenceRow
from notify_svc.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
ORG = uuid.uuid4()
KEY = new_key()
CLOCK = FakeClock(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI).astimezone(UTC))
APNS_KEY = ec.generate_private_key(ec.SECP256R1())
APNS_PEM = APNS_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()


@pytest.fixture(scope="module")
def ch_settings(databases: Any, module_nats_url: str) -> Settings:
    return Settings(
        database_url=databases.migrated(
            __import__("pathlib").Path(__import__("notify_svc").__file__).parent / "migrations", "notify"
        ),
        nats_url=module_nats_url,
        relay_interval_seconds=0.05,
        webhook_worker_enabled=False,
        channel_worker_enabled=False,  # each test drives its own worker by the FakeClock
        webhook_key=SecretStr(KEY),  # also encrypts SMS numbers at rest
    )


@pytest.fixture(scope="module")
async def app(ch_settings: Settings, issuer: TestIssuer) -> AsyncIterator[FastAPI]:
    application = create_app(ch_settings, key_source=issuer.key_source(), clock=CLOCK)
    async with serve_app(application) as c:
        application.state.client = c
        yield application


@pytest.fixture(scope="module")
def client(app: FastAPI) -> httpx.AsyncClient:
    return app.state.client  # type: ignore[no-any-return]


def _worker(app: FastAPI, settings: Settings, providers: dict[str, Provider]) -> ChannelWorker:
    return ChannelWorker(
        app.state.runtime.sessionmaker, settings, CLOCK, providers=providers, rng=random.Random(5)
    )


def providers(dev: DevelopmentProvider, **real: Provider) -> dict[str, Provider]:
    return {"development": dev, "jpush": dev, "apns": dev, "sms": dev, **real}


def h(
    issuer: TestIssuer, who: uuid.UUID, roles: list[str] | None = None, session: uuid.UUID | None = None
) -> dict[str, str]:
    now = int(CLOCK.now().timestamp())
    extra = {"sid": str(session)} if session else {}
    return issuer.headers(sub=who, org=ORG, roles=roles or ["member"], iat=now, exp=now + 900, **extra)


def daytime() -> None:
    """Moves the clock to the next 10:00 in Shanghai (outside the default quiet hours) if needed."""
    local = CLOCK.now().astimezone(SHANGHAI)
    if 8 <= local.hour < 22:
        return
    day = local.date() + timedelta(days=1 if local.hour >= 22 else 0)
    CLOCK.set(datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI).astimezone(UTC))


async def person(
    app: FastAPI, settings: Settings, roles: list[str], unit: uuid.UUID | None = None
) -> uuid.UUID:
    pid = uuid.uuid4()
    await publish(
        settings.nats_url,
        make_event(
            PersonRegisteredV1(person_id=pid, org_id=ORG, name="张明", roles=roles, unit_id=unit),
            source="/member-svc",
            subject=pid,
            orgid=ORG,
        ),
    )

    async def known() -> bool:
        async with app.state.runtime.sessionmaker() as s:
            return await s.get(Recipient, pid) is not None

    await eventually(known)
    return pid


def submitted(proposer: uuid.UUID, title: str = "关于加装电梯的建议") -> CloudEvent:
    pid = uuid.uuid4()
    return make_event(
        ProposalSubmittedV1(
            proposal_id=pid, org_id=ORG, title=title, kind="ordinary", first_proposer_id=proposer,
            submitted_at=CLOCK.now(), version=2,
        ),
        source="/proposal-svc", subject=pid, orgid=ORG,
    )  # fmt: skip


def overdue(unit: uuid.UUID) -> CloudEvent:
    pid = uuid.uuid4()
    return make_event(
        ProposalFeedbackOverdueV1(
            proposal_id=pid, org_id=ORG, title="关于完善公交线网的建议", assignment_id=uuid.uuid4(), unit_id=unit,
            role=HandlingRole.LEAD, reply_due_on=date(2026, 3, 1), is_key=False, first_proposer_id=uuid.uuid4(),
            overdue_at=CLOCK.now(),
        ),
        source="/proposal-svc", subject=pid, orgid=ORG,
    )  # fmt: skip


async def device(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    who: uuid.UUID,
    vendor: str = "jpush",
    platform: str = "android",
    session: uuid.UUID | None = None,
    token: str | None = None,
) -> tuple[str, dict[str, Any]]:
    token = token or uuid.uuid4().hex
    r = await client.post(
        "/api/v1/devices",
        json={"platform": platform, "vendor": vendor, "token": token},
        headers=h(issuer, who, session=session),
    )
    assert r.status_code == 201, r.text
    return token, dict(r.json())


async def deliveries(app: FastAPI, who: uuid.UUID, n: int | None = None) -> list[Delivery]:
    async def probe() -> list[Delivery] | None:
        async with app.state.runtime.sessionmaker() as s:
            rows = list((await s.execute(select(Delivery).where(Delivery.person_id == who))).scalars())
        return rows if n is None or len(rows) >= n else None

    if n is None:
        return await probe() or []
    return await eventually(probe)  # type: ignore[no-any-return]


async def inbox_items(app: FastAPI, who: uuid.UUID, n: int = 1) -> list[InboxItem]:
    async def probe() -> list[InboxItem] | None:
        async with app.state.runtime.sessionmaker() as s:
            rows = list((await s.execute(select(InboxItem).where(InboxItem.person_id == who))).scalars())
        return rows if len(rows) >= n else None

    return await eventually(probe)  # type: ignore[no-any-return]


async def put_preferences(
    client: httpx.AsyncClient, issuer: TestIssuer, who: uuid.UUID, **changes: Any
) -> dict[str, Any]:
    r = await client.get("/api/v1/preferences/me", headers=h(issuer, who))
    body = {
        "locale": "zh",
        "quiet_hours": {"enabled": True, "start": "22:00", "end": "08:00"},
        "sms_phone": None,
        "categories": {},
        **changes,
    }
    r = await client.put(
        "/api/v1/preferences/me", json=body, headers={**h(issuer, who), "If-Match": r.headers["ETag"]}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


# ---- exactly once ---------------------------------------------------------------------------------


async def test_a_redelivered_event_makes_one_inbox_item_and_one_push(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    member = await person(app, ch_settings, ["member"])
    token, _ = await device(client, issuer, member)
    event = submitted(member)
    await publish(ch_settings.nats_url, event)
    nc = await nats.connect(ch_settings.nats_url)
    await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": f"{event.id}-again"})
    await nc.close()
    await inbox_items(app, member)
    await deliveries(app, member, 1)
    await asyncio.sleep(0.5)  # the second copy was handled by now
    assert len(await inbox_items(app, member)) == 1
    assert len(await deliveries(app, member)) == 1
    async with JPushServer() as vendor:
        jp = JPushProvider("appkey", "master-secret", url=vendor.url)
        worker = _worker(app, ch_settings, providers(DevelopmentProvider(), jpush=jp))
        await worker.deliver_due()
        await worker.deliver_due()
        await worker.aclose()
    mine = [c for c in vendor.calls if token in c.body.decode()]
    assert len(mine) == 1
    call = mine[0]
    assert call.headers["Authorization"] == "Basic " + base64.b64encode(b"appkey:master-secret").decode()
    assert call.headers["Content-Type"] == "application/json"
    body = call.json()
    assert body["audience"] == {"registration_id": [token]} and body["platform"] == ["android"]
    assert body["notification"]["android"]["title"] == "提案已提交"
    assert body["notification"]["android"]["extras"]["object_id"] == event.subject
    (sent,) = await deliveries(app, member)
    assert sent.status == Status.SENT and sent.attempts == 1


async def test_a_claimed_batch_reads_its_devices_once_and_each_push_goes_to_its_own_device(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    members = [await person(app, ch_settings, ["member"]) for _ in range(4)]
    tokens = {m: (await device(client, issuer, m))[0] for m in members}
    for m in members:
        await publish(ch_settings.nats_url, submitted(m))
    for m in members:
        await deliveries(app, m, 1)
    engine = create_engine(ch_settings.database_url)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa_event.listen(engine.sync_engine, "before_cursor_execute", seen)
    dev = DevelopmentProvider()
    worker = ChannelWorker(create_sessionmaker(engine), ch_settings, CLOCK, providers=providers(dev))
    try:
        await worker.deliver_due()
        await worker.aclose()
    finally:
        await engine.dispose()
    sent = {(str(m.data["object_id"]), m.address) for m in dev.sent if m.channel == "push"}
    for m in members:
        (delivery,) = await deliveries(app, m)
        assert delivery.status == Status.SENT
        assert (str(delivery.object_id), tokens[m]) in sent
    assert len([s for s in statements if "FROM devices" in s]) == 1  # not one read per delivery


# ---- quiet hours ----------------------------------------------------------------------------------


async def test_quiet_hours_hold_a_push_until_eight_and_an_urgent_one_goes_at_once(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    unit = uuid.uuid4()
    member = await person(app, ch_settings, ["member"])
    unit_user = await person(app, ch_settings, ["unit_user"], unit)
    member_token, _ = await device(client, issuer, member, "development")
    unit_token, _ = await device(client, issuer, unit_user, "development")
    local = CLOCK.now().astimezone(SHANGHAI)
    CLOCK.set(datetime(local.year, local.month, local.day, 23, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await publish(ch_settings.nats_url, submitted(member), overdue(unit))
    await inbox_items(app, member)  # the inbox is never held
    (held,) = await deliveries(app, member, 1)
    (urgent,) = await deliveries(app, unit_user, 1)
    eight = datetime(local.year, local.month, local.day, 8, 0, tzinfo=SHANGHAI) + timedelta(days=1)
    assert held.next_attempt_at == eight and held.not_before == eight
    assert urgent.urgent and urgent.next_attempt_at == CLOCK.now()
    dev = DevelopmentProvider()
    worker = _worker(app, ch_settings, providers(dev))
    await worker.deliver_due()
    assert [m.address for m in dev.sent if m.address in (member_token, unit_token)] == [unit_token]
    CLOCK.set(eight - timedelta(minutes=1))
    await worker.deliver_due()
    assert member_token not in [m.address for m in dev.sent]
    CLOCK.set(eight)
    await worker.deliver_due()
    assert [m.address for m in dev.sent if m.address in (member_token, unit_token)] == [
        unit_token,
        member_token,
    ]


async def test_my_own_quiet_hours_replace_the_default(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    member = await person(app, ch_settings, ["member"])
    await device(client, issuer, member, "development")
    local = CLOCK.now().astimezone(SHANGHAI)
    start = (local - timedelta(minutes=30)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    await put_preferences(
        client,
        issuer,
        member,
        quiet_hours={"enabled": True, "start": start.isoformat("minutes"), "end": end.isoformat("minutes")},
    )
    await publish(ch_settings.nats_url, submitted(member))
    (held,) = await deliveries(app, member, 1)
    assert held.next_attempt_at is not None
    assert held.next_attempt_at.astimezone(SHANGHAI).time() == end


# ---- preferences ----------------------------------------------------------------------------------


async def test_push_turned_off_for_a_category_makes_no_push_but_the_inbox_item(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    member = await person(app, ch_settings, ["member"])
    await device(client, issuer, member)
    await put_preferences(
        client, issuer, member, categories={"proposal.submitted": {"push": False, "sms": False}}
    )
    await publish(ch_settings.nats_url, submitted(member))
    await inbox_items(app, member)
    await asyncio.sleep(0.3)
    assert await deliveries(app, member) == []


async def test_an_english_preference_gets_english_inbox_and_push_text(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    member = await person(app, ch_settings, ["member"])
    await device(client, issuer, member, "development")
    await put_preferences(client, issuer, member, locale="en")
    await publish(ch_settings.nats_url, submitted(member, "Better bus routes"))
    (item,) = await inbox_items(app, member)
    assert item.title == "Proposal submitted: Better bus routes"
    (push,) = await deliveries(app, member, 1)
    assert push.locale == "en" and push.title == "Proposal submitted"
    assert push.body == '"Better bus routes" was submitted and awaits review.'


async def test_sms_goes_to_my_number_for_urgent_categories_within_two_segments(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    unit = uuid.uuid4()
    unit_user = await person(app, ch_settings, ["unit_user"], unit)
    member = await person(app, ch_settings, ["member"])
    await put_preferences(client, issuer, unit_user, sms_phone="+86 138 0013 8000")
    await put_preferences(client, issuer, member, sms_phone="13900139000")
    await publish(ch_settings.nats_url, overdue(unit), submitted(member))
    (sms,) = await deliveries(app, unit_user, 1)
    await inbox_items(app, member)
    assert await deliveries(app, member) == []  # not urgent: SMS is off by default
    dev = DevelopmentProvider()
    worker = _worker(app, ch_settings, providers(dev))
    await worker.deliver_due()
    (text,) = [m for m in dev.sent if m.delivery_id == sms.id]
    assert text.channel == "sms" and text.address == "13800138000"
    assert "答复期限" in text.title and len("【掌上政协】" + text.title + text.body) <= 134


async def test_an_sms_number_is_kept_encrypted_bound_to_its_person_and_never_logged(
    app: FastAPI,
    client: httpx.AsyncClient,
    ch_settings: Settings,
    issuer: TestIssuer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    daytime()
    unit = uuid.uuid4()
    unit_user = await person(app, ch_settings, ["unit_user"], unit)
    stranger = await person(app, ch_settings, ["member"])
    number = "13700137000"
    mine = await put_preferences(client, issuer, unit_user, sms_phone=number)
    assert mine["sms_phone"] == number  # its owner reads it back
    await put_preferences(client, issuer, stranger, sms_phone="13600136000")
    async with app.state.runtime.sessionmaker() as s:
        row = await s.get(PreferenceRow, unit_user)
        assert row is not None and row.sms_phone is None and row.sms_phone_encrypted is not None
        assert number.encode() not in row.sms_phone_encrypted
        assert crypto.unseal_phone(crypto.decode_key(KEY), unit_user, row.sms_phone_encrypted) == number
        with pytest.raises(InvalidTag):  # bound to its person: copied into another row it is useless
            crypto.unseal_phone(crypto.decode_key(KEY), stranger, row.sms_phone_encrypted)
    await publish(ch_settings.nats_url, overdue(unit))
    (sms,) = await deliveries(app, unit_user, 1)
    dev = DevelopmentProvider()
    await _worker(app, ch_settings, providers(dev)).deliver_due()
    assert [m.address for m in dev.sent if m.delivery_id == sms.id] == [number]
    assert "development provider: sms" in caplog.text and number not in caplog.text
    assert all(number not in str(r.__dict__) for r in caplog.records)


async def test_a_number_a_previous_release_wrote_in_plain_text_is_encrypted_by_the_worker(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    """During a rollout a pod of the release before migration 0008 may still write the plaintext
    column; the new code reads only the encrypted one, and the worker's hourly pass moves it there."""
    member = await person(app, ch_settings, ["member"])
    await put_preferences(client, issuer, member)
    async with app.state.runtime.sessionmaker() as s, s.begin():
        row = await s.get(PreferenceRow, member)
        assert row is not None
        row.sms_phone = "13500135000"
    worker = _worker(app, ch_settings, providers(DevelopmentProvider()))
    assert await worker.seal_plain_phones() >= 1
    async with app.state.runtime.sessionmaker() as s:
        row = await s.get(PreferenceRow, member)
        assert row is not None and row.sms_phone is None and row.sms_phone_encrypted is not None
    mine = (await client.get("/api/v1/preferences/me", headers=h(issuer, member))).json()
    assert mine["sms_phone"] == "13500135000"


async def test_without_the_key_no_sms_number_is_kept(ch_settings: Settings, issuer: TestIssuer) -> None:
    settings = ch_settings.model_copy(update={"webhook_key": None, "consumers_enabled": False})
    async with serve_app(create_app(settings, key_source=issuer.key_source(), clock=CLOCK)) as c:
        body = {"locale": "zh", "quiet_hours": {"enabled": True, "start": "22:00", "end": "08:00"}}
        me = uuid.uuid4()
        headers = {**h(issuer, me), "If-Match": '"0"'}
        refused = await c.put(
            "/api/v1/preferences/me", json={**body, "sms_phone": "13800138000"}, headers=headers
        )
        assert refused.status_code == 503 and refused.json()["code"] == "preferences.sms_not_configured"
        assert (await c.put("/api/v1/preferences/me", json=body, headers=headers)).status_code == 200


# ---- vendors' answers -----------------------------------------------------------------------------


async def test_a_token_the_vendor_reports_invalid_is_pruned(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    member = await person(app, ch_settings, ["member"])
    token, registered = await device(client, issuer, member)
    await publish(ch_settings.nats_url, submitted(member))
    await deliveries(app, member, 1)
    gone = (400, {"error": {"code": 1011, "message": "cannot find user by this audience"}})
    async with JPushServer(answers=[gone]) as vendor:
        worker = _worker(
            app, ch_settings, providers(DevelopmentProvider(), jpush=JPushProvider("k", "s", url=vendor.url))
        )
        await worker.deliver_due()
        await worker.aclose()
    (pruned,) = await deliveries(app, member)
    assert pruned.status == Status.PRUNED
    r = await client.get("/api/v1/devices", headers=h(issuer, member))
    assert registered["id"] not in [d["id"] for d in r.json()["items"]]


async def test_apns_is_spoken_over_http2_with_a_provider_jwt_and_410_prunes_the_token(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    member = await person(app, ch_settings, ["member"])
    token, _ = await device(client, issuer, member, "apns", "ios")
    await publish(ch_settings.nats_url, submitted(member))
    await deliveries(app, member, 1)
    async with ApnsServer(answers=[(410, "Unregistered")]) as vendor:
        apns = ApnsProvider(
            key_id="ABC123DEFG", team_id="DEF123GHIJ", private_key_pem=APNS_PEM, topic="cn.gov.cppcc.app",
            clock=CLOCK, url=vendor.url, client=httpx.AsyncClient(http1=False, http2=True),
        )  # fmt: skip
        worker = _worker(app, ch_settings, providers(DevelopmentProvider(), apns=apns))
        await worker.deliver_due()
        await worker.aclose()
    (call,) = [c for c in vendor.calls if token in c.path]
    assert call.http_version == "HTTP/2" and call.headers[":method"] == "POST"
    assert call.path == f"/3/device/{token}"
    assert call.headers["apns-topic"] == "cn.gov.cppcc.app" and call.headers["apns-push-type"] == "alert"
    assert call.headers["apns-priority"] == "5"
    claims = jwt.decode(
        call.headers["authorization"].removeprefix("bearer "), APNS_KEY.public_key(), algorithms=["ES256"],
        options={"verify_iat": False},
    )  # fmt: skip
    assert claims["iss"] == "DEF123GHIJ"
    assert call.json()["aps"]["alert"]["title"] == "提案已提交"
    (pruned,) = await deliveries(app, member)
    assert pruned.status == Status.PRUNED
    r = await client.get("/api/v1/devices", headers=h(issuer, member))
    assert r.json()["items"] == []


async def test_a_provider_failure_is_retried_with_back_off_then_succeeds(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    member = await person(app, ch_settings, ["member"])
    token, _ = await device(client, issuer, member)
    await publish(ch_settings.nats_url, submitted(member))
    await deliveries(app, member, 1)
    async with JPushServer(answers=[(500, {}), (200, {"sendno": "0", "msg_id": "2"})]) as vendor:
        worker = _worker(
            app, ch_settings, providers(DevelopmentProvider(), jpush=JPushProvider("k", "s", url=vendor.url))
        )
        started = CLOCK.now()
        await worker.deliver_due()
        (waiting,) = await deliveries(app, member)
        assert waiting.status == Status.PENDING and waiting.attempts == 1 and waiting.next_attempt_at
        wait = waiting.next_attempt_at - started
        assert RETRY_DELAYS[0] * (1 - JITTER) <= wait <= RETRY_DELAYS[0] * (1 + JITTER)
        await worker.deliver_due()  # not due yet
        assert len([c for c in vendor.calls if token in c.body.decode()]) == 1
        CLOCK.set(waiting.next_attempt_at)
        await worker.deliver_due()
        await worker.aclose()
    (sent,) = await deliveries(app, member)
    assert sent.status == Status.SENT and sent.attempts == 2
    async with app.state.runtime.sessionmaker() as s:
        outcomes = (
            await s.execute(
                select(DeliveryAttempt.outcome)
                .where(DeliveryAttempt.delivery_id == sent.id)
                .order_by(DeliveryAttempt.attempted_at)
            )
        ).scalars()
        assert list(outcomes) == [Outcome.RETRYABLE, Outcome.SENT]


async def test_one_dead_provider_does_not_block_the_others(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    ios_member = await person(app, ch_settings, ["member"])
    android_member = await person(app, ch_settings, ["member"])
    await device(client, issuer, ios_member, "apns", "ios")
    await device(client, issuer, ios_member, "apns", "ios")
    token, _ = await device(client, issuer, android_member)
    await publish(ch_settings.nats_url, submitted(ios_member), submitted(android_member))
    await deliveries(app, ios_member, 2)
    await deliveries(app, android_member, 1)
    async with DeadVendor() as dead, JPushServer() as vendor:
        apns = ApnsProvider(
            key_id="K", team_id="T", private_key_pem=APNS_PEM, topic="cn.gov.cppcc.app", clock=CLOCK, url=dead.url,
            client=httpx.AsyncClient(http1=False, http2=True, timeout=30),
        )  # fmt: skip
        worker = _worker(
            app,
            ch_settings,
            providers(DevelopmentProvider(), apns=apns, jpush=JPushProvider("k", "s", url=vendor.url)),
        )
        await worker.scan_once()  # each call its own task

        async def jpush_done() -> bool:
            (row,) = await deliveries(app, android_member)
            return row.status == Status.SENT

        await eventually(jpush_done, timeout=15)
        assert dead.accepted >= 1  # APNs was being called all along, and hangs
        assert {d.status for d in await deliveries(app, ios_member)} == {Status.PENDING}
        assert len(worker._tasks) == 2  # the two APNs calls, still in flight
    await worker.idle()
    await worker.aclose()
    assert [c for c in vendor.calls if token in c.body.decode()]


# ---- Alibaba Cloud SMS on the wire ----------------------------------------------------------------


async def test_aliyun_sendsms_request_is_signed_as_alibaba_verifies_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx's requests included: never the number
    received: list[dict[str, str]] = []

    async def send_sms(request: web.Request) -> web.Response:
        form = dict(parse_qsl((await request.read()).decode(), keep_blank_values=True))
        received.append({**form, "_content_type": request.headers["Content-Type"]})
        params = {k: v for k, v in form.items() if k != "Signature"}
        if signature("secret-of-test", "POST", params) != form["Signature"]:
            return web.json_response({"Code": "SignatureDoesNotMatch", "Message": "bad"}, status=400)
        if form["PhoneNumbers"] == "13000000000":
            return web.json_response({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "illegal"})
        return web.json_response(
            {"Code": "OK", "Message": "OK", "BizId": "900619746936498440", "RequestId": "r"}
        )

    application = web.Application()
    application.router.add_post("/", send_sms)
    runner = web.AppRunner(application)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
    provider = AliyunSmsProvider(
        access_key_id="LTAI-test", access_key_secret="secret-of-test", sign_name="掌上政协",
        template_codes={"zh": "SMS_100", "en": "SMS_200"}, clock=CLOCK, url=url,
    )  # fmt: skip
    message = Message(
        delivery_id=uuid.uuid4(), channel="sms", address="13800138000", platform=None,
        title="提案《关于加装电梯的建议》答复期限2026-03-01已过，承办单位尚未答复。", body="", urgent=True,
        category="proposal.feedback_overdue", locale="en",
    )  # fmt: skip
    try:
        assert (await provider.send(message)).outcome is Outcome.SENT
        bad = Message(**{**message.__dict__, "address": "13000000000"})
        assert (await provider.send(bad)).outcome is Outcome.INVALID_TOKEN
    finally:
        await provider.aclose()
        await runner.cleanup()
    form = received[0]
    assert form["_content_type"] == "application/x-www-form-urlencoded"
    assert form["Action"] == "SendSms" and form["Version"] == "2017-05-25" and form["Format"] == "JSON"
    assert form["SignatureMethod"] == "HMAC-SHA1" and form["SignatureVersion"] == "1.0"
    assert form["Timestamp"] == CLOCK.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert form["PhoneNumbers"] == "13800138000" and form["SignName"] == "掌上政协"
    assert form["TemplateCode"] == "SMS_200" and form["OutId"] == str(message.delivery_id)
    assert form["TemplateParam"] == '{"content":"' + message.title + '"}'
    assert received[0]["SignatureNonce"] != received[1]["SignatureNonce"]
    assert caplog.records and not any(
        number in str(r.__dict__) for r in caplog.records for number in ("13800138000", "13000000000")
    )
    # The HMAC is keyed with the secret and "&", over POST&%2F&<the sorted, encoded query>.
    assert hmac.compare_digest(
        form["Signature"],
        base64.b64encode(
            hmac.new(
                b"secret-of-test&",
                __import__("notify_svc.channels.sms.aliyun", fromlist=["x"])
                .string_to_sign(
                    "POST", {k: v for k, v in form.items() if k not in ("Signature", "_content_type")}
                )
                .encode(),
                hashlib.sha1,
            ).digest()
        ).decode(),
    )


# ---- devices ---------------------------------------------------------------------------------------


async def test_re_registering_a_token_moves_it_to_the_caller(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    token = uuid.uuid4().hex
    body = {"platform": "android", "vendor": "jpush", "token": token, "name": "华为 Mate"}
    r = await client.post("/api/v1/devices", json=body, headers=h(issuer, first))
    assert r.status_code == 201 and r.json()["token_tail"] == token[-6:] and "token" not in r.json()
    r = await client.post("/api/v1/devices", json=body, headers=h(issuer, second))
    assert r.status_code == 201
    assert (await client.get("/api/v1/devices", headers=h(issuer, first))).json()["items"] == []
    mine = (await client.get("/api/v1/devices", headers=h(issuer, second))).json()["items"]
    assert [d["name"] for d in mine] == ["华为 Mate"]


async def test_several_devices_per_person_and_another_persons_device_is_404(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    me, other = uuid.uuid4(), uuid.uuid4()
    _, phone = await device(client, issuer, me, "apns", "ios")
    _, tablet = await device(client, issuer, me, "jpush", "harmony")
    items = (await client.get("/api/v1/devices", headers=h(issuer, me))).json()["items"]
    assert {d["id"] for d in items} == {phone["id"], tablet["id"]}
    r = await client.delete(f"/api/v1/devices/{phone['id']}", headers=h(issuer, other))
    assert r.status_code == 404 and r.json()["code"] == "device.not_found"
    assert (await client.delete(f"/api/v1/devices/{phone['id']}", headers=h(issuer, me))).status_code == 204
    items = (await client.get("/api/v1/devices", headers=h(issuer, me))).json()["items"]
    assert [d["id"] for d in items] == [tablet["id"]]


async def test_apns_cannot_push_to_android_and_a_token_is_checked(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    me = uuid.uuid4()
    bad = {"platform": "android", "vendor": "apns", "token": uuid.uuid4().hex}
    r = await client.post("/api/v1/devices", json=bad, headers=h(issuer, me))
    assert r.status_code == 422 and r.json()["code"] == "device.vendor_platform_mismatch"
    for token in ["short", "a b c d e f g h", "x" * 201, "abc\x00defgh"]:
        r = await client.post(
            "/api/v1/devices",
            json={"platform": "ios", "vendor": "apns", "token": token},
            headers=h(issuer, me),
        )
        assert r.status_code == 422, token


async def test_signing_out_removes_my_devices_and_cancels_their_pending_pushes(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    member = await person(app, ch_settings, ["member"])
    await device(client, issuer, member)
    await device(client, issuer, member, "development")
    await publish(ch_settings.nats_url, submitted(member))
    await deliveries(app, member, 2)
    r = await client.delete("/api/v1/devices", headers=h(issuer, member))
    assert r.status_code == 200 and r.json() == {"removed": 2}
    dev = DevelopmentProvider()
    worker = _worker(app, ch_settings, providers(dev))
    await worker.deliver_due()
    assert {d.status for d in await deliveries(app, member)} == {Status.CANCELLED}
    assert not [m for m in dev.sent if m.delivery_id in {d.id for d in await deliveries(app, member)}]


def sessions_ended(who: uuid.UUID, reason: str, sessions: list[uuid.UUID], every: bool = False) -> CloudEvent:
    return make_event(
        SessionsEndedV1(
            person_id=who, org_id=ORG, reason=reason, session_ids=sessions, all_sessions=every,
            ended_at=CLOCK.now(),
        ),
        source="/member-svc", subject=who, orgid=ORG,
    )  # fmt: skip


async def my_devices(client: httpx.AsyncClient, issuer: TestIssuer, who: uuid.UUID) -> set[str]:
    return {d["id"] for d in (await client.get("/api/v1/devices", headers=h(issuer, who))).json()["items"]}


async def test_signing_out_of_one_session_forgets_the_devices_registered_in_it_only(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    """member-svc's `sessions_ended` (a sign-out): the phone signed out is pushed to no more, even
    what was queued for it; the tablet signed in on its own session keeps its pushes."""
    daytime()
    member = await person(app, ch_settings, ["member"])
    phone_session, tablet_session = uuid.uuid4(), uuid.uuid4()
    _, phone = await device(client, issuer, member, "development", session=phone_session)
    _, tablet = await device(client, issuer, member, "development", "ios", session=tablet_session)
    await publish(ch_settings.nats_url, submitted(member))
    await deliveries(app, member, 2)
    await publish(ch_settings.nats_url, sessions_ended(member, "sign_out", [phone_session]))

    async def forgotten() -> bool:
        return await my_devices(client, issuer, member) == {tablet["id"]}

    await eventually(forgotten)
    dev = DevelopmentProvider()
    await _worker(app, ch_settings, providers(dev)).deliver_due()
    by_device = {str(d.device_id): d.status for d in await deliveries(app, member)}
    assert by_device == {phone["id"]: Status.CANCELLED, tablet["id"]: Status.SENT}


async def test_a_device_re_registered_in_a_new_session_outlives_the_end_of_the_old_one(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    """Signed out and in again on the same phone: the late news of the old session's end does not
    forget the device the new session registered again."""
    member = await person(app, ch_settings, ["member"])
    old, new = uuid.uuid4(), uuid.uuid4()
    token, first = await device(client, issuer, member, session=old)
    _, again = await device(client, issuer, member, session=new, token=token)
    assert again["id"] == first["id"]
    other = await person(app, ch_settings, ["member"])
    _, witness = await device(client, issuer, other, session=old)
    await publish(
        ch_settings.nats_url,
        sessions_ended(member, "sign_out", [old]),
        sessions_ended(other, "sign_out", [uuid.uuid4()]),
    )

    async def others_done() -> bool:  # the later event was handled, so the earlier one too
        return await my_devices(client, issuer, other) == {witness["id"]}

    await eventually(others_done)
    await asyncio.sleep(0.2)
    assert await my_devices(client, issuer, member) == {first["id"]}


async def test_a_password_change_or_a_device_without_a_session_forgets_every_device_it_must(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    """Every session ended (a password changed or reset): all of the person's devices go, and a
    redelivery changes nothing. A device registered with a token naming no session goes at any
    sign-out of its person (nobody can tell it was not that session's)."""
    member = await person(app, ch_settings, ["member"])
    kept = uuid.uuid4()
    _, unbound = await device(client, issuer, member)
    _, bound = await device(client, issuer, member, session=kept)
    await publish(ch_settings.nats_url, sessions_ended(member, "sign_out", [uuid.uuid4()]))

    async def unbound_gone() -> bool:
        return await my_devices(client, issuer, member) == {bound["id"]}

    await eventually(unbound_gone)
    await device(client, issuer, member, session=uuid.uuid4())
    event = sessions_ended(member, "password_changed", [], every=True)
    await publish(ch_settings.nats_url, event)

    async def all_gone() -> bool:
        return await my_devices(client, issuer, member) == set()

    await eventually(all_gone)
    _, later = await device(client, issuer, member, session=uuid.uuid4())
    nc = await nats.connect(ch_settings.nats_url)  # the same event again: already applied
    await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": f"{event.id}-again"})
    await nc.close()
    await asyncio.sleep(0.3)
    assert await my_devices(client, issuer, member) == {later["id"]}


async def test_the_oldest_device_is_forgotten_beyond_the_policys_number(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    me = uuid.uuid4()
    ids = []
    for _ in range(11):
        _, d = await device(client, issuer, me)
        ids.append(d["id"])
        CLOCK.advance(timedelta(seconds=1))
    items = (await client.get("/api/v1/devices", headers=h(issuer, me))).json()["items"]
    assert len(items) == 10 and ids[0] not in [d["id"] for d in items]


# ---- preferences API ---------------------------------------------------------------------------------


async def test_preferences_start_at_the_policy_and_are_replaced_with_if_match(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    me = uuid.uuid4()
    r = await client.get("/api/v1/preferences/me", headers=h(issuer, me))
    assert r.status_code == 200 and r.headers["ETag"] == '"0"'
    prefs = r.json()
    assert prefs["locale"] == "zh" and prefs["sms_phone"] is None
    assert prefs["quiet_hours"] == {
        "enabled": True,
        "start": "22:00",
        "end": "08:00",
        "timezone": "Asia/Shanghai",
    }
    by = {c["category"]: c for c in prefs["categories"]}
    assert by["proposal.feedback_overdue"] == {
        "category": "proposal.feedback_overdue", "inbox": True, "push": True, "sms": True, "urgent": True,
    }  # fmt: skip
    assert by["proposal.filed"]["sms"] is False and by["proposal.filed"]["urgent"] is False
    body = {
        "locale": "en",
        "quiet_hours": {"enabled": True, "start": "23:00", "end": "07:00"},
        "sms_phone": "13800138000",
        "categories": {"proposal.filed": {"push": False, "sms": True}},
    }
    r = await client.put("/api/v1/preferences/me", json=body, headers=h(issuer, me))
    assert r.status_code == 428
    r = await client.put("/api/v1/preferences/me", json=body, headers={**h(issuer, me), "If-Match": '"0"'})
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    again = await client.put(
        "/api/v1/preferences/me", json=body, headers={**h(issuer, me), "If-Match": '"0"'}
    )
    assert again.status_code == 412 and again.json()["code"] == "preferences.version_mismatch"
    mine = (await client.get("/api/v1/preferences/me", headers=h(issuer, me))).json()
    assert mine["locale"] == "en" and mine["quiet_hours"]["start"] == "23:00"
    assert {c["category"]: c for c in mine["categories"]}["proposal.filed"]["push"] is False
    other = (await client.get("/api/v1/preferences/me", headers=h(issuer, uuid.uuid4()))).json()
    assert other["locale"] == "zh"  # mine are mine only


@pytest.mark.parametrize(
    "change",
    [
        {"categories": {"proposal.nonexistent": {"push": True, "sms": True}}},
        {"sms_phone": "12345"},
        {"sms_phone": "+1 650 253 0000"},
        {"locale": "fr"},
        {"quiet_hours": {"enabled": True, "start": "22:00+08:00", "end": "08:00"}},
        {"quiet_hours": {"enabled": True, "start": "25:00", "end": "08:00"}},
        {"quiet_hours": None},
    ],
)
async def test_preferences_refuse_what_cannot_be_kept(
    client: httpx.AsyncClient, issuer: TestIssuer, change: dict[str, Any]
) -> None:
    body = {"locale": "zh", "quiet_hours": {"enabled": True, "start": "22:00", "end": "08:00"}, **change}
    r = await client.put(
        "/api/v1/preferences/me", json=body, headers={**h(issuer, uuid.uuid4()), "If-Match": "*"}
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text


async def test_partner_clients_have_no_devices_or_preferences(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    now = int(CLOCK.now().timestamp())
    partner = issuer.headers(org=ORG, roles=["partner"], unit=uuid.uuid4(), iat=now, exp=now + 900)
    for method, path in [
        ("GET", "/api/v1/devices"),
        ("DELETE", "/api/v1/devices"),
        ("GET", "/api/v1/preferences/me"),
    ]:
        assert (await client.request(method, path, headers=partner)).status_code == 403
    assert (await client.get("/api/v1/devices")).status_code == 401


async def test_finished_deliveries_are_forgotten_after_the_retention_period(
    app: FastAPI, client: httpx.AsyncClient, ch_settings: Settings, issuer: TestIssuer
) -> None:
    daytime()
    member = await person(app, ch_settings, ["member"])
    await device(client, issuer, member, "development")
    await device(client, issuer, member)
    await publish(ch_settings.nats_url, submitted(member))
    await deliveries(app, member, 2)
    worker = _worker(app, ch_settings, providers(DevelopmentProvider(), jpush=_Failing()))
    await worker.deliver_due()
    by_route = {d.route: d for d in await deliveries(app, member)}
    assert by_route["development"].status == Status.SENT and by_route["jpush"].status == Status.FAILED
    CLOCK.advance(timedelta(days=ch_settings.channel_retention_days) - timedelta(minutes=1))
    await worker.purge()
    assert len(await deliveries(app, member)) == 2
    CLOCK.advance(timedelta(minutes=2))
    await worker.purge()
    assert await deliveries(app, member) == []


class _Failing:
    name = "failing"

    async def send(self, message: Message) -> Any:
        from notify_svc.channels.providers import Result

        return Result(Outcome.PERMANENT, "refused")

    async def aclose(self) -> None:
        return None


async def test_deliveries_count(app: FastAPI) -> None:
    """Every delivery written by these tests has a provider route (nothing was queued unroutable)."""
    async with app.state.runtime.sessionmaker() as s:
        routes = set((await s.execute(select(Delivery.route).group_by(Delivery.route))).scalars())
        assert routes <= {"jpush", "apns", "development", "sms"}
        assert (await s.execute(select(func.count()).select_from(Delivery))).scalar_one() > 0
