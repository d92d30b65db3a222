"""The deadline scanner: each due row fires exactly once, with several scanners, by the clock."""

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from mech_support import widgets
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.clock import FakeClock
from cppcc_common.ids import new_id
from cppcc_common.scanner import DeadlineScanner, due_rows


class WidgetDeadlines(DeadlineScanner):
    name = "widget-deadlines"
    batch_size = 5

    async def claim(self, session: AsyncSession, now: datetime, limit: int) -> Any:
        return (
            await session.execute(due_rows(widgets, widgets.c.due_at, now, limit, widgets.c.fired == 0))
        ).all()

    async def fire(self, change: Change, row: Any) -> None:
        await asyncio.sleep(0)  # let another scanner try to take the same rows meanwhile
        await change.session.execute(
            update(widgets).where(widgets.c.id == row.id).values(fired=widgets.c.fired + 1)
        )


async def test_each_deadline_fires_exactly_once_with_several_scanners(engine: Any, sessionmaker: Any) -> None:
    clock = FakeClock()
    async with sessionmaker() as session, session.begin():
        await session.execute(
            insert(widgets),
            [
                {"id": new_id(), "name": f"w{i}", "due_at": clock.now() + timedelta(days=i % 3)}
                for i in range(30)
            ],
        )
    scanners = [WidgetDeadlines(sessionmaker, clock) for _ in range(3)]

    async def drain(s: DeadlineScanner) -> int:
        total = 0
        while fired := await s.scan_once():
            total += fired
        return total

    assert sum(await asyncio.gather(*(drain(s) for s in scanners))) == 10  # only those due now
    clock.advance(timedelta(days=2))
    assert sum(await asyncio.gather(*(drain(s) for s in scanners))) == 20
    assert sum(await asyncio.gather(*(drain(s) for s in scanners))) == 0
    async with engine.connect() as conn:
        fired = (await conn.execute(select(widgets.c.fired))).scalars().all()
    assert fired == [1] * 30


async def test_a_failed_fire_rolls_back_and_fires_later(engine: Any, sessionmaker: Any) -> None:
    clock = FakeClock()
    async with sessionmaker() as session, session.begin():
        await session.execute(insert(widgets).values(id=new_id(), name="w", due_at=clock.now()))

    class Flaky(WidgetDeadlines):
        failed = False

        async def fire(self, change: Change, row: Any) -> None:
            await super().fire(change, row)
            if not Flaky.failed:
                Flaky.failed = True
                raise RuntimeError("stage failed")

    scanner = Flaky(sessionmaker, clock)
    with contextlib.suppress(RuntimeError):
        await scanner.scan_once()
    assert await scanner.scan_once() == 1
    async with engine.connect() as conn:
        assert (await conn.execute(select(widgets.c.fired))).scalar_one() == 1
