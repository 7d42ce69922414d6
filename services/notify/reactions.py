"""Reactions of notify to other services' events (consumer runner, by event name): start the
clocks of the clock table an event starts, stop those it stops, and queue a mandatory report
to the police and civil-affairs endpoints subscribed to it (SZ-5.2).

Each runs in one transaction with the inbox row of the event. Event ids are derived from the
causing event (uuid5), so even a handling that slipped past the inbox would append nothing new.
Only plaintext, non-personal fields of the event are read: notify holds no case data keys.
"""

from dataclasses import replace

from events.consumer import Handler
from events.envelope import Envelope
from events.store import NewEvent
from events.uow import UnitOfWork, caused_by
from notify import projections
from notify.domain import CLOCK_TABLE, WorkingCalendar
from notify.domain.subscriptions import MANDATORY_REPORT_FILED
from notify.domain.tracking import (
    PlannedDeadline,
    deadlines_started_by,
    derived_id,
    entities_of,
    stream_of,
    subjects_stopped_by,
)
from notify.events import DeadlineMet, DeadlineSet
from notify.notifications import queue_for_mandatory_report

ACTOR = "service:notify"
#: Events that start no clock but say who owns a case or a child.
OWNER_EVENTS = ("intake.case.opened", "intake.child.registered")


def reactions(calendar: WorkingCalendar) -> dict[str, Handler]:
    """A handler for every event name that starts or stops a one-off clock of the table."""

    async def when_a_clock_event_arrives_start_and_stop_deadlines(
        envelope: Envelope, uow: UnitOfWork
    ) -> None:
        await remember_organisation(envelope, uow)
        await stop_deadlines(envelope, uow)
        await start_deadlines(envelope, uow, calendar)

    names = {
        name
        for rule in CLOCK_TABLE
        if not rule.is_recurring
        for name in (*rule.starts_on, *rule.stopped_by)
    }

    async def when_a_mandatory_report_is_filed_notify_its_recipients_and_start_its_clock(
        envelope: Envelope, uow: UnitOfWork
    ) -> None:
        await when_a_clock_event_arrives_start_and_stop_deadlines(envelope, uow)
        await queue_for_mandatory_report(uow.conn, envelope)

    handlers: dict[str, Handler] = {name: remember_organisation for name in OWNER_EVENTS}
    for name in sorted(names):
        handlers[name] = when_a_clock_event_arrives_start_and_stop_deadlines
    handlers[MANDATORY_REPORT_FILED] = (
        when_a_mandatory_report_is_filed_notify_its_recipients_and_start_its_clock
    )
    return handlers


async def remember_organisation(envelope: Envelope, uow: UnitOfWork) -> None:
    """Learn which organisation owns the reports, cases and children an event names, so a
    clock started by an event that omits it (assessment's plan events) is still listed to that
    organisation's supervisors."""
    organisation = envelope.data.get("organisation")
    if isinstance(organisation, str) and organisation:
        await projections.remember_organisation(uow.conn, entities_of(envelope.data), organisation)


async def start_deadlines(envelope: Envelope, uow: UnitOfWork, calendar: WorkingCalendar) -> None:
    """Append `notify.deadline.set` for each clock the event starts and record it (I-2, I-3,
    M-4, M-5, M-9, §3, §5, §8: whichever rules of the table name this event)."""
    plans = deadlines_started_by(
        envelope.id, envelope.event_name, envelope.data, envelope.time, calendar
    )
    for plan in plans:
        if plan.organisation is None:
            owner = await projections.organisation_of(uow.conn, plan.subject_id)
            plan = replace(plan, organisation=owner)
        event = NewEvent(_set_event(plan, envelope.id), derived_id("set", plan.deadline_id))
        await uow.append(
            plan.stream_id,
            None,
            [event],
            caused_by(envelope, ACTOR),
            partition_key=plan.subject_id,
        )
        await projections.add_deadline(uow.conn, plan, envelope.id)


async def stop_deadlines(envelope: Envelope, uow: UnitOfWork) -> None:
    """Append `notify.deadline.met` for each running clock the event stops (late when the clock
    had run out) and close its row."""
    for rule, subject_id in subjects_stopped_by(envelope.event_name, envelope.data):
        for row in await projections.running_of(uow.conn, rule, subject_id):
            met = DeadlineMet(
                deadline_id=row.deadline_id,
                rule=rule,
                subject_id=subject_id,
                met_at=envelope.time,
                met_by=envelope.id,
                met_by_type=envelope.type,
                late=row.state == projections.OVERDUE or envelope.time > row.due_at,
            )
            event_id = derived_id("met", row.deadline_id, envelope.id)
            await uow.append(
                stream_of(rule, subject_id),
                None,
                [NewEvent(met, event_id)],
                caused_by(envelope, ACTOR),
                partition_key=subject_id,
            )
            await projections.mark(
                uow.conn, row.deadline_id, state=projections.MET, met_at=envelope.time
            )


def _set_event(plan: PlannedDeadline, started_by: str) -> DeadlineSet:
    return DeadlineSet(
        deadline_id=plan.deadline_id,
        rule=plan.rule.code,
        clause=plan.rule.clause,
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
    )
