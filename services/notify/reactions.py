"""Reactions of notify to other services' events (consumer runner, by event name): stop the
clocks an event stops, meet the current occurrence of the series it satisfies (and set the next
one), start the clocks it starts, and queue a mandatory report to the police and civil-affairs
endpoints subscribed to it (SZ-5.2).

Each runs in one transaction with the inbox row of the event, through the non-committing steps
of `handlers` (the consumer runner commits). Event ids are derived from the causing event
(uuid5), so even a handling that slipped past the inbox would append nothing new.
Only plaintext, non-personal fields of the event are read: notify holds no case data keys.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from events.consumer import Handler
from events.envelope import Envelope
from events.uow import UnitOfWork, caused_by
from notify.domain import CLOCK_TABLE, Subject, WorkingCalendar, indicators, rule_for
from notify.domain.cases import (
    STATUS_CHANGED,
    TEAM_ASSIGNED,
    WORKER_REMOVED,
    cancel_reason,
    with_team,
)
from notify.domain.subscriptions import (
    CASE_UNDERSTAFFED,
    EMERGENCY_ACCESS_GRANTED,
    MANDATORY_REPORT_FILED,
)
from notify.domain.tracking import (
    PlannedDeadline,
    deadlines_started_by,
    entities_of,
    linked_to_case,
    occurrences_met,
    reaches,
    restart_point,
    series_id_of,
    subjects_satisfied_by,
    subjects_stopped_by,
)
from notify.handlers import cases, deadlines
from notify.handlers.notifications import (
    queue_for_emergency_access,
    queue_for_mandatory_report,
    queue_for_understaffed_case,
)
from notify.projections import projector, queries

ACTOR = "service:notify"
#: Events that start no clock but say who owns a case or a child.
OWNER_EVENTS = ("intake.case.opened", "intake.child.registered")
PROJECT_SET = "intake.case.project_set"
CASE_OPENED = "intake.case.opened"


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

    async def when_a_case_moves_start_its_follow_up_clock_or_at_its_end_cancel_its_clocks(
        envelope: Envelope, uow: UnitOfWork
    ) -> None:
        """A move to follow_up starts the post-closure clock (SZ-6.6); an end cancels."""
        await when_a_clock_event_arrives_start_meet_and_stop_deadlines(envelope, uow)
        await when_a_case_ends_cancel_its_clocks(envelope, uow)

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
    handlers[CASE_UNDERSTAFFED] = when_a_case_is_left_understaffed_tell_its_supervisors
    handlers[CASE_OPENED] = when_a_case_opens_remember_its_owner_and_child
    handlers[TEAM_ASSIGNED] = when_the_case_team_changes_its_clocks_name_the_new_team
    handlers[WORKER_REMOVED] = when_the_case_team_changes_its_clocks_name_the_new_team
    handlers[STATUS_CHANGED] = (
        when_a_case_moves_start_its_follow_up_clock_or_at_its_end_cancel_its_clocks
    )
    for name in (*indicators.RECORD_EVENTS, indicators.CLOSURE_RECORDED):
        handlers[name] = kept_for_the_indicators(handlers.get(name))
    return handlers


async def when_a_case_opens_remember_its_owner_and_child(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """Its reports' and child's clocks belong to it from now on (project, team, its end)."""
    await remember_organisation(envelope, uow)
    await cases.opened(envelope, uow)


async def when_the_case_team_changes_its_clocks_name_the_new_team(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """A new member sees the case's open clocks, one who left does not; the assigning
    supervisor is named for escalation (MZ-6.2.2, issue 14 item 11)."""
    await remember_organisation(envelope, uow)
    await cases.team_changed(envelope, uow, caused_by(envelope, ACTOR))


async def when_a_case_ends_cancel_its_clocks(envelope: Envelope, uow: UnitOfWork) -> None:
    """Closed, transferred or handed over: every open clock of the case, its reports, tasks
    and (unless the child is in another open case) its child ends as cancelled, with the status
    change as reason (SZ-6.5, SZ-6.6, JX-6.2.1, JX-9.4.2)."""
    await remember_organisation(envelope, uow)
    await cases.status_changed(envelope, uow, caused_by(envelope, ACTOR))


async def when_a_case_is_opened_in_an_emergency_tell_its_admins(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """Breaking the glass is never silent: the case's organisation hears at once (SZ-7.3.3)."""
    await queue_for_emergency_access(uow.conn, envelope)


async def when_a_case_is_left_understaffed_tell_its_supervisors(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """A suspension or departure left the case short of the team MZ-6.2.2 needs: the
    organisation's subscribers hear at once, the notification naming the case's supervisors,
    who must complete the team (issue 14 item 4)."""
    await remember_organisation(envelope, uow)
    await queue_for_understaffed_case(uow.conn, envelope)


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
        if plan.series is not None and await _series_running(uow, plan):
            continue  # an emergency report, then its category: one weekly series (SZ-5.8.2)
        if plan.rule.once_per_fact and await queries.covered(
            uow.conn, plan.rule.code, plan.subject_id, plan.started_at
        ):
            continue  # assessment's closure and intake's move to follow-up: one clock (SZ-6.6)
        if plan.organisation is None:
            plan = replace(plan, organisation=await _owner(envelope, uow, plan))
        team = await queries.team_of(uow.conn, plan.subject_id)
        if team is not None:  # the case team sees it, its supervisors get the escalation
            plan = replace(
                plan,
                workers=with_team(plan.workers, team.workers),
                supervisors=tuple(team.supervisors),
            )
        await deadlines.set_deadline(uow, plan, envelope.id, meta, envelope.time)


async def _series_running(uow: UnitOfWork, plan: PlannedDeadline) -> bool:
    """Whether a series of the plan's rule already runs on its subject. Not asked for a staff
    member: an old clock may share their subject id while naming another person."""
    if plan.rule.subject is Subject.WORKER:
        return False
    running = await queries.running_of(uow.conn, plan.rule.code, plan.subject_id)
    return any(row.series_id is not None for row in running)


async def stop_deadlines(envelope: Envelope, uow: UnitOfWork) -> None:
    """Append `notify.deadline.met` for each running clock the event stops (late when it had
    run out), or `notify.deadline.cancelled` when the rule says the event cancels it (a
    superseded task, a closure), and close its row; for a series, every running occurrence,
    which ends it. A per-recipient clock stops on its own recipient only (SZ-5.2.1). A series
    this very event starts, or would start again, is not stopped by it (a new follow-up
    category replaces the old; the same category again keeps it)."""
    meta = caused_by(envelope, ACTOR)
    name, data = envelope.event_name, await _with_child(envelope.data, uow)
    for reached in subjects_stopped_by(name, data):
        rule = rule_for(reached.rule)
        if rule.is_recurring and name in rule.starts_on and rule.applies_to(data, name):
            continue
        own_series = series_id_of(reached.rule, reached.subject_id, envelope.id)
        for row in await queries.running_of(uow.conn, *reached[:3]):
            if row.series_id == own_series or not reaches(reached, row.party):
                continue
            if rule.cancels(name):
                reason = cancel_reason(name, data)
                await deadlines.cancel(uow, row, envelope.time, envelope.id, name, reason, meta)
            else:
                await deadlines.meet(uow, row, envelope.time, envelope.id, envelope.type, meta)


async def _with_child(data: Mapping[str, Any], uow: UnitOfWork) -> Mapping[str, Any]:
    """The event's data, naming the case's child when the event names only its case (a
    closure ends the child's follow-up series, SZ-5.8.2)."""
    case_id = data.get("case_id")
    if data.get("child_id") or not isinstance(case_id, str):
        return data
    child = await queries.child_of(uow.conn, case_id)
    return {**data, "child_id": child} if child else data


async def satisfy_occurrences(
    envelope: Envelope, uow: UnitOfWork, calendar: WorkingCalendar
) -> None:
    """Meet the begun occurrences of each series the event satisfies (a missed one late) and
    set the occurrence after the last of them unless it is already set (SZ-5.8.2, NX-6.1.6);
    or, for a rule counted from its last satisfaction, restart the series from the date the
    event states (MZ-7.1.3)."""
    meta = caused_by(envelope, ACTOR)
    for rule, subject_id, staff, _ in subjects_satisfied_by(envelope.event_name, envelope.data):
        running = await queries.running_of(uow.conn, rule, subject_id, staff)
        met = occurrences_met(running, envelope.time)
        for row in met:
            await deadlines.meet(uow, row, envelope.time, envelope.id, envelope.type, meta)
        restart = restart_point(rule_for(rule), envelope.data, envelope.time)
        if restart is not None:  # the yearly check: next due a year after this one (MZ-7.1.3)
            await deadlines.restart_series(
                uow,
                running,
                restart,
                envelope.id,
                envelope.event_name,
                meta,
                envelope.time,
                calendar,
            )
            continue
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


def kept_for_the_indicators(handler: Handler | None) -> Handler:
    """`handler` (if the event also moves clocks), then what the event adds to its project's
    indicators (JX-7.5.3): a record the case holds, or its closure's outcome figures."""

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        if handler is not None:
            await handler(envelope, uow)
        case_id = envelope.data.get("case_id")
        if not isinstance(case_id, str) or not case_id:
            return
        kind = indicators.RECORD_EVENTS.get(envelope.event_name)
        figures = envelope.data.get("indicators")
        if kind is not None:
            await projector.record_case_work(uow.conn, case_id, kind)
        elif isinstance(figures, dict):
            await projector.record_closure(uow.conn, case_id, figures)

    return handle
