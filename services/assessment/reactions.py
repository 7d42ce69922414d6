"""Reactions of the assessment service to other services' events (consumer runner, by name).

Each runs in one transaction with the inbox row of the event, so a redelivery changes nothing.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from assessment.projections import add_case
from events.consumer import Handler
from events.envelope import Envelope
from events.uow import UnitOfWork


class CaseOpenedFacts(BaseModel):
    """The fields of intake's `intake.case.opened` assessment relies on (others are ignored;
    a future `child_gender` is taken when intake publishes it)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    case_id: str
    organisation: str
    child_id: str | None = None
    child_gender: Literal["male", "female"] | None = None


async def when_a_case_is_opened_record_its_owner_and_child(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """Remember the case's organisation (who may grade it) and, if given, the child's gender
    (MZ-6.2.2: a female assessor for a girl). Malformed data raises: retried, then dead-lettered."""
    facts = CaseOpenedFacts.model_validate(envelope.data)
    await add_case(
        uow.conn,
        case_id=facts.case_id,
        organisation=facts.organisation,
        child_id=facts.child_id,
        child_gender=facts.child_gender,
        event_id=envelope.id,
    )


HANDLERS: dict[str, Handler] = {
    "intake.case.opened": when_a_case_is_opened_record_its_owner_and_child,
}
