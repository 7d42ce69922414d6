"""A supervisor's review of a safety or guardianship assessment (MZ-7.4.3). Pure."""

from datetime import UTC, datetime

import pytest

from assessment.domain.assessment_review import (
    REVIEW_RULE,
    ReviewAssessment,
    Submitted,
    review_assessment,
)
from assessment.domain.events import CaseAssessmentApproved, CaseAssessmentReturned
from events.domain import Conflict, Refused

PENDING = Submitted(status="pending", submitted_by="w-1", assessor_ids=("w-1", "w-2"))


def review(decision: str, by: str = "sup-1", comments: str | None = None, kind: str = "safety"):
    command = ReviewAssessment.model_validate(
        {
            "case_id": "c-1",
            "assessment_id": "a-1",
            "kind": kind,
            "decision": decision,
            "reviewed_by": by,
            "reviewed_at": datetime(2025, 6, 2, tzinfo=UTC),
            "comments": comments,
        }
    )
    return command


def test_a_supervisor_approves_a_pending_assessment():
    event = review_assessment(review("approve", kind="guardianship"), PENDING)
    assert isinstance(event, CaseAssessmentApproved)
    assert (event.assessment_id, event.kind, event.reviewed_by) == ("a-1", "guardianship", "sup-1")


def test_a_return_carries_the_supervisors_comments():
    event = review_assessment(review("return", comments="合成意见：补充B.3评估。"), PENDING)
    assert isinstance(event, CaseAssessmentReturned) and event.comments


@pytest.mark.parametrize("comments", [None, "", "   "])
def test_a_return_without_comments_is_refused(comments):
    with pytest.raises(Refused) as refused:
        review_assessment(review("return", comments=comments), PENDING)
    assert refused.value.violations[0].code == "comments_required"


@pytest.mark.parametrize("by", ["w-1", "w-2"])
def test_a_supervisor_may_not_review_an_assessment_they_recorded_or_took_part_in(by):
    with pytest.raises(Refused) as refused:
        review_assessment(review("approve", by=by), PENDING)
    assert (refused.value.rule, refused.value.violations[0].code) == (REVIEW_RULE, "own_submission")


@pytest.mark.parametrize("status", ["approved", "returned", "superseded"])
def test_an_assessment_is_decided_once(status):
    with pytest.raises(Conflict):
        review_assessment(review("approve"), PENDING.model_copy(update={"status": status}))
