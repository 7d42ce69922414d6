"""Grading a case's safety risk (DOMAIN §4, I-5): who may assess, what the event records, and
how a regrade supersedes the current grade. Pure: no database, no broker."""

from datetime import UTC, datetime

import pytest

from assessment.domain.events import Assessor, SafetyRiskGraded
from assessment.domain.safety_assessment import (
    TEAM_RULE,
    GradeSafetyRisk,
    SafetyCase,
    grade_safety_risk,
)
from assessment.domain.safety_risk import SafetyRiskInput, evaluate_safety_risk
from events.domain import Refused
from events.registry import registry
from tests.unit.assessment_staff import registered

WOMAN = Assessor(worker_id="w-synthetic-1", gender="female")
MAN = Assessor(worker_id="w-synthetic-2", gender="male")
OTHER_MAN = Assessor(worker_id="w-synthetic-3", gender="male")
STAFF = registered([WOMAN, MAN, OTHER_MAN])
INPUTS = SafetyRiskInput.model_validate({"b2": {"neglect": "B"}, "b3": {"cooperation": "C"}})


def command(
    *assessors: Assessor, child_gender: str | None = "female", notes: str | None = None
) -> GradeSafetyRisk:
    return GradeSafetyRisk.model_validate(
        {
            "case_id": "case-synthetic-1",
            "assessment_id": "assessment-2",
            "organisation": "org-synthetic",
            "assessed_at": datetime(2025, 6, 1, 9, 30, tzinfo=UTC),
            "child_gender": child_gender,
            "assessors": assessors,
            "inputs": INPUTS,
            "notes": notes,
        }
    )


def refusal_codes(cmd: GradeSafetyRisk, case: SafetyCase | None = None) -> list[str]:
    with pytest.raises(Refused) as refused:
        grade_safety_risk(cmd, case or SafetyCase(staff=STAFF))
    assert refused.value.rule == TEAM_RULE == "MZ-6.2.2"
    return [v.code for v in refused.value.violations]


def test_two_workers_with_a_woman_may_grade_a_girls_case():
    event = grade_safety_risk(command(WOMAN, MAN), SafetyCase(staff=STAFF))
    assert event.result.grade == "B"


def test_two_men_may_grade_a_boys_case():
    event = grade_safety_risk(command(MAN, OTHER_MAN, child_gender="male"), SafetyCase(staff=STAFF))
    assert event.result.grade == "B"


def test_two_men_may_not_grade_a_girls_case():
    assert refusal_codes(command(MAN, OTHER_MAN)) == ["no_female_assessor"]


def test_one_worker_alone_may_not_grade_a_case():
    assert refusal_codes(command(WOMAN)) == ["too_few_assessors"]


def test_no_worker_at_all_breaks_both_team_rules_for_a_girl():
    assert refusal_codes(command()) == ["too_few_assessors", "no_female_assessor"]


def test_the_same_worker_listed_twice_is_not_two_assessors():
    assert refusal_codes(command(MAN, MAN, child_gender="male")) == [
        "assessor_repeated",
        "too_few_assessors",
    ]


def test_the_event_records_inputs_answer_and_rule_set_as_the_evaluator_gave_them():
    event = grade_safety_risk(command(WOMAN, MAN, notes="synthetic note"), SafetyCase(staff=STAFF))
    assert event.inputs == INPUTS
    assert event.result == evaluate_safety_risk(INPUTS)
    assert event.rule_set == "SZ-2023-B" == event.result.rule_set
    assert event.notes == "synthetic note"
    assert event.assessors == [WOMAN, MAN]


def test_a_first_grade_supersedes_nothing():
    assert grade_safety_risk(command(WOMAN, MAN), SafetyCase(staff=STAFF)).supersedes is None


def test_a_regrade_names_the_grade_it_supersedes():
    state = SafetyCase(staff=STAFF, current_assessment_id="assessment-1")
    assert grade_safety_risk(command(WOMAN, MAN), state).supersedes == "assessment-1"


def test_the_graded_event_type_is_versioned_and_its_notes_are_personal():
    info = registry.info("assessment.safety.risk_graded.v2")
    assert info.model is SafetyRiskGraded
    assert info.personal == frozenset({"notes"})


def test_the_graded_event_round_trips_through_its_json_form():
    event = grade_safety_risk(command(WOMAN, MAN, notes="synthetic"), SafetyCase(staff=STAFF))
    stored = event.model_dump(mode="json")
    assert registry.load("assessment.safety.risk_graded.v2", stored) == event


def test_a_gender_from_intakes_child_registry_is_labelled_so():
    case = SafetyCase(
        child_gender="female", child_gender_source="intake.child.registered", staff=STAFF
    )
    event = grade_safety_risk(command(WOMAN, MAN, child_gender=None), case)
    assert (event.child_gender, event.child_gender_source) == ("female", "intake.child.registered")
    with pytest.raises(Refused):
        grade_safety_risk(command(MAN, OTHER_MAN, child_gender=None), case)


# --- whose word on the child's gender counts --------------------------------------------------


def test_without_a_case_record_the_assessors_stated_gender_is_used_and_labelled_so():
    event = grade_safety_risk(command(WOMAN, MAN, child_gender="male"), SafetyCase(staff=STAFF))
    assert (event.child_gender, event.child_gender_source) == ("male", "request")


def test_the_gender_intake_recorded_for_the_case_is_used_when_none_is_stated():
    recorded = SafetyCase(staff=STAFF, child_gender="female")
    event = grade_safety_risk(command(WOMAN, MAN, child_gender=None), recorded)
    assert (event.child_gender, event.child_gender_source) == ("female", "intake.case.opened")


def test_the_case_record_decides_the_team_rule_even_if_the_assessors_agree_with_it():
    recorded = SafetyCase(staff=STAFF, child_gender="female")
    assert refusal_codes(command(MAN, OTHER_MAN, child_gender="female"), recorded) == [
        "no_female_assessor"
    ]
    assert refusal_codes(command(MAN, OTHER_MAN, child_gender=None), recorded) == [
        "no_female_assessor"
    ]


def test_a_stated_gender_contradicting_the_case_record_is_refused():
    recorded = SafetyCase(staff=STAFF, child_gender="female")
    assert refusal_codes(command(MAN, OTHER_MAN, child_gender="male"), recorded) == [
        "child_gender_mismatch"
    ]


def test_with_no_gender_stated_or_recorded_the_team_rule_cannot_be_checked():
    assert refusal_codes(command(WOMAN, MAN, child_gender=None)) == ["child_gender_unknown"]
