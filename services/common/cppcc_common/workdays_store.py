"""The years an administrator entered (DESIGN.md §9), stored in the owning service's database,
and the service's working calendar: the package's years with the stored ones over them.

A service mounts it the way it mounts the messaging tables: `add_working_calendar_table(metadata)`
in its metadata, `create_working_calendar_table_v1()` in one of its migrations, and
`working_calendar_router(prefix)` (`cppcc_common.workdays_router`) among its routers.

Code that counts working days calls `await calendar_for(session, now=change.now)`. The calendar is
cached per process and database (per connection pool); a process reloads the stored years when
its copy is older than `RELOAD_AFTER` by the runtime's clock, and at once after an administrator's
change in this process commits. Another replica therefore sees an entered year within
`RELOAD_AFTER` (60 s); a deadline computed in between is at worst still `provisional`, and is
recomputed with the others when the year is known.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import Pool

from cppcc_common.change import Change
from cppcc_common.errors import PreconditionFailed
from cppcc_common.text import Text
from cppcc_common.versioning import IfMatch, check_version
from cppcc_common.workdays import Source, WorkingCalendar, YearSchedule, package_calendar, package_schedules

TABLE = "working_calendar_years"
RELOAD_AFTER = timedelta(seconds=60)


class CalendarVersionMismatch(PreconditionFailed):
    code = "calendar.version_mismatch"
    title = Text("该年度的工作日安排已被修改", "The year's working-day schedule has changed")
    detail = Text(
        "该年度的安排已被他人修改，请刷新后重试。",
        "The year's schedule changed since you read it; reload and retry.",
    )


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("holidays", ARRAY(sa.Date), nullable=False),
        sa.Column("workdays", ARRAY(sa.Date), nullable=False),
        sa.Column("notice", sa.Text),  # the State Council notice it follows, as the administrator wrote it
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid),
    ]


def add_working_calendar_table(metadata: sa.MetaData) -> None:
    """Declares the table in a service's metadata (so Alembic sees it)."""
    sa.Table(TABLE, metadata, *_columns())


def create_working_calendar_table_v1() -> None:
    """Alembic operations creating the table (call from a service migration)."""
    from alembic import op  # here, not at the top: a serving process never loads Alembic

    op.create_table(TABLE, *_columns())


def drop_working_calendar_table_v1() -> None:
    from alembic import op  # here, not at the top: a serving process never loads Alembic

    op.drop_table(TABLE)


# The mechanism's own handle on the table, by name (as the outbox's queries are).
_T = sa.Table(TABLE, sa.MetaData(), *_columns())


@dataclass(frozen=True)
class StoredYear:
    year: int
    holidays: list[date]
    workdays: list[date]
    notice: str | None
    version: int
    updated_at: datetime
    updated_by: UUID | None

    @property
    def schedule(self) -> YearSchedule:
        return YearSchedule(
            self.year, frozenset(self.holidays), frozenset(self.workdays), Source.ADMINISTRATOR
        )


@dataclass(frozen=True)
class YearView:
    """What an administrator reads of a year: the schedule in force and where it comes from."""

    year: int
    source: Source
    holidays: list[date]
    workdays: list[date]
    notice: str | None = None
    version: int = 0  # 0: nobody entered the year (the ETag a first PUT names)
    updated_at: datetime | None = None
    updated_by: UUID | None = None


def _stored(row: Any) -> StoredYear:
    return StoredYear(
        row.year,
        sorted(row.holidays),
        sorted(row.workdays),
        row.notice,
        row.version,
        row.updated_at,
        row.updated_by,
    )


async def stored_years(session: AsyncSession) -> list[StoredYear]:
    return [_stored(r) for r in (await session.execute(sa.select(_T).order_by(_T.c.year))).all()]


def build_calendar(stored: list[StoredYear]) -> WorkingCalendar:
    """The package's years, then the stored ones: a stored year wins."""
    return WorkingCalendar([*package_schedules(), *(s.schedule for s in stored)])


async def calendar_in(session: AsyncSession) -> WorkingCalendar:
    """The calendar as this transaction sees it, uncached: a year entered in it counts at once (what
    recounts provisional deadlines in the administrator's change uses)."""
    return build_calendar(await stored_years(session))


@dataclass(frozen=True)
class _Cached:
    calendar: WorkingCalendar
    loaded_at: datetime


# One per database a process talks to: the request, read-only and system sessions share a pool.
_CACHE: "WeakKeyDictionary[Pool, _Cached]" = WeakKeyDictionary()


def _pool(session: AsyncSession) -> Pool:
    bind = session.bind
    if bind is None:
        raise RuntimeError("the session is bound to no engine")
    return bind.sync_engine.pool


async def calendar_for(session: AsyncSession, *, now: datetime) -> WorkingCalendar:
    """The service's working calendar (package years with the administrators' over them); `now`
    is the change's time, by which a copy older than `RELOAD_AFTER` is reloaded."""
    pool = _pool(session)
    cached = _CACHE.get(pool)
    if cached is None or not cached.loaded_at <= now < cached.loaded_at + RELOAD_AFTER:
        cached = _Cached(build_calendar(await stored_years(session)), now)
        _CACHE[pool] = cached
    return cached.calendar


async def year_view(session: AsyncSession, year: int) -> YearView:
    row = (await session.execute(sa.select(_T).where(_T.c.year == year))).one_or_none()
    if row is not None:
        s = _stored(row)
        view = YearView(year, Source.ADMINISTRATOR, s.holidays, s.workdays, s.notice, s.version)
        return replace(view, updated_at=s.updated_at, updated_by=s.updated_by)
    package = package_calendar().schedule(year)
    if package is None:
        return YearView(year, Source.UNKNOWN, [], [])
    return YearView(year, Source.PACKAGE, sorted(package.holidays), sorted(package.workdays))


async def set_year(
    change: Change,
    year: int,
    *,
    holidays: list[date],
    workdays: list[date],
    notice: str | None,
    expected: IfMatch,
) -> YearView:
    """Replaces a year's schedule by the administrator's (checked: `ScheduleInvalid`, 422); the
    If-Match names the version read (0 for a year nobody entered). Every replica sees it within
    `RELOAD_AFTER`; this process at once after the commit."""
    schedule = YearSchedule.of(year, holidays, workdays, Source.ADMINISTRATOR)
    session = change.session
    current = await session.scalar(sa.select(_T.c.version).where(_T.c.year == year).with_for_update())
    check_version(current or 0, expected, error=CalendarVersionMismatch)
    values = {
        "holidays": sorted(schedule.holidays),
        "workdays": sorted(schedule.workdays),
        "notice": notice,
        "updated_at": change.now,
        "updated_by": change.actor,
    }
    if current is None:
        # Two first entries at once: the one that loses the insert has read a version that is gone.
        inserted = await session.scalar(
            insert(_T)
            .values(year=year, version=1, **values)
            .on_conflict_do_nothing(index_elements=[_T.c.year])
            .returning(_T.c.year)
        )
        if inserted is None:
            raise CalendarVersionMismatch()
    else:
        await session.execute(sa.update(_T).where(_T.c.year == year).values(version=current + 1, **values))
    _forget_after_commit(session)
    return await year_view(session, year)


def _forget_after_commit(session: AsyncSession) -> None:
    """This process reloads once the change is committed (forgetting before the commit would let a
    concurrent request cache the old schedule again)."""
    pool = _pool(session)

    def forget(_: Any) -> None:
        _CACHE.pop(pool, None)

    event.listen(session.sync_session, "after_commit", forget, once=True)
