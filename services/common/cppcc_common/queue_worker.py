"""A worker over a queue of outbound calls kept in PostgreSQL: the claim–lease–run loop notify-svc's
webhook and push/SMS workers share.

- **Claim and lease** in a short transaction of its own: due rows are selected `FOR UPDATE SKIP
  LOCKED` (replicas share the queue), each kept row's due time moves past the call's timeout (its
  lease), and the transaction commits before any call: no lock is held while a partner or a
  vendor answers, and a crashed replica's lease simply falls due again.
- **Run** each claimed job as a task of its own, outside any transaction: the call, then the
  attempt recorded in a transaction of its own. At most `total` calls run at once and at most
  `per_key` per key (an endpoint, a vendor): a slow or dead one holds only its own share.
- **Wake** on NOTIFY of `wake_channel` (sent in the transaction that queues a row, delivered at
  commit) and whenever a call ends; poll every `interval` besides, which stays the source of truth
  if the LISTEN connection drops.
- **Maintain** (retention sweeps and the like) before each claim, a failure logged, never fatal.

A subclass writes `claim_due(room, busy)` (select with `fair_claim`, lease, and `reserve(key)` each
job it keeps),
`key_of(job)`, `run_job(job)` (never raising for the call's own failure; an exception there is
logged and the lease lets the row fall due again) and, if it needs them, `maintain()` and
`aclose()`. Tests drive `deliver_due()` (claim and wait for every call) by a FakeClock.
"""

import asyncio
import contextlib
import logging
from collections.abc import Hashable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from cppcc_common.clock import Clock
from cppcc_common.db import listen
from cppcc_common.scanner import DeadlineScanner

log = logging.getLogger("cppcc.queue_worker")

Job = TypeVar("Job")
Column = ColumnElement[Any] | InstrumentedAttribute[Any]  # a mapped attribute or a column expression


class QueueWorker(DeadlineScanner, Generic[Job]):
    name = "queue"
    wake_channel = ""  # the NOTIFY channel a queued row wakes the workers on

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        database_url: str,
        interval: float,
        total: int,
        per_key: int,
        source: str = "/unknown",
    ) -> None:
        super().__init__(sessionmaker, clock, interval=interval, source=source)
        self.database_url = database_url
        self.total = total
        self.per_key = per_key
        self._inflight: dict[Hashable, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    # ---- what a subclass writes ------------------------------------------------------------------

    async def claim_due(self, room: int, busy: Sequence[Hashable]) -> list[Job]:
        """Claims and leases at most `room` due jobs, none of a key in `busy`; `reserve`s each."""
        raise NotImplementedError

    def key_of(self, job: Job) -> Hashable:
        raise NotImplementedError

    async def run_job(self, job: Job) -> None:
        """The call and its record. An exception is logged; the lease makes the row due again."""
        raise NotImplementedError

    async def maintain(self) -> None:
        """Housekeeping before each claim (retention); failures are logged."""

    async def aclose(self) -> None:
        """Closes what the worker holds (HTTP clients, providers)."""

    def fair_claim(
        self,
        entity: Any,
        *,
        key: Column,
        due_at: Column,
        due: Sequence[ColumnElement[bool]],
        room: int,
        busy: Sequence[Hashable],
        eligible: Sequence[ColumnElement[bool]] = (),
        join: tuple[Any, ColumnElement[bool]] | None = None,
    ) -> Select[Any]:
        """The rows `claim_due` takes: those meeting `due` (and `eligible`, over `join` if given),
        oldest `due_at` first, `room` in all, at most `per_key` of any one `key` and none of a key in
        `busy` — one endpoint's or vendor's backlog leaves room for everybody else's — locked FOR
        UPDATE SKIP LOCKED, so replicas share the queue. `due` is checked again on the locked rows."""
        rank = func.row_number().over(partition_by=key, order_by=due_at).label("rank")
        ranked = select(entity.id, rank)
        if join is not None:
            ranked = ranked.join(*join)
        ranked = ranked.where(*due, *eligible)
        if busy:
            ranked = ranked.where(key.not_in(busy))
        candidates = ranked.subquery()
        return (
            select(entity)
            .where(entity.id.in_(select(candidates.c.id).where(candidates.c.rank <= self.per_key)), *due)
            .order_by(due_at)
            .limit(room)
            .with_for_update(skip_locked=True)
        )

    # ---- the loop --------------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def has_room(self, key: Hashable) -> bool:
        return self._inflight.get(key, 0) < self.per_key

    def reserve(self, key: Hashable) -> None:
        """Counts a claimed job against its key's share until it ends."""
        self._inflight[key] = self._inflight.get(key, 0) + 1

    def _release(self, job: Job) -> None:
        key = self.key_of(job)
        left = self._inflight.get(key, 1) - 1
        if left > 0:
            self._inflight[key] = left
        else:
            self._inflight.pop(key, None)
        self._wake.set()

    async def _claim(self) -> list[Job]:
        room = self.total - len(self._tasks)
        if room <= 0:
            return []
        busy = [k for k, n in self._inflight.items() if n >= self.per_key]
        return await self.claim_due(room, busy)

    async def _run(self, job: Job) -> None:
        try:
            await self.run_job(job)
        except Exception as exc:  # the record failed: the lease lets the row fall due again
            log.warning("queued call failed to record", extra={"worker": self.name, "error": repr(exc)})
        finally:
            self._release(job)

    async def scan_once(self) -> int:
        """Claims what is due and starts each call as a task of its own; returns how many started."""
        jobs = await self._claim()
        for job in jobs:
            task = asyncio.create_task(self._run(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(jobs)

    async def deliver_due(self) -> int:
        """Claims what is due and waits for every call (tests, operators)."""
        jobs = await self._claim()
        await asyncio.gather(*(self._run(job) for job in jobs))
        return len(jobs)

    async def idle(self) -> None:
        """Waits for the calls in flight (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _maintain(self) -> None:
        try:
            await self.maintain()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("queue maintenance failed", extra={"worker": self.name, "error": repr(exc)})

    async def run(self) -> None:
        listener = asyncio.create_task(listen(self.database_url, self.wake_channel, self._wake.set))
        try:
            while True:
                await self._maintain()
                try:
                    await self.scan_once()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("queue claim failed", extra={"worker": self.name, "error": repr(exc)})
                # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation
                # that arrives as the wait times out, and this loop then never stopped (a test
                # module's app hung in its shutdown for 16 minutes, the worker claiming each second).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.interval):
                        await self._wake.wait()
                self._wake.clear()
        finally:
            listener.cancel()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(listener, *self._tasks, return_exceptions=True)
            await self.aclose()
