"""The push and SMS worker: claims due deliveries from the PostgreSQL queue (FOR UPDATE SKIP LOCKED,
so replicas share it), calls each one's provider outside any transaction, and records the attempt.

The claim–lease–run loop is the shared `cppcc_common.queue_worker.QueueWorker` (the webhook worker's
too): a claimed delivery is leased (its `next_attempt_at` moves past the provider's timeout) and the
claim commits before the call, so no lock is held while a vendor answers and a crashed replica's
lease falls due again. Concurrency is bounded overall and per provider (the key), each call its own
task: a slow or dead vendor (APNs down, say) holds only its own share, never JPush's or the SMS
gateway's.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.app import Runtime
from cppcc_common.clock import Clock
from cppcc_common.ids import new_id
from cppcc_common.queue_worker import QueueWorker
from notify_svc import crypto
from notify_svc.channels.providers import Message, Outcome, Provider, Result
from notify_svc.channels.queue.domain import Status, next_attempt
from notify_svc.channels.queue.models import Delivery, DeliveryAttempt
from notify_svc.channels.queue.repository import WAKE_CHANNEL
from notify_svc.channels.setup import build_providers
from notify_svc.devices import repository as devices
from notify_svc.devices.models import Device
from notify_svc.preferences import repository as preferences
from notify_svc.preferences.models import PreferenceRow
from notify_svc.settings import Settings

log = logging.getLogger("cppcc.channels")


@dataclass(frozen=True)
class Job:
    delivery_id: UUID
    route: str
    message: Message
    device_id: UUID | None


class ChannelWorker(QueueWorker[Job]):
    name = "channels"
    wake_channel = WAKE_CHANNEL

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
        *,
        providers: Mapping[str, Provider] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(
            sessionmaker,
            clock,
            database_url=settings.database_url,
            interval=settings.channel_worker_interval_seconds,
            total=settings.channel_concurrency,
            per_key=settings.channel_concurrency_per_provider,
            source=settings.source,
        )
        self.providers: dict[str, Provider] = dict(
            providers if providers is not None else build_providers(settings, clock)
        )
        self.timeout = settings.channel_provider_timeout_seconds
        self.rng = rng or random.Random()
        self.lease = timedelta(seconds=self.timeout + 60)
        self.retention = timedelta(days=settings.channel_retention_days)
        self.key = crypto.settings_key(settings)  # SMS numbers are stored encrypted under it
        self._purged_at: datetime | None = None

    def key_of(self, job: Job) -> str:
        return job.route  # a provider: one dead vendor holds only its own share

    async def claim_due(self, room: int, busy: Sequence[Hashable]) -> list[Job]:
        now = self.clock.now()
        query = self.fair_claim(
            Delivery,
            key=Delivery.route,
            due_at=Delivery.next_attempt_at,
            due=[Delivery.status == Status.PENDING, Delivery.next_attempt_at <= now],
            room=room,
            busy=busy,
        )
        jobs: list[Job] = []
        async with self.sessionmaker() as session, session.begin():
            claimed = list((await session.execute(query)).scalars())
            addresses = await self._addresses(session, claimed)
            for d in claimed:
                if not self.has_room(d.route):
                    continue
                address, platform = addresses[d.id]
                if address is None:
                    d.status, d.next_attempt_at, d.updated_at = Status.CANCELLED, None, now
                    continue
                d.next_attempt_at = now + self.lease
                self.reserve(d.route)
                data = {"category": d.category, "delivery_id": str(d.id)}
                if d.object_type and d.object_id:
                    data |= {"object_type": d.object_type, "object_id": str(d.object_id)}
                message = Message(
                    delivery_id=d.id,
                    channel=d.channel,
                    address=address,
                    platform=platform,
                    title=d.title,
                    body=d.body,
                    urgent=d.urgent,
                    category=d.category,
                    data=data,
                    locale=d.locale,
                )
                jobs.append(Job(d.id, d.route, message, d.device_id))
        return jobs

    async def _addresses(
        self, session: AsyncSession, claimed: list[Delivery]
    ) -> dict[UUID, tuple[str | None, str | None]]:
        """Where each goes now: its device's token, or its person's number; None once removed (a
        device signed in to by someone else since counts as removed). Two reads for the batch."""
        device_ids = {d.device_id for d in claimed if d.device_id is not None}
        person_ids = {d.person_id for d in claimed if d.device_id is None}
        found = (
            (await session.execute(select(Device).where(Device.id.in_(device_ids)))).scalars()
            if device_ids
            else ()
        )
        by_device = {device.id: device for device in found}
        rows = (
            (
                await session.execute(select(PreferenceRow).where(PreferenceRow.person_id.in_(person_ids)))
            ).scalars()
            if person_ids
            else ()
        )
        phones = {row.person_id: preferences.phone_of(row, self.key) for row in rows}
        addresses: dict[UUID, tuple[str | None, str | None]] = {}
        for d in claimed:
            if d.device_id is None:
                addresses[d.id] = phones.get(d.person_id), None
                continue
            device = by_device.get(d.device_id)
            if device is None or device.person_id != d.person_id:
                addresses[d.id] = None, None
            else:
                addresses[d.id] = device.token, device.platform
        return addresses

    async def purge(self) -> int:
        """Forgets finished deliveries (and their attempts) older than the retention period."""
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                delete(Delivery).where(
                    Delivery.status != Status.PENDING, Delivery.updated_at < now - self.retention
                )
            )
        self._purged_at = now
        return int(getattr(result, "rowcount", 0) or 0)

    async def seal_plain_phones(self) -> int:
        """Encrypts SMS numbers a pod of the release before migration 0008 wrote in plain text
        during a rollout (without the key it cannot, and says so); returns how many."""
        if self.key is None:
            return 0
        async with self.sessionmaker() as session, session.begin():
            sealed = await preferences.seal_plain_phones(session, self.key)
        if sealed:
            log.info("plain SMS numbers encrypted", extra={"count": sealed})
        return sealed

    async def maintain(self) -> None:
        """Hourly: finished deliveries past the retention go; plain SMS numbers get encrypted."""
        now = self.clock.now()
        if self._purged_at is None or now - self._purged_at >= timedelta(hours=1):
            await self.purge()
            await self.seal_plain_phones()

    async def aclose(self) -> None:
        for provider in {id(p): p for p in self.providers.values()}.values():
            with contextlib.suppress(Exception):
                await provider.aclose()

    async def call(self, job: Job) -> tuple[Result, str, int]:
        """One provider call, never raising: an exception or a hang is a retryable failure."""
        provider = self.providers.get(job.route)
        started = time.perf_counter()
        if provider is None:
            return Result(Outcome.PERMANENT, f"no provider for {job.route}"), job.route, 0
        try:
            result = await asyncio.wait_for(provider.send(job.message), self.timeout + 5)
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            result = Result(Outcome.RETRYABLE, "timeout")
        except Exception as exc:
            result = Result(Outcome.RETRYABLE, type(exc).__name__[:100])
        return result, provider.name, int((time.perf_counter() - started) * 1000)

    async def run_job(self, job: Job) -> None:
        result, provider, latency = await self.call(job)
        await self._record(job, result, provider, latency)

    async def _record(self, job: Job, result: Result, provider: str, latency: int) -> None:
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            d = await session.get(Delivery, job.delivery_id, with_for_update=True)
            if d is None:
                return
            session.add(
                DeliveryAttempt(
                    id=new_id(),
                    delivery_id=d.id,
                    attempted_at=now,
                    provider=provider,
                    outcome=result.outcome.value,
                    detail=result.detail[:500],
                    latency_ms=latency,
                )
            )
            d.attempts += 1
            d.updated_at = now
            d.last_error = None if result.outcome is Outcome.SENT else result.detail[:200]
            if result.outcome is Outcome.SENT:
                d.status, d.next_attempt_at, d.sent_at = Status.SENT, None, now
            elif result.outcome is Outcome.INVALID_TOKEN:
                d.status, d.next_attempt_at = Status.PRUNED, None
                if job.device_id is not None:
                    await devices.prune(session, job.device_id, job.message.address, now)
                    log.info("device pruned", extra={"device": str(job.device_id), "provider": provider})
            elif result.outcome is Outcome.PERMANENT:
                d.status, d.next_attempt_at = Status.FAILED, None
            else:
                following = next_attempt(d.attempts, now, self.rng, result.retry_after)
                if following is None:
                    d.status, d.next_attempt_at = Status.FAILED, None
                else:
                    d.next_attempt_at = following


def start_worker(runtime: Runtime) -> ChannelWorker:
    """The scanner factory create_service_app runs: the worker, reachable as runtime.extras["channels"]."""
    assert isinstance(runtime.settings, Settings)
    worker = ChannelWorker(runtime.sessionmaker, runtime.settings, runtime.clock)
    runtime.extras["channels"] = worker
    return worker
