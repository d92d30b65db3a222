"""The delivery worker: claims due deliveries from the PostgreSQL queue (FOR UPDATE SKIP LOCKED,
so replicas share it), POSTs each signed message, and records every attempt. The claim–lease–run
loop is the shared `cppcc_common.queue_worker.QueueWorker` (the push and SMS worker's too).

A claimed delivery is leased (its `next_attempt_at` moves past the POST's timeout) and the claim
commits before the POST, so no lock is held while a partner answers and a crashed replica's lease
simply falls due again. Concurrency is bounded overall and per endpoint, and each POST runs as
its own task: a slow or dead partner holds at most its own share, never another's.
"""

import asyncio
import logging
import random
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import aiohttp
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from yarl import URL

from cppcc_common.app import Runtime
from cppcc_common.change import system_change
from cppcc_common.clock import Clock
from cppcc_common.contracts.notify import WebhookEndpointDisabledV1
from cppcc_common.ids import new_id
from cppcc_common.queue_worker import QueueWorker
from notify_svc.settings import Settings
from notify_svc.webhooks import signing
from notify_svc.webhooks.domain import (
    RESPONSE_BODY_LIMIT,
    DeliveryStatus,
    DisabledReason,
    Outcome,
    failing_too_long,
    next_attempt,
    outcome_of,
    parse_retry_after,
)
from notify_svc.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from notify_svc.webhooks.service import WAKE_CHANNEL, Config
from notify_svc.webhooks.ssrf import (
    AddressRefused,
    GuardedResolver,
    Lookup,
    check_address,
    literal_address,
    networks,
)

log = logging.getLogger("cppcc.webhooks")


# Messages past the retention whose deliveries are all settled (delivered or failed) go, in batches,
# with their deliveries and attempts (ON DELETE CASCADE); a pending one is kept however old.
_SWEEP = text(
    """
    DELETE FROM webhook_messages WHERE id IN (
        SELECT m.id FROM webhook_messages m
        WHERE m.created_at < :cutoff
          AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries d WHERE d.message_id = m.id AND d.status = 'pending'
          )
        ORDER BY m.created_at
        LIMIT :batch
        FOR UPDATE SKIP LOCKED
    )
    """
)
SWEEP_BATCH = 1000


@dataclass(frozen=True)
class Job:
    """One claimed delivery, with what its POST needs."""

    delivery_id: UUID
    endpoint_id: UUID
    message_id: UUID
    url: str
    body: bytes
    secrets: list[str]  # `whsec_` secrets (v1) and `whsk_` keys (v1a) in use, current first


@dataclass(frozen=True)
class Answer:
    """What one POST gave: the partner's status, or the class of the error that prevented one."""

    status_code: int | None
    body: str
    latency_ms: int
    error_class: str | None
    retry_after: str | None = None


def _error_class(exc: BaseException) -> str:
    if isinstance(exc, AddressRefused) or isinstance(getattr(exc, "os_error", None), AddressRefused):
        return "address_refused"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return (
            "connection_refused" if isinstance(exc.os_error, ConnectionRefusedError) else "connection_error"
        )
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid_url"
    return type(exc).__name__[:40]


class DeliveryWorker(QueueWorker[Job]):
    name = "webhooks"
    wake_channel = WAKE_CHANNEL  # NOTIFY cppcc_webhooks: a delivery queued anywhere

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        lookup: Lookup | None = None,
    ) -> None:
        super().__init__(
            sessionmaker,
            clock,
            database_url=settings.database_url,
            interval=settings.webhook_worker_interval_seconds,
            total=settings.webhook_concurrency,
            per_key=settings.webhook_concurrency_per_endpoint,
            source=settings.source,
        )
        self.config = Config.of(settings)
        self.timeout = settings.webhook_timeout_seconds
        self.retry_after_cap = settings.webhook_retry_after_cap_seconds
        self.allow = networks(settings.webhook_allow_networks)
        self.rng = rng or random.Random()
        self.lookup = lookup
        # Past the POST's timeout: a delivery in flight is not due again unless its replica died.
        self.lease = timedelta(seconds=self.timeout + 60)
        self.retention = timedelta(days=settings.webhook_retention_days)
        self.sweep_every = timedelta(seconds=settings.webhook_retention_sweep_seconds)
        self._swept_at: datetime | None = None
        self._http: aiohttp.ClientSession | None = None

    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self.allow, self.lookup), limit=self.total, use_dns_cache=False
            )
            self._http = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self._http

    def key_of(self, job: Job) -> UUID:
        return job.endpoint_id  # an endpoint: one slow partner holds only its own share

    async def claim_due(self, room: int, busy: Sequence[Hashable]) -> list[Job]:
        now = self.clock.now()
        query = self.fair_claim(
            WebhookDelivery,
            key=WebhookDelivery.endpoint_id,
            due_at=WebhookDelivery.next_attempt_at,
            due=[WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now],
            eligible=[WebhookEndpoint.enabled.is_(True)],
            join=(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id),
            room=room,
            busy=busy,
        )
        jobs: list[Job] = []
        async with self.sessionmaker() as session, session.begin():
            claimed = list((await session.execute(query)).scalars())
            endpoints = await _by_id(session, WebhookEndpoint, {d.endpoint_id for d in claimed})
            messages = await _by_id(session, WebhookMessage, {d.message_id for d in claimed})
            for delivery in claimed:
                if not self.has_room(delivery.endpoint_id):
                    continue
                job = self._job(
                    delivery, endpoints.get(delivery.endpoint_id), messages.get(delivery.message_id), now
                )
                if job is None:
                    continue
                delivery.next_attempt_at = now + self.lease
                self.reserve(delivery.endpoint_id)
                jobs.append(job)
        return jobs

    def _job(
        self,
        delivery: WebhookDelivery,
        endpoint: WebhookEndpoint | None,
        message: WebhookMessage | None,
        now: datetime,
    ) -> Job | None:
        if endpoint is None or message is None or self.config.key is None:
            return None
        key = self.config.key
        overlapping = endpoint.previous_secret_until is not None and endpoint.previous_secret_until > now
        secrets = [
            signing.decrypt(key, endpoint.id, blob)
            for blob in (
                endpoint.secret,
                endpoint.previous_secret if overlapping else None,
                endpoint.signing_key,
                endpoint.previous_signing_key if overlapping else None,
            )
            if blob
        ]
        return Job(delivery.id, endpoint.id, message.id, endpoint.url, message.body.encode(), secrets)

    async def sweep(self) -> int:
        """Forgets the messages older than the retention (`NOTIFY_WEBHOOK_RETENTION_DAYS`) whose
        deliveries are all settled; returns how many went. Replicas may sweep at once (SKIP LOCKED)."""
        cutoff = self.clock.now() - self.retention
        total = 0
        while True:
            async with self.sessionmaker() as session, session.begin():
                result = await session.execute(_SWEEP, {"cutoff": cutoff, "batch": SWEEP_BATCH})
            deleted = int(getattr(result, "rowcount", 0) or 0)
            total += deleted
            if deleted < SWEEP_BATCH:
                return total

    async def maintain(self) -> None:
        """The retention sweep, every `webhook_retention_sweep_seconds`."""
        now = self.clock.now()
        if self._swept_at is not None and now - self._swept_at < self.sweep_every:
            return
        self._swept_at = now
        if gone := await self.sweep():
            log.info("webhook messages past their retention removed", extra={"count": gone})

    async def aclose(self) -> None:
        """Closes the HTTP client (its connections and resolver)."""
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def run_job(self, job: Job) -> None:
        await self._record(job, await self.post(job))

    async def post(self, job: Job) -> Answer:
        """One signed POST: a fresh timestamp and signature, no redirects, the timeout of the settings."""
        timestamp = int(self.clock.now().timestamp())
        msg_id = str(job.message_id)
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.signature_header(job.secrets, msg_id, timestamp, job.body),
            "content-type": "application/json",
        }
        started = time.perf_counter()
        try:
            url = URL(job.url)
            if url.host and literal_address(url.host):
                check_address(url.host.strip("[]"), self.allow)  # a literal address skips the resolver
            async with self.http().post(
                url,
                data=job.body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                raw = await response.content.read(RESPONSE_BODY_LIMIT)
                return Answer(
                    response.status,
                    raw.decode(errors="replace")[:RESPONSE_BODY_LIMIT],
                    int((time.perf_counter() - started) * 1000),
                    None if 200 <= response.status < 300 else f"http_{response.status}",
                    response.headers.get("Retry-After"),
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return Answer(None, "", int((time.perf_counter() - started) * 1000), _error_class(exc))

    async def _record(self, job: Job, answer: Answer) -> None:
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            delivery = await session.get(WebhookDelivery, job.delivery_id, with_for_update=True)
            endpoint = await session.get(WebhookEndpoint, job.endpoint_id, with_for_update=True)
            if delivery is None or endpoint is None:
                return  # deleted meanwhile
            session.add(
                WebhookAttempt(
                    id=new_id(),
                    delivery_id=delivery.id,
                    attempted_at=now,
                    status_code=answer.status_code,
                    latency_ms=answer.latency_ms,
                    response_body=answer.body[:RESPONSE_BODY_LIMIT],
                    error_class=answer.error_class,
                )
            )
            delivery.attempts += 1
            delivery.updated_at = now
            outcome = outcome_of(answer.status_code)
            if outcome is Outcome.DELIVERED:
                delivery.status, delivery.next_attempt_at = DeliveryStatus.DELIVERED, None
                if endpoint.failing_since is not None:
                    endpoint.failing_since, endpoint.version = None, endpoint.version + 1
                return
            if outcome is Outcome.GONE:
                delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
                await self._disable(session, endpoint, DisabledReason.GONE, now)
                return
            retry_after = parse_retry_after(answer.retry_after, now)
            following = next_attempt(delivery.attempts, now, self.rng, retry_after, self.retry_after_cap)
            if following.at is None:
                delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            else:
                delivery.next_attempt_at = following.at
            if endpoint.failing_since is None:
                endpoint.failing_since, endpoint.version = now, endpoint.version + 1
            elif failing_too_long(endpoint.failing_since, now):
                await self._disable(session, endpoint, DisabledReason.FAILING, now)

    async def _disable(
        self, session: AsyncSession, endpoint: WebhookEndpoint, reason: DisabledReason, now: datetime
    ) -> None:
        if not endpoint.enabled:
            return
        endpoint.enabled, endpoint.disabled_reason, endpoint.updated_at = False, reason, now
        endpoint.version += 1
        log.warning("webhook endpoint disabled", extra={"endpoint": str(endpoint.id), "reason": str(reason)})
        # The administrators are told by notify-svc's own consumer of this event, through the
        # audience and the templates like every other notice (inbox, push, SMS; docs/webhooks.md).
        change = system_change(session, now=now, source=self.source)
        await change.emit(
            WebhookEndpointDisabledV1(
                endpoint_id=endpoint.id,
                org_id=endpoint.org_id,
                unit_id=endpoint.unit_id,
                url=endpoint.url,
                reason=str(reason),
                failing_since=endpoint.failing_since,
                disabled_at=now,
            ),
            subject=endpoint.id,
            orgid=endpoint.org_id,
        )


def start_worker(runtime: Runtime) -> DeliveryWorker:
    """The scanner factory create_service_app runs: the worker, reachable as runtime.extras["webhooks"]."""
    assert isinstance(runtime.settings, Settings)
    worker = DeliveryWorker(runtime.sessionmaker, runtime.settings, runtime.clock)
    runtime.extras["webhooks"] = worker
    return worker


async def _by_id(session: AsyncSession, entity: Any, ids: set[UUID]) -> dict[UUID, Any]:
    """The rows of these ids, in one read (a claimed batch's endpoints or messages)."""
    if not ids:
        return {}
    return {
        row.id: row for row in (await session.execute(select(entity).where(entity.id.in_(ids)))).scalars()
    }
