"""Webhooks to partner systems on real NATS, PostgreSQL and local HTTP receivers (DESIGN.md §8)."""

import asyncio
import base64
import random
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from webhook_support import Received, Receiver, assigned, eventually, new_key, publish

import notify_svc
from cppcc_common.clock import FakeClock
from cppcc_common.contracts.consultation import FeedbackOverdueV1
from cppcc_common.contracts.member import PersonRegisteredV1
from cppcc_common.db import create_engine, create_sessionmaker
from cppcc_common.events import make_event
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from notify_svc.channels.queue.models import Delivery
from notify_svc.main import create_app
from notify_svc.models import InboxItem, Recipient
from notify_svc.settings import Settings
from notify_svc.webhooks import ssrf
from notify_svc.webhooks.delivery import DeliveryWorker
from notify_svc.webhooks.domain import JITTER, RETRY_SCHEDULE
from notify_svc.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

MIGRATIONS = Path(notify_svc.__file__).parent / "migrations"
ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
ADMIN = uuid.uuid4()
CLOCK = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def wh_settings(databases: Any, module_nats_url: str) -> Settings:
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "notify"),
        nats_url=module_nats_url,
        relay_interval_seconds=0.05,
        webhook_key=SecretStr(new_key()),
        webhook_allow_networks=["127.0.0.1/32"],
        webhook_worker_enabled=False,  # each test drives its own worker by the FakeClock
    )


@pytest.fixture(scope="module")
async def app(wh_settings: Settings, issuer: TestIssuer) -> AsyncIterator[FastAPI]:
    application = create_app(wh_settings, key_source=issuer.key_source(), clock=CLOCK)
    async with serve_app(application) as c:
        application.state.client = c
        yield application


@pytest.fixture(scope="module")
def client(app: FastAPI) -> httpx.AsyncClient:
    return app.state.client  # type: ignore[no-any-return]


@pytest.fixture
async def worker(app: FastAPI, wh_settings: Settings) -> AsyncIterator[DeliveryWorker]:
    w = DeliveryWorker(app.state.runtime.sessionmaker, wh_settings, CLOCK, rng=random.Random(7))
    yield w
    await w.idle()
    await w.aclose()


def at_clock() -> dict[str, int]:
    """A token issued now by the test's clock (the service verifies by it)."""
    now = int(CLOCK.now().timestamp())
    return {"iat": now, "exp": now + 900}


def partner(issuer: TestIssuer, unit: uuid.UUID, org: uuid.UUID = ORG) -> dict[str, str]:
    return issuer.headers(org=org, roles=["partner"], unit=unit, **at_clock())


def admin(issuer: TestIssuer, org: uuid.UUID = ORG) -> dict[str, str]:
    return issuer.headers(sub=ADMIN, org=org, roles=["admin"], **at_clock())


async def make_endpoint(
    client: httpx.AsyncClient, issuer: TestIssuer, unit: uuid.UUID, url: str, types: list[str] | None = None
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/webhooks/endpoints",
        json={"url": url, "event_types": types or ["cppcc.proposal.*"], "description": "办理系统"},
        headers=partner(issuer, unit),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def deliveries_of(app: FastAPI, endpoint_id: str) -> list[WebhookDelivery]:
    async with app.state.runtime.sessionmaker() as s:
        found = await s.execute(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == uuid.UUID(endpoint_id))
        )
        return list(found.scalars())


async def queued(app: FastAPI, endpoint_id: str, n: int = 1) -> list[WebhookDelivery]:
    async def probe() -> list[WebhookDelivery] | None:
        rows = await deliveries_of(app, endpoint_id)
        return rows if len(rows) >= n else None

    return await eventually(probe)  # type: ignore[no-any-return]


async def advance_to_due(app: FastAPI, endpoint_id: str) -> None:
    (delivery,) = await deliveries_of(app, endpoint_id)
    assert delivery.next_attempt_at is not None
    CLOCK.set(max(CLOCK.now(), delivery.next_attempt_at))


async def test_a_receiver_answering_500_500_200_sees_one_webhook_id_with_three_signed_timestamps(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit = uuid.uuid4()
    async with Receiver(CLOCK, [500, 500, 200]) as receiver:
        endpoint = await make_endpoint(client, issuer, unit, receiver.url)
        event = assigned(ORG, unit)
        await publish(wh_settings.nats_url, event)
        await queued(app, endpoint["id"])
        for _ in range(3):
            await advance_to_due(app, endpoint["id"])
            assert await worker.deliver_due() >= 1
    ids = {r.headers["webhook-id"] for r in receiver.received}
    stamps = [r.headers["webhook-timestamp"] for r in receiver.received]
    assert len(receiver.received) == 3 and len(ids) == 1 and len(set(stamps)) == 3
    for r in receiver.received:
        payload = r.verified_by(endpoint["secret"])
        assert payload["id"] == str(event.id) and payload["type"] == "cppcc.proposal.assigned.v1"
        assert r.headers["Content-Type"] == "application/json"
    (delivery,) = await deliveries_of(app, endpoint["id"])
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    r = await client.get(
        f"/api/v1/webhooks/endpoints/{endpoint['id']}/messages/{ids.pop()}/attempts",
        headers=partner(issuer, unit),
    )
    assert [a["status_code"] for a in r.json()["items"]] == [200, 500, 500]
    assert r.json()["items"][1]["error_class"] == "http_500"
    assert r.json()["items"][1]["response_body"] == "answer 500"


async def test_the_retry_schedule_with_jitter_then_the_delivery_fails(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit = uuid.uuid4()
    async with Receiver(CLOCK, [503]) as receiver:
        endpoint = await make_endpoint(client, issuer, unit, receiver.url)
        await publish(wh_settings.nats_url, assigned(ORG, unit))
        await queued(app, endpoint["id"])
        for wait in RETRY_SCHEDULE[1:]:
            await advance_to_due(app, endpoint["id"])
            attempted = CLOCK.now()
            await worker.deliver_due()
            (delivery,) = await deliveries_of(app, endpoint["id"])
            assert delivery.next_attempt_at is not None
            waited = delivery.next_attempt_at - attempted
            assert wait * (1 - JITTER) <= waited <= wait * (1 + JITTER), (wait, waited)
        await advance_to_due(app, endpoint["id"])
        await worker.deliver_due()
    (delivery,) = await deliveries_of(app, endpoint["id"])
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "failed",
        len(RETRY_SCHEDULE),
        None,
    )
    assert len(receiver.received) == len(RETRY_SCHEDULE)


async def test_retry_after_is_honoured(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit = uuid.uuid4()
    async with Receiver(CLOCK, [429], headers={"Retry-After": "7200"}) as receiver:
        endpoint = await make_endpoint(client, issuer, unit, receiver.url)
        await publish(wh_settings.nats_url, assigned(ORG, unit))
        await queued(app, endpoint["id"])
        await advance_to_due(app, endpoint["id"])
        attempted = CLOCK.now()
        await worker.deliver_due()
    (delivery,) = await deliveries_of(app, endpoint["id"])
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at - attempted >= timedelta(seconds=7200)


async def test_a_redirect_is_a_failure_and_is_not_followed(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit = uuid.uuid4()
    async with Receiver(CLOCK) as target, Receiver(CLOCK, [307]) as redirecting:
        redirecting.headers["Location"] = target.url
        endpoint = await make_endpoint(client, issuer, unit, redirecting.url)
        await publish(wh_settings.nats_url, assigned(ORG, unit))
        await queued(app, endpoint["id"])
        await advance_to_due(app, endpoint["id"])
        await worker.deliver_due()
    (delivery,) = await deliveries_of(app, endpoint["id"])
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert len(redirecting.received) == 1 and target.received == []


async def administrator_known(app: FastAPI, wh_settings: Settings) -> None:
    """The organization's administrator, in notify-svc's projection, with a phone to push to."""
    await publish(
        wh_settings.nats_url,
        make_event(
            PersonRegisteredV1(person_id=ADMIN, org_id=ORG, name="管理员", roles=["admin"], scopes=[]),
            source="/member-svc",
            subject=ADMIN,
            orgid=ORG,
        ),
    )

    async def known() -> bool:
        async with app.state.runtime.sessionmaker() as s:
            return await s.get(Recipient, ADMIN) is not None

    await eventually(known)


async def told_administrators(app: FastAPI, endpoint_id: str) -> InboxItem:
    """The administrator's inbox item about the endpoint (notify-svc's own event, its consumer,
    the templates), and the push queued for the administrator's device beside it."""

    async def probe() -> list[InboxItem]:
        async with app.state.runtime.sessionmaker() as s:
            found = await s.execute(select(InboxItem).where(InboxItem.object_id == uuid.UUID(endpoint_id)))
            return list(found.scalars())

    (item,) = await eventually(probe)
    assert item.person_id == ADMIN and item.category == "webhook.endpoint_disabled"
    async with app.state.runtime.sessionmaker() as s:
        pushes = await s.execute(
            select(Delivery).where(Delivery.person_id == ADMIN, Delivery.object_id == uuid.UUID(endpoint_id))
        )
        assert [(d.channel, d.category) for d in pushes.scalars()] == [("push", "webhook.endpoint_disabled")]
    return item


async def test_a_410_disables_the_endpoint_and_tells_the_administrators(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    await administrator_known(app, wh_settings)
    r = await client.post(
        "/api/v1/devices",
        json={"platform": "ios", "vendor": "apns", "token": "a1b2c3d4e5f6"},
        headers=admin(issuer),
    )
    assert r.status_code == 201, r.text
    unit = uuid.uuid4()
    async with Receiver(CLOCK, [410]) as receiver:
        endpoint = await make_endpoint(client, issuer, unit, receiver.url)
        await publish(wh_settings.nats_url, assigned(ORG, unit))
        await queued(app, endpoint["id"])
        await advance_to_due(app, endpoint["id"])
        await worker.deliver_due()
        await publish(wh_settings.nats_url, assigned(ORG, unit))
        await asyncio.sleep(0.3)  # the consumer had time to queue the second event: it does not
    got = (
        await client.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=partner(issuer, unit))
    ).json()
    assert (got["enabled"], got["disabled_reason"]) == (False, "gone")
    assert len(await deliveries_of(app, endpoint["id"])) == 1
    assert len(receiver.received) == 1
    item = await told_administrators(app, endpoint["id"])
    assert item.title == f"Webhook 端点已自动停用：{receiver.url}"
    assert item.body.startswith("合作系统答复 410（该地址已不存在）")


async def test_an_endpoint_failing_for_five_days_is_disabled(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    """Events keep coming every other day; every attempt fails: 5 days after the first failure the
    endpoint is disabled (not before)."""
    await administrator_known(app, wh_settings)
    unit = uuid.uuid4()
    path = "/api/v1/webhooks/endpoints/{}"
    async with Receiver(CLOCK, [500]) as receiver:
        endpoint = await make_endpoint(client, issuer, unit, receiver.url)
        start, published, first_failure = CLOCK.now(), 0, None
        while True:
            got = (await client.get(path.format(endpoint["id"]), headers=partner(issuer, unit))).json()
            if not got["enabled"]:
                break
            if CLOCK.now() >= start + timedelta(days=2 * published):
                await publish(wh_settings.nats_url, assigned(ORG, unit))
                published += 1
                await queued(app, endpoint["id"], published)
            pending = [
                d.next_attempt_at for d in await deliveries_of(app, endpoint["id"]) if d.next_attempt_at
            ]
            due = min([*pending, start + timedelta(days=2 * published)])
            CLOCK.set(max(CLOCK.now(), due))
            if await worker.deliver_due():
                first_failure = first_failure or CLOCK.now()
            assert CLOCK.now() - start < timedelta(days=8), "never disabled"
    assert got["disabled_reason"] == "failing"
    assert first_failure is not None
    assert timedelta(days=5) <= CLOCK.now() - first_failure < timedelta(days=7)
    item = await told_administrators(app, endpoint["id"])
    assert "连续 5 天投递失败" in item.body


async def test_a_sleeping_receiver_does_not_delay_another_receivers_deliveries(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    slow_unit, fast_unit = uuid.uuid4(), uuid.uuid4()
    async with Receiver(CLOCK, gate=asyncio.Event()) as slow, Receiver(CLOCK) as fast:
        slow_endpoint = await make_endpoint(client, issuer, slow_unit, slow.url)
        fast_endpoint = await make_endpoint(client, issuer, fast_unit, fast.url)
        await publish(wh_settings.nats_url, *(assigned(ORG, slow_unit) for _ in range(5)))
        await queued(app, slow_endpoint["id"], 5)
        await worker.scan_once()  # the slow partner's share of the workers is now busy
        await asyncio.wait_for(slow.arrived.wait(), 5)
        await publish(wh_settings.nats_url, assigned(ORG, fast_unit))
        await queued(app, fast_endpoint["id"])
        await worker.scan_once()
        await asyncio.wait_for(fast.arrived.wait(), 5)  # while the slow one still holds its requests
        assert len(slow.received) == wh_settings.webhook_concurrency_per_endpoint
        assert slow.gate is not None
        slow.gate.set()
        await worker.idle()


async def test_a_claimed_batch_reads_its_messages_once_and_each_goes_signed_where_it_belongs(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, wh_settings: Settings
) -> None:
    first_unit, second_unit = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(wh_settings.database_url)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa_event.listen(engine.sync_engine, "before_cursor_execute", seen)
    w = DeliveryWorker(create_sessionmaker(engine), wh_settings, CLOCK, rng=random.Random(7))
    try:
        async with Receiver(CLOCK) as first, Receiver(CLOCK) as second:
            endpoints = [
                await make_endpoint(client, issuer, first_unit, first.url),
                await make_endpoint(client, issuer, second_unit, second.url),
            ]
            events = [assigned(ORG, first_unit), assigned(ORG, first_unit), assigned(ORG, second_unit)]
            await publish(wh_settings.nats_url, *events)
            await queued(app, endpoints[0]["id"], 2)
            await queued(app, endpoints[1]["id"], 1)
            await w.deliver_due()
            await w.aclose()
    finally:
        await engine.dispose()
    got = {
        (receiver_name, r.verified_by(endpoint["secret"])["id"])
        for receiver_name, receiver, endpoint in (
            ("first", first, endpoints[0]),
            ("second", second, endpoints[1]),
        )
        for r in receiver.received
    }
    assert got == {("first", str(events[0].id)), ("first", str(events[1].id)), ("second", str(events[2].id))}
    # The claim reads the batch's messages once, not once per delivery (recording each attempt later
    # locks its endpoint, one by one, outside the claim).
    assert len([s for s in statements if "FROM webhook_messages" in s]) == 1


async def test_a_rotated_secret_signs_beside_the_old_one_for_24_hours(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit = uuid.uuid4()
    async with Receiver(CLOCK) as receiver:
        endpoint = await make_endpoint(client, issuer, unit, receiver.url)
        r = await client.post(
            f"/api/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret", headers=partner(issuer, unit)
        )
        new_secret = r.json()["secret"]
        assert new_secret.startswith("whsec_") and new_secret != endpoint["secret"]
        for _ in range(2):
            await publish(wh_settings.nats_url, assigned(ORG, unit))
            n = len(receiver.received) + 1
            await queued(app, endpoint["id"], n)
            await worker.deliver_due()
            CLOCK.advance(timedelta(hours=24, seconds=1))
    during, after = receiver.received
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    during.verified_by(endpoint["secret"])
    during.verified_by(new_secret)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    after.verified_by(new_secret)
    with pytest.raises(Exception, match="signature"):
        after.verified_by(endpoint["secret"])


async def test_another_units_endpoint_never_receives_the_event(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit, other_unit = uuid.uuid4(), uuid.uuid4()
    async with Receiver(CLOCK) as mine, Receiver(CLOCK) as other, Receiver(CLOCK) as unsubscribed:
        endpoint = await make_endpoint(client, issuer, unit, mine.url)
        other_endpoint = await make_endpoint(client, issuer, other_unit, other.url)
        await make_endpoint(client, issuer, unit, unsubscribed.url, ["cppcc.consultation.*"])
        await publish(wh_settings.nats_url, assigned(ORG, unit), assigned(OTHER_ORG, unit))
        await queued(app, endpoint["id"])
        await publish(wh_settings.nats_url, assigned(ORG, other_unit))
        await queued(app, other_endpoint["id"])
        await worker.deliver_due()
    assert len(mine.received) == 1 and len(other.received) == 1 and unsubscribed.received == []
    assert str(unit) in mine.received[0].body.decode()
    assert str(unit) not in other.received[0].body.decode()


async def test_a_redelivered_event_makes_one_message_and_one_delivery(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, wh_settings: Settings
) -> None:
    unit = uuid.uuid4()
    endpoint = await make_endpoint(client, issuer, unit, "http://127.0.0.1:9/hook")
    event = assigned(ORG, unit)
    await publish(wh_settings.nats_url, event)
    await queued(app, endpoint["id"])
    async with app.state.runtime.sessionmaker() as s, s.begin():  # as if the consumer had not seen it
        await s.execute(text("DELETE FROM inbox WHERE event_id = :id"), {"id": event.id})
    event_again = event.model_copy()
    nc = await nats.connect(wh_settings.nats_url)
    await nc.jetstream().publish(
        event.type, event_again.to_json(), headers={"Nats-Msg-Id": f"again-{event.id}"}
    )
    await nc.close()

    async def seen_again() -> bool:
        async with app.state.runtime.sessionmaker() as s:
            return bool(
                (await s.execute(text("SELECT 1 FROM inbox WHERE event_id = :id"), {"id": event.id})).first()
            )

    await eventually(seen_again)
    assert len(await deliveries_of(app, endpoint["id"])) == 1


async def test_operators_resend_a_message_and_recover_failures_since_a_time(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit = uuid.uuid4()
    async with Receiver(CLOCK, [410, 200]) as receiver:
        endpoint = await make_endpoint(client, issuer, unit, receiver.url)
        base = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
        await publish(wh_settings.nats_url, assigned(ORG, unit))
        (delivery,) = await queued(app, endpoint["id"])
        await advance_to_due(app, endpoint["id"])
        since = CLOCK.now()
        await worker.deliver_due()
        assert (await client.post(f"{base}/enable", headers=partner(issuer, unit))).json()["enabled"]
        r = await client.post(
            f"{base}/recover", json={"since": since.isoformat()}, headers=partner(issuer, unit)
        )
        assert r.status_code == 202 and r.json() == {"requeued": 1}
        await worker.deliver_due()
        r = await client.post(f"{base}/messages/{delivery.message_id}/resend", headers=admin(issuer))
        assert r.status_code == 202 and r.json()["status"] == "pending"
        await worker.deliver_due()
        r = await client.post(f"{base}/test", headers=partner(issuer, unit))
        assert r.status_code == 202
        await worker.deliver_due()
    assert [r.headers["webhook-id"] for r in receiver.received][:3] == [str(delivery.message_id)] * 3
    assert receiver.received[3].verified_by(endpoint["secret"])["type"] == "cppcc.webhook.test.v1"


async def test_endpoints_are_managed_by_their_units_partner_and_the_organizations_admins(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    unit, other_unit = uuid.uuid4(), uuid.uuid4()
    endpoint = await make_endpoint(client, issuer, unit, "https://partner.example.cn/hook")
    path = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
    assert (await client.get(path, headers=partner(issuer, unit))).status_code == 200
    assert "secret" not in (await client.get(path, headers=partner(issuer, unit))).json()
    assert (await client.get(path, headers=admin(issuer))).status_code == 200
    assert (await client.get(path, headers=partner(issuer, other_unit))).status_code == 404
    assert (await client.get(path, headers=partner(issuer, unit, OTHER_ORG))).status_code == 404
    assert (await client.get(path, headers=admin(issuer, OTHER_ORG))).status_code == 404
    assert (
        await client.patch(
            path, json={"description": "x"}, headers={**partner(issuer, other_unit), "If-Match": "*"}
        )
    ).status_code == 404
    assert (
        await client.get(path, headers=issuer.headers(org=ORG, roles=["staff"], **at_clock()))
    ).status_code == 403
    listed = (await client.get("/api/v1/webhooks/endpoints", headers=partner(issuer, other_unit))).json()
    assert endpoint["id"] not in [e["id"] for e in listed["items"]]
    r = await client.post(
        "/api/v1/webhooks/endpoints",
        json={
            "url": "https://x.example.cn/",
            "event_types": ["cppcc.proposal.*"],
            "unit_id": str(other_unit),
        },
        headers=admin(issuer),
    )
    assert r.status_code == 201 and r.json()["unit_id"] == str(other_unit)
    r = await client.post(
        "/api/v1/webhooks/endpoints",
        json={"url": "https://x.example.cn/", "event_types": ["cppcc.proposal.*"]},
        headers=admin(issuer),
    )
    assert r.status_code == 422 and r.json()["code"] == "webhook.unit_required"
    r = await client.patch(
        path, json={"event_types": ["cppcc.proposal.assigned"]}, headers={**admin(issuer), "If-Match": "*"}
    )
    assert r.json()["event_types"] == ["cppcc.proposal.assigned"]
    assert (await client.post(f"{path}/disable", headers=partner(issuer, unit))).json()[
        "disabled_reason"
    ] == "by_owner"
    assert (await client.delete(path, headers=partner(issuer, unit))).status_code == 204
    assert (await client.get(path, headers=partner(issuer, unit))).status_code == 404


async def test_the_secret_is_shown_once_and_encrypted_at_rest(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    unit = uuid.uuid4()
    endpoint = await make_endpoint(client, issuer, unit, "https://partner.example.cn/hook")
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    async with app.state.runtime.sessionmaker() as s:
        row = await s.get(WebhookEndpoint, uuid.UUID(endpoint["id"]))
        assert row is not None
        assert secret.encode() not in row.secret and secret[6:].encode() not in row.secret
    assert secret not in (await client.get("/api/v1/webhooks/endpoints", headers=partner(issuer, unit))).text


async def test_the_attempt_log_is_bounded_to_a_kibibyte_of_response(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit = uuid.uuid4()
    async with Receiver(CLOCK) as receiver:
        endpoint = await make_endpoint(client, issuer, unit, receiver.url)
        await publish(wh_settings.nats_url, assigned(ORG, unit, title="长" * 200))
        await queued(app, endpoint["id"])
        await worker.deliver_due()
    async with app.state.runtime.sessionmaker() as s:
        attempts = (
            (
                await s.execute(
                    select(WebhookAttempt)
                    .join(WebhookDelivery)
                    .where(WebhookDelivery.endpoint_id == uuid.UUID(endpoint["id"]))
                )
            )
            .scalars()
            .all()
        )
    assert [a.status_code for a in attempts] == [200]
    assert all(len(a.response_body) <= 1024 and a.latency_ms >= 0 for a in attempts)


async def _one_attempt(app: FastAPI, endpoint_id: str) -> WebhookAttempt:
    async with app.state.runtime.sessionmaker() as s:
        query = (
            select(WebhookAttempt)
            .join(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == uuid.UUID(endpoint_id))
        )
        (attempt,) = (await s.execute(query)).scalars().all()
        return attempt


def _resolving(names: dict[str, str]) -> Any:
    async def lookup(host: str, port: int, family: socket.AddressFamily) -> list[Any]:
        return [ssrf.result(host, names[host], port)]

    return lookup


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "localhost.test"])
async def test_loopback_is_refused_at_connect_time_without_the_allow_list(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, wh_settings: Settings, host: str
) -> None:
    strict = wh_settings.model_copy(update={"webhook_allow_networks": []})
    worker = DeliveryWorker(
        app.state.runtime.sessionmaker, strict, CLOCK, lookup=_resolving({"localhost.test": "127.0.0.1"})
    )
    unit = uuid.uuid4()
    async with Receiver(CLOCK) as receiver:
        url = receiver.url.replace("127.0.0.1", host)
        endpoint = await make_endpoint(client, issuer, unit, url)
        await publish(wh_settings.nats_url, assigned(ORG, unit))
        await queued(app, endpoint["id"])
        await advance_to_due(app, endpoint["id"])
        await worker.deliver_due()
        await worker.aclose()
    assert receiver.received == []
    attempt = await _one_attempt(app, endpoint["id"])
    assert (attempt.status_code, attempt.error_class) == (None, "address_refused")


async def test_a_name_the_systems_own_resolver_maps_to_loopback_is_refused(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, wh_settings: Settings
) -> None:
    """No lookup injected: `localhost` is resolved as in production (the system's resolver, which
    answers 127.0.0.1 or ::1), and the address it gives is refused at connect time."""
    strict = wh_settings.model_copy(update={"webhook_allow_networks": []})
    worker = DeliveryWorker(app.state.runtime.sessionmaker, strict, CLOCK)
    unit = uuid.uuid4()
    async with Receiver(CLOCK) as receiver:
        endpoint = await make_endpoint(client, issuer, unit, receiver.url.replace("127.0.0.1", "localhost"))
        await publish(wh_settings.nats_url, assigned(ORG, unit))
        await queued(app, endpoint["id"])
        await advance_to_due(app, endpoint["id"])
        await worker.deliver_due()
        await worker.aclose()
    assert receiver.received == []
    attempt = await _one_attempt(app, endpoint["id"])
    assert (attempt.status_code, attempt.error_class) == (None, "address_refused")


async def test_a_name_resolving_to_a_private_address_is_refused_and_an_allow_listed_one_is_reached(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, wh_settings: Settings
) -> None:
    names = {"partner.example.cn": "10.20.30.40", "intranet.example.cn": "127.0.0.1"}
    worker = DeliveryWorker(app.state.runtime.sessionmaker, wh_settings, CLOCK, lookup=_resolving(names))
    private_unit, allowed_unit = uuid.uuid4(), uuid.uuid4()
    async with Receiver(CLOCK) as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        private = await make_endpoint(client, issuer, private_unit, f"http://partner.example.cn:{port}/hook")
        allowed = await make_endpoint(client, issuer, allowed_unit, f"http://intranet.example.cn:{port}/hook")
        await publish(wh_settings.nats_url, assigned(ORG, private_unit), assigned(ORG, allowed_unit))
        await queued(app, private["id"])
        await queued(app, allowed["id"])
        await advance_to_due(app, private["id"])
        await worker.deliver_due()
        await worker.aclose()
    assert (await _one_attempt(app, private["id"])).error_class == "address_refused"
    assert (await _one_attempt(app, allowed["id"])).status_code == 200
    assert len(receiver.received) == 1


async def test_a_queued_delivery_wakes_the_worker_without_waiting_for_its_interval(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, wh_settings: Settings
) -> None:
    slow_polling = wh_settings.model_copy(update={"webhook_worker_interval_seconds": 3600.0})
    worker = DeliveryWorker(app.state.runtime.sessionmaker, slow_polling, CLOCK)
    running = asyncio.create_task(worker.run())
    unit = uuid.uuid4()
    try:
        async with Receiver(CLOCK) as receiver:
            endpoint = await make_endpoint(client, issuer, unit, receiver.url)
            await asyncio.sleep(
                0.3
            )  # the worker's first look (and its LISTEN) happened: it now waits an hour
            await publish(wh_settings.nats_url, assigned(ORG, unit))
            await asyncio.wait_for(receiver.arrived.wait(), 5)
        assert receiver.received[0].verified_by(endpoint["secret"])["data"]["units"][0]["unit_id"] == str(
            unit
        )
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


def _v1a_verified_by(received: Any, public_key: str) -> bool:
    """Whether one `v1a,` signature of the header verifies with the `whpk_` key (cryptography)."""
    content = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode()
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key.removeprefix("whpk_")))
    for part in received.headers["webhook-signature"].split(" "):
        version, signature = part.split(",")
        if version != "v1a":
            continue
        try:
            key.verify(base64.b64decode(signature), content + received.body)
            return True
        except InvalidSignature:
            continue
    return False


async def test_an_asymmetric_endpoint_gets_v1a_signatures_its_public_key_verifies_also_across_a_rotation(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit = uuid.uuid4()
    async with Receiver(CLOCK) as receiver:
        r = await client.post(
            "/api/v1/webhooks/endpoints",
            json={"url": receiver.url, "event_types": ["cppcc.proposal.*"], "asymmetric": True},
            headers=partner(issuer, unit),
        )
        assert r.status_code == 201, r.text
        endpoint = r.json()
        first_key = endpoint["public_key"]
        assert first_key.startswith("whpk_") and len(base64.b64decode(first_key[5:])) == 32
        path = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
        assert (await client.get(path, headers=partner(issuer, unit))).json()["public_key"] == first_key
        async with app.state.runtime.sessionmaker() as s:  # the private key is stored encrypted
            row = await s.get(WebhookEndpoint, uuid.UUID(endpoint["id"]))
            assert row is not None and row.signing_key is not None and b"whsk_" not in row.signing_key

        await publish(wh_settings.nats_url, assigned(ORG, unit))
        await queued(app, endpoint["id"])
        await worker.deliver_due()
        rotated = (await client.post(f"{path}/rotate-secret", headers=partner(issuer, unit))).json()
        second_key = rotated["public_key"]
        assert second_key != first_key
        await publish(wh_settings.nats_url, assigned(ORG, unit))
        await queued(app, endpoint["id"], 2)
        await worker.deliver_due()
    before, during = receiver.received
    assert [p.split(",")[0] for p in before.headers["webhook-signature"].split(" ")] == ["v1", "v1a"]
    before.verified_by(endpoint["secret"])  # the reference library checks v1 and skips v1a
    assert _v1a_verified_by(before, first_key)
    assert sorted(p.split(",")[0] for p in during.headers["webhook-signature"].split(" ")) == [
        "v1",
        "v1",
        "v1a",
        "v1a",
    ]
    assert _v1a_verified_by(during, second_key) and _v1a_verified_by(during, first_key)
    forged = Received({**during.headers}, during.body + b" ", during.at)
    assert not _v1a_verified_by(forged, second_key)


async def test_a_symmetric_endpoint_has_no_public_key_and_sends_only_v1(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit = uuid.uuid4()
    async with Receiver(CLOCK) as receiver:
        endpoint = await make_endpoint(client, issuer, unit, receiver.url)
        assert endpoint["public_key"] is None
        await publish(wh_settings.nats_url, assigned(ORG, unit))
        await queued(app, endpoint["id"])
        await worker.deliver_due()
    (only,) = receiver.received
    assert (
        only.headers["webhook-signature"].startswith("v1,") and " " not in only.headers["webhook-signature"]
    )


async def test_changing_an_endpoint_needs_the_etag_it_was_read_with(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    unit = uuid.uuid4()
    endpoint = await make_endpoint(client, issuer, unit, "https://partner.example.cn/hook")
    path = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
    read = await client.get(path, headers=partner(issuer, unit))
    assert read.headers["etag"] == '"1"' and read.json()["version"] == 1
    r = await client.patch(path, json={"description": "新"}, headers=partner(issuer, unit))
    assert r.status_code == 428 and r.json()["code"] == "precondition_required"
    r = await client.patch(
        path, json={"description": "新"}, headers={**partner(issuer, unit), "If-Match": read.headers["etag"]}
    )
    assert r.status_code == 200 and r.headers["etag"] == '"2"' and r.json()["description"] == "新"
    r = await client.patch(
        path, json={"description": "旧"}, headers={**partner(issuer, unit), "If-Match": read.headers["etag"]}
    )
    assert r.status_code == 412 and r.json()["code"] == "webhook.version_mismatch"
    disabled = await client.post(f"{path}/disable", headers=partner(issuer, unit))
    assert disabled.headers["etag"] == '"3"'


async def test_settled_messages_past_the_retention_are_removed_and_pending_ones_kept(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit, dead_unit = uuid.uuid4(), uuid.uuid4()
    async with Receiver(CLOCK, [200]) as ok:
        delivered = await make_endpoint(client, issuer, unit, ok.url)
        dead = await make_endpoint(client, issuer, dead_unit, "http://127.0.0.1:9/hook")
        await publish(wh_settings.nats_url, assigned(ORG, unit), assigned(ORG, dead_unit))
        await queued(app, delivered["id"])
        await queued(app, dead["id"])
        await worker.deliver_due()
    (done,) = await deliveries_of(app, delivered["id"])
    (waiting,) = await deliveries_of(app, dead["id"])
    assert (done.status, waiting.status) == ("delivered", "pending")

    async def exists(message_id: uuid.UUID) -> bool:
        async with app.state.runtime.sessionmaker() as s:
            found = await s.execute(text("SELECT 1 FROM webhook_messages WHERE id = :id"), {"id": message_id})
            return found.first() is not None

    await worker.sweep()
    assert await exists(done.message_id)  # not old yet
    CLOCK.advance(timedelta(days=wh_settings.webhook_retention_days, seconds=1))
    assert await worker.sweep() >= 1
    assert not await exists(done.message_id)
    assert await deliveries_of(app, delivered["id"]) == []  # its delivery and attempts went with it
    assert await exists(waiting.message_id)  # a delivery still pending keeps its message


async def test_an_outcomes_feedback_overdue_reaches_the_responsible_departments_partner_system(
    app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer, worker: DeliveryWorker, wh_settings: Settings
) -> None:
    unit, other_unit = uuid.uuid4(), uuid.uuid4()
    outcome_id = uuid.uuid4()

    def overdue(responsible: uuid.UUID) -> Any:
        return make_event(
            FeedbackOverdueV1(
                outcome_id=outcome_id, activity_id=uuid.uuid4(), org_id=ORG, title="关于优化营商环境的建议案",
                unit_id=responsible, responsible="市发展改革委", organizer_person_id=uuid.uuid4(),
                feedback_due_on=date(2026, 6, 1),
            ),
            source="/consultation-svc", subject=outcome_id, orgid=ORG,
        )  # fmt: skip

    async with Receiver(CLOCK) as mine, Receiver(CLOCK) as other:
        endpoint = await make_endpoint(client, issuer, unit, mine.url, ["cppcc.consultation.*"])
        await make_endpoint(client, issuer, other_unit, other.url, ["cppcc.consultation.*"])
        await publish(wh_settings.nats_url, overdue(unit))
        await queued(app, endpoint["id"])
        await worker.deliver_due()
    (received,) = mine.received
    event = received.verified_by(endpoint["secret"])
    assert event["type"] == "cppcc.consultation.feedback_overdue.v1"
    assert event["data"]["unit_id"] == str(unit)
    assert other.received == []
