"""Issue 14 item 16, I-6 (MZ-5.2.3, JX-4.5): the child is not questioned again and again about
the harm; one interview record of a matter is what every later step reads, and a second
interview on the same matter needs a recorded reason. Pure. All data synthetic."""

from datetime import UTC, datetime, timedelta

import pytest

from assessment.domain import interviews as iv
from assessment.domain.events import ChildInterviewRecorded
from assessment.domain.rulebook import domain_rule_of
from events.domain import Refused

CASE = "case-synthetic-interview"
AT = datetime(2025, 6, 3, 10, 0, tzinfo=UTC)


def interview(n: int, matter: str = "report-synthetic-1", reason=None) -> iv.RecordInterview:
    return iv.RecordInterview(
        case_id=CASE,
        interview_id=f"interview-{n}",
        organisation="org-synthetic-a",
        matter=matter,
        held_at=AT + timedelta(days=n),
        interviewer_ids=("w-synthetic-f1", "w-synthetic-f2"),
        record="合成：儿童单独会谈记录。",
        recorded_by="w-synthetic-f1",
        repeat_reason=reason,
    )


def first() -> iv.Interviews:
    return iv.fold(CASE, iv.record_interview(interview(1), iv.Interviews(case_id=CASE)))


def test_the_first_interview_on_a_matter_is_recorded_naming_i6():
    (recorded,) = iv.record_interview(interview(1), iv.Interviews(case_id=CASE))
    assert isinstance(recorded, ChildInterviewRecorded)
    assert (recorded.rule, recorded.repeat_of, recorded.matter) == (
        "MZ-5.2.3",
        None,
        "report-synthetic-1",
    )


def test_a_second_interview_on_the_same_matter_without_a_reason_is_refused_naming_i6():
    with pytest.raises(Refused) as refused:
        iv.record_interview(interview(2), first())
    (violation,) = refused.value.violations
    assert (violation.code, violation.rule, violation.field) == (
        "repeated_questioning",
        "MZ-5.2.3",
        "repeat_reason",
    )
    assert "interview-1" in violation.message
    assert domain_rule_of(violation) == "I-6"


def test_a_second_interview_with_a_recorded_reason_names_the_first_it_repeats():
    reason = iv.RepeatReason(code="new_facts", text="合成：出现新的事实。")
    (recorded,) = iv.record_interview(interview(2, reason=reason), first())
    assert (recorded.repeat_of, recorded.repeat_reason_code) == ("interview-1", "new_facts")


def test_another_matter_is_a_first_interview_and_a_reason_without_a_repeat_is_refused():
    (other,) = iv.record_interview(interview(2, matter="report-synthetic-2"), first())
    assert other.repeat_of is None
    reason = iv.RepeatReason(code="new_facts")
    with pytest.raises(Refused) as refused:
        iv.record_interview(interview(1, reason=reason), iv.Interviews(case_id=CASE))
    assert refused.value.violations[0].code == "nothing_repeated"


def test_the_record_every_later_step_reads_is_the_first_of_its_matter():
    state = first()
    assert state.record_of("report-synthetic-1") == "interview-1"
    assert state.record_of("report-synthetic-9") is None
