"""Event types of the assessment service, registered in `events.registry.registry`.

Names follow `assessment.<aggregate>.<fact>`. Free text about a child (notes) is declared
personal and encrypted with the data key of the event's key scope, the case id, so shredding
the case's key makes it unreadable wherever the event was copied. The structured ratings and
the evaluator's answer are codes, not free text, and stay readable for the read models and
the services that react to a grade.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assessment.domain.safety_risk import SafetyRiskInput, SafetyRiskResult
from events.registry import EventData, registry


class Assessor(BaseModel):
    """A worker who took part in an assessment (their work identity, not a child's data)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    worker_id: str = Field(min_length=1, max_length=100)
    gender: Literal["male", "female"]


@registry.register("assessment.safety.risk_graded", 1, personal={"notes"})
class SafetyRiskGraded(EventData):
    """A case's safety risk was graded under rule set SZ-2023-B (SZ-6.3, Appendix B).

    `inputs` and `result` are the evaluator's input and answer as they were, so the grade can
    be re-checked against the rule set it names; `supersedes` names the assessment this one
    replaces as the case's current grade (None for the first).
    """

    case_id: str
    assessment_id: str
    organisation: str
    assessed_at: datetime
    child_gender: Literal["male", "female"]
    child_gender_source: Literal["request", "intake.case.opened"]
    assessors: list[Assessor]
    inputs: SafetyRiskInput
    rule_set: str
    result: SafetyRiskResult
    supersedes: str | None = None
    notes: str | None = None
