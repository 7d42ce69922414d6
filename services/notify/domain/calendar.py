"""The official PRC working-day calendar (DOMAIN §13).

Deadlines stated in working days follow the State Council's yearly holiday notice, holiday shifts
(调休) included: a Saturday or Sunday declared a working day counts, a weekday holiday does not.
The `chinesecalendar` package carries the notices it was released with; an administrator can load
a year the package does not know yet (or correct one it knows) from the notice itself.

A year nobody has loaded is never guessed: the exact API raises `CalendarYearUnknown`. The
provisional API counts Monday to Friday for such years, less the holidays whose date the State
Council's rules fix (`fixed_holidays`), and says so, so that a clock is never dropped while the
notice is awaited; the caller recomputes once the year is loaded.
"""

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType

import chinese_calendar

ONE_DAY = timedelta(days=1)
SATURDAY = 5
#: The years notify counts in: any date outside is a typo or an attack, never a deadline (and
#: near year 9999 date arithmetic overflows). Years are loaded and dates accepted within them.
FIRST_YEAR, LAST_YEAR = 2000, 2100
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


#: The holidays with a fixed date under 全国年节及纪念日放假办法 (State Council, 2024 revision,
#: in force from 2025): New Year's Day 1 Jan, Labour Day 1-2 May, National Day 1-3 Oct. Before
#: 2008 (the 1999 version) Labour Day was 1-3 May; 2008-2024 the library knows every year. The
#: lunar and solar-term holidays and the yearly shifts (调休, 补休) come only with the notice.
FIXED_HOLIDAYS_FROM_2025 = {(1, 1): "New Year's Day", (5, 1): "Labour Day", (5, 2): "Labour Day"}
FIXED_HOLIDAYS_BEFORE_2008 = {(1, 1): "New Year's Day", **{(5, d): "Labour Day" for d in (1, 2, 3)}}
NATIONAL_DAY = {(10, d): "National Day" for d in (1, 2, 3)}


def fixed_holidays(year: int) -> dict[date, str]:
    """The national holidays of `year` whose date the rules fix, with their names."""
    days = FIXED_HOLIDAYS_BEFORE_2008 if year < 2008 else FIXED_HOLIDAYS_FROM_2025
    return {date(year, m, d): name for (m, d), name in {**days, **NATIONAL_DAY}.items()}


def in_years(moment: date) -> bool:
    """Whether `moment` (a date, or an instant's date where it is) lies in notify's years."""
    return FIRST_YEAR <= moment.year <= LAST_YEAR


class CalendarYearUnknown(Exception):
    """No holiday schedule is known for `year`; a working-day answer would be a guess."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no official holiday schedule is known for {year}; load it first")
        self.year = year


class InvalidYearSchedule(ValueError):
    """A schedule handed to `load_year` contradicts itself or the year it claims to describe;
    `field` names the part that is wrong (`holidays` or `extra_workdays`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class WorkingDaySum:
    """The n-th working day after a start, and whether any of the counting was guessed.

    `provisional` is true when a day in `missing_years` had to be counted as Monday-Friday;
    the result must then be recomputed once those years are loaded.
    """

    day: date
    missing_years: frozenset[int] = field(default_factory=frozenset)

    @property
    def provisional(self) -> bool:
        return bool(self.missing_years)


@dataclass(frozen=True)
class YearSchedule:
    """One year's notice as an administrator loads it: named holidays and shifted working days."""

    year: int
    holidays: Mapping[date, str]
    extra_workdays: frozenset[date]

    def __post_init__(self) -> None:
        _check_schedule(self)
        object.__setattr__(self, "holidays", MappingProxyType(dict(self.holidays)))

    def is_working_day(self, day: date) -> bool:
        return day in self.extra_workdays or (day.weekday() < SATURDAY and day not in self.holidays)

    def holiday_name(self, day: date) -> str | None:
        return None if self.is_working_day(day) else self.holidays.get(day)


@dataclass(frozen=True)
class LoadCalendarYear:
    """Load (or replace) one year's notice; `replaced_library` when the year is one the
    library already knows."""

    schedule: YearSchedule
    replaced_library: bool
    at: datetime


@dataclass(frozen=True)
class SettleCalendar:
    """Learn the years loaded through any replica and recompute the clocks they settle."""

    at: datetime


def _check_schedule(schedule: YearSchedule) -> None:
    """Refuse a notice that cannot be right, since every later deadline would inherit the error."""
    year = schedule.year
    if not schedule.holidays:
        raise InvalidYearSchedule("holidays", f"{year}: a notice without public holidays")
    for part, dates in (
        ("holidays", schedule.holidays),
        ("extra_workdays", schedule.extra_workdays),
    ):
        stray = sorted(d for d in dates if d.year != year)
        if stray:
            raise InvalidYearSchedule(part, f"{year}: dates outside the year: {_iso(stray)}")
    weekdays = sorted(d for d in schedule.extra_workdays if d.weekday() < SATURDAY)
    if weekdays:
        raise InvalidYearSchedule(
            "extra_workdays", f"only a weekend day can be declared a working day: {_iso(weekdays)}"
        )
    both = sorted(set(schedule.holidays) & schedule.extra_workdays)
    if both:
        raise InvalidYearSchedule(
            "extra_workdays", f"dates both holiday and working day: {_iso(both)}"
        )
    unnamed = sorted(d for d, name in schedule.holidays.items() if not name.strip())
    if unnamed:
        raise InvalidYearSchedule("holidays", f"holidays need a name: {_iso(unnamed)}")


def _iso(days: list[date]) -> str:
    return ", ".join(d.isoformat() for d in days)


def _library_years() -> frozenset[int]:
    """The years chinesecalendar answers for: it refuses (NotImplementedError) outside the span
    of its `holidays` table, so that span is exactly what it knows."""
    first, last = min(chinese_calendar.holidays), max(chinese_calendar.holidays)
    return frozenset(range(first.year, last.year + 1))


LIBRARY_YEARS = _library_years()


def library_schedule(year: int) -> YearSchedule:
    """What chinesecalendar holds for `year`, as a schedule (CalendarYearUnknown if nothing)."""
    if year not in LIBRARY_YEARS:
        raise CalendarYearUnknown(year)
    holidays = {d: str(n) for d, n in chinese_calendar.holidays.items() if d.year == year}
    workdays = frozenset(d for d in chinese_calendar.workdays if d.year == year)
    return YearSchedule(year, holidays, workdays)


class WorkingCalendar:
    """Working days per the official calendar: chinesecalendar's data, overridden year by year
    by schedules an administrator loaded (a loaded year wins, so a notice can correct the data).
    """

    def __init__(self) -> None:
        self._loaded: dict[int, YearSchedule] = {}

    def known_years(self) -> set[int]:
        return set(LIBRARY_YEARS) | set(self._loaded)

    def load_year(
        self, year: int, holidays: Mapping[date, str], extra_workdays: Set[date]
    ) -> YearSchedule:
        """Make `year` known from its notice (or replace what was known); returns the schedule."""
        schedule = YearSchedule(year, holidays, frozenset(extra_workdays))
        self._loaded[year] = schedule
        return schedule

    def loaded(self, year: int) -> YearSchedule | None:
        """The schedule an administrator loaded for `year`, if any."""
        return self._loaded.get(year)

    def copy(self) -> "WorkingCalendar":
        """An independent calendar with the same loaded years (to try a load before keeping it)."""
        twin = WorkingCalendar()
        twin._loaded = dict(self._loaded)
        return twin

    def is_working_day(self, day: date) -> bool:
        day = _plain_date(day)
        if day.year in self._loaded:
            return self._loaded[day.year].is_working_day(day)
        self._require_library_year(day.year)
        return bool(chinese_calendar.is_workday(day))

    def holiday_name(self, day: date) -> str | None:
        """The holiday's name when `day` is a public holiday; None for working days (shifted
        weekend days included) and ordinary weekends."""
        day = _plain_date(day)
        if day.year in self._loaded:
            return self._loaded[day.year].holiday_name(day)
        self._require_library_year(day.year)
        is_rest_day, name = chinese_calendar.get_holiday_detail(day)
        return str(name) if is_rest_day and name else None

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after `start`; n = 0 gives `start` itself (nothing is
        counted, so no year needs to be known). Raises CalendarYearUnknown rather than guess."""
        day = _plain_date(start)
        for _ in range(_count(n)):
            day = self._next_working_day(day)
        return day

    def provisional_add_working_days(self, start: date, n: int) -> WorkingDaySum:
        """As `add_working_days`, but a day of an unknown year counts if it is Monday-Friday and
        no fixed-date holiday; the result names those years so it can be recomputed when they
        are loaded."""
        day, missing = _plain_date(start), set[int]()
        for _ in range(_count(n)):
            day += ONE_DAY
            while not self._counts_provisionally(day, missing):
                day += ONE_DAY
        return WorkingDaySum(day, frozenset(missing))

    def _next_working_day(self, day: date) -> date:
        day += ONE_DAY
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def provisional_working_day(self, day: date) -> tuple[bool, str | None, frozenset[int]]:
        """Whether `day` counts as a working day provisionally, its holiday's name, and the
        years guessed (its own when nobody loaded it)."""
        day = _plain_date(day)
        if self._is_known(day.year):
            return self.is_working_day(day), self.holiday_name(day), frozenset()
        name = fixed_holidays(day.year).get(day)
        return name is None and day.weekday() < SATURDAY, name, frozenset({day.year})

    def _counts_provisionally(self, day: date, missing: set[int]) -> bool:
        working, _, guessed = self.provisional_working_day(day)
        missing |= guessed
        return working

    def _is_known(self, year: int) -> bool:
        return year in self._loaded or year in LIBRARY_YEARS

    def _require_library_year(self, year: int) -> None:
        if year not in LIBRARY_YEARS:
            raise CalendarYearUnknown(year)


def _plain_date(day: date) -> date:
    """Refuse datetimes: which date an instant falls on depends on a time zone the caller owns."""
    if isinstance(day, datetime):
        raise TypeError("pass a date; convert the instant to China time first")
    return day


def _count(n: int) -> int:
    if n < 0:
        raise ValueError(f"working days to add must be >= 0, got {n}")
    return n
