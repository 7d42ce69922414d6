"""Issue 14 item 16, M-3 (JX-7.1.3): the provider reviews the feasibility assessment (the
supervisor's approval) and files it with the entrustor; no plan is submitted and no agreement
signed before it is filed. Pure. All data synthetic."""

from datetime import timedelta

import pytest

from assessment.domain import mental_health as mh
from assessment.domain import mental_health_rules as mr
from assessment.domain.events import FeasibilityFiled
from assessment.domain.rulebook import domain_rule_of
from events.domain import Conflict
from tests.unit.test_assessment_mental_health import (
    CASE,
    SUPERVISOR,
    T0,
    apply,
    approve,
    graded,
    plan_form,
    refusal,
    submit_feasibility,
    submit_plan,
)

ENTRUSTOR = "合成市民政局"


def reviewed() -> mh.MentalHealthCase:
    """Graded, assessed, approved by the supervisor: reviewed, not yet filed."""
    case = apply(mh.MentalHealthCase(case_id=CASE), graded("medium"))
    case = apply(case, submit_feasibility(case))
    return apply(case, approve(case))


def file(case: mh.MentalHealthCase) -> list:
    command = mh.FileFeasibility(
        case_id=CASE,
        entrustor=ENTRUSTOR,
        reference="合成-备案-001",
        filed_by=SUPERVISOR,
        filed_at=T0 + timedelta(hours=2),
    )
    return mh.decide(command, case, 0)


def test_filing_the_reviewed_assessment_with_the_entrustor_is_an_event_naming_m3():
    (filed,) = file(reviewed())
    assert isinstance(filed, FeasibilityFiled)
    assert (filed.case_id, filed.item_id, filed.entrustor) == (CASE, "feasibility-1", ENTRUSTOR)
    assert filed.rule == mr.REVIEW == "JX-7.1.3"


def test_no_plan_before_the_assessment_is_filed_naming_m3():
    kind, codes, rule = refusal(submit_plan, reviewed(), plan_form(6))
    assert (kind, codes, rule) == (Conflict, ["feasibility_not_filed"], "JX-7.1.3")
    case = reviewed()
    with pytest.raises(Conflict) as refused:
        submit_plan(case, plan_form(6))
    assert domain_rule_of(refused.value.violations[0]) == "M-3"


def test_a_plan_after_filing_goes_to_the_supervisor_and_signs_the_agreement():
    case = apply(reviewed(), file(reviewed()))
    case = apply(case, submit_plan(case, plan_form(6)))
    case = apply(case, approve(case))
    assert case.phase == "in_service"


def test_an_assessment_not_yet_reviewed_is_not_filed():
    case = apply(mh.MentalHealthCase(case_id=CASE), graded("medium"))
    case = apply(case, submit_feasibility(case))
    assert refusal(file, case)[:2] == (Conflict, ["feasibility_not_reviewed"])


def test_an_assessment_is_filed_once():
    case = apply(reviewed(), file(reviewed()))
    assert refusal(file, case)[:2] == (Conflict, ["feasibility_filed_already"])


def test_the_reviewed_case_waits_for_the_filing_then_for_the_plan():
    assert "file_feasibility_with_entrustor" in {d.code for d in mh.next_due(reviewed())}
    assert "service_plan" not in {d.code for d in mh.next_due(reviewed())}
    filed = apply(reviewed(), file(reviewed()))
    codes = {d.code for d in mh.next_due(filed)}
    assert "service_plan" in codes and "file_feasibility_with_entrustor" not in codes
