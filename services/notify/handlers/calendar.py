"""Calendar years (DOMAIN §13): an administrator loads a year's notice, the calendar of every
replica learns it (`settle`, on each scheduler tick), provisional clocks are recomputed once
their year is known, and a year a clock needed but nobody loaded raises one administrator alert.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert

from events.context import Context
from events.envelope import Metadata
from events.store import NewEvent
from events.uow import UnitOfWork
from notify.domain import WorkingCalendar, due_at, remind_at, rule_for
from notify.domain.calendar import LoadCalendarYear, SettleCalendar
from notify.domain.deadlines import occurrence_due
from notify.domain.events import CalendarYearLoaded, CalendarYearNeeded, DeadlineRecomputed, Holiday
from notify.domain.tracking import PlannedDeadline, derived_id
from notify.handlers import record
from notify.handlers.notifications import queue_for_calendar_year
from notify.projections import queries
from notify.projections.tables import calendar_alerts


def stream_of(year: int) -> str:
    return f"calendar-{year}"


async def load_year(
    command: LoadCalendarYear, uow: UnitOfWork, ctx: Context, *, calendar: WorkingCalendar
) -> None:
    """Keep the year and recompute the provisional clocks it settles; `calendar` learns it
    once the transaction has committed."""
    schedule = command.schedule
    trial = calendar.copy()
    trial.load_year(schedule.year, schedule.holidays, schedule.extra_workdays)
    await store_year(uow, command, ctx.metadata)
    await recompute(uow, trial, [schedule.year], command.at)
    await uow.commit()
    calendar.load_year(schedule.year, schedule.holidays, schedule.extra_workdays)


async def settle(
    command: SettleCalendar, uow: UnitOfWork, ctx: Context, *, calendar: WorkingCalendar
) -> int:
    """Learn every stored year (another replica may have loaded one) and recompute the
    provisional clocks they settle; returns how many were recomputed."""
    years = []
    for row in await queries.stored_years(uow.conn):
        schedule = queries.schedule_of(row)
        if calendar.loaded(row.year) != schedule:
            calendar.load_year(row.year, schedule.holidays, schedule.extra_workdays)
        years.append(row.year)
    recomputed = await recompute(uow, calendar, years, command.at)
    await uow.commit()
    return recomputed


async def store_year(uow: UnitOfWork, command: LoadCalendarYear, meta: Metadata) -> bool:
    """Append `notify.calendar.year_loaded` and keep the year; False (nothing appended) when
    the same schedule is already stored."""
    schedule = command.schedule
    holidays = {d.isoformat(): name for d, name in sorted(schedule.holidays.items())}
    workdays = sorted(d.isoformat() for d in schedule.extra_workdays)
    previous = await queries.stored_year(uow.conn, schedule.year)
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
        replaced_library=command.replaced_library,
        loaded_by=meta.actor,
        loaded_at=command.at,
    )
    await record(uow, stream_of(schedule.year), [NewEvent(loaded, event_id)], meta)
    return True


def _event_of(row: Any | None) -> str:
    return row.event_id if row is not None else ""


async def alert_missing_years(
    uow: UnitOfWork, plan: PlannedDeadline, meta: Metadata, at: datetime
) -> None:
    """Raise `notify.calendar.year_needed` once per year nobody loaded, and tell the org admins
    subscribed to it (every organisation's: the calendar is the deployment's)."""
    for year in sorted(plan.due.missing_years):
        if await queries.stored_year(uow.conn, year) is not None:
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
        await record(uow, stream_of(year), [NewEvent(needed, event_id)], meta)
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
    for row in await queries.provisional_on(uow.conn, years):
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
    key = await queries.partition_of(uow.conn, row.subject_id)
    await record(uow, row.stream_id, [NewEvent(event, event_id)], meta, partition_key=key)
