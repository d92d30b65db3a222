"""Deadline scanner base (DESIGN.md §9): due rows are claimed with FOR UPDATE SKIP LOCKED, and
the state change and its events commit in the claiming transaction, so each deadline fires
exactly once however many replicas scan, and across restarts.

A service subclasses `DeadlineScanner` and writes two short methods:
`claim(session, now, limit)` — a SELECT … FOR UPDATE SKIP LOCKED of due rows (use `due_rows`);
`fire(change, row)` — change the row so it is no longer due, and `change.emit` the event. Each
fired row gets its own system `Change` (the scan's session and `now`, a trace of its own).
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.change import Change, system_change
from cppcc_common.clock import Clock, SystemClock

log = logging.getLogger("cppcc.scanner")


def due_rows(
    table: Table, due_column: ColumnElement[Any], now: datetime, limit: int, *where: ColumnElement[bool]
) -> Select[Any]:
    """SELECT the rows of `table` due at `now`, locked, skipping rows another scanner holds."""
    return (
        select(table)
        .where(due_column <= now, *where)
        .order_by(due_column)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


class DeadlineScanner:
    name = "scanner"
    batch_size = 100

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock | None = None,
        interval: float = 5.0,
        source: str = "/unknown",
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock or SystemClock()
        self.interval = interval
        self.source = source

    async def claim(self, session: AsyncSession, now: datetime, limit: int) -> Sequence[Any]:
        raise NotImplementedError

    async def fire(self, change: Change, row: Any) -> None:
        raise NotImplementedError

    async def scan_once(self) -> int:
        """Claims and fires one batch in one transaction; returns how many fired."""
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            rows = await self.claim(session, now, self.batch_size)
            for row in rows:
                await self.fire(system_change(session, now=now, source=self.source), row)
        return len(rows)

    async def run(self) -> None:
        while True:
            try:
                while await self.scan_once() == self.batch_size:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("scan failed", extra={"scanner": self.name, "error": repr(exc)})
            await asyncio.sleep(self.interval)
