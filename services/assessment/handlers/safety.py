"""Application layer of the safety assessment (DOMAIN §4): a grade is appended to
`safety-<case id>` and, in the same unit of work, the tasks its required actions call for are
set on `tasks-<case id>` (and the superseded grade's open ones cancelled)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.safety_assessment import GradeSafetyRisk, SafetyCase, grade_safety_risk
from assessment.handlers.case_assessment import AssessmentKind, Known, Loaded, record
from assessment.handlers.tasks import set_tasks
from assessment.projections.projector import project_grade
from assessment.projections.queries import grade_by_event, safety_case
from events.context import Context
from events.uow import UnitOfWork


async def _load(conn: AsyncConnection, command: GradeSafetyRisk, known: Known) -> Loaded:
    case = await safety_case(conn, command.case_id)
    state = SafetyCase(
        current_assessment_id=case.current_assessment_id if case else None,
        child_gender=known.child_gender,
        child_gender_source=known.child_gender_source,
        staff=known.staff,
    )
    return Loaded(state, int(case.version) if case else 0, (known.opened, case))


SAFETY = AssessmentKind(
    name="safety",
    id_part="graded",
    missing="graded case",
    load=_load,
    decide=grade_safety_risk,
    project=project_grade,
    row_by_event=grade_by_event,
    then=set_tasks,
)


async def grade(command: GradeSafetyRisk, uow: UnitOfWork, ctx: Context) -> Any:
    """Grade the case (superseding its current grade) and set the grade's tasks; the grade's
    read-model row."""
    return await record(SAFETY, command, uow, ctx)
