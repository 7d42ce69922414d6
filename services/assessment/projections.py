"""Read models of the assessment service (SQLAlchemy Core), updated in the unit of work that
appends the events they reflect. The schema is made by `migrations/`.

Nothing here names or describes the child: free-text notes stay encrypted in the event store
under the case's data key, so shredding it leaves no readable copy in these tables.
"""

from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.events import SafetyRiskGraded
from events.envelope import Envelope

metadata = MetaData()

safety_cases = Table(
    "safety_cases",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("current_assessment_id", Text, nullable=False),
    Column("current_grade", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def assessment_table(name: str, *own: Column[Any]) -> Table:
    """The columns every recorded assessment of a case has, with the kind's `own` ones."""
    return Table(
        name,
        metadata,
        Column("event_id", Text, primary_key=True),
        Column("case_id", Text, nullable=False),
        Column("stream_version", Integer, nullable=False),
        Column("assessment_id", Text, nullable=False, unique=True),
        Column("organisation", Text, nullable=False),
        *own,
        Column("rule_set", Text, nullable=False),
        Column("assessed_at", DateTime(timezone=True), nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("recorded_by", Text, nullable=False),
        Column("assessors", JSONB, nullable=False),
        Column("child_gender_source", Text, nullable=False),
        Column("inputs", JSONB, nullable=False),
        Column("result", JSONB, nullable=False),
        Column("supersedes", Text),
        Column("superseded_by", Text),
        Column("fingerprint", Text),
    )


safety_grades = assessment_table("safety_grades", Column("grade", Text, nullable=False))


cases = Table(
    "cases",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("child_id", Text),
    Column("child_gender", Text),
    Column("opened_event_id", Text, nullable=False),
)


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


def assessment_row(envelope: Envelope, event: Any, fingerprint: str | None) -> dict[str, Any]:
    """The columns of `assessment_table` from an assessment event (codes, no free text)."""
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


async def row_by_event(conn: AsyncConnection, table: Table, event_id: str) -> Any:
    return (await conn.execute(select(table).where(table.c.event_id == event_id))).one_or_none()


async def rows_of(conn: AsyncConnection, table: Table, case_id: str) -> list[Any]:
    """Every assessment of the case in `table`, oldest first; the last is the current one."""
    query = select(table).where(table.c.case_id == case_id).order_by(table.c.stream_version)
    return list((await conn.execute(query)).all())


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
