"""The single entries the application layer calls: every command type has its rule
(`decide`), the caseload a command counts (M-6), and the rulebook number a refusal names.
Pure; all data synthetic."""

import typing
from datetime import UTC, date, datetime

import pytest

from assessment.domain import family_education_order as fe
from assessment.domain import mental_health as mh
from assessment.domain.family_education import FamilyEducationInput
from assessment.domain.rulebook import domain_rule_of
from events.domain import Conflict, Violation

CASE = "case-synthetic-dispatch"
T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
GROUPS = {"personal_traits": 5, "motivation": 5, "stress_coping": 7, "family_function": 5}
GROUPS |= {"social_resources": 2, "parenting": 4}
SCORES = FamilyEducationInput.model_validate({"scores": {g: [3] * n for g, n in GROUPS.items()}})


@pytest.mark.parametrize(("decide", "commands"), [(mh.decide, mh.Command), (fe.decide, fe.Command)])
def test_every_command_type_has_its_rule_registered(decide, commands):
    assert set(typing.get_args(commands)) <= set(decide.registry)


def test_a_command_of_another_kind_is_no_decision():
    with pytest.raises(TypeError):
        mh.decide(object(), mh.MentalHealthCase(case_id=CASE), 0)  # type: ignore[arg-type]


def test_the_entry_decides_as_the_rule_of_the_command_type():
    command = mh.GradeRisk(
        case_id=CASE,
        grading_id="g-1",
        organisation="org-synthetic-a",
        risk_level="medium",
        instrument="SDQ",
        assessed_at=T0,
        graded_by="w-synthetic-1",
    )
    case = mh.MentalHealthCase(case_id=CASE)
    assert mh.decide(command, case, 0) == mh.grade_risk(command, case)


def test_an_order_is_issued_through_the_entry():
    command = fe.IssueOrder(
        case_id=CASE,
        order_id="o-1",
        organisation="org-synthetic-a",
        ordered_by="police-synthetic",
        issued_by="w-synthetic-1",
        issued_at=T0,
        starts_on=date(2025, 6, 9),
        months=3,
        assessment=SCORES,
    )
    order = fe.Order(order_id="o-1")
    assert fe.decide(command, order) == fe.issue_order(command, order)
    with pytest.raises(Conflict):
        fe.decide(command, fe.fold_order("o-1", fe.decide(command, order)))


def test_only_commands_that_put_the_case_on_a_worker_count_their_caseload():
    change = mh.ChangeWorker.model_construct(case_id=CASE, to_worker="w-synthetic-2")
    feasibility = mh.SubmitFeasibility.model_construct(case_id=CASE, worker_id="w-synthetic-1")
    session = mh.RecordSession.model_construct(case_id=CASE)
    assert mh.caseload_worker(change) == "w-synthetic-2"
    assert mh.caseload_worker(feasibility) == "w-synthetic-1"
    assert mh.caseload_worker(session) is None


@pytest.mark.parametrize(
    ("code", "rule", "number"),
    [
        ("caseload_full", "JX-7.3", "M-6"),  # JX-7.3 holds M-5..M-7: the code decides
        ("session_length", "JX-7.3", "M-7"),
        ("too_few_sessions", "JX-7.2.1", "M-4"),
        ("no_female_assessor", "MZ-6.2.2", "MZ-6.2.2"),  # not numbered: the clause itself
    ],
)
def test_a_refusal_names_the_rulebook_number_of_its_clause(code, rule, number):
    violation = Violation(code=code, rule=rule, message="synthetic", sensitive=False)
    assert domain_rule_of(violation) == number
