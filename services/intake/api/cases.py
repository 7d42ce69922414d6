"""`/v1/cases`: cases opened from reports, and their investigation teams (I-5, §12).
Supervisors see their organisation's cases; a worker the cases they opened or work on."""

from datetime import datetime
from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from events.app import BackboneDep
from events.auth import Principal, require_roles
from events.backbone import Backbone
from intake import handlers
from intake.api.common import (
    IdempotencyKey,
    metadata,
    not_found,
    now,
    organisation_of,
    problem_of,
    seed,
    today,
)
from intake.domain.cases import AssignTeam, OpenCase
from intake.domain.refusals import Refused
from intake.handlers import stable_id
from intake.projections import case_row, team_of

router = APIRouter(prefix="/v1/cases", tags=["cases"])
Staff = Annotated[Principal, Depends(require_roles("worker", "supervisor"))]
Supervisor = Annotated[Principal, Depends(require_roles("supervisor"))]


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report_ids: list[str] = Field(min_length=1, max_length=50)


class TeamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_ids: list[str] = Field(min_length=1, max_length=20)


class CasePublic(BaseModel):
    case_id: str
    case_number: str
    organisation: str
    child_id: str
    report_ids: list[str]
    opened_at: datetime
    opened_by: str
    team: list[str]


@router.post("", status_code=201)
async def open_case(
    body: CaseCreate, principal: Staff, backbone: BackboneDep, key: IdempotencyKey = None
) -> CasePublic:
    """Open a case from one or more reports about the same child."""
    scoped = seed(principal, "case", key)
    command = OpenCase(
        case_id=f"case-{stable_id(scoped, 'case') if scoped else uuid4()}",
        organisation=organisation_of(principal),
        report_ids=body.report_ids,
        opened_at=now(),
        opened_by=principal.subject,
    )
    try:
        await handlers.open_case(backbone.uow, command, metadata(principal), scoped)
    except Refused as refused:
        raise problem_of(refused) from None
    return await _visible(backbone, principal, command.case_id)


@router.get("/{case_id}")
async def read(case_id: str, principal: Staff, backbone: BackboneDep) -> CasePublic:
    return await _visible(backbone, principal, case_id)


@router.put("/{case_id}/team")
async def assign_team(
    case_id: str,
    body: TeamUpdate,
    principal: Supervisor,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """Set the investigation team: at least two qualified, cleared workers, a woman for a girl."""
    await _visible(backbone, principal, case_id)
    command = AssignTeam(worker_ids=body.worker_ids, on=today(), assigned_by=principal.subject)
    try:
        await handlers.assign_team(
            backbone.uow, case_id, command, metadata(principal), seed(principal, case_id, key)
        )
    except Refused as refused:
        raise problem_of(refused) from None
    return await _visible(backbone, principal, case_id)


async def _visible(backbone: Backbone, principal: Principal, case_id: str) -> CasePublic:
    async with backbone.uow() as uow:
        row = await case_row(uow.conn, case_id)
        if row is None or row.organisation != organisation_of(principal):
            raise not_found("case")
        team = await team_of(uow.conn, case_id)
    mine = principal.subject in team or principal.subject == row.opened_by
    if not principal.has_role("supervisor") and not mine:
        raise not_found("case")  # ARCHITECTURE: a worker sees the cases assigned to them
    fields = {k: getattr(row, k) for k in CasePublic.model_fields if k != "team"}
    return CasePublic(**fields, team=team)
