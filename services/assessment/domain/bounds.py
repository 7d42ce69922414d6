"""The windows every date and number a caller sends must lie in (ARCHITECTURE, Security: bad
input gets a 4xx problem and never corrupts an event). Pure.

A date records what happened (an assessment, a session, a signature, a test): from 2000-01-01
up to now, give or take a small clock skew. Only the dates a route names `ahead` may lie in the
future, up to two years (a plan's period, JX-7.2.1; an order's start, SZ-6.4.4). Numbers stay
finite and within a million either way; mapping keys are one line; text keeps the shared bound.
The forms nest in published event types, whose schemas may not change in place, so the bounds
are checked here, walking the request, rather than written into those types."""

from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime, timedelta
from math import isfinite
from typing import Any

from pydantic import BaseModel

from events.domain import LINE_MAX, TEXT_MAX, Refused, Violation

RULE = "ARCHITECTURE-security-bad-input"
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=5)
DAY_SKEW = timedelta(days=1)  # a calendar day is the caller's: up to a day ahead of UTC's
AHEAD = timedelta(days=731)
NUMBER_LIMIT = 1_000_000


def out_of_range(body: BaseModel, now: datetime, ahead: Collection[str] = ()) -> list[Violation]:
    """Every value of `body` (nested models, lists, mappings) outside its window; `ahead`
    names the dotted fields that may lie in the future."""
    return list(_walk(body, "", now, frozenset(ahead)))


def refuse_out_of_range(body: BaseModel, now: datetime, ahead: Collection[str] = ()) -> None:
    found = out_of_range(body, now, ahead)
    if found:
        raise Refused(found)


def _walk(value: Any, path: str, now: datetime, ahead: frozenset[str]) -> Iterator[Violation]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name), _join(path, name), now, ahead)
    elif isinstance(value, dict):
        yield from _mapping(value, path, now, ahead)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _walk(item, _join(path, str(index)), now, ahead)
    else:
        found = _scalar(value, path, now, path in ahead)
        if found is not None:
            yield found


def _mapping(
    value: dict[Any, Any], path: str, now: datetime, ahead: frozenset[str]
) -> Iterator[Violation]:
    for key, item in value.items():
        if isinstance(key, str) and len(key) > LINE_MAX:
            yield _v("key_too_long", path, f"a name in {path} is longer than {LINE_MAX}")
            continue  # its value would be named by the over-long key
        yield from _walk(item, _join(path, str(key)), now, ahead)


def _scalar(value: Any, path: str, now: datetime, ahead: bool) -> Violation | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, datetime):  # before `date`: a datetime is a date
        return _moment(value, path, now, ahead)
    if isinstance(value, date):
        return _day(value, path, now, ahead)
    if isinstance(value, int | float):
        return _number(value, path)
    if isinstance(value, str) and len(value) > TEXT_MAX:
        return _v("text_too_long", path, f"{path} is longer than {TEXT_MAX}")
    return None


def _moment(value: datetime, path: str, now: datetime, ahead: bool) -> Violation | None:
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    latest = now + (AHEAD if ahead else CLOCK_SKEW)
    if EARLIEST <= moment <= latest:
        return None
    return _v("date_out_of_range", path, _window(path, ahead))


def _day(value: date, path: str, now: datetime, ahead: bool) -> Violation | None:
    latest = (now + (AHEAD if ahead else DAY_SKEW)).date()
    if EARLIEST.date() <= value <= latest:
        return None
    return _v("date_out_of_range", path, _window(path, ahead))


def _number(value: float, path: str) -> Violation | None:
    if isfinite(value) and -NUMBER_LIMIT <= value <= NUMBER_LIMIT:
        return None
    return _v("number_out_of_range", path, f"{path} lies outside ±{NUMBER_LIMIT:,}")


def _window(path: str, ahead: bool) -> str:
    latest = "two years from now" if ahead else "now"
    return f"{path} lies outside {EARLIEST.date()} to {latest}"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _v(code: str, field: str, message: str) -> Violation:
    return Violation(code=code, rule=RULE, field=field, message=message)
