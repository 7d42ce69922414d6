"""Application layer of the guardianship capacity assessment (SZ Appendix D): its state is the
case's current assessment, safety grade and intake's record; it appends to
`guardianship-<case id>` and writes the read model `guardianship_assessments` (codes only;
findings and notes stay encrypted in the store)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.guardianship_assessment import (
    AssessGuardianship,
    GuardianshipCase,
    assess_guardianship,
)
from assessment.handlers.case_assessment import AssessmentKind, Known, Loaded, record
from assessment.projections.projector import project_guardianship
from assessment.projections.queries import safety_case
from assessment.projections.queries_guardianship import assessment_by_event, assessments_of
from events.context import Context
from events.uow import UnitOfWork


async def _load(conn: AsyncConnection, command: AssessGuardianship, known: Known) -> Loaded:
    graded = await safety_case(conn, command.case_id)
    rows = await assessments_of(conn, command.case_id)
    current = rows[-1] if rows else None
    state = GuardianshipCase(
        current_assessment_id=current.assessment_id if current else None,
        safety_grade=graded.current_grade if graded else None,
        child_gender=known.child_gender,
        child_gender_source=known.child_gender_source,
        staff=known.staff,
    )
    version = current.stream_version if current is not None else 0
    return Loaded(state, version, (known.opened, graded, current))


GUARDIANSHIP = AssessmentKind(
    name="guardianship",
    id_part="assessed",
    missing="assessed or graded case",
    load=_load,
    decide=assess_guardianship,
    project=project_guardianship,
    row_by_event=assessment_by_event,
)


async def assess(command: AssessGuardianship, uow: UnitOfWork, ctx: Context) -> Any:
    """Record the assessment (superseding the current one); its read-model row."""
    return await record(GUARDIANSHIP, command, uow, ctx)
