"""The inbox's live stream (Server-Sent Events): each new item as its transaction commits.

One LISTEN connection per process (`InboxHub`) wakes the streams of the person a committed item
belongs to (the trigger of migration 0003); a woken stream reads what was written after the last
item it sent, so nothing is polled and a missed wake-up is made good by the next one. A stream
resumes after `Last-Event-ID`, says it is alive with comment lines, and each person may hold a
bounded number of them at once."""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID

import asyncpg
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from cppcc_common.db import ReadPool
from cppcc_common.errors import AppError
from cppcc_common.text import Text
from notify_svc.channels.inbox import repository
from notify_svc.channels.inbox.schemas import InboxItemRead

log = logging.getLogger("notify.inbox.stream")
CHANNEL = "cppcc_inbox"
BATCH = 100


class TooManyStreams(AppError):
    status = 429
    code = "inbox.too_many_streams"
    title = Text("打开的消息推送连接过多", "Too many open inbox streams")
    detail = Text(
        "每人最多同时保持 {limit} 个消息推送连接，请关闭其他连接后重试。",
        "At most {limit} inbox streams per person at once; close another and retry.",
    )


class InboxHub:
    """Who is listening for whose items in this process, and the one LISTEN connection waking them."""

    def __init__(self, dsn: str, *, max_per_person: int) -> None:
        self.dsn = dsn
        self.max_per_person = max_per_person
        self.listeners: dict[UUID, set[asyncio.Event]] = {}
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()

    def open(self, person_id: UUID) -> asyncio.Event:
        """A wake-up for one new stream of `person_id`; 429 beyond the per-person bound."""
        mine = self.listeners.setdefault(person_id, set())
        if len(mine) >= self.max_per_person:
            raise TooManyStreams(limit=self.max_per_person, headers={"Retry-After": "5"})
        wake = asyncio.Event()
        mine.add(wake)
        return wake

    def close(self, person_id: UUID, wake: asyncio.Event) -> None:
        mine = self.listeners.get(person_id)
        if mine is not None:
            mine.discard(wake)
            if not mine:
                del self.listeners[person_id]

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            for wake in self.listeners.get(UUID(payload), ()):
                wake.set()

    async def connect(self) -> None:
        """LISTENs on a fresh connection; every stream re-reads, in case it missed items meanwhile."""
        conn = await asyncpg.connect(self.dsn)
        self._lost.clear()
        conn.add_termination_listener(lambda _c: self._lost.set())
        await conn.add_listener(CHANNEL, self._notified)
        self._conn = conn
        for wakes in self.listeners.values():
            for wake in wakes:
                wake.set()

    async def run(self) -> None:
        """Keeps the LISTEN connection: reconnects when it is lost."""
        try:
            while True:
                await self._lost.wait()
                log.warning("inbox listen connection lost; reconnecting")
                try:
                    await self.connect()
                except Exception:
                    await asyncio.sleep(2)  # the database is away: retry, not spin
        finally:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    await self._conn.close()


class EventStream(StreamingResponse):
    """A `text/event-stream` response that frees its stream's place however it ends: finished,
    the client gone mid-stream, or gone before the body ever ran (then its generator never starts,
    and its own `finally` would never run)."""

    def __init__(self, body: AsyncIterator[str], *, release: Callable[[], None]) -> None:
        # Proxies must pass each event on as it comes (X-Accel-Buffering: nginx's switch).
        super().__init__(
            body,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                await aclose()


def _message(row: asyncpg.Record) -> str:
    item = InboxItemRead.model_validate(dict(row)).model_dump(mode="json")
    return f"id: {row['seq']}\nevent: item\ndata: {json.dumps(item, ensure_ascii=False)}\n\n"


async def events(
    pool: ReadPool,
    person_id: UUID,
    wake: asyncio.Event,
    *,
    last_event_id: int | None,
    heartbeat: float,
) -> AsyncIterator[str]:
    """The stream's body: missed items after `last_event_id`, then each new one, with heartbeats."""
    # A fresh stream starts at the newest item (the app lists the inbox itself); a resumed one
    # sends what it missed first.
    last = last_event_id if last_event_id is not None else await repository.latest_seq(pool, person_id)
    yield f"retry: 3000\n: connected, after {last}\n\n"
    while True:
        wake.clear()  # before the read: a commit during it wakes the next round
        rows = await repository.written_after(pool, person_id, last, BATCH)
        for row in rows:
            yield _message(row)
            last = row["seq"]
        if len(rows) == BATCH:
            continue
        try:
            async with asyncio.timeout(heartbeat):  # not wait_for, which can swallow a cancellation
                await wake.wait()
        except TimeoutError:
            yield ": heartbeat\n\n"
