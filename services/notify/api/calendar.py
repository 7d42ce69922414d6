"""`/v1/calendar/...`: the official PRC working-day calendar (DOMAIN §13) for forms and other
services. Pure arithmetic: no database is touched, so these answer while it is down.

A year nobody loaded is refused (422 `calendar-year-unknown`) unless the caller asks
`provisional=true`: then the answer is the one clocks use (Monday to Friday less the fixed-date
holidays), flagged `provisional` with the `missing_years` it guessed."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from events.auth import CurrentPrincipal
from events.problems import Problem
from notify.domain import CalendarYearUnknown, WorkingCalendar
from notify.domain.calendar import FIRST_DAY, LAST_DAY

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])

MAX_DAYS = 1000  # about four years of working days; more is a typo, not a deadline

_DEFAULT_CALENDAR = WorkingCalendar()


def calendar_of(request: Request) -> WorkingCalendar:
    """The app's calendar (the composition root may load years into it), else the default."""
    calendar = getattr(request.app.state, "calendar", None)
    return calendar if isinstance(calendar, WorkingCalendar) else _DEFAULT_CALENDAR


CalendarDep = Annotated[WorkingCalendar, Depends(calendar_of)]
#: A date in notify's years (2000-2100): outside them no notice exists, and near 9999 the
#: arithmetic overflows.
Day = Annotated[date, Query(ge=FIRST_DAY, le=LAST_DAY)]
#: Ask for the provisional count clocks use instead of a refusal for an unknown year.
Provisional = Annotated[bool, Query()]


class WorkingDaysAdded(BaseModel):
    start: date
    days: int
    due: date


class WorkingDayAnswer(BaseModel):
    date: date
    working_day: bool
    holiday: str | None


class Guessed(BaseModel):
    """A provisional answer: `missing_years` were counted without their notice."""

    provisional: bool
    missing_years: list[int]


class ProvisionalWorkingDaysAdded(WorkingDaysAdded, Guessed):
    pass


class ProvisionalWorkingDayAnswer(WorkingDayAnswer, Guessed):
    pass


class YearUnknown(Problem):
    """422: the year's holiday notice is not loaded, so any answer would be a guess (§13)."""

    def __init__(self, year: int, status: int = 422) -> None:
        super().__init__(
            status,
            "calendar-year-unknown",
            "The official calendar of this year is not known",
            f"No holiday schedule is loaded for {year}; working days cannot be counted in it.",
            rule="§13",
            year=year,
        )


@router.get("/add-working-days")
async def add_working_days(
    start: Day,
    days: Annotated[int, Query(ge=0, le=MAX_DAYS)],
    principal: CurrentPrincipal,
    calendar: CalendarDep,
    provisional: Provisional = False,
) -> ProvisionalWorkingDaysAdded | WorkingDaysAdded:
    """The `days`-th working day strictly after `start` (holiday shifts counted, §13)."""
    if provisional:
        counted = calendar.provisional_add_working_days(start, days)
        return ProvisionalWorkingDaysAdded(
            start=start,
            days=days,
            due=counted.day,
            provisional=counted.provisional,
            missing_years=sorted(counted.missing_years),
        )
    try:
        due = calendar.add_working_days(start, days)
    except CalendarYearUnknown as exc:
        raise YearUnknown(exc.year) from exc
    return WorkingDaysAdded(start=start, days=days, due=due)


@router.get("/working-day")
async def working_day(
    date: Day, principal: CurrentPrincipal, calendar: CalendarDep, provisional: Provisional = False
) -> ProvisionalWorkingDayAnswer | WorkingDayAnswer:
    """Whether `date` is a working day, and the holiday's name when it is a public holiday."""
    if provisional:
        working, holiday, guessed = calendar.provisional_working_day(date)
        return ProvisionalWorkingDayAnswer(
            date=date,
            working_day=working,
            holiday=holiday,
            provisional=bool(guessed),
            missing_years=sorted(guessed),
        )
    try:
        answer = WorkingDayAnswer(
            date=date,
            working_day=calendar.is_working_day(date),
            holiday=calendar.holiday_name(date),
        )
    except CalendarYearUnknown as exc:
        raise YearUnknown(exc.year) from exc
    return answer
