"""`/v1/staff`: the staff registry (DOMAIN §12). Org admins and supervisors of an organisation
write and read its staff; a worker reads their own entry. A staff id is per organisation
(`intake.domain.staff`): the same id in another organisation is another person, whom this one
neither sees nor changes."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from events.api import IdempotencyKey, Manager, Supervisor, context, organisation_of
from events.app import BackboneDep
from events.auth import CurrentPrincipal, Forbidden, Principal
from events.backbone import Backbone
from intake.api.common import not_found, today
from intake.api.inputs import Day, Name, Note, PathId, RecordId
from intake.domain import Gender
from intake.domain.events import Qualification, StaffRole
from intake.domain.staff import (
    DeregisterWorker,
    RecordBackgroundCheck,
    RegisterWorker,
    acting_supervisor_violations,
)
from intake.handlers import staff as handlers
from intake.projections.queries import StaffPublic, staff_of, staff_public
from intake.projections.rows import staff_from_row, staff_row

router = APIRouter(prefix="/v1/staff", tags=["staff"])
MANAGERS = ("org_admin", "supervisor")


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_id: RecordId = Field(description="the person's subject at the identity provider")
    organisation: RecordId
    role: StaffRole
    name: Name
    gender: Gender
    qualifications: list[Qualification] = Field([], max_length=len(Qualification))
    years_in_child_services: float = Field(ge=0, le=80)


class BackgroundCheckCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checked_on: Day = Field(description="from 2000, not later than today")
    clean: bool = Field(
        description="false: a record of sexual assault, abuse, trafficking or violence "
        "was found (MZ-7.1.3)"
    )
    note: Note | None = None


@router.post("", status_code=201)
async def register(
    body: StaffCreate, principal: Manager, backbone: BackboneDep, key: IdempotencyKey = None
) -> StaffPublic:
    """Register a worker or supervisor of the caller's organisation."""
    if body.organisation != organisation_of(principal):
        raise Forbidden("staff can be registered only in your own organisation")
    command = RegisterWorker(**body.model_dump())
    async with backbone.uow() as uow:
        await handlers.register_worker(command, uow, context(principal, "staff", key, body))
    return await _visible(backbone, principal, body.worker_id)


@router.get("")
async def list_staff(principal: Manager, backbone: BackboneDep) -> list[StaffPublic]:
    """Every staff member of the caller's organisation."""
    async with backbone.uow() as uow:
        rows = await staff_of(uow.conn, organisation_of(principal))
    return [staff_public(row, today()) for row in rows]


@router.get("/{worker_id}")
async def read(
    worker_id: PathId, principal: CurrentPrincipal, backbone: BackboneDep
) -> StaffPublic:
    """One staff member: managers of their organisation, or the person themselves."""
    return await _visible(backbone, principal, worker_id)


class DeregistrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deregistered_on: Day = Field(
        description="the last day with the organisation; from 2000, not later than today"
    )
    reason: Literal["left_organisation", "dismissed"]


@router.post("/{worker_id}/deregistration", status_code=201)
async def deregister(
    worker_id: PathId,
    body: DeregistrationCreate,
    principal: Manager,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> StaffPublic:
    """The person leaves the organisation (DOMAIN §12): they leave every case at once
    (`intake.case.worker_removed`) and no yearly check falls due for them any more. 409 when
    already deregistered."""
    staff = await _visible(backbone, principal, worker_id)
    command = DeregisterWorker(
        organisation=staff.organisation, worker_id=worker_id, today=today(), **body.model_dump()
    )
    async with backbone.uow() as uow:
        await handlers.deregister_worker(
            command, uow, context(principal, f"leave:{worker_id}", key, body)
        )
    return await _visible(backbone, principal, worker_id)


@router.post("/{worker_id}/background-checks", status_code=201)
async def record_check(
    worker_id: PathId,
    body: BackgroundCheckCreate,
    principal: Manager,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> StaffPublic:
    """Record the yearly background check; a positive result suspends the person at once."""
    staff = await _visible(backbone, principal, worker_id)
    command = RecordBackgroundCheck(
        organisation=staff.organisation, worker_id=worker_id, today=today(), **body.model_dump()
    )
    ctx = context(principal, f"check:{worker_id}", key, body)
    async with backbone.uow() as uow:
        await handlers.record_background_check(command, uow, ctx)
    return await _visible(backbone, principal, worker_id)


async def _visible(backbone: Backbone, principal: Principal, worker_id: str) -> StaffPublic:
    """The caller's organisation's staff member with this id (another organisation's is
    another person, not found here)."""
    async with backbone.uow() as uow:
        row = await staff_row(uow.conn, organisation_of(principal), worker_id)
    if row is None:
        raise not_found("staff member")
    if not principal.has_role(*MANAGERS) and principal.subject != worker_id:
        raise Forbidden("a worker may read only their own staff entry")
    return staff_public(row, today())


async def registered_supervisor(principal: Supervisor, backbone: BackboneDep) -> Principal:
    """SZ-7.1.5: a supervisor who acts on a case (sets its team) is one of the organisation's
    registered supervisors, qualified and cleared today (MZ-7.1.3); a token with the role is
    not enough (403 naming the rule)."""
    async with backbone.uow() as uow:
        row = await staff_row(uow.conn, organisation_of(principal), principal.subject)
    violations = acting_supervisor_violations(staff_from_row(row) if row else None, today())
    if violations:
        said = ", ".join(f"{v.code} ({v.rule})" for v in violations)
        detail = f"not a registered, qualified and cleared supervisor here: {said}"
        raise Forbidden(detail, rule=violations[0].rule)
    return principal


ActingSupervisor = Annotated[Principal, Depends(registered_supervisor)]
"""A registered, qualified and cleared supervisor of the caller's organisation (SZ-7.1.5)."""
