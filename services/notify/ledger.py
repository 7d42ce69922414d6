"""Deadline events and their read-model rows, written together in the caller's unit of work:
setting a clock (and alerting an administrator when it had to count a year nobody loaded),
meeting it, and setting a series' next occurrence. Reactions and the scheduler share these, so a
clock is recorded the same way whichever path set it. Event ids are derived from the deadline,
so repeating any of them appends nothing new.
"""

from datetime import datetime
from typing import Any

from events.envelope import Metadata
from events.store import NewEvent
from events.uow import UnitOfWork
from notify import calendar_store, projections
from notify.domain import WorkingCalendar, rule_for
from notify.domain.events import DeadlineMet, DeadlineSetV2
from notify.domain.tracking import PlannedDeadline, Series, derived_id, next_occurrence


async def set_deadline(
    uow: UnitOfWork, plan: PlannedDeadline, started_by: str, meta: Metadata, at: datetime
) -> None:
    """Append `notify.deadline.set` and record the clock; a provisional one (§13) raises the
    administrator alert for each year it counted Monday-Friday."""
    event = NewEvent(_set_event(plan, started_by), derived_id("set", plan.deadline_id))
    key = await projections.partition_of(uow.conn, plan.subject_id)
    await uow.append(plan.stream_id, None, [event], meta, partition_key=key)
    await projections.add_deadline(uow.conn, plan, started_by)
    if plan.due.provisional:
        await calendar_store.alert_missing_years(uow, plan, meta, at)


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
        late=row.state == projections.OVERDUE or at > row.due_at,
    )
    event = NewEvent(met, derived_id("met", row.deadline_id, by_id))
    key = await projections.partition_of(uow.conn, row.subject_id)
    await uow.append(row.stream_id, None, [event], meta, partition_key=key)
    await projections.mark(uow.conn, row.deadline_id, state=projections.MET, met_at=at)


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
    await set_deadline(uow, plan, started_by, meta, at)
    return True


def _set_event(plan: PlannedDeadline, started_by: str) -> DeadlineSetV2:
    return DeadlineSetV2(
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
    )
