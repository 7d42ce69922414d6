"""`/v1/cases/{case_id}/...`: the guardianship capacity assessment of a case's family (SZ
Appendix D; required by SZ-6.4.2 and SZ-6.4.3) and reading it back with whether the case's safety
grade requires it. The case's team and its organisation's supervisors, as for the safety routes."""

from fastapi import APIRouter, Response
from pydantic import Field

from assessment.api import case_assessment as shared
from assessment.api.access import Assessing, Assigned
from assessment.api.paths import CaseId
from assessment.domain.bounds import refuse_out_of_range
from assessment.domain.guardianship import GuardianshipFindings, GuardianshipInput
from assessment.domain.guardianship_assessment import AssessGuardianship
from assessment.handlers.guardianship import GUARDIANSHIP, assess
from assessment.projections.queries_guardianship import (
    CaseGuardianshipPublic,
    GuardianshipAssessmentPublic,
    assessment_public,
    case_guardianship,
)
from events.api import IdempotencyKey, Now, context, organisation_of
from events.app import BackboneDep

router = APIRouter(prefix="/v1/cases", tags=["guardianship assessment"])


class GuardianshipAssessmentCreate(shared.AssessmentCreate):
    """One Appendix D assessment of the case's family by its assessors."""

    guardian_declares_inability: bool = Field(False, description="SZ-6.4.2 condition")
    guardianship_disputed: bool = Field(False, description="SZ-6.4.2 condition")
    inputs: GuardianshipInput
    findings: GuardianshipFindings | None = Field(None, description="personal: encrypted")


@router.post("/{case_id}/guardianship-assessments", status_code=201)
async def assess_case_guardianship(
    case_id: CaseId,
    body: GuardianshipAssessmentCreate,
    principal: Assessing,
    backbone: BackboneDep,
    response: Response,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> GuardianshipAssessmentPublic:
    """Record the assessment; a reassessment supersedes the current one (Appendix D); it
    awaits a supervisor's review."""
    refuse_out_of_range(body, now)
    organisation = organisation_of(principal)
    ctx = context(principal, f"assess-guardianship|{case_id}", idempotency_key, body)
    command = AssessGuardianship(
        **shared.assessment_fields(case_id, organisation, body, ctx, now),
        guardian_declares_inability=body.guardian_declares_inability,
        guardianship_disputed=body.guardianship_disputed,
        findings=body.findings,
    )
    async with backbone.uow() as uow:
        row = await assess(command, uow, ctx)
    response.headers["Location"] = f"/v1/cases/{case_id}/guardianship"
    return assessment_public(row)


@router.get("/{case_id}/guardianship")
async def read_case_guardianship(
    case_id: CaseId, principal: Assigned, backbone: BackboneDep
) -> CaseGuardianshipPublic:
    """Whether the case's safety grade requires the assessment, its current one and history."""
    return await shared.read(backbone, principal, case_guardianship, case_id, GUARDIANSHIP.missing)


shared.add_review_route(router, "guardianship")
