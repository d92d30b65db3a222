"""Exactly once in effect under real JetStream redelivery (issue 10, "Done means": a redelivered event
makes one inbox item and one push). The app's own consumers are off; the test runs notify-svc's
consumer specs itself, on a private nats-server, with a consumer that loses an ack (JetStream
redelivers after `ack_wait`) or a channel that fails once after writing (the transaction rolls
back, the message is NAKed and redelivered)."""

import asyncio
import contextlib
import dataclasses
import random
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import nats
import pytest
from channel_support import JPushServer
from fastapi import FastAPI
from sqlalchemy import select
from webhook_support import eventually, publish

import notify_svc
from cppcc_common.change import Change
from cppcc_common.clock import FakeClock
from cppcc_common.consumer import Consumer
from cppcc_common.contracts.member import PersonRegisteredV1
from cppcc_common.contracts.proposal import ProposalSubmittedV1
from cppcc_common.events import CloudEvent, make_event
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from notify_svc import channels
from notify_svc.audience import Notice, Projections
from notify_svc.channels.providers import DevelopmentProvider
from notify_svc.channels.push.jpush import JPushProvider
from notify_svc.channels.queue.domain import Status
from notify_svc.channels.queue.models import Delivery
from notify_svc.channels.worker import ChannelWorker
from notify_svc.consumers import CONSUMERS
from notify_svc.main import create_app
from notify_svc.models import InboxItem, Recipient
from notify_svc.preferences.domain import Preferences
from notify_svc.settings import Settings

MIGRATIONS = Path(notify_svc.__file__).parent / "migrations"
ORG = uuid.uuid4()
CLOCK = FakeClock(datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC))
SPECS = {spec.stream: spec for spec in CONSUMERS}


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "notify"),
        nats_url=module_nats_url,
        consumers_enabled=False,  # the tests run the consumers themselves
        webhook_worker_enabled=False,
        channel_worker_enabled=False,
    )


@pytest.fixture(scope="module")
async def app(settings: Settings, issuer: TestIssuer) -> AsyncIterator[FastAPI]:
    application = create_app(settings, key_source=issuer.key_source(), clock=CLOCK)
    async with serve_app(application) as c:
        application.state.client = c
        yield application


class LosesAnAck(Consumer):
    """Commits an event's effects, then dies (as far as NATS can tell) before acking, once."""

    lost = 0

    async def _ack(self, msg: Any) -> None:
        if msg.subject == ProposalSubmittedV1.event_type and LosesAnAck.lost == 0:
            LosesAnAck.lost += 1
            return  # no ack: JetStream redelivers after ack_wait
        await super()._ack(msg)


@contextlib.asynccontextmanager
async def running(app: FastAPI, *consumers: tuple[type[Consumer], str]) -> AsyncIterator[Any]:
    """notify-svc's consumer specs of the given streams (ack_wait 1 s, first retry after 0.2 s)."""
    nc = await nats.connect(app.state.runtime.settings.nats_url)
    js = nc.jetstream()
    tasks = []
    for kind, stream in consumers:
        spec = dataclasses.replace(SPECS[stream], ack_wait=1.0, backoff=(0.2, 0.5))
        consumer = kind(spec, js, app.state.runtime.sessionmaker, CLOCK, "/notify-svc")
        await consumer.start()
        tasks.append(asyncio.create_task(consumer.run()))
    try:
        yield js
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await nc.close()


async def redeliveries(js: Any) -> int:
    """How many times JetStream delivered a message of PROPOSAL to notify-svc's consumer again
    (each delivery takes a consumer sequence number; each message one stream sequence number)."""
    info = await js.consumer_info("PROPOSAL", SPECS["PROPOSAL"].name)
    return int(info.delivered.consumer_seq - info.delivered.stream_seq)


async def member(app: FastAPI) -> uuid.UUID:
    pid = uuid.uuid4()
    event = make_event(
        PersonRegisteredV1(person_id=pid, org_id=ORG, name="张明", roles=["member"]),
        source="/member-svc", subject=pid, orgid=ORG,
    )  # fmt: skip
    await publish(app.state.runtime.settings.nats_url, event)

    async def known() -> bool:
        async with app.state.runtime.sessionmaker() as s:
            return await s.get(Recipient, pid) is not None

    await eventually(known)
    return pid


def submitted(proposer: uuid.UUID) -> CloudEvent:
    pid = uuid.uuid4()
    return make_event(
        ProposalSubmittedV1(
            proposal_id=pid, org_id=ORG, title="关于加装电梯的建议", kind="ordinary", first_proposer_id=proposer,
            submitted_at=CLOCK.now(), version=2,
        ),
        source="/proposal-svc", subject=pid, orgid=ORG,
    )  # fmt: skip


async def with_device(app: FastAPI, issuer: TestIssuer, who: uuid.UUID) -> str:
    token = uuid.uuid4().hex
    now = int(CLOCK.now().timestamp())
    client: httpx.AsyncClient = app.state.client
    r = await client.post(
        "/api/v1/devices",
        json={"platform": "android", "vendor": "jpush", "token": token},
        headers=issuer.headers(sub=who, org=ORG, roles=["member"], iat=now, exp=now + 900),
    )
    assert r.status_code == 201, r.text
    return token


async def rows(app: FastAPI, who: uuid.UUID) -> tuple[list[InboxItem], list[Delivery]]:
    async with app.state.runtime.sessionmaker() as s:
        items = list((await s.execute(select(InboxItem).where(InboxItem.person_id == who))).scalars())
        pushes = list((await s.execute(select(Delivery).where(Delivery.person_id == who))).scalars())
    return items, pushes


async def pushed_once(app: FastAPI, token: str) -> None:
    """The worker sends the one queued push; a second pass sends nothing more."""
    async with JPushServer() as vendor:
        jpush = JPushProvider("appkey", "master-secret", url=vendor.url)
        dev = DevelopmentProvider()
        worker = ChannelWorker(
            app.state.runtime.sessionmaker,
            app.state.runtime.settings,
            CLOCK,
            providers={"development": dev, "apns": dev, "sms": dev, "jpush": jpush},
            rng=random.Random(1),
        )
        await worker.deliver_due()
        await worker.deliver_due()
        await worker.aclose()
    assert len([c for c in vendor.calls if token in c.body.decode()]) == 1


async def test_an_event_redelivered_after_a_lost_ack_makes_one_inbox_item_and_one_push(
    app: FastAPI, issuer: TestIssuer
) -> None:
    async with running(app, (Consumer, "MEMBER"), (LosesAnAck, "PROPOSAL")) as js:
        who = await member(app)
        token = await with_device(app, issuer, who)
        before = await redeliveries(js)
        await publish(app.state.runtime.settings.nats_url, submitted(who))

        async def redelivered_and_acked() -> bool:
            info = await js.consumer_info("PROPOSAL", SPECS["PROPOSAL"].name)
            return bool(LosesAnAck.lost and await redeliveries(js) > before and info.num_ack_pending == 0)

        await eventually(redelivered_and_acked)
        items, pushes = await rows(app, who)
        assert len(items) == 1 and len(pushes) == 1 and pushes[0].status == Status.PENDING
    await pushed_once(app, token)


async def test_an_event_redelivered_after_a_channel_failed_makes_one_inbox_item_and_one_push(
    app: FastAPI, issuer: TestIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The push channel fails after the inbox item and the push were written: the consumer's
    transaction rolls them back, NATS redelivers, and the second delivery writes each once."""
    failures: list[uuid.UUID] = []
    push = channels.CHANNELS["push"]

    async def fails_once(
        change: Change,
        envelope: CloudEvent,
        notices: Sequence[Notice],
        people: Projections,
        chosen: Mapping[uuid.UUID, Preferences],
    ) -> None:
        await push(change, envelope, notices, people, chosen)
        if not failures:
            failures.append(envelope.id)
            raise ConnectionError("the database went away mid-event")

    monkeypatch.setitem(channels.CHANNELS, "push", fails_once)
    async with running(app, (Consumer, "MEMBER"), (Consumer, "PROPOSAL")) as js:
        who = await member(app)
        token = await with_device(app, issuer, who)
        before = await redeliveries(js)
        event = submitted(who)
        await publish(app.state.runtime.settings.nats_url, event)

        async def applied() -> bool:
            items, pushes = await rows(app, who)
            return bool(items and pushes)

        await eventually(applied)
        assert failures == [event.id]
        assert await redeliveries(js) > before
        await asyncio.sleep(0.3)
        items, pushes = await rows(app, who)
        assert len(items) == 1 and len(pushes) == 1
    await pushed_once(app, token)
