"""Application layer of the safety assessment (DOMAIN §4) and its tasks (SZ-6.4, R-SZ-B-10).

A grade is appended to `safety-<case id>`; in the same unit of work the tasks its required
actions call for are set on `tasks-<case id>` (and the superseded grade's open ones cancelled).
Both streams are keyed and encrypted by the case id, so one case's events keep their order.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.events import SafetyRiskGraded, TaskCancelled, TaskCompleted
from assessment.domain.safety_assessment import GradeSafetyRisk, SafetyCase, grade_safety_risk
from assessment.domain.safety_tasks import Task, tasks_of_grade
from assessment.handlers import (
    AssessmentKind,
    Known,
    Loaded,
    NotVisible,
    UowFactory,
    append_to_case,
    stable_id,
)
from assessment.projections import grade_by_event, project_grade, safety_case
from assessment.projections_tasks import as_task, project_tasks, task_row, tasks_of
from events.envelope import Envelope, Metadata
from events.uow import UnitOfWork


def tasks_stream(case_id: str) -> str:
    return f"tasks-{case_id}"


async def _load(conn: AsyncConnection, command: GradeSafetyRisk, known: Known) -> Loaded:
    case = await safety_case(conn, command.case_id)
    state = SafetyCase(
        current_assessment_id=case.current_assessment_id if case else None,
        child_gender=known.child_gender,
        child_gender_source=known.child_gender_source,
        staff=known.staff,
    )
    return Loaded(state, int(case.version) if case else 0, (known.opened, case))


async def set_tasks(
    uow: UnitOfWork, envelope: Envelope, graded: SafetyRiskGraded, meta: Metadata
) -> None:
    """The grade's required actions become tasks; the superseded grade's open tasks end."""
    open_rows = await tasks_of(uow.conn, graded.case_id, "open")
    events = tasks_of_grade(
        graded,
        envelope.id,
        [as_task(row) for row in open_rows],
        lambda code: stable_id(envelope.id, f"task/{code}"),
    )
    stream = tasks_stream(graded.case_id)
    appended = await append_to_case(uow, stream, events, meta, graded.case_id)
    await project_tasks(uow.conn, appended, events, graded.organisation)


SAFETY = AssessmentKind(
    name="safety",
    id_part="graded",
    load=_load,
    decide=grade_safety_risk,
    project=project_grade,
    row_by_event=grade_by_event,
    then=set_tasks,
)


async def record_task_closed(
    uows: UowFactory,
    case_id: str,
    organisation: str,
    close: Callable[[Task], TaskCompleted | TaskCancelled],
    task_id: str,
    meta: Metadata,
) -> Any:
    """Complete or cancel an open task of the case; its read-model row after the change."""
    async with uows() as uow:
        row = await task_row(uow.conn, task_id)
        if row is None or row.case_id != case_id or row.organisation != organisation:
            raise NotVisible(case_id)
        events = [close(as_task(row))]
        appended = await append_to_case(uow, tasks_stream(case_id), events, meta, case_id)
        await project_tasks(uow.conn, appended, events, organisation)
        done = await task_row(uow.conn, task_id)
        await uow.commit()
        return done
