"""Application layer of the assessment service: read the case's present state, let the domain
decide, append the event with its read-model changes in one unit of work.

`record_case_assessment` serves every assessment of a case by a team (safety, Appendix B;
guardianship, Appendix D): the owner check, the team's registry entries and the child's gender,
idempotent retries, the append and the supervisor's review item. Each kind adds only how it
reads its own state, decides, projects and what follows from it.

A command given an idempotency seed gets a deterministic event id (uuid5), so a retried request
finds its event stored and answers with what the first one recorded.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.assessors import StaffRecord
from assessment.domain.events import Assessor
from assessment.domain.safety_assessment import Gender, RecordSource
from assessment.projections import case_row
from assessment.projections_review import submit_for_review
from assessment.projections_staff import child_gender, staff_records
from events.envelope import Envelope, Metadata
from events.registry import EventData
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


@dataclass(frozen=True)
class Known:
    """What any assessment of a case reads first: intake's case record, the child's gender as
    intake recorded it (case or child registry) and the registry entries of the assessors."""

    opened: Any
    child_gender: Gender | None
    child_gender_source: RecordSource
    staff: dict[str, StaffRecord]


@dataclass(frozen=True)
class Loaded:
    """A kind's state for the domain, the stream version it read, and the rows naming owners."""

    state: Any
    version: int
    owners: tuple[Any, ...]


@dataclass(frozen=True)
class AssessmentKind:
    name: str  # "safety" | "guardianship": stream prefix and review item kind
    id_part: str
    load: Callable[[AsyncConnection, Any, Known], Awaitable[Loaded]]
    decide: Callable[[Any, Any], Any]
    project: Callable[[AsyncConnection, Envelope, Any, str | None], Awaitable[None]]
    row_by_event: Callable[[AsyncConnection, str], Awaitable[Any]]
    then: Callable[[UnitOfWork, Envelope, Any, Metadata], Awaitable[None]] | None = None

    def stream(self, case_id: str) -> str:
        return f"{self.name}-{case_id}"

    async def record(self, uows: "UowFactory", command: Any, meta: Metadata, **kw: Any) -> Any:
        """Record the assessment (superseding the current one); its read-model row."""
        return await record_case_assessment(uows, self, command, meta, **kw)


async def record_case_assessment(
    uows: UowFactory,
    kind: AssessmentKind,
    command: Any,
    meta: Metadata,
    *,
    expected_version: int | None = None,
    seed: str | None = None,
    fingerprint: str | None = None,
) -> Any:
    """Record the assessment (superseding the current one) and return its read-model row."""
    event_id = stable_id(seed, kind.id_part) if seed else str(uuid.uuid4())
    async with uows() as uow:
        earlier = await kind.row_by_event(uow.conn, event_id)
        if earlier is not None:
            return _retried(earlier, command, fingerprint)
        loaded = await kind.load(uow.conn, command, await _known(uow.conn, command))
        if {row.organisation for row in loaded.owners if row is not None} - {command.organisation}:
            raise NotVisible(command.case_id)
        event = kind.decide(command, loaded.state)
        [envelope] = await uow.append(
            kind.stream(command.case_id),
            expected_version if expected_version is not None else loaded.version,
            [NewEvent(event, event_id)],
            meta,
            key_scope=command.case_id,
            partition_key=command.case_id,
        )
        await kind.project(uow.conn, envelope, event, fingerprint)
        await submit_for_review(uow.conn, envelope, event, f"{kind.name}_assessment")
        if kind.then is not None:
            await kind.then(uow, envelope, event, meta)
        row = await kind.row_by_event(uow.conn, event_id)
        await uow.commit()
        return row


async def append_to_case(
    uow: UnitOfWork, stream: str, events: Sequence[EventData], meta: Metadata, case_id: str
) -> list[Envelope]:
    """Append at the stream's present version, keyed and encrypted by the case id."""
    if not events:
        return []
    version = await uow.store.version(uow.conn, stream)
    return await uow.append(
        stream, version, list(events), meta, key_scope=case_id, partition_key=case_id
    )


async def _known(conn: AsyncConnection, command: Any) -> Known:
    opened = await case_row(conn, command.case_id)
    gender = opened.child_gender if opened else None
    source: RecordSource = "intake.case.opened"
    if gender is None and opened is not None:
        gender, source = await child_gender(conn, opened.child_id), "intake.child.registered"
    assessors: Sequence[Assessor] = command.assessors
    staff = await staff_records(conn, {a.worker_id for a in assessors})
    return Known(opened=opened, child_gender=gender, child_gender_source=source, staff=staff)


def _retried(earlier: Any, command: Any, fingerprint: str | None) -> Any:
    if earlier.case_id != command.case_id or earlier.organisation != command.organisation:
        raise KeyReused(command.case_id)
    if fingerprint is not None and earlier.fingerprint != fingerprint:
        raise KeyReused(command.case_id)
    return earlier
