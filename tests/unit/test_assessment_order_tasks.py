"""Issue 14 item 13, assessment side: compulsory family education (SZ-6.4.4, DOMAIN §4 A) lasts
at least 3 months, which is the order's minimum period and not the due date of the task that
asks for it (Resolution R-SZ-B-09); issuing the order meets that task; the M-5 start deadlines
(JX-7.3) are labelled M-5. Pure. All data synthetic."""

from datetime import UTC, date, datetime

from assessment.domain import mental_health_rules as mr
from assessment.domain import rulesets as rs
from assessment.domain.events import FamilyEducationOrdered, TaskCompleted
from assessment.domain.family_education import FamilyEducationInput, evaluate_family_education
from assessment.domain.mental_health_state import MentalHealthCase, next_due
from assessment.domain.safety_tasks import Task, add_duration, tasks_met_by_order
from tests.unit.test_assessment_tasks import AT, LOW, tasks

FAMILY_EDUCATION = "compulsory_family_education"
ISSUED_AT = datetime(2025, 6, 20, 10, 0, tzinfo=UTC)


def test_the_family_education_task_is_due_as_an_undated_action_not_after_three_months():
    """R-SZ-B-09: the 3 months are the order's minimum period; the task (get the order made)
    is due as any undated action at grade A (R-SZ-B-10)."""
    due = {e.code: e.due_at for e in tasks(LOW)}
    assert due[FAMILY_EDUCATION] == add_duration(AT, rs.UNDATED_ACTION_DUE["A"])
    action = next(a for a in rs.REQUIRED_ACTIONS["A"] if a.code == FAMILY_EDUCATION)
    assert action.due is None
    assert action.minimum_period == "P3M"
    assert "minimum" in rs.resolution(rs.R_DUE_FAMILY_EDUCATION).text


def order(case_id: str = "case-synthetic-1") -> FamilyEducationOrdered:
    scores = {g.key: [5] * g.size for g in rs.SCORE_GROUPS}
    result = evaluate_family_education(FamilyEducationInput.model_validate({"scores": scores}))
    return FamilyEducationOrdered(
        case_id=case_id,
        order_id="order-synthetic-1",
        organisation="org-synthetic-a",
        ordered_by="合成区公安分局",
        issued_by="w-synthetic-f1",
        issued_at=ISSUED_AT,
        starts_on=date(2025, 6, 21),
        months=3,
        ends_on=date(2025, 9, 21),
        ordered_hours=result.hours_min,
        result=result,
    )


def task(code: str, status: str = "open", case_id: str = "case-synthetic-1") -> Task:
    return Task(
        task_id=f"task-{code}-{status}",
        case_id=case_id,
        code=code,
        status=status,  # type: ignore[arg-type]
        assignee_ids=("w-synthetic-f1",),
    )


def test_issuing_the_order_meets_the_open_family_education_task_of_its_case():
    """R-SZ-B-09: the order is what the task asked for, so issuing it completes the task."""
    open_tasks = [
        task(FAMILY_EDUCATION),
        task("follow_up_visits"),
        task(FAMILY_EDUCATION, status="cancelled"),
    ]
    assert tasks_met_by_order(open_tasks, order()) == [
        TaskCompleted(
            task_id=f"task-{FAMILY_EDUCATION}-open",
            case_id="case-synthetic-1",
            code=FAMILY_EDUCATION,
            completed_at=ISSUED_AT,
        )
    ]


def test_an_order_meets_no_task_of_another_case_and_none_when_none_is_open():
    assert tasks_met_by_order([task(FAMILY_EDUCATION, case_id="case-other")], order()) == []
    assert tasks_met_by_order([], order()) == []


def test_the_start_deadlines_of_jx_7_3_are_labelled_m5():
    """JX-7.3 holds M-5 (start within 15 working days, 10 or 5 by risk), M-6 and M-7."""
    graded = MentalHealthCase(case_id="case-synthetic-1", risk_level="high", graded_at=ISSUED_AT)
    agreed = graded.model_copy(update={"agreement_signed_at": ISSUED_AT, "phase": "in_service"})
    starts = [d for d in next_due(agreed) if d.code.startswith("start_service")]
    assert {d.code for d in starts} == {"start_service", "start_service_high_risk"}
    assert {(d.rule, d.domain_rule) for d in starts} == {(mr.SERVICE, "M-5")}
