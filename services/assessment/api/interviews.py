"""`/v1/cases/{case_id}/interviews`: the child's interview about the harm (I-6, MZ-5.2.3,
JX-4.5). The first record of a matter is what every later step reads
(`GET .../interviews/{id}`, its sealed record opened for the case's team); a second interview on
the same matter needs a recorded reason (422 naming I-6 otherwise)."""

from typing import Any

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from assessment.api.access import Assigned, Interviewing
from assessment.api.paths import CaseId, Id
from assessment.domain import interviews as iv
from assessment.domain.bounds import refuse_out_of_range
from assessment.domain.mental_health_forms import Code
from assessment.handlers.interviews import MISSING, execute, read_record
from assessment.handlers.shared import NotVisible, Sent
from assessment.projections.interviews import InterviewPublic, interviews_of
from events.api import IdempotencyKey, Now, context, organisation_of
from events.app import BackboneDep
from events.domain import Line, Text

router = APIRouter(prefix="/v1/cases/{case_id}/interviews", tags=["child interviews"])
InterviewId = Id


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RepeatReasonCreate(_Body):
    code: iv.ReasonCode
    text: Text | None = Field(None, description="personal: encrypted")


class InterviewCreate(_Body):
    matter: Code = Field(description="the harm the interview is about, e.g. its report id")
    held_at: AwareDatetime
    interviewer_ids: list[Code] = Field(min_length=1, max_length=10)
    place: Line | None = Field(None, description="personal: encrypted")
    record: Text = Field(min_length=1, description="personal: encrypted")
    repeat_reason: RepeatReasonCreate | None = Field(
        None, description="required for a second interview on the same matter (I-6)"
    )


@router.post("", status_code=201)
async def record_interview(
    case_id: CaseId,
    body: InterviewCreate,
    principal: Interviewing,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> InterviewPublic:
    """I-6: emits `assessment.child_interview.recorded`."""
    refuse_out_of_range(body, now)
    organisation = organisation_of(principal)
    ctx = context(principal, f"interview|{case_id}", key, body)
    reason = body.repeat_reason
    command = iv.RecordInterview(
        case_id=case_id,
        interview_id=ctx.id_for("interview"),
        organisation=organisation,
        matter=body.matter,
        held_at=body.held_at,
        interviewer_ids=tuple(body.interviewer_ids),
        record=body.record,
        recorded_by=principal.subject,
        place=body.place,
        repeat_reason=iv.RepeatReason(**reason.model_dump()) if reason else None,
    )
    async with backbone.uow() as uow:
        interview_id = await execute(Sent(command, organisation), uow, ctx)
    async with backbone.engine.connect() as conn:
        found = await interviews_of(conn, case_id, organisation)
    recorded = next((i for i in found if i.interview_id == interview_id), None)
    if recorded is None:
        raise NotVisible(MISSING)
    return recorded


@router.get("")
async def read_interviews(
    case_id: CaseId, principal: Assigned, backbone: BackboneDep
) -> list[InterviewPublic]:
    async with backbone.engine.connect() as conn:
        return await interviews_of(conn, case_id, organisation_of(principal))


@router.get("/{interview_id}")
async def read_interview(
    case_id: CaseId, interview_id: InterviewId, principal: Assigned, backbone: BackboneDep
) -> dict[str, Any]:
    """The record itself, for the case's team: what later steps read instead of asking again."""
    async with backbone.uow() as uow:
        return await read_record(uow, case_id, interview_id, organisation_of(principal))
