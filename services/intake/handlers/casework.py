"""Work on a case by its team: home visits (JX-7.3), the investigation (I-4), the initial
statement (I-2) and consent (JX-7.2.3). Each is decided on the case's state alone, so one
handler serves them all, the domain's rule chosen by the command's type."""

from collections.abc import Callable
from functools import partial
from typing import Any

from events.context import Context
from events.registry import EventData
from events.uow import UnitOfWork
from intake.domain import casework as rules
from intake.domain.cases import Case
from intake.handlers.cases import on_case

CaseWork = (
    rules.RecordVisit | rules.RecordInvestigation | rules.RecordStatement | rules.RecordConsent
)
RULES: dict[type[Any], Callable[[Any, Case], list[EventData]]] = {
    rules.RecordVisit: rules.record_visit,
    rules.RecordInvestigation: rules.record_investigation,
    rules.RecordStatement: rules.record_statement,
    rules.RecordConsent: rules.record_consent,
}


async def record(command: CaseWork, uow: UnitOfWork, ctx: Context) -> None:
    """Record the visit, investigation, statement or consent on the case (a retry: nothing)."""
    await on_case(command.case_id, partial(RULES[type(command)], command), uow, ctx)
