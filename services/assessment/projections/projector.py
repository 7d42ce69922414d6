"""Assessments of a case by a team (safety grades, guardianship assessments) and the case
records intake opened, as rows: codes and ids only, no free text."""

from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.events import GuardianshipCapacityAssessed, SafetyRiskGraded
from assessment.projections.tables import (
    cases,
    guardianship_assessments,
    safety_cases,
    safety_grades,
)
from events.envelope import Envelope


async def project_grade(
    conn: AsyncConnection, envelope: Envelope, event: SafetyRiskGraded, fingerprint: str | None
) -> None:
    """The grade joins the case's history and becomes its current one."""
    row = {**assessment_row(envelope, event, fingerprint), "grade": event.result.grade}
    await insert_assessment(conn, safety_grades, row)
    current = {
        "organisation": event.organisation,
        "current_assessment_id": event.assessment_id,
        "current_grade": event.result.grade,
        "version": envelope.stream_version,
        "updated_at": envelope.time,
    }
    await conn.execute(
        pg_insert(safety_cases)
        .values(case_id=event.case_id, **current)
        .on_conflict_do_update(index_elements=[safety_cases.c.case_id], set_=current)
    )


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


def assessment_row(envelope: Envelope, event: Any, fingerprint: str | None) -> dict[str, Any]:
    """The columns of `tables.assessment_table` from an assessment event (codes, no free text)."""
    return {
        "event_id": envelope.id,
        "case_id": event.case_id,
        "stream_version": envelope.stream_version,
        "assessment_id": event.assessment_id,
        "organisation": event.organisation,
        "rule_set": event.rule_set,
        "assessed_at": event.assessed_at,
        "recorded_at": envelope.time,
        "recorded_by": envelope.actor,
        "assessors": [a.model_dump(mode="json") for a in event.assessors],
        "child_gender_source": event.child_gender_source,
        "inputs": event.inputs.model_dump(mode="json"),
        "result": event.result.model_dump(mode="json"),
        "supersedes": event.supersedes,
        "fingerprint": fingerprint,
    }


async def insert_assessment(conn: AsyncConnection, table: Table, row: dict[str, Any]) -> None:
    """Add the assessment; the one it supersedes stays, marked as superseded by it."""
    await conn.execute(table.insert().values(row))
    if row["supersedes"] is not None:
        await conn.execute(
            update(table)
            .where(table.c.assessment_id == row["supersedes"])
            .values(superseded_by=row["assessment_id"])
        )


async def add_case(
    conn: AsyncConnection,
    *,
    case_id: str,
    organisation: str,
    child_id: str | None,
    child_gender: str | None,
    event_id: str,
) -> None:
    """Record a case intake opened; the first opening wins (a case is opened once)."""
    row = {
        "case_id": case_id,
        "organisation": organisation,
        "child_id": child_id,
        "child_gender": child_gender,
        "opened_event_id": event_id,
    }
    await conn.execute(pg_insert(cases).values(row).on_conflict_do_nothing())
