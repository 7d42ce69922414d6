"""Tasks from a safety grade's required actions (SZ-6.4, Resolution R-SZ-B-10). Pure."""

from datetime import UTC, datetime, timedelta

import pytest

from assessment.domain import rulesets as rs
from assessment.domain.events import Assessor, TaskCancelled, TaskSet
from assessment.domain.safety_assessment import GradeSafetyRisk, SafetyCase, grade_safety_risk
from assessment.domain.safety_risk import SafetyRiskInput
from assessment.domain.safety_tasks import (
    CancelTask,
    CompleteTask,
    Task,
    add_duration,
    cancel_task,
    complete_task,
    tasks_of_grade,
)
from events.domain import Conflict, Refused
from tests.unit.assessment_staff import ORG, registered

AT = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
TEAM = (
    Assessor(worker_id="w-synthetic-m1", gender="male"),
    Assessor(worker_id="w-synthetic-f1", gender="female"),
)
CRITICAL = {"b1": {"abandonment_6_months": True}}
LOW: dict = {}


def graded(inputs: dict, current: str | None = None):
    command = GradeSafetyRisk(
        case_id="case-synthetic-1",
        assessment_id="assessment-2",
        organisation=ORG,
        assessed_at=AT,
        child_gender="female",
        assessors=TEAM,
        inputs=SafetyRiskInput.model_validate(inputs),
    )
    return grade_safety_risk(
        command, SafetyCase(current_assessment_id=current, staff=registered(TEAM))
    )


def tasks(inputs: dict, open_tasks: tuple[Task, ...] = ()) -> list:
    return tasks_of_grade(graded(inputs), "event-1", open_tasks, lambda code: f"task-{code}")


def test_every_required_action_of_the_grade_becomes_one_task_of_the_assessors():
    events = tasks(CRITICAL)
    assert [e.code for e in events] == [r.code for r in rs.REQUIRED_ACTIONS["D"]]
    assert all(isinstance(e, TaskSet) for e in events)
    assert {tuple(e.assignee_ids) for e in events} == {("w-synthetic-f1", "w-synthetic-m1")}
    assert {e.source_event_id for e in events} == {"event-1"}
    assert events[0].task_id == "task-report_immediately_to_police_civil_affairs_education"


def test_a_dated_action_is_due_by_its_own_duration_from_the_assessment():
    due = {e.code: e.due_at for e in tasks(CRITICAL)}
    assert due["report_immediately_to_police_civil_affairs_education"] == AT  # PT0H, 第一时间
    assert due["apply_personal_safety_ruling"] == AT + timedelta(hours=72)


@pytest.mark.parametrize(
    ("inputs", "code", "after"),
    [
        (CRITICAL, "remove_and_treat", timedelta(hours=24)),
        ({"b2": {"neglect": "C"}}, "determine_guardian", timedelta(hours=72)),
        ({"b2": {"neglect": "B"}}, "case_conference", timedelta(hours=72)),
        (LOW, "follow_up_visits", timedelta(days=30)),  # 1 June + 1 month = 1 July
    ],
)
def test_an_undated_action_is_due_by_the_grades_default(inputs, code, after):
    due = {e.code: e.due_at for e in tasks(inputs)}
    assert due[code] == AT + after


def test_family_education_at_grade_a_is_due_as_an_undated_action_not_when_three_months_ran():
    """R-SZ-B-09: the 3 months are the order's minimum period, not the task's due."""
    due = {e.code: e.due_at for e in tasks(LOW)}
    assert due["compulsory_family_education"] == datetime(2025, 7, 1, 9, 30, tzinfo=UTC)


def test_a_regrade_cancels_the_open_tasks_first_then_sets_its_own():
    earlier = (
        Task(task_id="t-1", case_id="case-synthetic-1", code="x", status="open", assignee_ids=()),
    )
    events = tasks(CRITICAL, earlier)
    assert events[0] == TaskCancelled(
        task_id="t-1", case_id="case-synthetic-1", code="x", reason_code="superseded"
    )
    assert all(isinstance(e, TaskSet) for e in events[1:])


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        ("PT0H", AT),
        ("PT72H", AT + timedelta(days=3)),
        ("P1M", datetime(2025, 7, 1, 9, 30, tzinfo=UTC)),
        ("P1Y2M3DT4H5M", datetime(2026, 8, 4, 13, 35, tzinfo=UTC)),
    ],
)
def test_durations_add_calendar_months_then_the_fixed_span(duration, expected):
    assert add_duration(AT, duration) == expected


def test_month_addition_clips_to_the_months_last_day():
    assert add_duration(datetime(2025, 1, 31, tzinfo=UTC), "P1M") == datetime(
        2025, 2, 28, tzinfo=UTC
    )


@pytest.mark.parametrize("duration", ["P", "PT", "3 days", "P1W", ""])
def test_an_unsupported_duration_is_an_error_not_a_guess(duration):
    with pytest.raises(ValueError):
        add_duration(AT, duration)


OPEN = Task(task_id="t-1", case_id="c-1", code="x", status="open", assignee_ids=("w-1",))


def test_an_open_task_is_completed_at_the_time_given():
    done = complete_task(CompleteTask(case_id="c-1", task_id="t-1", completed_at=AT, now=AT), OPEN)
    assert (done.task_id, done.case_id, done.code, done.completed_at) == ("t-1", "c-1", "x", AT)


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_a_closed_task_cannot_be_completed_again(status):
    with pytest.raises(Conflict) as refused:
        complete_task(
            CompleteTask(case_id="c-1", task_id="t-1", completed_at=AT, now=AT),
            OPEN.model_copy(update={"status": status}),
        )
    assert refused.value.violations[0].code == "task_closed"


def test_a_completion_in_the_future_is_refused():
    later = CompleteTask(
        case_id="c-1", task_id="t-1", completed_at=AT + timedelta(minutes=1), now=AT
    )
    with pytest.raises(Refused) as refused:
        complete_task(later, OPEN)
    assert refused.value.rule == rs.TASKS_CLAUSE


def test_a_supervisor_cancels_an_open_task_whose_condition_does_not_hold():
    command = CancelTask(case_id="c-1", task_id="t-1", reason_code="not_applicable")
    cancelled = cancel_task(command, OPEN)
    assert (cancelled.task_id, cancelled.reason_code) == ("t-1", "not_applicable")
    with pytest.raises(Conflict):
        cancel_task(command, OPEN.model_copy(update={"status": "cancelled"}))
