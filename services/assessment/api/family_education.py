"""`/v1/cases/{case_id}/family-education-orders`: compulsory family education ordered for a
guardian (SZ-6.4.4, Appendix I): issue with the table I.1 hours, record guidance, extend, complete.
The case's team and its organisation's supervisors (`api.access`). An order may start up to two
years ahead; every other date records what happened (`domain.bounds`)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from assessment.api.access import Assigned, Closing, Serving, StartingService
from assessment.api.paths import CaseId
from assessment.domain import family_education_order as fe
from assessment.domain.bounds import refuse_out_of_range
from assessment.domain.family_education import FamilyEducationInput
from assessment.handlers.family_education import execute
from assessment.handlers.shared import Sent
from assessment.projections.queries_family_education import orders_of
from events.api import IdempotencyKey, Now, context, organisation_of
from events.app import BackboneDep
from events.auth import Principal
from events.context import Context
from events.domain import Line, Text

router = APIRouter(prefix="/v1/cases/{case_id}/family-education-orders", tags=["family education"])
OrderId = Annotated[str, Path(min_length=1, max_length=100)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderCreate(_Body):
    ordered_by: Line = Field(min_length=1, description="the police body")
    starts_on: date = Field(description="up to two years ahead")
    months: int = Field(ge=1, le=60)
    ordered_hours: int | None = Field(None, ge=1, le=200, description="default: band's low end")
    assessment: FamilyEducationInput
    guardian: Text | None = Field(None, description="personal: encrypted")


class GuidanceCreate(_Body):
    kind: str = Field(min_length=1, max_length=40)
    hours: int = Field(ge=0, le=24)
    held_on: date = Field(description="not ahead")
    notes: Text | None = Field(None, description="personal: encrypted")


class ExtensionCreate(_Body):
    months: int = Field(ge=0, le=60)
    reason: Text | None = Field(None, description="personal: encrypted")


class CompletionCreate(_Body):
    completed_on: date = Field(description="not ahead")


class OrderPublic(BaseModel):
    order_id: str
    case_id: str
    status: str
    starts_on: date
    ends_on: date
    ordered_hours: int
    hours_delivered: int
    extension_months: int
    version: int


@router.post("", status_code=201)
async def issue(
    case_id: CaseId,
    body: OrderCreate,
    principal: StartingService,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> OrderPublic:
    """SZ-6.4.4: at least 3 months; hours within the table I.1 band. A retry with the same
    Idempotency-Key names the same order and answers it as first issued."""
    refuse_out_of_range(body, now, ahead=("starts_on",))
    organisation = organisation_of(principal)
    ctx = context(principal, f"fe|{case_id}|issue", key, body)
    command = fe.IssueOrder(
        case_id=case_id,
        order_id=ctx.id_for("order"),
        organisation=organisation,
        issued_by=principal.subject,
        issued_at=now,
        **body.model_dump(),
    )
    async with backbone.uow() as uow:
        order = await execute(Sent(command, organisation), uow, ctx)
    return _order_public(order, case_id)


@router.post("/{order_id}/guidance", status_code=201)
async def record_guidance(
    case_id: CaseId,
    order_id: OrderId,
    body: GuidanceCreate,
    principal: Serving,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> OrderPublic:
    refuse_out_of_range(body, now)
    command = fe.RecordGuidance(
        case_id=case_id, order_id=order_id, recorded_by=principal.subject, **body.model_dump()
    )
    sent = Sent(command, organisation_of(principal))
    async with backbone.uow() as uow:
        order = await execute(sent, uow, _context(principal, command, "guidance", key, body))
    return _order_public(order, case_id)


@router.post("/{order_id}/extensions", status_code=201)
async def extend(
    case_id: CaseId,
    order_id: OrderId,
    body: ExtensionCreate,
    principal: StartingService,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> OrderPublic:
    """SZ-6.4.4: extensions total 3 to 9 months."""
    refuse_out_of_range(body, now)
    command = fe.ExtendOrder(
        case_id=case_id,
        order_id=order_id,
        extended_by=principal.subject,
        extended_at=now,
        **body.model_dump(),
    )
    sent = Sent(command, organisation_of(principal))
    async with backbone.uow() as uow:
        order = await execute(sent, uow, _context(principal, command, "extension", key, body))
    return _order_public(order, case_id)


@router.post("/{order_id}/completion", status_code=201)
async def complete(
    case_id: CaseId,
    order_id: OrderId,
    body: CompletionCreate,
    principal: Closing,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> OrderPublic:
    """Complete once the hours are delivered and at least 3 months have run."""
    refuse_out_of_range(body, now)
    command = fe.CompleteOrder(
        case_id=case_id, order_id=order_id, completed_by=principal.subject, **body.model_dump()
    )
    sent = Sent(command, organisation_of(principal))
    async with backbone.uow() as uow:
        order = await execute(sent, uow, _context(principal, command, "completion", key, body))
    return _order_public(order, case_id)


@router.get("")
async def read_orders(
    case_id: CaseId, principal: Assigned, backbone: BackboneDep
) -> list[OrderPublic]:
    async with backbone.engine.connect() as conn:
        rows = await orders_of(conn, case_id, organisation_of(principal))
    return [_public(row) for row in rows]


def _context(
    principal: Principal, command: fe.Command, action: str, key: str | None, body: BaseModel
) -> Context:
    """An Idempotency-Key scoped to the caller, the order and the action (the same key sent to
    another route of the order is no retry)."""
    return context(principal, f"fe|{command.order_id}|{action}", key, body)


def _order_public(order: fe.Order, case_id: str) -> OrderPublic:
    return OrderPublic(**order.model_dump(exclude={"case_id"}), case_id=case_id)


def _public(row: object) -> OrderPublic:
    return OrderPublic.model_validate({n: getattr(row, n) for n in OrderPublic.model_fields})
