"""`POST /v1/cases/{case_id}/emergency-access`: a supervisor outside the case's organisation
breaks the glass, saying why (`intake.domain.emergency`). The opening is an event of the case
(its reason sealed), notify tells the case's organisation's admins, and for four hours the
supervisor reads the case (`GET /v1/cases/{id}`, `/file`) but changes nothing."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from events.api import IdempotencyKey, Supervisor, context, now
from events.app import BackboneDep
from events.domain import Text
from events.problems import Problem
from intake.api.access import caller_of
from intake.api.common import not_found
from intake.api.inputs import PathId
from intake.domain.access import RULE, may_see
from intake.domain.emergency import OpenInEmergency
from intake.handlers import cases as handlers
from intake.projections.rows import (
    case_holding,
    case_row,
    emergency_readers,
    emergency_until,
    team_of,
)

router = APIRouter(prefix="/v1/cases", tags=["cases"])


class EmergencyAccessCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[Text, Field(min_length=20, max_length=2000)] = Field(
        description="why the case must be read now; sealed, seen by whoever audits the case"
    )


class EmergencyAccess(BaseModel):
    case_id: str
    granted_to: str
    until: datetime


@router.post("/{case_id}/emergency-access", status_code=201)
async def open_in_emergency(
    case_id: PathId,
    body: EmergencyAccessCreate,
    principal: Supervisor,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> EmergencyAccess:
    """Open another organisation's case in an emergency; 409 to a caller who reaches it anyway."""
    at = now()
    async with backbone.uow() as uow:
        row = await case_row(uow.conn, case_id)
        if row is None:
            raise not_found("case")
        team = await team_of(uow.conn, case_id)
        glass = await emergency_readers(uow.conn, case_id, at)
    caller = caller_of(principal)
    if may_see(caller, case_holding(row, team, glass)).allowed:
        detail = "you reach this case without breaking the glass"
        raise Problem(409, "conflict", "Not needed", detail, rule=RULE)
    command = OpenInEmergency(case_id=case_id, caller=caller, reason=body.reason, at=at)
    async with backbone.uow() as uow:
        ctx = context(principal, f"{case_id}/emergency-access", key, body)
        await handlers.open_in_emergency(command, uow, ctx)
    async with backbone.uow() as uow:  # as recorded: a retry answers the first opening
        until = await emergency_until(uow.conn, case_id, principal.subject, caller.organisation)
    return EmergencyAccess(case_id=case_id, granted_to=principal.subject, until=until)
