"""Calendar years an administrator loaded (DOMAIN §13), kept as events and in a table, and what
follows from them: the calendar of every replica learns them (at start and on each scheduler
tick), provisional clocks are recomputed once their year is known, and a year a clock needed
but nobody loaded raises one administrator alert.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, Table, Text, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from events.envelope import Metadata
from events.store import NewEvent
from events.uow import UnitOfWork
from notify import projections
from notify.domain import WorkingCalendar, YearSchedule, due_at, remind_at, rule_for
from notify.domain.deadlines import occurrence_due
from notify.domain.events import CalendarYearLoaded, CalendarYearNeeded, DeadlineRecomputed, Holiday
from notify.domain.tracking import PlannedDeadline, derived_id
from notify.notifications import queue_for_calendar_year

metadata = MetaData()

calendar_years = Table(
    "calendar_years",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("holidays", JSONB, nullable=False),
    Column("extra_workdays", JSONB, nullable=False),
    Column("replaced_library", Boolean, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("loaded_by", Text, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

calendar_alerts = Table(
    "calendar_alerts",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("event_id", Text, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
)


def stream_of(year: int) -> str:
    return f"calendar-{year}"


def schedule_of(row: Any) -> YearSchedule:
    holidays = {date.fromisoformat(d): name for d, name in row.holidays.items()}
    workdays = frozenset(date.fromisoformat(d) for d in row.extra_workdays)
    return YearSchedule(row.year, holidays, workdays)


async def stored_years(conn: AsyncConnection) -> list[Any]:
    return list((await conn.execute(select(calendar_years).order_by(calendar_years.c.year))).all())


async def stored_year(conn: AsyncConnection, year: int) -> Any | None:
    query = select(calendar_years).where(calendar_years.c.year == year)
    return (await conn.execute(query)).one_or_none()


async def sync(conn: AsyncConnection, calendar: WorkingCalendar) -> list[int]:
    """Load every stored year into `calendar` (another replica may have loaded one); returns the
    stored years."""
    rows = await stored_years(conn)
    for row in rows:
        schedule = schedule_of(row)
        if calendar.loaded(row.year) != schedule:
            calendar.load_year(row.year, schedule.holidays, schedule.extra_workdays)
    return [row.year for row in rows]


async def store_year(
    uow: UnitOfWork, schedule: YearSchedule, replaced_library: bool, by: str, at: datetime
) -> bool:
    """Append `notify.calendar.year_loaded` and keep the year; False (nothing appended) when
    the same schedule is already stored."""
    holidays = {d.isoformat(): name for d, name in sorted(schedule.holidays.items())}
    workdays = sorted(d.isoformat() for d in schedule.extra_workdays)
    previous = await stored_year(uow.conn, schedule.year)
    if previous is not None and (previous.holidays, previous.extra_workdays) == (
        holidays,
        workdays,
    ):
        return False
    digest = hashlib.sha256(json.dumps([holidays, workdays]).encode()).hexdigest()
    event_id = derived_id("year-loaded", str(schedule.year), digest, _event_of(previous))
    loaded = CalendarYearLoaded(
        year=schedule.year,
        holidays=[Holiday(date=d, name=n) for d, n in sorted(schedule.holidays.items())],
        extra_workdays=sorted(schedule.extra_workdays),
        replaced_library=replaced_library,
        loaded_by=by,
        loaded_at=at,
    )
    meta = Metadata(actor=by)
    await uow.append(stream_of(schedule.year), None, [NewEvent(loaded, event_id)], meta)
    row = {
        "year": schedule.year,
        "holidays": holidays,
        "extra_workdays": workdays,
        "replaced_library": replaced_library,
        "event_id": event_id,
        "loaded_by": by,
        "loaded_at": at,
    }
    upsert = pg_insert(calendar_years).values(row)
    await uow.conn.execute(
        upsert.on_conflict_do_update(index_elements=["year"], set_=upsert.excluded)
    )
    return True


def _event_of(row: Any | None) -> str:
    return row.event_id if row is not None else ""


async def alert_missing_years(
    uow: UnitOfWork, plan: PlannedDeadline, meta: Metadata, at: datetime
) -> None:
    """Raise `notify.calendar.year_needed` once per year nobody loaded, and tell the org admins
    subscribed to it (every organisation's: the calendar is the deployment's)."""
    for year in sorted(plan.due.missing_years):
        if await stored_year(uow.conn, year) is not None:
            continue  # loaded meanwhile; the scheduler's recompute picks the clock up
        event_id = derived_id("year-needed", str(year))
        claim = pg_insert(calendar_alerts).values(year=year, event_id=event_id, raised_at=at)
        claimed = await uow.conn.execute(
            claim.on_conflict_do_nothing().returning(calendar_alerts.c.year)
        )
        if claimed.first() is None:
            continue  # alerted before
        needed = CalendarYearNeeded(
            year=year,
            deadline_id=plan.deadline_id,
            rule=plan.rule.code,
            organisation=plan.organisation,
            raised_at=at,
        )
        await uow.append(stream_of(year), None, [NewEvent(needed, event_id)], meta)
        fields = {"year": year, "rule": plan.rule.code, "raised_at": at, "roles": ["org_admin"]}
        await queue_for_calendar_year(uow.conn, event_id, fields)


async def recompute(
    uow: UnitOfWork, calendar: WorkingCalendar, years: Sequence[int], at: datetime
) -> int:
    """Recompute every open provisional clock that counted one of `years` Monday-Friday, now
    that they are loaded into `calendar`; returns how many were recomputed."""
    if not years:
        return 0
    done = 0
    for row in await projections.provisional_on(uow.conn, years):
        try:
            rule = rule_for(row.rule)
        except KeyError:
            continue  # the rule left the table; the clock keeps the time it was set with
        if row.occurrence is not None:
            due = occurrence_due(rule, row.series_started_at, row.occurrence, calendar)
        else:
            due = due_at(rule, row.started_at, calendar)
        reminder = row.remind_at if row.reminded_at else remind_at(rule, row.started_at, due.due_at)
        await _record_recomputed(uow, row, due.due_at, reminder, sorted(due.missing_years), at)
        done += 1
    return done


async def _record_recomputed(
    uow: UnitOfWork,
    row: Any,
    due: datetime,
    reminder: datetime,
    missing: list[int],
    at: datetime,
) -> None:
    loaded = sorted(set(row.missing_years) - set(missing))
    event = DeadlineRecomputed(
        deadline_id=row.deadline_id,
        rule=row.rule,
        subject_id=row.subject_id,
        previous_due_at=row.due_at,
        due_at=due,
        remind_at=reminder,
        provisional=bool(missing),
        missing_years=missing,
        years_loaded=loaded,
        recomputed_at=at,
    )
    event_id = derived_id("recomputed", row.deadline_id, *map(str, loaded))
    meta = Metadata(actor="service:notify", correlation_id=row.deadline_id)
    key = await projections.partition_of(uow.conn, row.subject_id)
    await uow.append(row.stream_id, None, [NewEvent(event, event_id)], meta, partition_key=key)
    await projections.mark(
        uow.conn,
        row.deadline_id,
        due_at=due,
        remind_at=reminder,
        provisional=bool(missing),
        missing_years=missing,
    )
