"""`PUT /v1/cases/{case_id}/project`: put a case in the service project an entrustor commissions
(DOMAIN §1), so notify can list the project's deadlines to the entrustor. Supervisors and org
admins of the case's organisation only."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from events.api import IdempotencyKey, Manager, context, now, organisation_of
from events.app import BackboneDep
from events.auth import Principal
from intake.api.common import not_found
from intake.api.inputs import PathId
from intake.domain.projects import SetProject
from intake.handlers import cases as handlers
from intake.projections.rows import case_row

router = APIRouter(prefix="/v1/cases", tags=["cases"])
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: str = Field(min_length=1, max_length=100, pattern=ID)
    entrustor_org: str = Field(min_length=1, max_length=100, pattern=ID)


class CaseProject(BaseModel):
    case_id: str
    project_id: str
    entrustor_org: str


async def case_managed(case_id: PathId, principal: Manager, backbone: BackboneDep) -> Principal:
    """Before the body is validated: another organisation's case is 404, as no case is."""
    async with backbone.uow() as uow:
        row = await case_row(uow.conn, case_id)
    if row is None or row.organisation != organisation_of(principal):
        raise not_found("case")
    return principal


@router.put("/{case_id}/project")
async def put_project(
    case_id: PathId,
    body: ProjectUpdate,
    principal: Annotated[Principal, Depends(case_managed)],
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CaseProject:
    """Set (or change) the case's project; another organisation's case is 404."""
    command = SetProject(
        case_id=case_id,
        project_id=body.project_id,
        entrustor_org=body.entrustor_org,
        at=now(),
        by=principal.subject,
    )
    async with backbone.uow() as uow:
        await handlers.set_project(
            command, uow, context(principal, f"{case_id}/project", key, body)
        )
    return CaseProject(case_id=case_id, **body.model_dump())
