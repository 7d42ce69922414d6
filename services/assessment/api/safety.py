"""`/v1/cases/{case_id}/...`: grading a case's safety risk (DOMAIN §4, SZ-6.3, Appendix B)
and reading its current grade with the grades it superseded. Workers and supervisors of the
organisation that graded the case."""

from fastapi import APIRouter, Response

from assessment.api import case_assessment as shared
from assessment.api.access import Assigned
from assessment.domain.safety_assessment import GradeSafetyRisk
from assessment.domain.safety_risk import SafetyRiskInput
from assessment.handlers_safety import SAFETY
from assessment.queries import CaseRiskPublic, SafetyGradePublic, case_risk, grade_public
from events.app import BackboneDep

router = APIRouter(prefix="/v1/cases", tags=["safety assessment"])
MISSING = "graded case"


class SafetyAssessmentCreate(shared.AssessmentCreate):
    """One Appendix B assessment of the case by its assessors."""

    inputs: SafetyRiskInput


@router.post("/{case_id}/safety-assessments", status_code=201)
async def grade_case_safety(
    case_id: shared.CaseId,
    body: SafetyAssessmentCreate,
    principal: Assigned,
    backbone: BackboneDep,
    response: Response,
    idempotency_key: shared.IdempotencyKey = None,
) -> SafetyGradePublic:
    """Grade the case's safety risk; a regrade supersedes the current grade (SZ-6.3) and its
    open tasks; the grade's required actions become tasks (SZ-6.4) and it awaits review."""
    who = shared.identity(principal, "grade-safety", case_id, idempotency_key)
    command = GradeSafetyRisk(**who.command_fields(case_id, body))
    row = await shared.record(SAFETY, backbone, who, command, body, MISSING)
    response.headers["Location"] = f"/v1/cases/{case_id}/risk"
    return grade_public(row)


@router.get("/{case_id}/risk")
async def read_case_risk(
    case_id: shared.CaseId, principal: Assigned, backbone: BackboneDep
) -> CaseRiskPublic:
    """The case's current safety grade and the grades it superseded (read model)."""
    return await shared.read(backbone, principal, case_risk, case_id, MISSING)


shared.add_review_route(router, "safety")
