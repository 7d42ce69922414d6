"""Application layer of the guardianship capacity assessment (SZ Appendix D): read the case's
present state (its current assessment, its safety grade, intake's record), let the domain decide,
append to `guardianship-<case id>` and update the read model `guardianship_assessments` in one
unit of work. The read model holds codes only; findings and notes stay encrypted in the store."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Integer, Table, Text, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.guardianship_assessment import (
    AssessGuardianship,
    GuardianshipCase,
    assess_guardianship,
)
from assessment.events import GuardianshipCapacityAssessed
from assessment.handlers import KeyReused, NotVisible, UowFactory, stable_id
from assessment.projections import case_row, metadata, safety_case
from events.envelope import Envelope, Metadata
from events.store import NewEvent

guardianship_assessments = Table(
    "guardianship_assessments",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("assessment_id", Text, nullable=False, unique=True),
    Column("organisation", Text, nullable=False),
    Column("conclusion", Text, nullable=False),
    Column("rule_set", Text, nullable=False),
    Column("assessed_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("assessors", JSONB, nullable=False),
    Column("child_gender_source", Text, nullable=False),
    Column("guardian_declares_inability", Boolean, nullable=False),
    Column("guardianship_disputed", Boolean, nullable=False),
    Column("requirement", JSONB, nullable=False),
    Column("inputs", JSONB, nullable=False),
    Column("result", JSONB, nullable=False),
    Column("supersedes", Text),
    Column("superseded_by", Text),
    Column("fingerprint", Text),
)


def guardianship_stream(case_id: str) -> str:
    return f"guardianship-{case_id}"


async def record_guardianship(
    uows: UowFactory,
    command: AssessGuardianship,
    meta: Metadata,
    *,
    expected_version: int | None = None,
    seed: str | None = None,
    fingerprint: str | None = None,
) -> Any:
    """Record the assessment (superseding the current one) and return its read-model row."""
    event_id = stable_id(seed, "assessed") if seed else None
    async with uows() as uow:
        if event_id is not None:
            earlier = await assessment_by_event(uow.conn, event_id)
            if earlier is not None:
                return _retried(earlier, command, fingerprint)
        opened = await case_row(uow.conn, command.case_id)
        graded = await safety_case(uow.conn, command.case_id)
        rows = await assessments_of(uow.conn, command.case_id)
        current = rows[-1] if rows else None
        owners = {row.organisation for row in (opened, graded, current) if row is not None}
        if owners - {command.organisation}:
            raise NotVisible(command.case_id)
        state = GuardianshipCase(
            current_assessment_id=current.assessment_id if current else None,
            safety_grade=graded.current_grade if graded else None,
            child_gender=opened.child_gender if opened else None,
        )
        event = assess_guardianship(command, state)
        version = current.stream_version if current is not None else 0
        envelopes = await uow.append(
            guardianship_stream(command.case_id),
            expected_version if expected_version is not None else version,
            [NewEvent(event, event_id)],
            meta,
            key_scope=command.case_id,
            partition_key=command.case_id,
        )
        await project_guardianship(uow.conn, envelopes, [event], fingerprint)
        row = await assessment_by_event(uow.conn, envelopes[0].id)
        await uow.commit()
        return row


async def project_guardianship(
    conn: AsyncConnection,
    envelopes: Sequence[Envelope],
    events: Sequence[GuardianshipCapacityAssessed],
    fingerprint: str | None = None,
) -> None:
    for envelope, event in zip(envelopes, events, strict=True):
        await conn.execute(
            guardianship_assessments.insert().values(_row(envelope, event, fingerprint))
        )
        if event.supersedes is not None:
            await conn.execute(
                update(guardianship_assessments)
                .where(guardianship_assessments.c.assessment_id == event.supersedes)
                .values(superseded_by=event.assessment_id)
            )


def _row(
    envelope: Envelope, event: GuardianshipCapacityAssessed, fingerprint: str | None
) -> dict[str, Any]:
    return {
        "event_id": envelope.id,
        "case_id": event.case_id,
        "stream_version": envelope.stream_version,
        "assessment_id": event.assessment_id,
        "organisation": event.organisation,
        "conclusion": event.result.conclusion,
        "rule_set": event.rule_set,
        "assessed_at": event.assessed_at,
        "recorded_at": envelope.time,
        "recorded_by": envelope.actor,
        "assessors": [a.model_dump(mode="json") for a in event.assessors],
        "child_gender_source": event.child_gender_source,
        "guardian_declares_inability": event.guardian_declares_inability,
        "guardianship_disputed": event.guardianship_disputed,
        "requirement": event.requirement.model_dump(mode="json"),
        "inputs": event.inputs.model_dump(mode="json"),
        "result": event.result.model_dump(mode="json"),
        "supersedes": event.supersedes,
        "fingerprint": fingerprint,
    }


def _retried(earlier: Any, command: AssessGuardianship, fingerprint: str | None) -> Any:
    if earlier.case_id != command.case_id or earlier.organisation != command.organisation:
        raise KeyReused(command.case_id)
    if fingerprint is not None and earlier.fingerprint != fingerprint:
        raise KeyReused(command.case_id)
    return earlier


async def assessment_by_event(conn: AsyncConnection, event_id: str) -> Any:
    query = select(guardianship_assessments).where(guardianship_assessments.c.event_id == event_id)
    return (await conn.execute(query)).one_or_none()


async def assessments_of(conn: AsyncConnection, case_id: str) -> list[Any]:
    """Every assessment of the case, oldest first; the last is the current one."""
    query = (
        select(guardianship_assessments)
        .where(guardianship_assessments.c.case_id == case_id)
        .order_by(guardianship_assessments.c.stream_version)
    )
    return list((await conn.execute(query)).all())
