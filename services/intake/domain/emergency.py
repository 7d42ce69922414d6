"""Breaking the glass: a supervisor outside a case's organisation may open it in an emergency
(a child of another organisation's case turning up at their hotline at night), never without
saying why. The opening is itself an event of the case, its reason sealed, so it is registered
with the case's history; the case's organisation's admins are notified; the access lasts
`EMERGENCY_ACCESS` and lets them read the case, not change it (`intake.domain.access`).

Nothing in the standards sets this window; it is short on purpose, an emergency is now."""

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from events.domain import EventData, conflict
from intake.domain.access import Caller
from intake.domain.cases import Case, Status
from intake.domain.events import EmergencyAccessGranted
from intake.domain.projects import HANDOVER_RULE

EMERGENCY_ACCESS = timedelta(hours=4)
NOTIFIED = ["org_admin"]


class OpenInEmergency(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    caller: Caller
    reason: str
    at: datetime


def open_in_emergency(command: OpenInEmergency, case: Case) -> list[EventData]:
    """Grant the caller a reading of the case until `at + EMERGENCY_ACCESS` (a case whose
    archive was handed over is refused, 409). Whether the caller reaches the case without it
    is the record rule's to say (`may_see`), before this is asked."""
    if case.status is Status.HANDED_OVER:
        raise conflict("case_handed_over", HANDOVER_RULE, "the archive was handed over")
    return [
        EmergencyAccessGranted(
            case_id=case.case_id,
            organisation=case.organisation,
            granted_to=command.caller.subject,
            granted_to_organisation=command.caller.organisation or "",
            reason=command.reason,
            granted_at=command.at,
            until=command.at + EMERGENCY_ACCESS,
            notify_roles=NOTIFIED,
        )
    ]
