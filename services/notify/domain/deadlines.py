"""When a clock falls due and when to remind: pure arithmetic over the clock table.

- Hours and days are exact elapsed time: 24 h after 10:05 is 10:05 the next day, holidays or not.
- Months are calendar months in China time with the day clamped to the month's end
  (31 January + 1 month = 28 or 29 February), because a month-long duty is read off the calendar
  on the wall of the office that owes it.
- A stated due time (`DueAt`): the instant the start event names, as another service decided it.
- Working days (DOMAIN §13): the start is taken as a date in China time (Asia/Shanghai); the clock
  falls due at the end of the n-th working day strictly after it, 23:59:59 China time, since the
  standards give the whole of the last day. A day in a year whose holiday notice is not loaded is
  counted Monday-Friday and the result is marked provisional, naming the missing years, so the
  deadline exists now and is recomputed when the notice is loaded (never dropped, never guessed
  silently).

All results are aware datetimes in UTC.
"""

from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from notify.domain.calendar import WorkingCalendar, in_years
from notify.domain.clocks import ClockRule, DueAt, Duration, SpanFraction, Unit

CHINA = ZoneInfo("Asia/Shanghai")
END_OF_WORKING_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Due:
    """A due time; `provisional` when it leaned on a year whose holiday notice is missing."""

    due_at: datetime
    missing_years: frozenset[int] = field(default_factory=frozenset)

    @property
    def provisional(self) -> bool:
        return bool(self.missing_years)

    def depends_on(self, year: int) -> bool:
        """Whether loading `year`'s holiday notice may move this due time."""
        return year in self.missing_years


def due_at(
    rule: ClockRule,
    started_at: datetime,
    calendar: WorkingCalendar,
    data: Mapping[str, object] | None = None,
) -> Due:
    """When one run of `rule` started at `started_at` falls due (the first, if recurring);
    `data` is the start event's payload, read when the rule's due time is stated there."""
    if isinstance(rule.length, DueAt):
        return Due(stated_due(rule.length, data or {}))
    return after(started_at, rule.length, calendar)


def stated_due(length: DueAt, data: Mapping[str, object]) -> datetime:
    """The due instant the start event states; ValueError when it is missing, has no offset
    (a guessed time zone would move the deadline by hours) or falls outside notify's years
    (a deadline no one could meet; near year 9999 the arithmetic overflows)."""
    value = data.get(length.field)
    try:
        moment = (
            datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
        )
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None or not in_years(moment):
        raise ValueError(f"{length.field} must be an ISO-8601 instant, got {value!r}")
    return _utc(moment)


def occurrence_due(rule: ClockRule, started_at: datetime, k: int, calendar: WorkingCalendar) -> Due:
    """Occurrence `k` (1-based) of a recurring rule started at `started_at`."""
    return _occurrence(rule, started_at, k, calendar)


def series_end(rule: ClockRule, started_at: datetime) -> datetime | None:
    """When a recurring rule's window closes (`repeat.within` after the start), or None."""
    if rule.repeat is None or rule.repeat.within is None:
        return None
    return _wall_clock(_utc(started_at), rule.repeat.within)


def occurrences(
    rule: ClockRule,
    started_at: datetime,
    calendar: WorkingCalendar,
    until: datetime | None = None,
) -> list[Due]:
    """Due times of every occurrence up to the rule's window end and `until` (both inclusive).

    Occurrence k is `length + (k-1) * every` after the start, counted from the start rather than
    from the previous occurrence so month-ends do not drift. A one-off rule has one occurrence;
    an open-ended recurring rule needs `until`.
    """
    if rule.repeat is None:
        return [due_at(rule, started_at, calendar)]
    end = _window_end(rule, started_at, until)
    found: list[Due] = []
    while (due := _occurrence(rule, started_at, len(found) + 1, calendar)).due_at <= end:
        found.append(due)
    return found


def remind_at(rule: ClockRule, started_at: datetime, due: datetime) -> datetime:
    """When to remind about a clock running from `started_at` to `due` (for an occurrence of a
    recurring rule, `started_at` is the previous occurrence's due time). Never before the start."""
    start, end = _utc(started_at), _utc(due)
    before = rule.remind_before
    if isinstance(before, SpanFraction):
        reminder = end - (end - start) * before.share.numerator / before.share.denominator
    else:
        reminder = _wall_clock(end, Duration(-before.amount, before.unit))
    return max(start, reminder)


def after(started_at: datetime, span: Duration, calendar: WorkingCalendar) -> Due:
    """`started_at` moved forward by `span`, each unit added its own way (see module doc)."""
    start = _utc(started_at)
    if span.unit is Unit.WORKING_DAYS:
        return _after_working_days(start, span.amount, calendar)
    return Due(_wall_clock(start, span))


def add_months(moment: datetime, n: int) -> datetime:
    """`moment` n calendar months later (n may be negative), the day clamped to the month's end;
    the wall-clock time and time zone are kept."""
    month_index = moment.month - 1 + n
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def _after_working_days(start: datetime, n: int, calendar: WorkingCalendar) -> Due:
    counted = calendar.provisional_add_working_days(start.astimezone(CHINA).date(), n)
    end = datetime.combine(counted.day, END_OF_WORKING_DAY, tzinfo=CHINA)
    return Due(end.astimezone(UTC), counted.missing_years)


def _wall_clock(start: datetime, span: Duration) -> datetime:
    if span.unit is Unit.HOURS:
        return start + timedelta(hours=span.amount)
    if span.unit is Unit.DAYS:
        return start + timedelta(days=span.amount)
    if span.unit is Unit.MONTHS:
        return add_months(start.astimezone(CHINA), span.amount).astimezone(UTC)
    raise ValueError(f"{span.unit} is not a wall-clock unit")


def _window_end(rule: ClockRule, started_at: datetime, until: datetime | None) -> datetime:
    assert rule.repeat is not None
    within = rule.repeat.within
    ends = [_utc(until)] if until is not None else []
    if within is not None:
        ends.append(_wall_clock(_utc(started_at), within))
    if not ends:
        raise ValueError(f"{rule.code} recurs until stopped; pass `until` to bound the list")
    return min(ends)


def _occurrence(rule: ClockRule, started_at: datetime, k: int, calendar: WorkingCalendar) -> Due:
    if rule.repeat is None or not isinstance(rule.length, Duration) or k < 1:
        raise ValueError(f"{rule.code} has no occurrence {k}")
    span = Duration(rule.length.amount + (k - 1) * rule.repeat.every.amount, rule.length.unit)
    return after(started_at, span, calendar)


def _utc(moment: datetime) -> datetime:
    """Refuse naive datetimes: a deadline without a time zone is off by up to a day."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone")
    return moment.astimezone(UTC)
