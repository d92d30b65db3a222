"""Idempotent consumers: durable pull consumers whose effect and inbox row commit together.

For each message:
1. Parse the CloudEvent (unknown type or malformed payload → dead letter at once).
2. In one transaction: insert the `(consumer, event id)` inbox row; if it was already there the
   event was applied before, so only ack. Otherwise run the handler in the same transaction,
   with a system `Change` (`cppcc_common.change`) whose `now` is the consumer's clock and whose
   trace continues the event's: the handler's log lines and the events it emits carry the
   producer's trace id.
3. Commit, then ack. A crash between commit and ack redelivers the message; step 2 skips it.
   A fetched batch shares one transaction (`handle_batch`): one commit per batch, no savepoint
   unless a handler fails; then the others run again, each under its own savepoint, and the
   failing event alone is retried.
4. On failure: NAK with backoff; at the last allowed delivery the message goes to the
   dead-letter table (and is acked), where operators list it and `replay_dead_letter` re-runs it.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError
from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.change import Change, system_change
from cppcc_common.clock import Clock, SystemClock
from cppcc_common.db import RequestUnit, driver_connection
from cppcc_common.events import CloudEvent, EventData, MalformedEvent, UnknownEventType, parse_event
from cppcc_common.ids import new_id
from cppcc_common.logging import trace_id_var
from cppcc_common.tracing import trace_id_of

log = logging.getLogger("cppcc.consumer")

CONSUMED = Counter("events_consumed_total", "Events applied", ["consumer", "type"])
DUPLICATES = Counter("events_duplicate_total", "Redelivered events skipped", ["consumer"])
FAILURES = Counter("events_failed_total", "Handler failures", ["consumer"])
DEAD = Counter("events_dead_lettered_total", "Events moved to the dead-letter table", ["consumer"])

# A handler gets the delivery's change (its session, `now`, the event's trace), the envelope and
# the typed payload.
Handler = Callable[[Change, CloudEvent, EventData], Awaitable[None]]

_CLAIM_INBOX_SQL = (
    "INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
_DEAD_LETTER = text(
    "INSERT INTO dead_letters (id, consumer, event_id, event_type, subject, payload, error, deliveries)"
    " VALUES (:id, :consumer, :event_id, :event_type, :subject, :payload, :error, :deliveries)"
)


@dataclass
class ConsumerSpec:
    """What a service declares: a durable name, the stream, the subjects, and one handler per type."""

    name: str
    stream: str
    subjects: Sequence[str]
    handlers: dict[str, Handler]
    max_deliver: int = 5
    ack_wait: float = 30.0
    backoff: Sequence[float] = field(default_factory=lambda: (1.0, 5.0, 30.0, 120.0))
    batch: int = 50
    # How long one fetch waits for a first message before it asks again (a fetch returns as soon
    # as messages arrive: this is no batching window).
    fetch_wait: float = 1.0


@dataclass
class _Delivery:
    """One message of a fetched batch on its way through the batch's transaction."""

    msg: Msg
    envelope: CloudEvent
    data: EventData
    deliveries: int
    applied: bool | None = None  # True: applied now; False: applied before (a redelivery)
    error: BaseException | None = None


class Consumer:
    """Runs one durable pull consumer against JetStream."""

    def __init__(
        self,
        spec: ConsumerSpec,
        js: JetStreamContext,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock | None = None,
        source: str = "/unknown",
    ) -> None:
        self.spec = spec
        self.clock = clock or SystemClock()
        self.source = source
        self.js = js
        self.sessionmaker = sessionmaker
        self._sub: Any = None

    def consumer_config(self) -> ConsumerConfig:
        subjects = list(self.spec.subjects)
        return ConsumerConfig(
            durable_name=self.spec.name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.spec.ack_wait,
            max_deliver=self.spec.max_deliver,
            max_ack_pending=1000,
            filter_subjects=subjects if len(subjects) > 1 else None,
            filter_subject=subjects[0] if len(subjects) == 1 else None,
        )

    async def start(self) -> None:
        self._sub = await self.js.pull_subscribe(
            self.spec.subjects[0],
            durable=self.spec.name,
            stream=self.spec.stream,
            config=self.consumer_config(),
        )

    async def run(self) -> None:
        """Fetches and handles messages until cancelled."""
        if self._sub is None:
            await self.start()
        task = asyncio.current_task()
        while True:
            try:
                msgs = await self._sub.fetch(self.spec.batch, timeout=self.spec.fetch_wait)
            except (FetchTimeoutError, TimeoutError, nats.errors.TimeoutError):
                # nats-py may turn our own cancellation into a timeout: honour the cancel.
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError() from None
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection loss and the like: the client reconnects
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError() from None
                log.warning("fetch failed", extra={"consumer": self.spec.name, "error": repr(exc)})
                await asyncio.sleep(0.5)
                continue
            await self.handle_batch(msgs)

    async def handle(self, msg: Msg) -> None:
        """Applies one message exactly once (see the module docstring), then acks or naks it."""
        await self.handle_batch([msg])

    async def handle_batch(self, msgs: Sequence[Msg]) -> None:
        """Applies a fetched batch in ONE transaction: one commit for the batch instead of one per
        event (what bounds a busy consumer).

        The batch first runs with no savepoint at all (each costs two round trips per event). If a
        handler fails, that transaction is rolled back, the failing event is NAKed or dead-lettered
        alone, and the others run again, each under a savepoint of its own so that another failure
        undoes only its event. Acks follow the commit. If the commit itself fails, nothing was
        applied: every event of the batch is NAKed (counted as a failed delivery) and comes back.
        """
        work: list[_Delivery] = []
        for msg in msgs:
            deliveries = msg.metadata.num_delivered if msg.metadata else 1
            try:
                envelope, data = parse_event(msg.data)
            except (UnknownEventType, MalformedEvent) as exc:
                await self._dead_letter(msg, None, None, f"{type(exc).__name__}: {exc}", deliveries)
                await self._ack(msg)
                continue
            work.append(_Delivery(msg, envelope, data, deliveries))
        if not work:
            return
        failed = await self._transact(work, isolate=False)
        if failed is not None and len(work) > 1:
            others = [delivery for delivery in work if delivery is not failed]
            for delivery in others:
                delivery.applied, delivery.error = None, None  # rolled back with the failed one
            await self._transact(others, isolate=True)
        for delivery in work:
            await self._settle(delivery)

    async def _transact(self, work: list[_Delivery], *, isolate: bool) -> _Delivery | None:
        """Runs `work` in one transaction and commits it; answers the delivery whose handler failed
        when not `isolate` (the transaction is then rolled back). Any failure that leaves the
        transaction uncommitted marks every delivery failed.

        The transaction is a unit of work at the driver (`RequestUnit`, as a request's): BEGIN and
        COMMIT on asyncpg, the ORM session made only for a handler that asks for it (on the same
        connection) — about half the CPU of a session's begin and commit, paid per batch, which is
        per event whenever events arrive one at a time."""
        unit = await RequestUnit.checkout(self.sessionmaker)
        try:
            try:
                for delivery in work:
                    await self._apply(unit, delivery, isolate=isolate)
            except BaseException:
                await unit.rollback()  # whatever the error (never a partial batch: no keeps_changes)
                raise
            await unit.commit()
        except Exception as exc:  # a handler (not isolated), the commit or the connection failed
            failed = next((delivery for delivery in work if delivery.error is not None), None)
            for delivery in work:
                delivery.error = delivery.error or exc
                delivery.applied = None
            return failed
        finally:
            await unit.close()
        return None

    async def _apply(self, unit: RequestUnit, delivery: _Delivery, *, isolate: bool) -> None:
        """Runs one event's handler; `isolate`: under a savepoint, so its failure undoes only it."""
        # The producer's trace: this delivery's log lines (and the events it emits) carry it.
        trace_token = trace_id_var.set(trace_id_of(delivery.envelope.traceparent))
        try:
            if isolate:
                # What a handler kept for the unit of work (a row it locked) may not outlive a
                # savepoint that is rolled back: each isolated event starts without it. The
                # savepoint is the ORM session's, so what the session holds is undone with it.
                unit.cache.clear()
                async with unit.session.begin_nested():
                    await self._run(unit, delivery)
            else:
                await self._run(unit, delivery)
        except Exception as exc:
            delivery.error = exc
            if not isolate:
                raise
        finally:
            trace_id_var.reset(trace_token)

    async def _run(self, unit: RequestUnit, delivery: _Delivery) -> None:
        envelope = delivery.envelope
        change = system_change(
            unit, now=self.clock.now(), source=self.source, traceparent=envelope.traceparent
        )
        handler = self.spec.handlers.get(envelope.type)
        delivery.applied = await apply_once(change, self.spec.name, envelope, delivery.data, handler)

    async def _settle(self, delivery: _Delivery) -> None:
        """After the batch's commit: ack what was applied (or was a duplicate), NAK or dead-letter the rest."""
        envelope, msg = delivery.envelope, delivery.msg
        trace_token = trace_id_var.set(trace_id_of(envelope.traceparent))
        try:
            if delivery.error is not None or delivery.applied is None:
                await self._failed(delivery)
                return
            if delivery.applied:
                CONSUMED.labels(self.spec.name, envelope.type).inc()
                if log.isEnabledFor(logging.INFO):
                    log.info(
                        "event handled",
                        extra={
                            "consumer": self.spec.name,
                            "event_id": str(envelope.id),
                            "type": envelope.type,
                        },
                    )
            else:
                DUPLICATES.labels(self.spec.name).inc()
            await self._ack(msg)
        finally:
            trace_id_var.reset(trace_token)

    async def _failed(self, delivery: _Delivery) -> None:
        FAILURES.labels(self.spec.name).inc()
        log.warning(
            "handler failed",
            extra={
                "consumer": self.spec.name,
                "event_id": str(delivery.envelope.id),
                "deliveries": delivery.deliveries,
                "error": repr(delivery.error),
            },
        )
        if delivery.deliveries >= self.spec.max_deliver:
            await self._dead_letter(
                delivery.msg,
                delivery.envelope.id,
                delivery.envelope.type,
                repr(delivery.error),
                delivery.deliveries,
            )
            await self._ack(delivery.msg)
        else:
            delay = self.spec.backoff[min(delivery.deliveries - 1, len(self.spec.backoff) - 1)]
            await delivery.msg.nak(delay=delay)

    async def _ack(self, msg: Msg) -> None:
        await msg.ack()

    async def _dead_letter(
        self, msg: Msg, event_id: UUID | None, event_type: str | None, error: str, deliveries: int
    ) -> None:
        DEAD.labels(self.spec.name).inc()
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                _DEAD_LETTER,
                {
                    "id": new_id(),
                    "consumer": self.spec.name,
                    "event_id": event_id,
                    "event_type": event_type,
                    "subject": msg.subject,
                    "payload": msg.data.decode(errors="replace"),
                    "error": error[:2000],
                    "deliveries": deliveries,
                },
            )


async def apply_once(
    change: Change, consumer: str, envelope: CloudEvent, data: EventData, handler: Handler | None
) -> bool:
    """Records the event in the inbox and runs the handler, unless it was applied already."""
    # On the driver, in the change's transaction (and savepoint): one prepared statement per event.
    conn = await driver_connection(change.unit)
    if await conn.fetchval(_CLAIM_INBOX_SQL, consumer, envelope.id, envelope.type) is None:
        return False
    if handler is not None:
        await handler(change, envelope, data)
    return True


async def list_dead_letters(
    session: AsyncSession, consumer: str | None = None, limit: int = 100
) -> list[Any]:
    """Dead letters not yet replayed, oldest first."""
    query = (
        "SELECT id, consumer, event_id, event_type, subject, error, deliveries, created_at "
        "FROM dead_letters WHERE replayed_at IS NULL"
        + (" AND consumer = :consumer" if consumer else "")
        + " ORDER BY created_at LIMIT :limit"
    )
    return list((await session.execute(text(query), {"consumer": consumer, "limit": limit})).all())


async def dead_letter_consumer(session: AsyncSession, dead_letter_id: UUID) -> str | None:
    """The consumer a dead letter belongs to, if it is still waiting for a replay."""
    row = (
        await session.execute(
            text("SELECT consumer FROM dead_letters WHERE id = :id AND replayed_at IS NULL"),
            {"id": dead_letter_id},
        )
    ).first()
    return str(row.consumer) if row else None


async def replay_dead_letter(
    sessionmaker: async_sessionmaker[AsyncSession],
    spec: ConsumerSpec,
    dead_letter_id: UUID,
    *,
    clock: Clock | None = None,
    source: str = "/unknown",
) -> bool:
    """Re-runs a dead letter through the consumer's handler, exactly once; True if applied now."""
    async with sessionmaker() as session, session.begin():
        row = (
            await session.execute(
                text(
                    "SELECT payload FROM dead_letters WHERE id = :id AND consumer = :consumer "
                    "AND replayed_at IS NULL FOR UPDATE"
                ),
                {"id": dead_letter_id, "consumer": spec.name},
            )
        ).first()
        if row is None:
            return False
        envelope, data = parse_event(row.payload)
        change = system_change(
            session, now=(clock or SystemClock()).now(), source=source, traceparent=envelope.traceparent
        )
        applied = await apply_once(change, spec.name, envelope, data, spec.handlers.get(envelope.type))
        await session.execute(
            text("UPDATE dead_letters SET replayed_at = now() WHERE id = :id"), {"id": dead_letter_id}
        )
        return applied
