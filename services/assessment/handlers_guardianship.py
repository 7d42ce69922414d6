"""Application layer of the guardianship capacity assessment (SZ Appendix D): its state is the
case's current assessment, safety grade and intake's record; it appends to
`guardianship-<case id>` and writes the read model `guardianship_assessments` (codes only;
findings and notes stay encrypted in the store) through `record_case_assessment`."""

from typing import Any

from sqlalchemy import Boolean, Column, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.events import GuardianshipCapacityAssessed
from assessment.domain.guardianship_assessment import (
    AssessGuardianship,
    GuardianshipCase,
    assess_guardianship,
)
from assessment.handlers import AssessmentKind, Known, Loaded
from assessment.projections import (
    assessment_row,
    assessment_table,
    insert_assessment,
    row_by_event,
    rows_of,
    safety_case,
)
from events.envelope import Envelope

guardianship_assessments = assessment_table(
    "guardianship_assessments",
    Column("conclusion", Text, nullable=False),
    Column("guardian_declares_inability", Boolean, nullable=False),
    Column("guardianship_disputed", Boolean, nullable=False),
    Column("requirement", JSONB, nullable=False),
)


def guardianship_stream(case_id: str) -> str:
    return f"guardianship-{case_id}"


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


async def project_guardianship(
    conn: AsyncConnection,
    envelope: Envelope,
    event: GuardianshipCapacityAssessed,
    fingerprint: str | None = None,
) -> None:
    row = {
        **assessment_row(envelope, event, fingerprint),
        "conclusion": event.result.conclusion,
        "guardian_declares_inability": event.guardian_declares_inability,
        "guardianship_disputed": event.guardianship_disputed,
        "requirement": event.requirement.model_dump(mode="json"),
    }
    await insert_assessment(conn, guardianship_assessments, row)


async def assessment_by_event(conn: AsyncConnection, event_id: str) -> Any:
    return await row_by_event(conn, guardianship_assessments, event_id)


async def assessments_of(conn: AsyncConnection, case_id: str) -> list[Any]:
    """Every assessment of the case, oldest first; the last is the current one."""
    return await rows_of(conn, guardianship_assessments, case_id)


GUARDIANSHIP = AssessmentKind(
    name="guardianship",
    id_part="assessed",
    load=_load,
    decide=assess_guardianship,
    project=project_guardianship,
    row_by_event=assessment_by_event,
)
