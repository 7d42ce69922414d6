"""Application layer of the assessment service: read the case's present state, let the domain
decide, append the event with its read-model changes in one unit of work.

A command given an idempotency seed gets a deterministic event id (uuid5), so a retried request
finds its event stored and answers with what the first one recorded.
"""

import uuid
from collections.abc import Callable
from typing import Any

from assessment.domain.safety_assessment import GradeSafetyRisk, SafetyCase, grade_safety_risk
from assessment.projections import case_row, grade_by_event, project, safety_case
from events.envelope import Metadata
from events.store import NewEvent
from events.uow import UnitOfWork

ID_NAMESPACE = uuid.UUID("8b0c6f0e-2f5d-4c1e-9d0a-6a4f3e2b1c07")
UowFactory = Callable[[], UnitOfWork]


class NotVisible(Exception):
    """The case belongs to another organisation (answered as if it did not exist)."""


class KeyReused(Exception):
    """An Idempotency-Key was sent again with a different request body."""


def stable_id(seed: str, part: str) -> str:
    """The same id for the same seed and part, every time."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{seed}/{part}"))


def safety_stream(case_id: str) -> str:
    return f"safety-{case_id}"


async def record_safety_grade(
    uows: UowFactory,
    command: GradeSafetyRisk,
    meta: Metadata,
    *,
    expected_version: int | None = None,
    seed: str | None = None,
    fingerprint: str | None = None,
) -> Any:
    """Grade the case (superseding its current grade) and return the stored grade row."""
    event_id = stable_id(seed, "graded") if seed else str(uuid.uuid4())
    async with uows() as uow:
        earlier = await grade_by_event(uow.conn, event_id)
        if earlier is not None:
            return _retried(earlier, command, fingerprint)
        opened = await case_row(uow.conn, command.case_id)
        case = await safety_case(uow.conn, command.case_id)
        owners = {row.organisation for row in (opened, case) if row is not None}
        if owners - {command.organisation}:
            raise NotVisible(command.case_id)
        state = SafetyCase(
            current_assessment_id=case.current_assessment_id if case else None,
            child_gender=opened.child_gender if opened else None,
        )
        event = grade_safety_risk(command, state)
        version = expected_version if expected_version is not None else _version(case)
        envelopes = await uow.append(
            safety_stream(command.case_id),
            version,
            [NewEvent(event, event_id)],
            meta,
            key_scope=command.case_id,
            partition_key=command.case_id,
        )
        await project(uow.conn, envelopes, [event], fingerprint)
        row = await grade_by_event(uow.conn, event_id)
        await uow.commit()
        return row


def _version(case: Any) -> int:
    return int(case.version) if case is not None else 0


def _retried(earlier: Any, command: GradeSafetyRisk, fingerprint: str | None) -> Any:
    if earlier.case_id != command.case_id or earlier.organisation != command.organisation:
        raise KeyReused(command.case_id)
    if fingerprint is not None and earlier.fingerprint != fingerprint:
        raise KeyReused(command.case_id)
    return earlier
