"""Reactions of notify to other services' events (consumer runner, by event name): stop the
clocks an event stops, meet the current occurrence of the series it satisfies (and set the next
one), start the clocks it starts, and queue a mandatory report to the police and civil-affairs
endpoints subscribed to it (SZ-5.2).

Each runs in one transaction with the inbox row of the event, through the non-committing steps
of `handlers` (the consumer runner commits). Event ids are derived from the causing event
(uuid5), so even a handling that slipped past the inbox would append nothing new.
Only plaintext, non-personal fields of the event are read: notify holds no case data keys.
"""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from events.consumer import Handler
from events.envelope import Envelope
from events.uow import UnitOfWork, caused_by
from notify.domain import CLOCK_TABLE, WorkingCalendar
from notify.domain.subscriptions import EMERGENCY_ACCESS_GRANTED, MANDATORY_REPORT_FILED
from notify.domain.tracking import (
    PlannedDeadline,
    deadlines_started_by,
    entities_of,
    linked_to_case,
    occurrences_met,
    series_id_of,
    subjects_satisfied_by,
    subjects_stopped_by,
)
from notify.handlers import deadlines
from notify.handlers.notifications import queue_for_emergency_access, queue_for_mandatory_report
from notify.projections import projector, queries

ACTOR = "service:notify"
#: Events that start no clock but say who owns a case or a child.
OWNER_EVENTS = ("intake.case.opened", "intake.child.registered")
PROJECT_SET = "intake.case.project_set"


def reactions(calendar: WorkingCalendar) -> dict[str, Handler]:
    """A handler for every event name that starts, meets or stops a clock of the table."""

    async def when_a_clock_event_arrives_start_meet_and_stop_deadlines(
        envelope: Envelope, uow: UnitOfWork
    ) -> None:
        await remember_organisation(envelope, uow)
        await stop_deadlines(envelope, uow)
        await satisfy_occurrences(envelope, uow, calendar)
        await start_deadlines(envelope, uow, calendar)

    names = {
        name
        for rule in CLOCK_TABLE
        for name in (*rule.starts_on, *rule.stopped_by, *rule.satisfied_by)
    }

    async def when_a_mandatory_report_is_filed_notify_its_recipients_and_start_its_clock(
        envelope: Envelope, uow: UnitOfWork
    ) -> None:
        await when_a_clock_event_arrives_start_meet_and_stop_deadlines(envelope, uow)
        await queue_for_mandatory_report(uow.conn, envelope)

    handlers: dict[str, Handler] = {
        name: when_a_case_opens_or_a_child_is_registered_remember_who_owns_it
        for name in OWNER_EVENTS
    }
    for name in sorted(names):
        handlers[name] = when_a_clock_event_arrives_start_meet_and_stop_deadlines
    handlers[MANDATORY_REPORT_FILED] = (
        when_a_mandatory_report_is_filed_notify_its_recipients_and_start_its_clock
    )
    handlers[PROJECT_SET] = when_a_case_is_put_in_a_project_list_its_deadlines_there
    handlers[EMERGENCY_ACCESS_GRANTED] = when_a_case_is_opened_in_an_emergency_tell_its_admins
    return handlers


async def when_a_case_is_opened_in_an_emergency_tell_its_admins(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """Breaking the glass is never silent: the case's organisation hears at once (SZ-7.3.3)."""
    await queue_for_emergency_access(uow.conn, envelope)


async def when_a_case_opens_or_a_child_is_registered_remember_who_owns_it(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """Such events start no clock, but a later one on the same report, case or child may omit
    its organisation."""
    await remember_organisation(envelope, uow)


async def when_a_case_is_put_in_a_project_list_its_deadlines_there(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """Keep the case's project, so its deadlines are listed per project and to the entrustor
    that commissions it (DOMAIN §1)."""
    await remember_organisation(envelope, uow)
    data = envelope.data
    case_id, project, entrustor = (
        data.get("case_id"),
        data.get("project_id"),
        data.get("entrustor_org"),
    )
    if isinstance(case_id, str) and isinstance(project, str) and isinstance(entrustor, str):
        organisation = data.get("organisation")
        owner = organisation if isinstance(organisation, str) else None
        await projector.set_project(uow.conn, case_id, project, entrustor, owner)


async def remember_organisation(envelope: Envelope, uow: UnitOfWork) -> None:
    """Learn which organisation owns the reports, cases and children an event names, so a
    clock started by an event that omits it (assessment's plan events) is still listed to that
    organisation's supervisors; and which case the reports, child and task belong to, so their
    clocks follow the case's project."""
    organisation = envelope.data.get("organisation")
    if isinstance(organisation, str) and organisation:
        await projector.remember_organisation(uow.conn, entities_of(envelope.data), organisation)
    case_id = envelope.data.get("case_id")
    if isinstance(case_id, str) and case_id:
        await projector.remember_case_links(uow.conn, case_id, linked_to_case(envelope.data))


async def start_deadlines(envelope: Envelope, uow: UnitOfWork, calendar: WorkingCalendar) -> None:
    """Append `notify.deadline.set` for each clock (or first occurrence of a series) the event
    starts and record it (I-2, I-3, M-4, M-5, M-9, §3, §4, §5, §8, §12: whichever rules of the
    table name this event)."""
    plans = deadlines_started_by(
        envelope.id, envelope.event_name, envelope.data, envelope.time, calendar
    )
    meta = caused_by(envelope, ACTOR)
    for plan in plans:
        if plan.organisation is None:
            plan = replace(plan, organisation=await _owner(envelope, uow, plan))
        await deadlines.set_deadline(uow, plan, envelope.id, meta, envelope.time)


async def stop_deadlines(envelope: Envelope, uow: UnitOfWork) -> None:
    """Append `notify.deadline.met` for each running clock the event stops (late when it had
    run out) and close its row; for a series, every running occurrence, which ends it. A series
    this very event starts is not stopped by it (a new follow-up category replaces the old)."""
    meta = caused_by(envelope, ACTOR)
    for rule, subject_id, staff in subjects_stopped_by(envelope.event_name, envelope.data):
        own_series = series_id_of(rule, subject_id, envelope.id)
        for row in await queries.running_of(uow.conn, rule, subject_id, staff):
            if row.series_id != own_series:
                await deadlines.meet(uow, row, envelope.time, envelope.id, envelope.type, meta)


async def satisfy_occurrences(
    envelope: Envelope, uow: UnitOfWork, calendar: WorkingCalendar
) -> None:
    """Meet the begun occurrences of each series the event satisfies (a missed one late) and
    set the occurrence after the last of them unless it is already set (SZ-5.8.2, NX-6.1.6,
    MZ-7.1.3)."""
    meta = caused_by(envelope, ACTOR)
    for rule, subject_id, staff in subjects_satisfied_by(envelope.event_name, envelope.data):
        running = await queries.running_of(uow.conn, rule, subject_id, staff)
        met = occurrences_met(running, envelope.time)
        for row in met:
            await deadlines.meet(uow, row, envelope.time, envelope.id, envelope.type, meta)
        for row in _latest_per_series(met):
            if not any(
                r.series_id == row.series_id and r.occurrence > row.occurrence for r in running
            ):
                await deadlines.set_next_occurrence(
                    uow, row, envelope.id, meta, envelope.time, calendar
                )


def _latest_per_series(rows: Sequence[Any]) -> list[Any]:
    latest: dict[str, Any] = {}
    for row in (r for r in rows if r.series_id is not None):
        kept = latest.get(row.series_id)
        if kept is None or row.occurrence > kept.occurrence:
            latest[row.series_id] = row
    return list(latest.values())


async def _owner(envelope: Envelope, uow: UnitOfWork, plan: PlannedDeadline) -> str | None:
    """The organisation of the clock's subject, or of a case or child the event names (an
    assessment task names its case, not an organisation)."""
    for entity in (plan.subject_id, *entities_of(envelope.data)):
        owner = await queries.organisation_of(uow.conn, entity)
        if owner is not None:
            return owner
    return None
