"""Work on a case by its team: home visits (JX-7.3), the investigation (I-4), the initial
statement (I-2) and consent (JX-7.2.3). Each is decided on the case's state and its workplace
(`casework.Workplace`: when its first report came in, the staff the command names, the child's
gender), so one handler serves them all, the domain's rule chosen by the command's type."""

from collections.abc import Callable
from typing import Any

from events.context import Context
from events.registry import EventData
from events.uow import UnitOfWork
from intake.domain import Gender
from intake.domain import casework as rules
from intake.domain.cases import Case
from intake.handlers.cases import on_case
from intake.projections.rows import case_row, child_row, report_rows, staff_from_row, staff_rows

CaseWork = (
    rules.RecordVisit | rules.RecordInvestigation | rules.RecordStatement | rules.RecordConsent
)
RULES: dict[type[Any], Callable[[Any, Case, rules.Workplace], list[EventData]]] = {
    rules.RecordVisit: rules.record_visit,
    rules.RecordInvestigation: rules.record_investigation,
    rules.RecordStatement: rules.record_statement,
    rules.RecordConsent: rules.record_consent,
}


async def record(command: CaseWork, uow: UnitOfWork, ctx: Context) -> None:
    """Record the visit, investigation, statement or consent on the case (a retry: nothing)."""
    place, rule = await workplace(uow, command.case_id, _named(command)), RULES[type(command)]
    await on_case(command.case_id, lambda case: rule(command, case, place), uow, ctx)


async def workplace(uow: UnitOfWork, case_id: str, worker_ids: list[str]) -> rules.Workplace:
    """From the read models: the case's earliest report, its child's gender, the staff named.
    LookupError when there is no such case."""
    row = await case_row(uow.conn, case_id)
    if row is None:
        raise LookupError(case_id)
    received = [r.received_at for r in await report_rows(uow.conn, list(row.report_ids))]
    staff = await staff_rows(uow.conn, row.organisation, worker_ids) if worker_ids else []
    child = await child_row(uow.conn, row.child_id)
    return rules.Workplace(
        reports_from=min(received, default=row.opened_at),
        staff={s.worker_id: staff_from_row(s).as_member() for s in staff},
        child_gender=Gender(child.gender),
    )


def _named(command: CaseWork) -> list[str]:
    if isinstance(command, rules.RecordVisit):
        return list(command.worker_ids)
    if isinstance(command, rules.RecordInvestigation):
        return list(command.investigator_ids)
    return []
