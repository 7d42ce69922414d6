"""`/v1/rules/...:evaluate`: the pure rule evaluators, for forms that show a grade or a band of
hours while the worker fills them in. Nothing is stored and no dependency is touched, so these
answer while the database or the broker is down (the service then reports not ready)."""

from fastapi import APIRouter

from assessment.domain import (
    FamilyEducationInput,
    FamilyEducationResult,
    SafetyRiskInput,
    SafetyRiskResult,
    evaluate_family_education,
    evaluate_safety_risk,
)
from events.auth import CurrentPrincipal

router = APIRouter(prefix="/v1/rules", tags=["rules"])


@router.post("/safety-risk:evaluate")
async def evaluate_safety_risk_route(
    body: SafetyRiskInput, principal: CurrentPrincipal
) -> SafetyRiskResult:
    """Grade one Appendix B assessment under rule set SZ-2023-B (SZ-6.3, SZ-6.4)."""
    return evaluate_safety_risk(body)


@router.post("/family-education-hours:evaluate")
async def evaluate_family_education_route(
    body: FamilyEducationInput, principal: CurrentPrincipal
) -> FamilyEducationResult:
    """Recommend compulsory family-education hours under rule set SZ-2023-I (table I.1)."""
    return evaluate_family_education(body)
