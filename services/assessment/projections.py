"""Read models of the assessment service (SQLAlchemy Core), updated in the unit of work that
appends the events they reflect. The schema is made by `migrations/`.

Nothing here names or describes the child: free-text notes stay encrypted in the event store
under the case's data key, so shredding it leaves no readable copy in these tables.
"""

from collections.abc import Sequence
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

from assessment.events import SafetyRiskGraded
from events.envelope import Envelope
from events.registry import EventData

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

safety_grades = Table(
    "safety_grades",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("assessment_id", Text, nullable=False, unique=True),
    Column("organisation", Text, nullable=False),
    Column("grade", Text, nullable=False),
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


cases = Table(
    "cases",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("child_id", Text),
    Column("child_gender", Text),
    Column("opened_event_id", Text, nullable=False),
)


async def project(
    conn: AsyncConnection,
    envelopes: Sequence[Envelope],
    events: Sequence[EventData],
    fingerprint: str | None = None,
) -> None:
    """Apply freshly appended events (plaintext `events`, in the order of `envelopes`)."""
    for envelope, event in zip(envelopes, events, strict=True):
        if isinstance(event, SafetyRiskGraded):
            await _graded(conn, envelope, event, fingerprint)


async def _graded(
    conn: AsyncConnection, envelope: Envelope, event: SafetyRiskGraded, fingerprint: str | None
) -> None:
    await conn.execute(safety_grades.insert().values(_grade_row(envelope, event, fingerprint)))
    if event.supersedes is not None:
        await conn.execute(
            update(safety_grades)
            .where(safety_grades.c.assessment_id == event.supersedes)
            .values(superseded_by=event.assessment_id)
        )
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


def _grade_row(
    envelope: Envelope, event: SafetyRiskGraded, fingerprint: str | None
) -> dict[str, Any]:
    return {
        "event_id": envelope.id,
        "case_id": event.case_id,
        "stream_version": envelope.stream_version,
        "assessment_id": event.assessment_id,
        "organisation": event.organisation,
        "grade": event.result.grade,
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
    query = select(safety_grades).where(safety_grades.c.event_id == event_id)
    return (await conn.execute(query)).one_or_none()


async def grades_of(conn: AsyncConnection, case_id: str) -> list[Any]:
    """Every grade of the case, oldest first."""
    query = (
        select(safety_grades)
        .where(safety_grades.c.case_id == case_id)
        .order_by(safety_grades.c.stream_version)
    )
    return list((await conn.execute(query)).all())
