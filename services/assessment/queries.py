"""What the read endpoints answer, built from the read models only (no event is decrypted)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.events import Assessor
from assessment.domain.safety_risk import SafetyRiskInput, SafetyRiskResult
from assessment.projections import grades_of, safety_case


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class SafetyGradePublic(_Public):
    """One recorded grade of a case; notes are not shown (they stay encrypted in the record)."""

    assessment_id: str
    event_id: str
    stream_version: int
    grade: str
    rule_set: str
    assessed_at: datetime
    recorded_at: datetime
    recorded_by: str
    assessors: list[Assessor]
    child_gender_source: str
    supersedes: str | None
    superseded_by: str | None
    inputs: SafetyRiskInput
    result: SafetyRiskResult


class CaseRiskPublic(_Public):
    """A case's current safety grade and every earlier one, oldest first."""

    case_id: str
    version: int
    current: SafetyGradePublic
    history: list[SafetyGradePublic]


def grade_public(row: Any) -> SafetyGradePublic:
    return SafetyGradePublic.model_validate(
        {name: getattr(row, name) for name in SafetyGradePublic.model_fields}
    )


async def case_risk(
    conn: AsyncConnection, case_id: str, organisation: str
) -> CaseRiskPublic | None:
    """The case's risk as its organisation sees it; None when not graded or not theirs."""
    case = await safety_case(conn, case_id)
    if case is None or case.organisation != organisation:
        return None
    history = [grade_public(row) for row in await grades_of(conn, case_id)]
    current = next(g for g in history if g.assessment_id == case.current_assessment_id)
    return CaseRiskPublic(case_id=case_id, version=case.version, current=current, history=history)
