"""`/v1/calendar/years`: the official holiday notice of each year (DOMAIN §13). A platform
operator loads a year chinesecalendar does not know yet from the State Council's notice: the
calendar is national and moves every organisation's deadlines, so no organisation's own role
may (ARCHITECTURE, Security). Loading a year the library knows replaces it only with
`replace_library: true` (a correction of the notice, never by accident). Loading recomputes
the clocks that were set provisionally for that year."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from events.api import Now, Operator, context
from events.app import BackboneDep
from events.auth import CurrentPrincipal
from events.domain import Line
from events.problems import Problem
from notify.api.calendar import CalendarDep, YearUnknown
from notify.domain import InvalidYearSchedule, YearSchedule, library_schedule
from notify.domain.calendar import FIRST_YEAR, LAST_YEAR, LIBRARY_YEARS, LoadCalendarYear
from notify.handlers import calendar as calendar_handlers
from notify.projections import queries

router = APIRouter(prefix="/v1/calendar/years", tags=["calendar"])

Year = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR)]


class HolidayIn(BaseModel):
    date: date
    name: Annotated[Line, Field(min_length=1, max_length=100)]


class YearScheduleIn(BaseModel):
    holidays: list[HolidayIn] = Field(min_length=1, max_length=60)
    extra_workdays: list[date] = Field(default_factory=list, max_length=30)
    replace_library: bool = Field(
        False, description="true to override a year chinesecalendar already knows"
    )


class YearScheduleOut(BaseModel):
    year: int
    source: Literal["library", "loaded"]
    holidays: list[HolidayIn]
    extra_workdays: list[date]
    loaded_by: str | None = None
    loaded_at: datetime | None = None


class YearSummary(BaseModel):
    year: int
    source: Literal["library", "loaded"]
    loaded_at: datetime | None = None


class InvalidSchedule(Problem):
    """422: the notice contradicts itself or its year; every later deadline would inherit it."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(
            422,
            "calendar-schedule-invalid",
            "The holiday schedule is not valid",
            detail,
            rule="§13",
            errors=[{"field": field, "message": detail}],
        )


class LibraryYear(Problem):
    """409: replacing a year the library knows must be meant (`replace_library`), not a slip."""

    def __init__(self, year: int) -> None:
        super().__init__(
            409,
            "calendar-year-known",
            "The calendar library already knows this year",
            f"{year} is in chinesecalendar; set replace_library to true to override it.",
            rule="§13",
            errors=[{"field": "replace_library", "message": "must be true to override"}],
        )


@router.put("/{year}")
async def load_year(
    year: Year,
    body: YearScheduleIn,
    principal: Operator,
    backbone: BackboneDep,
    calendar: CalendarDep,
    now: Now,
) -> YearScheduleOut:
    """Load (or replace) one year's official schedule; provisional clocks are recomputed."""
    if year in LIBRARY_YEARS and not body.replace_library:
        raise LibraryYear(year)
    command = LoadCalendarYear(_schedule(year, body), year in LIBRARY_YEARS, now)
    async with backbone.uow() as uow:
        ctx = context(principal, "load-calendar-year")
        await calendar_handlers.load_year(command, uow, ctx, calendar=calendar)
        # read back what the handler committed (a new transaction the unit of work closes)
        row = await queries.stored_year(uow.conn, year)
    return _loaded(row)


@router.get("")
async def list_years(principal: CurrentPrincipal, backbone: BackboneDep) -> list[YearSummary]:
    """Every year the calendar knows: the library's and those an administrator loaded."""
    async with backbone.engine.connect() as conn:
        rows = {r.year: r for r in await queries.stored_years(conn)}
    years = sorted(LIBRARY_YEARS | set(rows))
    return [
        YearSummary(year=y, source="loaded", loaded_at=rows[y].loaded_at)
        if y in rows
        else YearSummary(year=y, source="library")
        for y in years
    ]


@router.get("/{year}")
async def get_year(
    year: Year, principal: CurrentPrincipal, backbone: BackboneDep
) -> YearScheduleOut:
    """One year's holidays and shifted working days; 404 problem when nobody knows the year."""
    async with backbone.engine.connect() as conn:
        row = await queries.stored_year(conn, year)
    if row is not None:
        return _loaded(row)
    if year not in LIBRARY_YEARS:
        raise YearUnknown(year, status=404)
    schedule = library_schedule(year)
    return YearScheduleOut(source="library", **_parts(schedule))


def _schedule(year: int, body: YearScheduleIn) -> YearSchedule:
    dates = [h.date for h in body.holidays]
    if len(set(dates)) != len(dates):
        raise InvalidSchedule("holidays", "a date is listed twice")
    try:
        return YearSchedule(
            year, {h.date: h.name for h in body.holidays}, frozenset(body.extra_workdays)
        )
    except InvalidYearSchedule as exc:
        raise InvalidSchedule(exc.field, str(exc)) from exc


def _loaded(row: Any) -> YearScheduleOut:
    parts = _parts(queries.schedule_of(row))
    return YearScheduleOut(
        source="loaded", loaded_by=row.loaded_by, loaded_at=row.loaded_at, **parts
    )


def _parts(schedule: YearSchedule) -> dict[str, Any]:
    return {
        "year": schedule.year,
        "holidays": [HolidayIn(date=d, name=n) for d, n in sorted(schedule.holidays.items())],
        "extra_workdays": sorted(schedule.extra_workdays),
    }
