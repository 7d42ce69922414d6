"""Deadlines, the runs of the clock table: set a clock (alerting an administrator when it had to
count a year nobody loaded), meet it, set a series' next occurrence, remind, and record a miss
with its escalation. The reactions (start, stop, satisfy) and the scheduler (`fire_due`) share
these steps, so a clock is recorded the same way whichever path set it. Event ids are derived
from the deadline, so repeating any step appends nothing new.
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from events.context import Context
from events.envelope import Metadata
from events.store import NewEvent
from events.uow import UnitOfWork
from notify.domain import WorkingCalendar, rule_for
from notify.domain.events import (
    DeadlineCancelled,
    DeadlineMet,
    DeadlineMissed,
    DeadlineReassigned,
    DeadlineSetV3,
    Escalated,
    ReminderSent,
)
from notify.domain.tracking import (
    FireDueClocks,
    Firing,
    PlannedDeadline,
    Series,
    derived_id,
    firing_due,
    next_occurrence,
    restarted_series,
)
from notify.handlers import record
from notify.handlers.calendar import alert_missing_years
from notify.handlers.notifications import queue_for_deadline
from notify.projections import queries
from notify.projections.tables import OVERDUE


async def fire_due(
    command: FireDueClocks, uow: UnitOfWork, ctx: Context, *, calendar: WorkingCalendar
) -> int:
    """Fire a batch of owing clocks in one transaction (each reminder or miss with the
    notifications it queues); returns how many were fired."""
    fired = 0
    for row in await queries.claim_due(uow.conn, command.at, command.limit):
        fired += await _fire(uow, row, command.at, ctx.actor, calendar)
    await uow.commit()
    return fired


async def _fire(
    uow: UnitOfWork, row: Any, now: datetime, actor: str, calendar: WorkingCalendar
) -> int:
    firing = firing_due(row.due_at, row.remind_at, row.reminded_at is not None, now)
    if firing is None:
        return 0
    meta = Metadata(actor=actor, correlation_id=row.deadline_id, causation_id=row.started_by)
    if firing is Firing.REMIND:
        await remind(uow, row, now, meta)
    else:
        await miss(uow, row, now, meta)
        missed_by = derived_id("missed", row.deadline_id)  # the miss sets the next occurrence
        await set_next_occurrence(uow, row, missed_by, meta, now, calendar)
    return 1


async def set_deadline(
    uow: UnitOfWork, plan: PlannedDeadline, started_by: str, meta: Metadata, at: datetime
) -> None:
    """Append `notify.deadline.set` and record the clock; a provisional one (§13) raises the
    administrator alert for each year it counted Monday-Friday."""
    event = NewEvent(_set_event(plan, started_by), derived_id("set", plan.deadline_id))
    key = await queries.partition_of(uow.conn, plan.subject_id)
    await record(uow, plan.stream_id, [event], meta, partition_key=key)
    if plan.due.provisional:
        await alert_missing_years(uow, plan, meta, at)


async def meet(
    uow: UnitOfWork, row: Any, at: datetime, by_id: str, by_type: str, meta: Metadata
) -> None:
    """Close a running clock: a stop event or a satisfying event arrived (late when it had run
    out)."""
    met = DeadlineMet(
        deadline_id=row.deadline_id,
        rule=row.rule,
        subject_id=row.subject_id,
        met_at=at,
        met_by=by_id,
        met_by_type=by_type,
        late=row.state == OVERDUE or at > row.due_at,
    )
    event = NewEvent(met, derived_id("met", row.deadline_id, by_id))
    key = await queries.partition_of(uow.conn, row.subject_id)
    await record(uow, row.stream_id, [event], meta, partition_key=key)


async def set_next_occurrence(
    uow: UnitOfWork,
    row: Any,
    started_by: str,
    meta: Metadata,
    at: datetime,
    calendar: WorkingCalendar,
) -> bool:
    """Set the occurrence after `row`'s in its series (met or missed, the schedule goes on);
    False when the series' window closed or its rule left the table."""
    if row.series_id is None:
        return False
    try:
        rule = rule_for(row.rule)
    except KeyError:
        return False
    series = Series(row.series_id, row.series_started_at)
    plan = next_occurrence(
        rule, row.subject_id, row.organisation, row.workers, series, row.occurrence, calendar
    )
    if plan is None:
        return False
    plan = replace(plan, supervisors=tuple(row.supervisors))
    await set_deadline(uow, plan, started_by, meta, at)
    return True


async def restart_series(
    uow: UnitOfWork,
    running: Sequence[Any],
    restart_at: datetime,
    by_id: str,
    by_type: str,
    meta: Metadata,
    at: datetime,
    calendar: WorkingCalendar,
) -> None:
    """Replace each series of `running` (its begun occurrences already met) by one counted from
    `restart_at`: an occurrence not yet begun is cancelled (the new schedule supersedes it,
    it was neither met nor missed) and the new series' first occurrence is set (MZ-7.1.3)."""
    by_series: dict[str, Any] = {}
    for row in running:
        if row.series_id is None:
            continue
        by_series.setdefault(row.series_id, row)
        if row.started_at > at:
            reason = f"{by_type}: series restarted"
            await cancel(uow, row, at, by_id, by_type, reason, meta)
    for row in by_series.values():
        plan = restarted_series(
            rule_for(row.rule),
            row.subject_id,
            row.organisation,
            row.workers,
            by_id,
            restart_at,
            calendar,
        )
        if plan is not None:
            plan = replace(plan, supervisors=tuple(row.supervisors))
            await set_deadline(uow, plan, by_id, meta, at)


async def cancel(
    uow: UnitOfWork, row: Any, at: datetime, by_id: str, by_type: str, reason: str, meta: Metadata
) -> None:
    """Close a running clock as cancelled: its duty went away undone (neither met nor missed)."""
    cancelled = DeadlineCancelled(
        deadline_id=row.deadline_id,
        rule=row.rule,
        subject_id=row.subject_id,
        cancelled_at=at,
        cancelled_by=by_id,
        cancelled_by_type=by_type,
        reason=reason,
    )
    event = NewEvent(cancelled, derived_id("cancelled", row.deadline_id, by_id))
    key = await queries.partition_of(uow.conn, row.subject_id)
    await record(uow, row.stream_id, [event], meta, partition_key=key)


async def reassign(
    uow: UnitOfWork,
    row: Any,
    workers: Sequence[str],
    supervisors: Sequence[str],
    at: datetime,
    cause: str,
    meta: Metadata,
) -> None:
    """Name the case's team and supervisors on a running clock; nothing when they are named."""
    if (list(row.workers), list(row.supervisors)) == (list(workers), list(supervisors)):
        return
    event = DeadlineReassigned(
        deadline_id=row.deadline_id,
        rule=row.rule,
        subject_id=row.subject_id,
        workers=list(workers),
        supervisors=list(supervisors),
        reassigned_at=at,
        cause=cause,
    )
    new = NewEvent(event, derived_id("reassigned", row.deadline_id, cause))
    key = await queries.partition_of(uow.conn, row.subject_id)
    await record(uow, row.stream_id, [new], meta, partition_key=key)


async def remind(uow: UnitOfWork, row: Any, now: datetime, meta: Metadata) -> None:
    """Remind the rule's roles before the clock runs out, and queue it to their endpoints."""
    reminder = ReminderSent(
        deadline_id=row.deadline_id,
        rule=row.rule,
        subject_id=row.subject_id,
        organisation=row.organisation,
        remind=list(row.remind),
        workers=list(row.workers),
        due_at=row.due_at,
        sent_at=now,
    )
    event_id = derived_id("reminder", row.deadline_id)
    key = await queries.partition_of(uow.conn, row.subject_id)
    await record(uow, row.stream_id, [NewEvent(reminder, event_id)], meta, partition_key=key)
    await queue_for_deadline(uow.conn, ReminderSent.event_name, event_id, row)


async def miss(uow: UnitOfWork, row: Any, now: datetime, meta: Metadata) -> None:
    """The clock ran out (rule's clause): record the miss and escalate, together, to the roles
    the rule named when the clock was set (a later edit of the table does not reroute it)."""
    missed = DeadlineMissed(
        deadline_id=row.deadline_id,
        rule=row.rule,
        clause=row.clause,
        subject_id=row.subject_id,
        due_at=row.due_at,
        missed_at=now,
    )
    escalated = Escalated(
        deadline_id=row.deadline_id,
        rule=row.rule,
        clause=row.clause,
        subject_id=row.subject_id,
        organisation=row.organisation,
        escalate_to=list(row.escalate_to),
        escalated_at=now,
        supervisors=list(row.supervisors),
        workers=list(row.workers),
        party=row.party,
    )
    events = [
        NewEvent(missed, derived_id("missed", row.deadline_id)),
        NewEvent(escalated, derived_id("escalated", row.deadline_id)),
    ]
    key = await queries.partition_of(uow.conn, row.subject_id)
    await record(uow, row.stream_id, events, meta, partition_key=key)
    for event in events:
        assert event.event_id is not None
        await queue_for_deadline(uow.conn, event.data.event_name, event.event_id, row)


def _set_event(plan: PlannedDeadline, started_by: str) -> DeadlineSetV3:
    return DeadlineSetV3(
        deadline_id=plan.deadline_id,
        rule=plan.rule.code,
        clause=plan.clause,
        subject=plan.rule.subject.value,
        subject_id=plan.subject_id,
        organisation=plan.organisation,
        workers=list(plan.workers),
        started_at=plan.started_at,
        started_by=started_by,
        due_at=plan.due.due_at,
        remind_at=plan.remind_at,
        provisional=plan.due.provisional,
        missing_years=sorted(plan.due.missing_years),
        remind=[role.value for role in plan.rule.remind],
        escalate_to=[role.value for role in plan.rule.escalate_to],
        series_id=plan.series.series_id if plan.series else None,
        occurrence=plan.occurrence,
        series_started_at=plan.series.started_at if plan.series else None,
        party=plan.party,
        supervisors=list(plan.supervisors),
    )
