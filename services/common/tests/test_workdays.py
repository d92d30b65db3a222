"""The official working-day calendar (cppcc_common.workdays): holidays with their make-up workdays,
the n-th working day, counts between dates, calendar months, and the rule for a year nobody knows.
Every expected date here was checked against the `chinese-calendar` package (see the first tests)."""

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.workdays import (
    Counted,
    Reckoned,
    ScheduleInvalid,
    Source,
    WorkingCalendar,
    YearSchedule,
    YearUnknown,
    add_months,
    local_date,
    package_schedules,
    start_of_day,
)

CAL = WorkingCalendar(package_schedules())
LAST_PACKAGE_YEAR = max(CAL.years)  # 2026 with chinese-calendar 1.11.0; 2027 is unknown to it
UNKNOWN = LAST_PACKAGE_YEAR + 1

# 2025: National Day and Mid-Autumn, 1–8 October off; Sunday 28 September and Saturday 11 October work.
NATIONAL_DAY_2025_OFF = [date(2025, 10, d) for d in range(1, 9)]
NATIONAL_DAY_2025_MAKE_UP = [date(2025, 9, 28), date(2025, 10, 11)]
# 2026: Spring Festival, 15–23 February off; Saturdays 14 and 28 February work.
SPRING_FESTIVAL_2026_OFF = [date(2026, 2, d) for d in range(15, 24)]
SPRING_FESTIVAL_2026_MAKE_UP = [date(2026, 2, 14), date(2026, 2, 28)]


def test_the_package_agrees_with_the_dates_these_tests_rely_on() -> None:
    for day in NATIONAL_DAY_2025_OFF + SPRING_FESTIVAL_2026_OFF:
        assert chinese_calendar.is_holiday(day), day
    for day in NATIONAL_DAY_2025_MAKE_UP + SPRING_FESTIVAL_2026_MAKE_UP:
        assert chinese_calendar.is_workday(day) and day.weekday() >= 5, day
    assert chinese_calendar.is_workday(date(2026, 1, 4))  # Sunday after New Year 2026
    assert LAST_PACKAGE_YEAR == 2026


def test_every_day_of_a_package_year_is_a_working_day_exactly_when_the_package_says() -> None:
    first, last = date(min(CAL.years), 1, 1), date(LAST_PACKAGE_YEAR, 12, 31)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert [d for d in days if CAL.is_working_day(d) != chinese_calendar.is_workday(d)] == []


def test_2025_national_day_is_off_and_its_make_up_weekend_days_are_working_days() -> None:
    assert [CAL.is_working_day(d) for d in NATIONAL_DAY_2025_OFF] == [False] * 8
    assert [CAL.is_working_day(d) for d in NATIONAL_DAY_2025_MAKE_UP] == [True, True]
    assert CAL.is_working_day(date(2025, 9, 30)) and CAL.is_working_day(date(2025, 10, 9))
    assert not CAL.is_working_day(date(2025, 10, 12))  # the Sunday after is an ordinary weekend day


def test_working_days_over_2025_national_day_count_the_make_up_days_and_skip_the_holiday() -> None:
    friday = date(2025, 9, 26)
    assert CAL.add_working_days(friday, 1) == Reckoned(date(2025, 9, 28), False)  # Sunday, make-up
    assert CAL.add_working_days(friday, 3) == Reckoned(date(2025, 9, 30), False)
    assert CAL.add_working_days(friday, 4) == Reckoned(date(2025, 10, 9), False)  # after eight days off
    assert CAL.add_working_days(friday, 6) == Reckoned(date(2025, 10, 11), False)  # Saturday, make-up
    # Rule 16's evaluation window of 15 working days: 23 October, not the weekdays-only 17 October.
    assert CAL.add_working_days(friday, 15) == Reckoned(date(2025, 10, 23), False)
    assert CAL.working_days_between(friday, date(2025, 10, 23)) == Counted(15, False)


def test_working_days_over_spring_festival_2026() -> None:
    friday = date(2026, 2, 13)
    assert [CAL.is_working_day(d) for d in SPRING_FESTIVAL_2026_OFF] == [False] * 9
    assert CAL.add_working_days(friday, 1) == Reckoned(date(2026, 2, 14), False)  # Saturday, make-up
    assert CAL.add_working_days(friday, 2) == Reckoned(date(2026, 2, 24), False)  # first day back
    assert CAL.working_days_between(friday, date(2026, 2, 24)) == Counted(2, False)
    assert CAL.working_days_between(date(2026, 2, 14), date(2026, 2, 23)) == Counted(0, False)
    assert CAL.add_working_days(date(2026, 2, 27), 1) == Reckoned(date(2026, 2, 28), False)  # Saturday


def test_working_days_over_a_month_end_and_a_year_end() -> None:
    assert CAL.add_working_days(date(2026, 1, 30), 1) == Reckoned(date(2026, 2, 2), False)  # Fri → Mon
    # 1–3 January 2026 off, Sunday 4 January a make-up workday.
    assert CAL.add_working_days(date(2025, 12, 31), 1) == Reckoned(date(2026, 1, 4), False)
    assert CAL.working_days_between(date(2025, 12, 30), date(2026, 1, 5)) == Counted(3, False)


def test_zero_working_days_is_the_day_itself_even_a_holiday() -> None:
    for day in (date(2025, 10, 1), date(2025, 9, 30), date(2025, 10, 12)):
        assert CAL.add_working_days(day, 0) == Reckoned(day, False)
        assert CAL.working_days_between(day, day) == Counted(0, False)
    assert CAL.add_working_days(date(UNKNOWN, 6, 1), 0) == Reckoned(date(UNKNOWN, 6, 1), False)


def test_a_negative_number_of_working_days_is_refused() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 9, 26), -1)


def test_a_count_into_an_unknown_year_is_provisional_on_weekends_only() -> None:
    friday = date(LAST_PACKAGE_YEAR, 12, 25)
    assert CAL.add_working_days(friday, 4) == Reckoned(date(LAST_PACKAGE_YEAR, 12, 31), False)
    # 1 January is surely a holiday, but nobody entered the year: Friday counts, and says so.
    assert CAL.add_working_days(friday, 5) == Reckoned(date(UNKNOWN, 1, 1), True)
    assert CAL.working_days_between(friday, date(UNKNOWN, 1, 4)) == Counted(6, True)
    assert CAL.working_days_between(date(LAST_PACKAGE_YEAR, 12, 31), date(UNKNOWN, 1, 1)) == Counted(1, True)
    assert CAL.working_days_between(date(UNKNOWN, 1, 1), friday) == Counted(-5, True)


def test_asking_whether_a_day_of_an_unknown_year_is_a_working_day_is_refused() -> None:
    with pytest.raises(YearUnknown) as raised:
        CAL.is_working_day(date(UNKNOWN, 1, 4))
    assert raised.value.status == 409 and raised.value.params == {"year": UNKNOWN}


def test_an_entered_year_makes_the_count_final_and_a_later_schedule_overrides_an_earlier() -> None:
    entered = YearSchedule.of(
        UNKNOWN,
        holidays=[date(UNKNOWN, 1, 1)],
        workdays=[date(UNKNOWN, 1, 2)],  # a Saturday in 2027
        source=Source.ADMINISTRATOR,
    )
    cal = WorkingCalendar([*package_schedules(), entered])
    friday = date(LAST_PACKAGE_YEAR, 12, 25)
    assert cal.add_working_days(friday, 5) == Reckoned(date(UNKNOWN, 1, 2), False)
    # An administrator's 2025 without National Day: 1 October works again.
    override = YearSchedule.of(2025, [], [], Source.ADMINISTRATOR)
    assert WorkingCalendar([*package_schedules(), override]).is_working_day(date(2025, 10, 1))


@pytest.mark.parametrize(
    ("holidays", "workdays", "problems"),
    [
        ([date(2026, 1, 1)], [], [("holidays.0", "not_in_year")]),
        ([date(2027, 1, 1), date(2027, 1, 1)], [], [("holidays.1", "duplicate")]),
        ([date(2027, 1, 2)], [date(2027, 1, 2)], [("workdays.0", "holiday_and_workday")]),
        ([], [date(2027, 1, 4)], [("workdays.0", "not_a_weekend_day")]),  # a Monday
        ([], [date(2027, 1, 2), date(2027, 1, 3)], []),
    ],
)
def test_a_schedule_is_refused_for_each_thing_wrong_with_it(
    holidays: list[date], workdays: list[date], problems: list[tuple[str, str]]
) -> None:
    if not problems:
        assert YearSchedule.of(2027, holidays, workdays, Source.ADMINISTRATOR).year == 2027
        return
    with pytest.raises(ScheduleInvalid) as raised:
        YearSchedule.of(2027, holidays, workdays, Source.ADMINISTRATOR)
    assert [(p.field, p.code) for p in raised.value.problems] == problems
    body = raised.value.problem("en", "/x")
    assert body["status"] == 422 and body["errors"][0]["field"] == problems[0][0]
    assert raised.value.problem("zh", "/x")["errors"][0]["message"] != body["errors"][0]["message"]


KNOWN_DAYS = st.dates(date(2004, 1, 1), date(LAST_PACKAGE_YEAR - 1, 12, 31))


@given(KNOWN_DAYS, st.integers(1, 80))
def test_the_nth_working_day_after_a_day_is_a_working_day_and_n_working_days_away(day: date, n: int) -> None:
    reckoned = CAL.add_working_days(day, n)
    assert CAL.is_working_day(reckoned.day) and not reckoned.provisional
    assert CAL.working_days_between(day, reckoned.day) == Counted(n, False)
    assert CAL.working_days_between(day, reckoned.day - timedelta(days=1)) == Counted(n - 1, False)


@given(st.dates(date(2020, 1, 1), date(2031, 12, 31)), st.dates(date(2020, 1, 1), date(2031, 12, 31)))
def test_the_count_between_two_days_is_the_day_by_day_count_and_antisymmetric(a: date, b: date) -> None:
    lo, hi = min(a, b), max(a, b)
    days = [lo + timedelta(days=i) for i in range(1, (hi - lo).days + 1)]
    expected = sum(CAL._working(d)[0] for d in days)
    provisional = any(not CAL.knows(d.year) for d in days)
    sign = 1 if b >= a else -1
    assert CAL.working_days_between(a, b) == Counted(sign * expected, provisional)


@given(st.dates(date(1990, 1, 1), date(2150, 12, 31)), st.integers(-240, 240))
def test_adding_months_keeps_the_day_of_month_or_clamps_to_the_month_end(day: date, n: int) -> None:
    moved = add_months(day, n)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == n
    next_month = add_months(moved.replace(day=1), 1)
    assert moved.day == min(day.day, (next_month - timedelta(days=1)).day)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), 3, date(2026, 11, 30)),  # a reply due three months after assignment
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 5, 31), -3, date(2027, 2, 28)),
        (date(2026, 12, 15), 0, date(2026, 12, 15)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
    ],
)
def test_adding_calendar_months_at_month_ends(day: date, n: int, expected: date) -> None:
    assert add_months(day, n) == expected


def test_an_instant_is_counted_on_its_shanghai_date() -> None:
    assert local_date(datetime(2025, 9, 30, 15, 59, 59, tzinfo=UTC)) == date(2025, 9, 30)
    assert local_date(datetime(2025, 9, 30, 16, 0, tzinfo=UTC)) == date(2025, 10, 1)  # 00:00 +08:00
    assert start_of_day(date(2025, 10, 1)) == datetime(2025, 9, 30, 16, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        local_date(datetime(2025, 9, 30, 16, 0))
