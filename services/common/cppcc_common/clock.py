"""An injectable clock, so deadlines are tested by moving time, never by sleeping."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 1, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, when: datetime) -> None:
        self._now = when


class OffsetClock:
    """Wall-clock time moved by the seconds written in a file: the end-to-end tests move a whole
    stack's time (every service, the gateway, their scanners and token checks) by writing one file.
    Development and tests only: settings refuse it in production (`clock_offset_file`).

    The file holds a number of seconds (a float, may be negative); no file or an empty one is 0.
    It is read again only when its modification time changes, so a `now()` costs one `stat`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        try:
            stamp = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._stamp = stamp
            text = self.path.read_text().strip() if stamp is not None else ""
            self._offset = timedelta(seconds=float(text or 0))
        return datetime.now(UTC) + self._offset

    def move(self, delta: timedelta) -> None:
        """Moves the time of every process that reads this file (tests)."""
        total = self.offset() + delta
        self.path.write_text(repr(total.total_seconds()))

    def offset(self) -> timedelta:
        """How far this clock is moved now (as the file says)."""
        self.now()
        return self._offset
