"""`/v1/cases/{case_id}/crises`: crisis intervention (M-11, JX-7.6.1). Record a crisis at once
with the conditions found and what was done, then each later action; read what is required and
outstanding. The case's team and its organisation's supervisors, in any status of the case but
a final one (`api.access.InCrisis`)."""

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from assessment.api.access import Assigned, InCrisis
from assessment.api.paths import CaseId, Id
from assessment.domain import crisis as cr
from assessment.domain.bounds import refuse_out_of_range
from assessment.handlers.crisis import execute
from assessment.handlers.shared import NotVisible, Sent
from assessment.projections.crises import CrisisPublic, crises_of
from events.api import IdempotencyKey, Now, context, organisation_of
from events.app import BackboneDep
from events.auth import Principal
from events.backbone import Backbone
from events.context import Context
from events.domain import Text

router = APIRouter(prefix="/v1/cases/{case_id}/crises", tags=["crisis intervention"])
CrisisId = Id


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionCreate(_Body):
    code: cr.ActionCode
    done_at: AwareDatetime | None = Field(None, description="default now")
    supported_by: list[cr.Partner] = Field(default_factory=list, max_length=4)
    with_guardian: bool | None = Field(None, description="a medical escort: did the guardian go")
    notes: Text | None = Field(None, description="personal: encrypted")


class CrisisCreate(_Body):
    detected_at: AwareDatetime | None = Field(None, description="default now")
    conditions: list[cr.Condition] = Field(min_length=1, max_length=4)
    actions: list[ActionCreate] = Field(default_factory=list, max_length=20)
    summary: Text | None = Field(None, description="personal: encrypted")


@router.post("", status_code=201)
async def record_crisis(
    case_id: CaseId,
    body: CrisisCreate,
    principal: InCrisis,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> CrisisPublic:
    """M-11: emits `assessment.crisis.recorded` and one `.action_recorded` per action done."""
    refuse_out_of_range(body, now)
    ctx = context(principal, f"crisis|{case_id}|record", key, body)
    crisis_id = ctx.id_for("crisis")
    command = cr.RecordCrisis(
        case_id=case_id,
        crisis_id=crisis_id,
        organisation=organisation_of(principal),
        detected_at=body.detected_at or now,
        conditions=tuple(body.conditions),
        actions=tuple(_action(a, now) for a in body.actions),
        recorded_by=principal.subject,
        summary=body.summary,
    )
    return await _run(backbone, principal, command, ctx)


@router.post("/{crisis_id}/actions", status_code=201)
async def record_action(
    case_id: CaseId,
    crisis_id: CrisisId,
    body: ActionCreate,
    principal: InCrisis,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> CrisisPublic:
    """M-11: one more action of the intervention (`assessment.crisis.action_recorded`)."""
    refuse_out_of_range(body, now)
    ctx = context(principal, f"crisis|{crisis_id}|action", key, body)
    command = cr.RecordAction(
        case_id=case_id,
        crisis_id=crisis_id,
        action=_action(body, now),
        recorded_by=principal.subject,
    )
    return await _run(backbone, principal, command, ctx)


@router.get("")
async def read_crises(
    case_id: CaseId, principal: Assigned, backbone: BackboneDep
) -> list[CrisisPublic]:
    async with backbone.engine.connect() as conn:
        return await crises_of(conn, case_id, organisation_of(principal))


def _action(body: ActionCreate, now: object) -> cr.CrisisAction:
    return cr.CrisisAction(**{**body.model_dump(), "done_at": body.done_at or now})


async def _run(
    backbone: Backbone,
    principal: Principal,
    command: cr.RecordCrisis | cr.RecordAction,
    ctx: Context,
) -> CrisisPublic:
    organisation = organisation_of(principal)
    async with backbone.uow() as uow:
        await execute(Sent(command, organisation), uow, ctx)
    async with backbone.engine.connect() as conn:
        found = await crises_of(conn, command.case_id, organisation)
    crisis = next((c for c in found if c.crisis_id == command.crisis_id), None)
    if crisis is None:
        raise NotVisible("crisis")
    return crisis
