"""The moved clock of the end-to-end tests (`OffsetClock`) and its guard in production."""

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from cppcc_common.clock import OffsetClock, SystemClock
from cppcc_common.settings import ServiceSettings, process_clock


def test_an_offset_clock_without_its_file_is_the_wall_clock(tmp_path: Path) -> None:
    clock = OffsetClock(tmp_path / "offset")
    assert abs(clock.now() - SystemClock().now()) < timedelta(seconds=1)


def test_a_move_is_seen_by_every_clock_reading_the_file(tmp_path: Path) -> None:
    mover, other = OffsetClock(tmp_path / "offset"), OffsetClock(tmp_path / "offset")
    other.now()  # read before the move: the change of the file is noticed
    mover.move(timedelta(days=92, hours=3))
    assert abs(other.now() - SystemClock().now() - timedelta(days=92, hours=3)) < timedelta(seconds=1)
    mover.move(timedelta(days=-2))  # moves add up, and may go back
    assert abs(other.now() - SystemClock().now() - timedelta(days=90, hours=3)) < timedelta(seconds=1)


def test_a_process_clock_is_moved_only_when_the_settings_name_a_file(tmp_path: Path) -> None:
    assert isinstance(process_clock(ServiceSettings()), SystemClock)
    moved = process_clock(ServiceSettings(clock_offset_file=tmp_path / "offset"))
    assert isinstance(moved, OffsetClock)


def test_a_moved_clock_is_refused_in_production(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="clock_offset_file"):
        ServiceSettings(environment="production", clock_offset_file=tmp_path / "offset")
