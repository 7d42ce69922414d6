"""A supervisor's review of a safety or guardianship assessment (MZ-7.4.3: supervision of the
work; the approval step is the product's, as for mental-health plans and closures). Pure.

A supervisor approves or returns with comments; never an assessment they took part in or
recorded. An assessment is reviewed once; a returned one is redone by a reassessment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from assessment.domain.events import CaseAssessmentApproved, CaseAssessmentReturned
from events.domain import Conflict, Refused, Violation

REVIEW_RULE = "MZ-7.4.3"
Kind = Literal["safety", "guardianship"]


class ReviewAssessment(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    assessment_id: str
    kind: Kind
    decision: Literal["approve", "return"]
    reviewed_by: str
    reviewed_at: datetime
    comments: str | None = None


class Submitted(BaseModel):
    """The assessment under review, as the read models hold it."""

    model_config = ConfigDict(frozen=True)

    status: str
    submitted_by: str
    assessor_ids: tuple[str, ...]


def review_assessment(
    command: ReviewAssessment, item: Submitted
) -> CaseAssessmentApproved | CaseAssessmentReturned:
    """The decision as an event; Conflict unless pending, Refused for one's own assessment."""
    if item.status != "pending":
        raise Conflict([_v("not_pending", f"the assessment is {item.status}", "assessment_id")])
    if command.reviewed_by in (item.submitted_by, *item.assessor_ids):
        raise Refused([_v("own_submission", "a supervisor may not review their own", "decision")])
    fields = command.model_dump(exclude={"decision"})
    if command.decision == "approve":
        return CaseAssessmentApproved(**fields)
    if not (command.comments or "").strip():
        raise Refused([_v("comments_required", "a return says why", "comments")])
    return CaseAssessmentReturned(**fields)


def _v(code: str, message: str, field: str) -> Violation:
    return Violation(code=code, rule=REVIEW_RULE, field=field, message=message, sensitive=False)
