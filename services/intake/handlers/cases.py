"""Cases (DOMAIN §2, I-5): open a case from reports, set its investigation team, move its
status, put it in a service project, record its closing work and follow-ups (SZ-6.5, SZ-6.6,
MZ-6.4); `on_case` is the load-decide-append every command decided on the case's state alone
goes through (`casework` too): after the decision it appends the moves that facts of other
services called for and the case now has what they need (`cases.then_moves_due`)."""

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from events.context import Context
from events.registry import EventData
from events.uow import UnitOfWork
from intake.domain import Gender, emergency
from intake.domain import cases as rules
from intake.domain import closing as closing_rules
from intake.domain import projects as project_rules
from intake.domain.clock import local_date
from intake.handlers.shared import History, append, load
from intake.projections.rows import (
    child_row,
    next_case_number,
    report_rows,
    staff_from_row,
    staff_rows,
    teams_of,
)

REPORT_REF = ("report_id", "organisation", "child_id", "case_id", "received_by")
Decision = Callable[[rules.Case], list[EventData]]


async def case_of(uow: UnitOfWork, case_id: str) -> tuple[History, rules.Case]:
    """The case's stream and state; LookupError when there is no such case."""
    history = await load(uow, case_id)
    state = rules.case_state(history.events)
    if state is None:
        raise LookupError(case_id)
    return history, state


async def on_case(case_id: str, decide: Decision, uow: UnitOfWork, ctx: Context) -> None:
    """Load the case, let the domain decide, append, commit; a retry is a no-op."""
    history, case = await case_of(uow, case_id)
    if history.retried(ctx):
        return
    events = rules.then_moves_due(case, decide(case), datetime.now(UTC))
    await append(uow, case_id, history, events, ctx, key_scope=case.child_id)
    await uow.commit()


async def open_in_emergency(
    command: emergency.OpenInEmergency, uow: UnitOfWork, ctx: Context
) -> None:
    await on_case(command.case_id, partial(emergency.open_in_emergency, command), uow, ctx)


async def open_case(command: rules.OpenCase, uow: UnitOfWork, ctx: Context) -> None:
    """Open a case from reports; the case number is drawn in the same transaction."""
    history = await load(uow, command.case_id)
    if history.retried(ctx):
        return
    refs = await _report_refs(uow, command.report_ids)
    year = local_date(command.opened_at).year
    number = await next_case_number(uow.conn, command.organisation, year)
    events = rules.open_case(command, refs, number)
    await append(uow, command.case_id, history, events, ctx, key_scope=refs[0].child_id)
    await uow.commit()


async def _report_refs(uow: UnitOfWork, report_ids: list[str]) -> list[rules.ReportRef]:
    """The reports with who received them and the team of the case holding each, if any: what
    the record rule (`intake.domain.access`) decides on."""
    rows = await report_rows(uow.conn, report_ids)
    teams = await teams_of(uow.conn, [r.case_id for r in rows if r.case_id])
    return [
        rules.ReportRef(
            **{k: r._mapping[k] for k in REPORT_REF}, team=teams.get(r.case_id, frozenset())
        )
        for r in rows
    ]


async def assign_team(command: rules.AssignTeam, uow: UnitOfWork, ctx: Context) -> None:
    """Set the case's investigation team, checked against I-5 and §12 on the day."""
    history, case = await case_of(uow, command.case_id)
    if history.retried(ctx):
        return
    rows = await staff_rows(uow.conn, case.organisation, command.worker_ids)
    members = [staff_from_row(r).as_member() for r in rows]
    child = await child_row(uow.conn, case.child_id)
    events = rules.assign_team(command, case, members, Gender(child.gender))
    await append(uow, command.case_id, history, events, ctx, key_scope=case.child_id)
    await uow.commit()


async def change_status(command: rules.ChangeStatus, uow: UnitOfWork, ctx: Context) -> None:
    await on_case(command.case_id, partial(rules.change_status, command), uow, ctx)


async def set_project(command: project_rules.SetProject, uow: UnitOfWork, ctx: Context) -> None:
    await on_case(command.case_id, partial(project_rules.set_project, command), uow, ctx)


ClosingWork = (
    closing_rules.RecordClosingStep
    | closing_rules.GiveEndingNotice
    | closing_rules.RecordServiceReport
    | closing_rules.PlanFollowup
    | closing_rules.RecordFollowup
    | closing_rules.AssessFullClosure
)
CLOSING_RULES: dict[type[Any], Callable[[Any, rules.Case], list[EventData]]] = {
    closing_rules.RecordClosingStep: closing_rules.record_closing_step,
    closing_rules.GiveEndingNotice: closing_rules.give_ending_notice,
    closing_rules.RecordServiceReport: closing_rules.record_service_report,
    closing_rules.PlanFollowup: closing_rules.plan_followup,
    closing_rules.RecordFollowup: closing_rules.record_followup,
    closing_rules.AssessFullClosure: closing_rules.assess_full_closure,
}


async def record_closing(command: ClosingWork, uow: UnitOfWork, ctx: Context) -> None:
    """Closing work or a follow-up on the case, the domain's rule chosen by the command's type."""
    await on_case(command.case_id, partial(CLOSING_RULES[type(command)], command), uow, ctx)
