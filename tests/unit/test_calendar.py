"""The official working-day calendar, DOMAIN §13 (holiday shifts count; weekday holidays do not).

Dates below were read from chinesecalendar 1.11.0's data for 2025-2026 (the State Council
notices): 2026 New Year's Day 1-3 Jan with Sunday 4 Jan worked; Spring Festival 15-23 Feb with
Saturdays 14 and 28 Feb worked; National Day 1-7 Oct with Sunday 20 Sep and Saturday 10 Oct
worked. The package knows 2004-2026; 2027 is unknown to it.
"""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notify.domain.calendar import (
    CalendarYearUnknown,
    InvalidYearSchedule,
    WorkingCalendar,
)

#: Illustrative 2027 schedule for tests only: NOT the State Council's notice.
ILLUSTRATIVE_2027_HOLIDAYS = {date(2027, 1, 1): "New Year's Day"}
ILLUSTRATIVE_2027_WORKED_SATURDAY = date(2027, 1, 9)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def test_the_library_knows_2004_to_2026_and_not_2027(calendar: WorkingCalendar) -> None:
    assert calendar.known_years() == set(range(2004, 2027))


def test_saturday_14_february_2026_is_a_working_day_by_spring_festival_shift_s13(
    calendar: WorkingCalendar,
) -> None:
    saturday = date(2026, 2, 14)
    assert saturday.weekday() == 5
    assert calendar.is_working_day(saturday)
    assert calendar.holiday_name(saturday) is None


def test_saturday_10_october_and_sunday_20_september_2026_are_worked_for_national_day_s13(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.is_working_day(date(2026, 10, 10))
    assert calendar.is_working_day(date(2026, 9, 20))


def test_national_day_2026_is_1_to_7_october_and_each_day_is_named(
    calendar: WorkingCalendar,
) -> None:
    golden_week = [date(2026, 10, 1) + timedelta(days=i) for i in range(7)]
    assert not any(calendar.is_working_day(d) for d in golden_week)
    assert {calendar.holiday_name(d) for d in golden_week} == {"National Day"}
    assert calendar.is_working_day(date(2026, 10, 8))
    assert calendar.holiday_name(date(2026, 10, 8)) is None


def test_a_weekday_holiday_is_not_a_working_day_s13(calendar: WorkingCalendar) -> None:
    thursday = date(2026, 10, 1)
    assert thursday.weekday() == 3
    assert not calendar.is_working_day(thursday)


def test_an_ordinary_weekend_is_not_worked_and_has_no_holiday_name(
    calendar: WorkingCalendar,
) -> None:
    assert not calendar.is_working_day(date(2026, 11, 28))
    assert calendar.holiday_name(date(2026, 11, 28)) is None


def test_five_working_days_from_30_september_2026_land_on_13_october(
    calendar: WorkingCalendar,
) -> None:
    """By hand: 1-7 Oct holiday; 8 Thu (1), 9 Fri (2), 10 Sat worked (3), 11 Sun off,
    12 Mon (4), 13 Tue (5)."""
    assert calendar.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_working_days_cross_from_2025_into_2026_and_count_the_worked_sunday(
    calendar: WorkingCalendar,
) -> None:
    """By hand: 1-3 Jan 2026 holiday; Sunday 4 Jan worked (1), 5 Mon (2), 6 Tue (3)."""
    assert calendar.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert calendar.add_working_days(date(2025, 12, 31), 3) == date(2026, 1, 6)


def test_zero_working_days_is_the_start_itself_and_negative_counts_are_refused(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    with pytest.raises(ValueError, match=">= 0"):
        calendar.add_working_days(date(2026, 10, 3), -1)


def test_a_datetime_is_refused_because_its_date_depends_on_a_time_zone(
    calendar: WorkingCalendar,
) -> None:
    with pytest.raises(TypeError):
        calendar.is_working_day(datetime(2026, 10, 8, 12))


def test_an_unknown_year_raises_rather_than_guess(calendar: WorkingCalendar) -> None:
    with pytest.raises(CalendarYearUnknown) as raised:
        calendar.is_working_day(date(2027, 1, 4))
    assert raised.value.year == 2027
    with pytest.raises(CalendarYearUnknown):
        calendar.holiday_name(date(2003, 12, 31))


def test_counting_into_an_unknown_year_raises_with_that_year(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(date(2026, 12, 30), 1) == date(2026, 12, 31)
    with pytest.raises(CalendarYearUnknown) as raised:
        calendar.add_working_days(date(2026, 12, 30), 2)
    assert raised.value.year == 2027


def test_provisional_count_into_2027_uses_monday_to_friday_less_fixed_holidays_and_flags_2027(
    calendar: WorkingCalendar,
) -> None:
    """By hand: 31 Dec Thu (1); Fri 1 Jan is New Year's Day, whose date the State Council's
    rules fix (全国年节及纪念日放假办法, 2024 revision), so it does not count even before the
    notice; 4 Mon (2), 5 (3), 6 (4), 7 (5). DOMAIN §13."""
    result = calendar.provisional_add_working_days(date(2026, 12, 30), 5)
    assert result.day == date(2027, 1, 7)
    assert result.provisional and result.missing_years == {2027}


def test_provisional_count_inside_known_years_is_exact_and_not_flagged(
    calendar: WorkingCalendar,
) -> None:
    result = calendar.provisional_add_working_days(date(2026, 9, 30), 5)
    assert result.day == date(2026, 10, 13) and not result.provisional


def test_after_loading_2027_the_same_count_is_exact_and_not_provisional(
    calendar: WorkingCalendar,
) -> None:
    """Illustrative schedule: 1 Jan holiday, Saturday 9 Jan worked. By hand: 31 Dec (1),
    4 Jan (2), 5 (3), 6 (4), 7 (5), 8 (6), Saturday 9 worked (7), 11 Mon (8)."""
    calendar.load_year(2027, ILLUSTRATIVE_2027_HOLIDAYS, {ILLUSTRATIVE_2027_WORKED_SATURDAY})

    assert 2027 in calendar.known_years()
    assert calendar.add_working_days(date(2026, 12, 30), 5) == date(2027, 1, 7)
    exact = calendar.provisional_add_working_days(date(2026, 12, 30), 5)
    assert exact.day == date(2027, 1, 7) and not exact.provisional
    assert calendar.add_working_days(date(2026, 12, 30), 8) == date(2027, 1, 11)
    assert calendar.holiday_name(date(2027, 1, 1)) == "New Year's Day"


def test_a_loaded_year_overrides_the_library_so_a_notice_can_correct_it(
    calendar: WorkingCalendar,
) -> None:
    national_day = {date(2026, 10, 1) + timedelta(days=i): "国庆节" for i in range(8)}
    calendar.load_year(2026, national_day, set())

    assert not calendar.is_working_day(date(2026, 10, 8))
    assert calendar.holiday_name(date(2026, 10, 8)) == "国庆节"
    assert calendar.is_working_day(date(2026, 2, 16))


def test_loaded_years_belong_to_one_calendar_only() -> None:
    first, second = WorkingCalendar(), WorkingCalendar()
    first.load_year(2027, ILLUSTRATIVE_2027_HOLIDAYS, set())
    assert 2027 not in second.known_years()


@pytest.mark.parametrize(
    ("holidays", "workdays", "problem"),
    [
        ({}, set(), "without public holidays"),
        ({date(2026, 12, 31): "x"}, set(), "outside the year"),
        (ILLUSTRATIVE_2027_HOLIDAYS, {date(2027, 1, 6)}, "weekend day"),
        ({date(2027, 1, 2): "x"}, {date(2027, 1, 2)}, "both holiday and working day"),
        ({date(2027, 1, 1): " "}, set(), "need a name"),
    ],
)
def test_an_inconsistent_schedule_is_refused_and_the_year_stays_unknown(
    calendar: WorkingCalendar, holidays: dict[date, str], workdays: set[date], problem: str
) -> None:
    with pytest.raises(InvalidYearSchedule, match=problem):
        calendar.load_year(2027, holidays, workdays)
    assert 2027 not in calendar.known_years()


KNOWN_STARTS = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 10, 31))


@given(start=KNOWN_STARTS, n=st.integers(min_value=1, max_value=40))
def test_adding_working_days_lands_on_the_nth_working_day_and_grows_with_n(
    start: date, n: int
) -> None:
    """§13, for every year the library knows: the result is a working day, exactly n working
    days lie in (start, result], and one more day counts strictly further."""
    calendar = WorkingCalendar()
    result = calendar.add_working_days(start, n)

    assert start < result < calendar.add_working_days(start, n + 1)
    assert calendar.is_working_day(result)
    between = [start + timedelta(days=i) for i in range(1, (result - start).days + 1)]
    assert sum(calendar.is_working_day(d) for d in between) == n


@given(start=KNOWN_STARTS, n=st.integers(min_value=0, max_value=40))
def test_provisional_counting_agrees_with_exact_counting_in_known_years(
    start: date, n: int
) -> None:
    calendar = WorkingCalendar()
    result = calendar.provisional_add_working_days(start, n)
    assert (result.day, result.provisional) == (calendar.add_working_days(start, n), False)
