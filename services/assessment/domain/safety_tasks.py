"""Tasks from a safety grade (SZ-6.4, Resolution R-SZ-B-10). Pure: the grade and the case's
open tasks in, `assessment.task.*` events out.

Each required action of the grade becomes a task of the assessors, due from the assessment
time. A regrade never rewrites a task: it cancels the open ones (`superseded`) and sets its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from assessment.domain import rulesets as rs
from assessment.domain.case_status import FINAL
from assessment.domain.events import (
    FamilyEducationOrdered,
    SafetyRiskGraded,
    TaskCancelled,
    TaskCompleted,
    TaskSet,
)
from assessment.domain.mental_health_state import add_months
from events.domain import Conflict, Refused, Violation

SUPERSEDED = "superseded"
FAMILY_EDUCATION = "compulsory_family_education"  # SZ-6.4.4: met by issuing the order
NOT_APPLICABLE = "not_applicable"  # a conditional action whose condition does not hold
TaskStatus = Literal["open", "completed", "cancelled"]
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


class Task(BaseModel):
    """A task as the read model holds it."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    case_id: str
    code: str
    status: TaskStatus
    assignee_ids: tuple[str, ...]


class CompleteTask(BaseModel):
    """An assignee or a supervisor records a task of the case as done."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    task_id: str
    completed_at: datetime
    now: datetime


class CancelTask(BaseModel):
    """A supervisor ends an open task of the case undone."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    task_id: str
    reason_code: str = NOT_APPLICABLE


def tasks_of_grade(
    graded: SafetyRiskGraded,
    source_event_id: str,
    open_tasks: Sequence[Task],
    task_id: Callable[[str], str],
) -> list[TaskCancelled | TaskSet]:
    """Cancel the open tasks of the superseded grade, then set one per required action."""
    cancelled = [
        TaskCancelled(task_id=t.task_id, case_id=t.case_id, code=t.code, reason_code=SUPERSEDED)
        for t in open_tasks
    ]
    assignees = sorted({a.worker_id for a in graded.assessors})
    grade = graded.result.grade
    return [
        *cancelled,
        *(
            TaskSet(
                task_id=task_id(action.code),
                case_id=graded.case_id,
                code=action.code,
                clause=action.clause,
                due_at=add_duration(graded.assessed_at, action.due or rs.UNDATED_ACTION_DUE[grade]),
                assignee_ids=assignees,
                source_event_id=source_event_id,
            )
            for action in graded.result.required_actions
        ),
    ]


def add_duration(moment: datetime, duration: str) -> datetime:
    """`moment` plus an ISO-8601 duration of years, months, days, hours, minutes (`PT72H`,
    `P3M`); months first, the day clipped to the month's end."""
    match = _DURATION.match(duration)
    if match is None or duration in ("P", "PT"):
        raise ValueError(f"not a supported ISO-8601 duration: {duration!r}")
    years, months, days, hours, minutes = (int(g or 0) for g in match.groups())
    span = timedelta(days=days, hours=hours, minutes=minutes)
    return add_months(moment, 12 * years + months) + span


def complete_task(command: CompleteTask, task: Task) -> TaskCompleted:
    """The task done at `completed_at`; Conflict once it is closed, Refused if in the future."""
    if task.status != "open":
        raise Conflict([_violation("task_closed", f"the task is already {task.status}")])
    if command.completed_at > command.now:
        raise Refused([_violation("completed_in_future", "completed_at is in the future")])
    return TaskCompleted(
        task_id=task.task_id,
        case_id=task.case_id,
        code=task.code,
        completed_at=command.completed_at,
    )


def tasks_met_by_order(
    tasks: Sequence[Task], issued: FamilyEducationOrdered
) -> list[TaskCompleted]:
    """R-SZ-B-09: the order is what the family-education task asked for, so issuing it on the
    case completes the case's open task (its 3 months are the order's minimum, not the task's)."""
    return [
        TaskCompleted(
            task_id=t.task_id, case_id=t.case_id, code=t.code, completed_at=issued.issued_at
        )
        for t in tasks
        if t.code == FAMILY_EDUCATION and t.status == "open" and t.case_id == issued.case_id
    ]


def tasks_ended_by_case(tasks: Sequence[Task], status: str) -> list[TaskCancelled]:
    """A case that reached a final status (closed SZ-6.6, transferred JX-6.2.1, handed over
    JX-9.4.2) ends its open tasks undone: cancelled with `case_<status>` as the reason."""
    if status not in FINAL:
        return []
    return [
        TaskCancelled(
            task_id=t.task_id, case_id=t.case_id, code=t.code, reason_code=f"case_{status}"
        )
        for t in tasks
        if t.status == "open"
    ]


def cancel_task(command: CancelTask, task: Task) -> TaskCancelled:
    """A supervisor ends an open task undone (its §6.4 condition does not hold)."""
    if task.status != "open":
        raise Conflict([_violation("task_closed", f"the task is already {task.status}")])
    return TaskCancelled(
        task_id=task.task_id, case_id=task.case_id, code=task.code, reason_code=command.reason_code
    )


def _violation(code: str, message: str) -> Violation:
    return Violation(
        code=code, rule=rs.TASKS_CLAUSE, field="task", message=message, sensitive=False
    )
