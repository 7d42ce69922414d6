"""Time as intake's rules read it: the calendar day in China of a moment, and the window a
time a client sends must fall in.

**Resolution**: nothing intake records happened before 2000-01-01 (`EARLIEST`). A client's clock
may run a little fast, so a time up to `CLOCK_SKEW` after the server's now is not "in the
future"; anything later is refused by the rule that dates it.
"""

from datetime import UTC, date, datetime, timedelta, timezone

from events.domain import refuse

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


def check_dated(
    at: datetime, now: datetime, rule: str, since: datetime | None, code: str, since_what: str
) -> None:
    """Refuse under `rule` (422) a time after now, before 2000, or before `since` (refused as
    `code`, the message saying it is before `since_what`)."""
    if in_the_future(at, now):
        raise refuse("in_the_future", rule, f"{at.isoformat()} is after now")
    if too_early(at):
        raise refuse("too_early", rule, "before 2000-01-01, earlier than anything recorded here")
    if since is not None and at < since:
        raise refuse(code, rule, f"{at.isoformat()} is before {since_what}")
