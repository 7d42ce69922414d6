"""Pure assessment rules (standard library and pydantic only); rule sets in ``rulesets``."""

from assessment.domain.family_education import (
    FamilyEducationInput,
    FamilyEducationResult,
    FamilyEducationScores,
    HoursSplit,
    evaluate_family_education,
    hours_band,
)
from assessment.domain.rulesets import RULE_SETS, Resolution, RuleSet, resolution
from assessment.domain.safety_risk import (
    B1Items,
    B2Ratings,
    B3Ratings,
    CapacityProfile,
    DecidingItem,
    Recommendation,
    RequiredAction,
    SafetyRiskInput,
    SafetyRiskResult,
    evaluate_safety_risk,
)

__all__ = [
    "RULE_SETS",
    "B1Items",
    "B2Ratings",
    "B3Ratings",
    "CapacityProfile",
    "DecidingItem",
    "FamilyEducationInput",
    "FamilyEducationResult",
    "FamilyEducationScores",
    "HoursSplit",
    "Recommendation",
    "RequiredAction",
    "Resolution",
    "RuleSet",
    "SafetyRiskInput",
    "SafetyRiskResult",
    "evaluate_family_education",
    "evaluate_safety_risk",
    "hours_band",
    "resolution",
]
