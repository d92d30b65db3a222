"""The claim–lease–run loop notify-svc's webhook and push/SMS workers share
(`cppcc_common.queue_worker`): bounded overall and per key, a failing call releases its share, and
a queue the test keeps in memory stands for the PostgreSQL one (the services' tests run the real)."""

import asyncio
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from cppcc_common.clock import FakeClock
from cppcc_common.queue_worker import QueueWorker


@dataclass(frozen=True)
class Call:
    key: str
    n: int


class MemoryWorker(QueueWorker[Call]):
    name = "memory"

    def __init__(self, queue: list[Call], *, total: int, per_key: int) -> None:
        super().__init__(
            None,  # type: ignore[arg-type]  # no database: the queue is the list
            FakeClock(),
            database_url="",
            interval=1.0,
            total=total,
            per_key=per_key,
        )
        self.queue = queue
        self.gates: dict[str, asyncio.Event] = {}
        self.done: list[Call] = []
        self.maintained = 0

    async def claim_due(self, room: int, busy: Sequence[Hashable]) -> list[Call]:
        claimed: list[Call] = []
        for call in list(self.queue):
            if len(claimed) >= room:
                break
            if call.key in busy or not self.has_room(call.key):
                continue
            self.queue.remove(call)
            self.reserve(call.key)
            claimed.append(call)
        return claimed

    def key_of(self, job: Call) -> str:
        return job.key

    async def run_job(self, job: Call) -> None:
        await self.gates.setdefault(job.key, asyncio.Event()).wait()
        if job.key == "broken":
            raise RuntimeError("the record failed")
        self.done.append(job)

    async def maintain(self) -> None:
        self.maintained += 1


async def test_a_slow_key_holds_only_its_own_share_and_the_total_is_bounded() -> None:
    queue = [Call("slow", n) for n in range(5)] + [Call("fast", n) for n in range(5)]
    worker = MemoryWorker(queue, total=5, per_key=2)
    worker.gates["fast"] = asyncio.Event()
    worker.gates["fast"].set()
    assert await worker.scan_once() == 4  # two of each key: the slow one's backlog leaves room
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert [c.key for c in worker.done] == ["fast", "fast"]
    assert await worker.scan_once() == 2  # the fast key's share came back; the slow one's did not
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert await worker.scan_once() == 1  # the last fast call
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert len(worker.done) == 5 and {c.key for c in worker.queue} == {"slow"}
    worker.gates["slow"].set()
    await worker.idle()
    assert await worker.deliver_due() == 2 and await worker.deliver_due() == 1
    assert len(worker.done) == 10 and not worker._inflight


async def test_a_call_whose_record_fails_releases_its_share_and_wakes_the_loop() -> None:
    worker = MemoryWorker([Call("broken", 1), Call("broken", 2)], total=5, per_key=1)
    worker.gates["broken"] = asyncio.Event()
    worker.gates["broken"].set()
    assert await worker.deliver_due() == 1  # one at a time for the key
    assert worker._wake.is_set() and not worker._inflight  # released, and the loop told
    assert await worker.deliver_due() == 1


async def test_the_loop_maintains_claims_and_stops_cleanly(monkeypatch: Any) -> None:
    async def no_listen(*_: Any) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr("cppcc_common.queue_worker.listen", no_listen)
    worker = MemoryWorker([Call("k", 1)], total=2, per_key=1)
    worker.gates["k"] = asyncio.Event()
    task = asyncio.create_task(worker.run())
    while not worker._tasks:
        await asyncio.sleep(0.01)
    assert worker.maintained >= 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert not worker._tasks or all(t.done() for t in worker._tasks)


async def test_the_loop_stops_when_cancelled_as_it_is_woken() -> None:
    """A cancel that lands in the same turn of the event loop as a wake-up (a call ending, a NOTIFY)
    ends the worker's loop. Python 3.11's `asyncio.wait_for` swallowed such a cancellation (its
    inner wait had completed) and the loop ran on for ever: an app's shutdown waited on it (a test
    module hung for 16 minutes, the worker claiming each second)."""
    worker = MemoryWorker([], total=1, per_key=1)
    worker.interval = 3600.0
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.05)  # in its wait
    worker._wake.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert task in done, "still running after its cancel"
