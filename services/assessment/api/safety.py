"""`/v1/cases/{case_id}/...`: grading a case's safety risk (DOMAIN §4, SZ-6.3, Appendix B)
and reading its current grade with the grades it superseded. The case's team and its
organisation's supervisors (`api.access`); an assessment is dated by now (`domain.bounds`)."""

from fastapi import APIRouter, Response

from assessment.api import case_assessment as shared
from assessment.api.access import Assessing, Assigned
from assessment.api.paths import CaseId
from assessment.domain.bounds import refuse_out_of_range
from assessment.domain.safety_assessment import GradeSafetyRisk
from assessment.domain.safety_risk import SafetyRiskInput
from assessment.handlers.safety import SAFETY, grade
from assessment.projections.queries import (
    CaseRiskPublic,
    SafetyGradePublic,
    case_risk,
    grade_public,
)
from events.api import IdempotencyKey, Now, context, organisation_of
from events.app import BackboneDep

router = APIRouter(prefix="/v1/cases", tags=["safety assessment"])


class SafetyAssessmentCreate(shared.AssessmentCreate):
    """One Appendix B assessment of the case by its assessors."""

    inputs: SafetyRiskInput


@router.post("/{case_id}/safety-assessments", status_code=201)
async def grade_case_safety(
    case_id: CaseId,
    body: SafetyAssessmentCreate,
    principal: Assessing,
    backbone: BackboneDep,
    response: Response,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> SafetyGradePublic:
    """Grade the case's safety risk; a regrade supersedes the current grade (SZ-6.3) and its
    open tasks; the grade's required actions become tasks (SZ-6.4) and it awaits review."""
    refuse_out_of_range(body, now)
    organisation = organisation_of(principal)
    ctx = context(principal, f"grade-safety|{case_id}", idempotency_key, body)
    command = GradeSafetyRisk(**shared.assessment_fields(case_id, organisation, body, ctx, now))
    async with backbone.uow() as uow:
        row = await grade(command, uow, ctx)
    response.headers["Location"] = f"/v1/cases/{case_id}/risk"
    return grade_public(row)


@router.get("/{case_id}/risk")
async def read_case_risk(
    case_id: CaseId, principal: Assigned, backbone: BackboneDep
) -> CaseRiskPublic:
    """The case's current safety grade and the grades it superseded (read model)."""
    return await shared.read(backbone, principal, case_risk, case_id, SAFETY.missing)


shared.add_review_route(router, "safety")
