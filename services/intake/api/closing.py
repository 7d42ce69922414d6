"""`/v1/cases/{id}/...`: closing a case and following it up, by its team or a supervisor (the
record rule, `intake.domain.access`, SZ-7.3.3): the summary of effect and the closing record
(SZ-6.5), the advance notice of the ending (SZ-6.5), the service summary report (MZ-6.4.2),
follow-ups scheduled and done, and the full-closure assessment (SZ-6.6). `cases.readiness`
asks for them before a case goes to follow-up or closed. Bodies are bounded
(`intake.api.inputs`); free text and names are sealed in the events."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from events.api import IdempotencyKey, context, now
from events.app import BackboneDep
from events.auth import Principal
from intake.api.cases import CaseWorker, reach
from intake.api.inputs import Day, Moment, Name, Note, PathId, Story, Words
from intake.domain import closing as rules
from intake.domain.events import FollowupMethod, ServiceReport
from intake.handlers import cases as handlers
from intake.handlers.cases import ClosingWork
from intake.projections.queries import CasePublic

router = APIRouter(prefix="/v1/cases", tags=["closing"])


class ClosingStepCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Literal["effect_summary", "closing_record"] = Field(
        description="effect_summary: 总结工作, the effect of the intervention; closing_record: "
        "结案记录 filed with the organisation (SZ-6.5)"
    )
    done_at: Moment
    text: Story


class EndingNoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    told: list[Name] = Field(min_length=1, max_length=10, description="the child, the guardian")
    told_at: Moment
    ends_on: Day = Field(description="after the day they were told (told in advance)")
    contact: Words = Field(description="how to reach the service with a new need (SZ-6.5)")


class ServiceReportIn(ServiceReport):
    goals_achieved: Story
    plan_implementation: Story
    effect_evaluation: Story
    reflection: Story
    opinions_heard: Story = Field(description="the entrustor's and the client's (MZ-6.4.1)")


class ServiceReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reported_at: Moment
    report: ServiceReportIn


class FollowupPlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    planned_on: Day = Field(description="from today to 6 months ahead (SZ-6.6)")
    method: FollowupMethod
    note: Note | None = None


class FollowupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    followed_up_at: Moment
    method: FollowupMethod
    notes: Note | None = None


class FullClosureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessed_at: Moment
    conditions_met: bool
    notes: Note | None = None


async def _record(
    backbone: BackboneDep,
    principal: Principal,
    case_id: str,
    command: ClosingWork,
    ctx_action: str,
    key: str | None,
    body: BaseModel,
) -> CasePublic:
    async with backbone.uow() as uow:
        await handlers.record_closing(command, uow, context(principal, ctx_action, key, body))
    return await reach(backbone, principal, case_id)


@router.post("/{case_id}/closing-steps", status_code=201)
async def record_closing_step(
    case_id: PathId,
    body: ClosingStepCreate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """The summary of the intervention's effect or the closing record (SZ-6.5)."""
    command = rules.RecordClosingStep(
        case_id=case_id, **body.model_dump(), recorded_by=principal.subject, now=now()
    )
    return await _record(
        backbone, principal, case_id, command, f"{case_id}/closing-step", key, body
    )


@router.post("/{case_id}/ending-notice", status_code=201)
async def give_ending_notice(
    case_id: PathId,
    body: EndingNoticeCreate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """The child and guardian told in advance when the work ends (SZ-6.5, 解除工作关系)."""
    command = rules.GiveEndingNotice(
        case_id=case_id, **body.model_dump(), recorded_by=principal.subject, now=now()
    )
    return await _record(backbone, principal, case_id, command, f"{case_id}/notice", key, body)


@router.post("/{case_id}/service-report", status_code=201)
async def record_service_report(
    case_id: PathId,
    body: ServiceReportCreate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """The service summary report (MZ-6.4.2)."""
    command = rules.RecordServiceReport(
        case_id=case_id,
        reported_at=body.reported_at,
        report=ServiceReport(**body.report.model_dump()),
        recorded_by=principal.subject,
        now=now(),
    )
    return await _record(backbone, principal, case_id, command, f"{case_id}/report", key, body)


@router.post("/{case_id}/follow-up-plans", status_code=201)
async def plan_followup(
    case_id: PathId,
    body: FollowupPlanCreate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """A follow-up after closure scheduled: when and how (SZ-6.6, MZ-6.4.3)."""
    ctx_action = f"{case_id}/follow-up-plan"
    command = rules.PlanFollowup(
        case_id=case_id,
        **body.model_dump(),
        followup_id=context(principal, ctx_action, key, body).id_for("followup"),
        recorded_by=principal.subject,
        now=now(),
    )
    return await _record(backbone, principal, case_id, command, ctx_action, key, body)


@router.post("/{case_id}/follow-ups", status_code=201)
async def record_followup(
    case_id: PathId,
    body: FollowupCreate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """A follow-up after closure took place, by phone, home visit or support network (SZ-6.6)."""
    ctx_action = f"{case_id}/follow-up"
    command = rules.RecordFollowup(
        case_id=case_id,
        **body.model_dump(),
        followup_id=context(principal, ctx_action, key, body).id_for("followup"),
        recorded_by=principal.subject,
        now=now(),
    )
    return await _record(backbone, principal, case_id, command, ctx_action, key, body)


@router.post("/{case_id}/full-closure-assessments", status_code=201)
async def assess_full_closure(
    case_id: PathId,
    body: FullClosureCreate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """Whether the conditions of full closure are met, after the follow-ups (SZ-6.6)."""
    command = rules.AssessFullClosure(
        case_id=case_id, **body.model_dump(), recorded_by=principal.subject, now=now()
    )
    return await _record(
        backbone, principal, case_id, command, f"{case_id}/full-closure", key, body
    )
