"""Waiting in tests for what another task or process does: done as soon as it happens, failed only
after a generous deadline. A loaded machine (parallel test workers on two cores) can take seconds
for what takes milliseconds alone, and a passing test waits no longer than the thing takes, so the
deadline is long (`TEST_PATIENCE_SECONDS`, 60 by default). A test that checks that something does
NOT happen within a time says its own timeout."""

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

PATIENCE = float(os.environ.get("TEST_PATIENCE_SECONDS", "60"))


async def eventually(
    probe: Callable[[], Awaitable[Any]],
    timeout: float | None = None,
    what: str = "it",
    interval: float = 0.02,
) -> Any:
    """The first truthy result of `await probe()`, polled every `interval` seconds."""
    limit = PATIENCE if timeout is None else timeout
    deadline = asyncio.get_running_loop().time() + limit
    while True:
        result = await probe()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, f"not reached within {limit}s: {what}"
        await asyncio.sleep(interval)


def eventually_sync(
    probe: Callable[[], Any], timeout: float | None = None, what: str = "it", interval: float = 0.1
) -> Any:
    """The first truthy result of `probe()`, polled every `interval` seconds."""
    limit = PATIENCE if timeout is None else timeout
    deadline = time.monotonic() + limit
    while True:
        result = probe()
        if result:
            return result
        assert time.monotonic() < deadline, f"not reached within {limit}s: {what}"
        time.sleep(interval)
