"""Transactional outbox: events are staged in the same transaction as the state change, and a
relay publishes them to JetStream afterwards.

Relay algorithm (safe with any number of relays, DESIGN.md §4):
1. In one transaction, claim up to N unsent rows, oldest first, `FOR UPDATE SKIP LOCKED`.
   Rows are chosen by `sent_at IS NULL`, never by an id cursor, so a transaction that commits
   late with an older id is still picked up.
2. Publish each with `Nats-Msg-Id` = event id and wait for every PubAck.
3. Mark the acknowledged rows sent and commit.
A relay that dies between 2 and 3 leaves the rows unsent; the next claim publishes them again
with the same Nats-Msg-Id, which JetStream's duplicate window stores only once.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from cppcc_common.db import Work, driver_connection, note_staged
from cppcc_common.events import CloudEvent

log = logging.getLogger("cppcc.outbox")

OUTBOX_PUBLISHED = Counter("outbox_published_total", "Events published by the outbox relay")
OUTBOX_FAILURES = Counter("outbox_publish_failures_total", "Failed outbox publish rounds")
OUTBOX_PENDING = Gauge("outbox_pending", "Unsent rows seen by the last relay round")

_INSERT = (
    "INSERT INTO outbox (id, subject, payload, created_at)"
    " SELECT e.id, e.subject, e.payload, now()"
    " FROM unnest(CAST($1 AS uuid[]), CAST($2 AS text[]), CAST($3 AS text[])) AS e(id, subject, payload)"
)
# A unit whose process runs no relay: one statement, one round trip, the rows and the NOTIFY that
# PostgreSQL delivers at commit to wake a relay elsewhere (a data-modifying WITH runs to completion
# whether or not its rows are read).
_INSERT_AND_NOTIFY = f"WITH staged AS ({_INSERT} RETURNING 1) SELECT pg_notify('cppcc_outbox', '')"
# The relay's statements run on the driver (asyncpg, prepared once per connection): a round at
# every commit's NOTIFY is frequent, and SQLAlchemy's statement path cost more than the round trips.
_CLAIM = (
    "SELECT id, subject, payload FROM outbox WHERE sent_at IS NULL "
    "ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED"
)
_MARK_SENT = "UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1::uuid[])"
_MARK_FAILED = "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])"
_PURGE = text("DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => :secs)")


class OutboxRow(NamedTuple):
    """A claimed outbox row."""

    id: UUID
    subject: str
    payload: str


async def stage(session: Work, *events: CloudEvent) -> None:
    """Adds events to the outbox within the caller's transaction; they are sent after commit: by the
    committing process's relay, woken in-process (`cppcc_common.db.publish_on_commit`), or by any
    relay, woken by the NOTIFY this then adds."""
    if not events:
        return
    ids = [e.id for e in events]
    subjects = [e.type for e in events]
    payloads = [e.to_json().decode() for e in events]
    # The statement goes straight to the driver (SQLAlchemy's statement path cost several times
    # the round trip itself on every write), in the session's transaction.
    statement = _INSERT if note_staged(session) else _INSERT_AND_NOTIFY
    await (await driver_connection(session)).execute(statement, ids, subjects, payloads)


PublishedHook = Callable[[Sequence[Any]], Awaitable[None] | None]


def _give_back(fairy: Any) -> None:
    """A pooled connection back to the pool; one the database dropped is discarded."""
    if fairy.is_valid and fairy.driver_connection.is_closed():
        fairy.invalidate()
    fairy.close()


class OutboxRelay:
    """Publishes committed outbox rows to JetStream; run one or many per service."""

    def __init__(
        self,
        engine: AsyncEngine,
        js: JetStreamContext,
        *,
        batch_size: int = 200,
        interval: float = 0.2,
        retention: timedelta = timedelta(days=7),
        on_published: PublishedHook | None = None,
    ) -> None:
        self.engine = engine
        self.js = js
        self.batch_size = batch_size
        self.interval = interval
        self.retention = retention
        self.on_published = on_published
        self._wake = asyncio.Event()
        self._rounds = 0

    async def relay_once(self) -> int:
        """One claim-publish-mark round; returns how many events were published."""
        fairy = await self.engine.raw_connection()  # the engine's pool (and its ping after idle)
        try:
            conn: asyncpg.Connection = fairy.driver_connection
            async with conn.transaction():
                rows = [OutboxRow(*r) for r in await conn.fetch(_CLAIM, self.batch_size)]
                OUTBOX_PENDING.set(len(rows))
                if not rows:
                    return 0
                try:
                    await self._publish(rows)
                except Exception as exc:
                    OUTBOX_FAILURES.inc()
                    log.warning("outbox publish failed; rows stay unsent", extra={"error": repr(exc)})
                    await conn.execute(_MARK_FAILED, [r.id for r in rows], repr(exc)[:500])
                    return 0
                if self.on_published is not None:
                    result = self.on_published(rows)
                    if result is not None:
                        await result
                await conn.execute(_MARK_SENT, [r.id for r in rows])
        finally:
            await greenlet_spawn(_give_back, fairy)
        OUTBOX_PUBLISHED.inc(len(rows))
        return len(rows)

    async def _publish(self, rows: Sequence[Any]) -> None:
        futures = [
            await self.js.publish_async(
                row.subject, row.payload.encode(), headers={"Nats-Msg-Id": str(row.id)}, wait_stall=5.0
            )
            for row in rows
        ]
        # Every PubAck must arrive (or the whole round counts as failed and is retried).
        async with asyncio.timeout(10.0):
            await asyncio.gather(*futures)

    async def purge_sent(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_PURGE, {"secs": self.retention.total_seconds()})

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Relays until cancelled; polls every `interval`, woken early by LISTEN/NOTIFY."""
        backoff = self.interval
        task = asyncio.current_task()
        while True:
            # nats-py turns a cancellation during a stalled publish into TooManyStalledMsgsError;
            # a pending cancel request must still stop the relay.
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            # Cleared before the round, not after: a commit whose NOTIFY arrives while this round
            # publishes must start the next round at once, not wait out the poll interval.
            self._wake.clear()
            try:
                published = await self.relay_once()
                backoff = self.interval
                self._rounds += 1
                if self._rounds % 3000 == 0:
                    await self.purge_sent()
                if published == self.batch_size:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database restarts and the like: keep going
                log.warning("outbox relay round failed", extra={"error": repr(exc)})
                backoff = min(backoff * 2, 5.0)
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation
            # that arrives as the wait ends, and the relay would then never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(backoff):
                    await self._wake.wait()
