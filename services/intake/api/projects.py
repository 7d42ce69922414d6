"""`PUT /v1/cases/{case_id}/project`: put a case in the service project an entrustor commissions
(DOMAIN §1), so notify can list the project's deadlines to the entrustor. Supervisors and org
admins of the case's organisation only."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from events.app import BackboneDep
from events.auth import Principal, require_roles
from intake import handlers
from intake.api.common import (
    IdempotencyKey,
    metadata,
    not_found,
    now,
    organisation_of,
    problem_of,
    seed,
)
from intake.domain.projects import SetProject, set_project
from intake.domain.refusals import Refused
from intake.projections import case_row

router = APIRouter(prefix="/v1/cases", tags=["cases"])
Manager = Annotated[Principal, Depends(require_roles("supervisor", "org_admin"))]
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: str = Field(min_length=1, max_length=100, pattern=ID)
    entrustor_org: str = Field(min_length=1, max_length=100, pattern=ID)


class CaseProject(BaseModel):
    case_id: str
    project_id: str
    entrustor_org: str


@router.put("/{case_id}/project")
async def put_project(
    case_id: str,
    body: ProjectUpdate,
    principal: Manager,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CaseProject:
    """Set (or change) the case's project; another organisation's case is 404."""
    async with backbone.uow() as uow:
        row = await case_row(uow.conn, case_id)
    if row is None or row.organisation != organisation_of(principal):
        raise not_found("case")
    command = SetProject(
        project_id=body.project_id,
        entrustor_org=body.entrustor_org,
        at=now(),
        by=principal.subject,
    )
    decide = partial(set_project, command)
    scoped = seed(principal, f"{case_id}/project", key)
    try:
        await handlers.on_case(backbone.uow, case_id, decide, metadata(principal), scoped)
    except Refused as refused:
        raise problem_of(refused) from None
    return CaseProject(case_id=case_id, **body.model_dump())
