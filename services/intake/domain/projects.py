"""Which service project a case belongs to (DOMAIN §1): the entrustor commissions and pays a
project and reads its cases' deadlines; the provider runs it. A case is put in a project, or
moved to another, by its organisation's supervisors; once the archive is handed over
(JX-9.4.2) the case is no longer the provider's to file."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from events.domain import EventData, conflict
from intake.domain.cases import Case, Status
from intake.domain.events import CaseProjectSet

HANDOVER_RULE = "JX-9.4.2"


class SetProject(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    project_id: str
    entrustor_org: str
    at: datetime
    by: str


def set_project(command: SetProject, case: Case) -> list[EventData]:
    """Put the case in the project (a handed-over case is refused, 409)."""
    if case.status is Status.HANDED_OVER:
        message = "the archive was handed over; the case is no longer the provider's to file"
        raise conflict("case_handed_over", HANDOVER_RULE, message)
    return [
        CaseProjectSet(
            case_id=case.case_id,
            organisation=case.organisation,
            project_id=command.project_id,
            entrustor_org=command.entrustor_org,
            set_at=command.at,
            set_by=command.by,
        )
    ]
