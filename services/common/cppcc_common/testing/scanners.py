"""Deadline scanners racing as replicas do, for the tests that prove a deadline fires once."""

import asyncio
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.db import create_engine, create_sessionmaker
from cppcc_common.scanner import DeadlineScanner


async def race(
    database_url: str, scanner: Callable[[async_sessionmaker[AsyncSession]], DeadlineScanner], replicas: int
) -> int:
    """`replicas` scanners made by `scanner` on one database, each scanning until nothing is due,
    all at once; answers how many rows they fired between them."""
    engine = create_engine(database_url, pool_size=4)
    sessionmaker = create_sessionmaker(engine)

    async def drain(one: DeadlineScanner) -> int:
        total = 0
        while fired := await one.scan_once():
            total += fired
        return total

    try:
        return sum(await asyncio.gather(*(drain(scanner(sessionmaker)) for _ in range(replicas))))
    finally:
        await engine.dispose()
