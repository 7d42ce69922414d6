"""Year schedules as an administrator loads them (DOMAIN §13): refusals name the field, the
library's years read back as schedules, and a trial calendar leaves the real one alone. The 2027
schedule is illustrative."""

from datetime import date

import pytest

from notify.domain import (
    CalendarYearUnknown,
    InvalidYearSchedule,
    WorkingCalendar,
    YearSchedule,
    library_schedule,
)

NEW_YEAR = {date(2027, 1, 1): "元旦"}


@pytest.mark.parametrize(
    ("holidays", "workdays", "field"),
    [
        ({}, set(), "holidays"),
        ({date(2028, 1, 1): "元旦"}, set(), "holidays"),
        (NEW_YEAR, {date(2026, 12, 26)}, "extra_workdays"),
        (NEW_YEAR, {date(2027, 1, 4)}, "extra_workdays"),  # a Monday
        ({date(2027, 1, 2): "元旦"}, {date(2027, 1, 2)}, "extra_workdays"),
        ({date(2027, 1, 1): " "}, set(), "holidays"),
    ],
)
def test_a_schedule_that_cannot_be_right_names_the_field(holidays, workdays, field) -> None:
    with pytest.raises(InvalidYearSchedule) as refused:
        YearSchedule(2027, holidays, frozenset(workdays))
    assert refused.value.field == field


def test_the_library_years_read_back_as_schedules_with_their_shifted_days() -> None:
    schedule = library_schedule(2026)
    assert schedule.holidays[date(2026, 10, 1)] == "National Day"
    assert date(2026, 10, 10) in schedule.extra_workdays  # Saturday worked
    with pytest.raises(CalendarYearUnknown):
        library_schedule(2031)


def test_a_trial_calendar_does_not_change_the_one_it_was_copied_from() -> None:
    calendar = WorkingCalendar()
    trial = calendar.copy()
    trial.load_year(2027, NEW_YEAR, set())
    assert trial.loaded(2027) == YearSchedule(2027, NEW_YEAR, frozenset())
    assert calendar.loaded(2027) is None and 2027 not in calendar.known_years()
    assert trial.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
