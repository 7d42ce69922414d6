"""What `GET /v1/cases/{id}/guardianship` answers, from the read models only (nothing decrypted):
whether §6.4 requires the assessment at the case's current safety grade, the current assessment
and the ones it superseded."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.events import Assessor
from assessment.domain.guardianship import (
    GuardianshipInput,
    GuardianshipResult,
    Requirement,
    guardianship_requirement,
)
from assessment.projections.queries import row_by_event, rows_of, safety_case
from assessment.projections.tables import guardianship_assessments


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class GuardianshipAssessmentPublic(_Public):
    """One recorded assessment; findings and notes are not shown (they stay encrypted)."""

    assessment_id: str
    event_id: str
    stream_version: int
    conclusion: str
    rule_set: str
    assessed_at: datetime
    recorded_at: datetime
    recorded_by: str
    assessors: list[Assessor]
    child_gender_source: str
    guardian_declares_inability: bool
    guardianship_disputed: bool
    requirement: Requirement
    supersedes: str | None
    superseded_by: str | None
    inputs: GuardianshipInput
    result: GuardianshipResult


class CaseGuardianshipPublic(_Public):
    """`requirement` is computed now from the current safety grade and the latest assessment's
    declarations; `current` is None while the case has none."""

    case_id: str
    version: int
    requirement: Requirement
    current: GuardianshipAssessmentPublic | None
    history: list[GuardianshipAssessmentPublic]


async def assessment_by_event(conn: AsyncConnection, event_id: str) -> Any:
    return await row_by_event(conn, guardianship_assessments, event_id)


async def assessments_of(conn: AsyncConnection, case_id: str) -> list[Any]:
    """Every assessment of the case, oldest first; the last is the current one."""
    return await rows_of(conn, guardianship_assessments, case_id)


def assessment_public(row: Any) -> GuardianshipAssessmentPublic:
    return GuardianshipAssessmentPublic.model_validate(
        {name: getattr(row, name) for name in GuardianshipAssessmentPublic.model_fields}
    )


async def case_guardianship(
    conn: AsyncConnection, case_id: str, organisation: str
) -> CaseGuardianshipPublic | None:
    """None when the case has neither a safety grade nor an assessment, or is not theirs."""
    graded = await safety_case(conn, case_id)
    rows = await assessments_of(conn, case_id)
    owners = {row.organisation for row in (graded, *rows) if row is not None}
    if not owners or owners - {organisation}:
        return None
    history = [assessment_public(row) for row in rows]
    current = history[-1] if history else None
    requirement = guardianship_requirement(
        graded.current_grade if graded else None,
        guardian_declares_inability=bool(current and current.guardian_declares_inability),
        guardianship_disputed=bool(current and current.guardianship_disputed),
    )
    return CaseGuardianshipPublic(
        case_id=case_id,
        version=current.stream_version if current else 0,
        requirement=requirement,
        current=current,
        history=history,
    )
