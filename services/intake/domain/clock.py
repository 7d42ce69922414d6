"""Time as intake's rules read it: the calendar day in China of a moment, and the window a
time a client sends must fall in.

**Resolution**: nothing intake records happened before 2000-01-01 (`EARLIEST`). A client's clock
may run a little fast, so a time up to `CLOCK_SKEW` after the server's now is not "in the
future"; anything later is refused by the rule that dates it.
"""

from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TIME = timezone(timedelta(hours=8))
CLOCK_SKEW = timedelta(minutes=2)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def local_date(moment: datetime) -> date:
    """The calendar day in China of an aware datetime."""
    return moment.astimezone(CHINA_TIME).date()


def in_the_future(at: datetime, now: datetime) -> bool:
    """After `now`, by more than a fast client clock explains."""
    return at > now + CLOCK_SKEW


def too_early(at: datetime) -> bool:
    """Before anything intake records (and too close to year 1 to take a day of)."""
    return at < EARLIEST
