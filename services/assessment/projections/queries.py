"""Readers of the case records intake opened, the safety grades and the review queue of
assessments; what the safety read endpoints answer (read models only, nothing decrypted)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.assessment_review import Kind
from assessment.domain.events import Assessor
from assessment.domain.safety_risk import SafetyRiskInput, SafetyRiskResult
from assessment.projections.tables import (
    cases,
    guardianship_assessments,
    mh_review_items,
    safety_cases,
    safety_grades,
)

ASSESSMENTS: dict[Kind, Table] = {"safety": safety_grades, "guardianship": guardianship_assessments}


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


async def case_row(conn: AsyncConnection, case_id: str) -> Any:
    """The case as intake opened it, or None when assessment has not heard of it."""
    return (await conn.execute(select(cases).where(cases.c.case_id == case_id))).one_or_none()


async def safety_case(conn: AsyncConnection, case_id: str) -> Any:
    """The case's current grade row, or None before its first assessment."""
    query = select(safety_cases).where(safety_cases.c.case_id == case_id)
    return (await conn.execute(query)).one_or_none()


async def grade_by_event(conn: AsyncConnection, event_id: str) -> Any:
    return await row_by_event(conn, safety_grades, event_id)


async def grades_of(conn: AsyncConnection, case_id: str) -> list[Any]:
    """Every grade of the case, oldest first."""
    return await rows_of(conn, safety_grades, case_id)


async def row_by_event(conn: AsyncConnection, table: Table, event_id: str) -> Any:
    return (await conn.execute(select(table).where(table.c.event_id == event_id))).one_or_none()


async def rows_of(conn: AsyncConnection, table: Table, case_id: str) -> list[Any]:
    """Every assessment of the case in `table`, oldest first; the last is the current one."""
    query = select(table).where(table.c.case_id == case_id).order_by(table.c.stream_version)
    return list((await conn.execute(query)).all())


async def assessment_of(conn: AsyncConnection, kind: Kind, case_id: str, assessment_id: str) -> Any:
    """The case's assessment of `kind` with this id, or None."""
    table = ASSESSMENTS[kind]
    query = select(table).where(table.c.assessment_id == assessment_id, table.c.case_id == case_id)
    return (await conn.execute(query)).one_or_none()


async def review_item(conn: AsyncConnection, assessment_id: str) -> Any:
    query = select(mh_review_items).where(mh_review_items.c.item_id == assessment_id)
    return (await conn.execute(query)).one_or_none()
