"""The official working-day calendar (工作日 with 调休) and calendar months; pure: no I/O, no
database, no web framework (an import contract keeps it so).

A working day is a weekday that is not a public holiday, or a make-up workday (a weekend day the
State Council declares a working day, 调休). The schedule is published year by year, late in the
year before: `package_schedules()` gives the years the `chinese-calendar` package knows, and a
service adds the years its administrators entered (`cppcc_common.workdays_store`; a stored year
wins over the package).

A year the calendar does not know is never silently counted on weekends only. A count that reaches
into one is made on that basis (Monday to Friday work) and says so: its result carries
`provisional=True`, which the caller stores beside the date and recomputes once the year is
entered. `is_working_day` of a day in an unknown year refuses (`YearUnknown`).

Deadlines are dates in Asia/Shanghai: `local_date(instant)` is the Shanghai date of an aware
instant, `start_of_day(day)` the instant a Shanghai date begins.
"""

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from typing import Any, NamedTuple

import chinese_calendar

from cppcc_common.clock import SHANGHAI
from cppcc_common.errors import AppError
from cppcc_common.text import Text

# Transport limits of one year's schedule: the largest official year so far has 33 holiday dates
# (weekend days inside holiday periods included) and 12 make-up workdays.
MAX_HOLIDAYS = 60
MAX_WORKDAYS = 30
# The years a schedule may be entered for (the business range of the product, generously).
FIRST_YEAR, LAST_YEAR = 2000, 2100
SATURDAY = 5


class Source(StrEnum):
    PACKAGE = "package"  # the `chinese-calendar` package
    ADMINISTRATOR = "administrator"  # entered by an administrator, stored in the service's database
    UNKNOWN = "unknown"  # nobody knows the year yet: counts over it are provisional


class YearUnknown(AppError):
    status = 409
    code = "calendar.year_unknown"
    title = Text("该年度的工作日安排尚未录入", "The working-day schedule of that year is not known yet")
    detail = Text(
        "{year} 年的节假日与调休安排尚未录入，请管理员先录入。",
        "The holidays and make-up workdays of {year} are not entered yet; an administrator enters them first.",
    )


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a schedule: the field (`holidays.3`), a stable code and its text."""

    field: str
    code: str
    text: Text


_NOT_IN_YEAR = Text("日期不在 {year} 年内", "The date is not in {year}")
_TWICE = Text("日期重复", "The date is listed twice")
_BOTH = Text("同一天不能既是节假日又是调休工作日", "A day cannot be both a holiday and a make-up workday")
_NOT_WEEKEND = Text("调休工作日须为周六或周日", "A make-up workday must be a Saturday or a Sunday")


class ScheduleInvalid(AppError):
    status = 422
    code = "calendar.schedule_invalid"
    title = Text("工作日安排不符合要求", "Invalid working-day schedule")
    detail = Text(
        "日期须在该年度内且不重复；调休工作日须为周末，且不能同时是节假日。",
        "Dates lie in that year, once each; a make-up workday is a weekend day and not also a holiday.",
    )

    def __init__(self, problems: list[Problem], year: int) -> None:
        super().__init__()
        self.problems = problems
        self.year = year

    def problem(self, lang: str, instance: str) -> dict[str, Any]:
        body = super().problem(lang, instance)
        body["errors"] = [
            {"field": p.field, "code": p.code, "message": p.text.render(lang, year=self.year)}
            for p in self.problems
        ]
        return body


def schedule_problems(year: int, holidays: Iterable[date], workdays: Iterable[date]) -> list[Problem]:
    """What is wrong with a year's schedule as entered (empty when it is valid)."""
    problems: list[Problem] = []
    seen: set[date] = set()
    for name, days in (("holidays", list(holidays)), ("workdays", list(workdays))):
        listed: set[date] = set()
        for i, day in enumerate(days):
            field = f"{name}.{i}"
            if day.year != year:
                problems.append(Problem(field, "not_in_year", _NOT_IN_YEAR))
            elif day in listed:
                problems.append(Problem(field, "duplicate", _TWICE))
            elif day in seen:
                problems.append(Problem(field, "holiday_and_workday", _BOTH))
            elif name == "workdays" and day.weekday() < SATURDAY:
                problems.append(Problem(field, "not_a_weekend_day", _NOT_WEEKEND))
            listed.add(day)
        seen |= listed
    return problems


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: days off that would be working days (holiday periods, their
    weekend days included) and make-up workdays (weekend days that are working days)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: Source

    @classmethod
    def of(
        cls, year: int, holidays: Iterable[date], workdays: Iterable[date], source: Source
    ) -> "YearSchedule":
        """A checked schedule; `ScheduleInvalid` (422) lists each problem."""
        holidays, workdays = list(holidays), list(workdays)
        problems = schedule_problems(year, holidays, workdays)
        if problems:
            raise ScheduleInvalid(problems, year)
        return cls(year, frozenset(holidays), frozenset(workdays), source)


class Reckoned(NamedTuple):
    """A date counted over the calendar; provisional when an unknown year was counted on weekends only."""

    day: date
    provisional: bool


class Counted(NamedTuple):
    """A number of working days; provisional when an unknown year was counted on weekends only."""

    days: int
    provisional: bool


def _weekdays_through(ordinal: int) -> int:
    """Monday-to-Friday days among ordinals 1..ordinal (ordinal 1, 0001-01-01, is a Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return 5 * weeks + min(rest, 5)


class WorkingCalendar:
    """The working days of the years it holds schedules for (see the module docstring)."""

    def __init__(self, schedules: Iterable[YearSchedule]) -> None:
        years: dict[int, YearSchedule] = {}
        for schedule in schedules:
            years[schedule.year] = schedule  # a later schedule of the same year wins
        self._years: Mapping[int, YearSchedule] = years

    def schedule(self, year: int) -> YearSchedule | None:
        return self._years.get(year)

    def knows(self, year: int) -> bool:
        return year in self._years

    @property
    def years(self) -> list[int]:
        return sorted(self._years)

    def _working(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, is the year known); weekends only for an unknown year."""
        schedule = self._years.get(day.year)
        if schedule is None:
            return day.weekday() < SATURDAY, False
        if day in schedule.workdays:
            return True, True
        return day not in schedule.holidays and day.weekday() < SATURDAY, True

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a working day; `YearUnknown` when its year's schedule is not known."""
        working, known = self._working(day)
        if not known:
            raise YearUnknown(year=day.year)
        return working

    def add_working_days(self, start: date, n: int) -> Reckoned:
        """The n-th working day after `start` (`start` itself does not count, working or not);
        n = 0 is `start` itself. Provisional when a day of an unknown year was passed over."""
        if n < 0:
            raise ValueError("n must be 0 or more")
        day, left, provisional = start, n, False
        while left:
            day += timedelta(days=1)
            working, known = self._working(day)
            provisional = provisional or not known
            left -= working
        return Reckoned(day, provisional)

    def working_days_between(self, start: date, end: date) -> Counted:
        """The working days after `start` up to and including `end` (negative when `end` is before
        `start`): `working_days_between(d, add_working_days(d, n).day) == n`."""
        if end < start:
            days, provisional = self.working_days_between(end, start)
            return Counted(-days, provisional)
        if end == start:
            return Counted(0, False)
        days = _weekdays_through(end.toordinal()) - _weekdays_through(start.toordinal())
        provisional = False
        # The years with a day in (start, end]: start's own year only if start is not its last day.
        first = start.year if start < date(start.year, 12, 31) else start.year + 1
        for year in range(first, end.year + 1):
            schedule = self._years.get(year)
            if schedule is None:
                provisional = True
                continue
            days -= sum(1 for d in schedule.holidays if start < d <= end and d.weekday() < SATURDAY)
            days += sum(1 for d in schedule.workdays if start < d <= end)
        return Counted(days, provisional)


def add_months(day: date, n: int) -> date:
    """`day` moved by n calendar months (n may be negative), on the same day of the month or the
    month's last day when it is shorter: 2027-01-31 + 1 month is 2027-02-28."""
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def local_date(instant: datetime) -> date:
    """The date in Asia/Shanghai of an aware instant (a naive one is refused: it names no instant)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a naive datetime names no instant")
    return instant.astimezone(SHANGHAI).date()


def start_of_day(day: date) -> datetime:
    """The instant the Shanghai date `day` begins (00:00 +08:00)."""
    return datetime.combine(day, time(0, 0), SHANGHAI)


@cache
def package_schedules() -> tuple[YearSchedule, ...]:
    """The years the installed `chinese-calendar` package knows, as schedules."""
    holidays: dict[int, list[date]] = {}
    workdays: dict[int, list[date]] = {}
    for day in chinese_calendar.holidays:
        holidays.setdefault(day.year, []).append(day)
    for day in chinese_calendar.workdays:
        workdays.setdefault(day.year, []).append(day)
    return tuple(
        YearSchedule.of(year, sorted(holidays[year]), sorted(workdays.get(year, ())), Source.PACKAGE)
        for year in sorted(holidays)
    )


@cache
def package_calendar() -> "WorkingCalendar":
    """The calendar of the package's years alone, built once per process."""
    return WorkingCalendar(package_schedules())
