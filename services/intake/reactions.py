"""Reactions of the intake service to other services' events (consumer runner, by name).

The events that move a case's status, in one place; each carries `case_id`. Assessment
publishes the first two; `archive.handover.completed` waits for the archive service (the
contract test lists it as not yet produced).
Each reaction runs in one transaction with the inbox row of the event (a redelivery is
skipped); an event about a case this service does not hold, or a move the status table does
not allow from the case's present status, records nothing and is logged.
"""

import logging

from pydantic import BaseModel, ConfigDict

from events.consumer import Handler
from events.context import Context
from events.envelope import Envelope
from events.uow import UnitOfWork
from intake.domain import cases as case_rules
from intake.domain.cases import ChangeStatus, Status
from intake.handlers.shared import append, load

ACTOR = "service:intake"
log = logging.getLogger(__name__)

# other service's event name -> the status it moves the case to
STATUS_EVENTS: dict[str, Status] = {
    "assessment.service_plan.agreement_signed": Status.IN_SERVICE,  # the plan runs (SZ-6.4, M-3)
    "assessment.closure.recorded": Status.FOLLOW_UP,  # closing record done, follow-ups (SZ-6.6)
    "archive.handover.completed": Status.HANDED_OVER,  # archive with the entrustor (JX-9.4.2)
}


class AboutACase(BaseModel):
    """The one field intake needs of those events (others are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    case_id: str


async def when_case_moved_elsewhere_set_its_status(envelope: Envelope, uow: UnitOfWork) -> None:
    """Move the case the event names to the status `STATUS_EVENTS` gives its name.
    Malformed data raises: retried, then dead-lettered."""
    case_id = AboutACase.model_validate(envelope.data).case_id
    history = await load(uow, case_id)
    case = case_rules.case_state(history.events)
    target = STATUS_EVENTS[envelope.event_name]
    ctx = Context.caused_by(envelope, actor=ACTOR)  # a redelivery appends nothing twice
    if case is None:
        log.warning("%s names unknown case %s: nothing to move", envelope.event_name, case_id)
        return
    if history.retried(ctx):
        return
    command = ChangeStatus(
        case_id=case_id, to=target, at=envelope.time, by=ACTOR, cause=envelope.event_name
    )
    events = case_rules.follow_other_service(command, case)
    if not events:
        if case.status != target:
            log.warning(
                "%s cannot move case %s from %s to %s: skipped",
                envelope.event_name,
                case_id,
                case.status.value,
                target.value,
            )
        return
    await append(uow, case_id, history, events, ctx, key_scope=case.child_id)


HANDLERS: dict[str, Handler] = dict.fromkeys(
    STATUS_EVENTS, when_case_moved_elsewhere_set_its_status
)
