"""Recording an assessment of a case by a team (safety, Appendix B; guardianship, Appendix D):
the owner check, the team's registry entries and the child's gender, idempotent retries, the
append and the supervisor's review item. Each kind (`safety.SAFETY`, `guardianship.GUARDIANSHIP`)
adds only how it reads its own state, decides, projects and what follows from it.

A request sent with an Idempotency-Key gets a deterministic event id, so a retry finds its event
stored and answers with what the first one recorded (409 if it was another request).
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.assessors import StaffRecord
from assessment.domain.events import Assessor
from assessment.domain.safety_assessment import Gender, RecordSource
from assessment.handlers.shared import KeyReused, NotVisible
from assessment.projections.projector_review import submit_for_review
from assessment.projections.queries import case_row
from assessment.projections.queries_staff import child_gender, staff_records
from events.context import Context
from events.envelope import Envelope
from events.store import NewEvent
from events.uow import UnitOfWork


@dataclass(frozen=True)
class Known:
    """What any assessment of a case reads first: intake's case record, the child's gender as
    intake recorded it (case or child registry) and the registry entries of the assessors in
    the case's organisation, by worker id."""

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
    missing: str  # what a caller who may not see the case is told is not there
    load: Callable[[AsyncConnection, Any, Known], Awaitable[Loaded]]
    decide: Callable[[Any, Any], Any]
    project: Callable[[AsyncConnection, Envelope, Any, str | None], Awaitable[None]]
    row_by_event: Callable[[AsyncConnection, str], Awaitable[Any]]
    then: Callable[[UnitOfWork, Envelope, Any, Context], Awaitable[None]] | None = None

    def stream(self, case_id: str) -> str:
        return f"{self.name}-{case_id}"


async def record(kind: AssessmentKind, command: Any, uow: UnitOfWork, ctx: Context) -> Any:
    """Record the assessment (superseding the current one) and return its read-model row."""
    event_id = ctx.id_for(kind.id_part)
    earlier = await kind.row_by_event(uow.conn, event_id)
    if earlier is not None:
        return _retried(earlier, command, ctx.fingerprint)
    loaded = await kind.load(uow.conn, command, await _known(uow.conn, command))
    if {row.organisation for row in loaded.owners if row is not None} - {command.organisation}:
        raise NotVisible(kind.missing)
    event = kind.decide(command, loaded.state)
    expected = command.expected_version
    [envelope] = await uow.append(
        kind.stream(command.case_id),
        expected if expected is not None else loaded.version,
        [NewEvent(event, event_id)],
        ctx.metadata,
        key_scope=command.case_id,
        partition_key=command.case_id,
    )
    await kind.project(uow.conn, envelope, event, ctx.fingerprint)
    await submit_for_review(uow.conn, envelope, event, f"{kind.name}_assessment")
    if kind.then is not None:
        await kind.then(uow, envelope, event, ctx)
    row = await kind.row_by_event(uow.conn, event_id)
    await uow.commit()
    return row


async def _known(conn: AsyncConnection, command: Any) -> Known:
    opened = await case_row(conn, command.case_id)
    gender = opened.child_gender if opened else None
    source: RecordSource = "intake.case.opened"
    if gender is None and opened is not None:
        gender, source = await child_gender(conn, opened.child_id), "intake.child.registered"
    assessors: Sequence[Assessor] = command.assessors
    # a staff id names one person within one organisation: the case's (the caller's until
    # intake has opened it; the owner check then refuses a caller of another organisation)
    organisation = opened.organisation if opened is not None else command.organisation
    staff = await staff_records(conn, organisation, {a.worker_id for a in assessors})
    return Known(opened=opened, child_gender=gender, child_gender_source=source, staff=staff)


def _retried(earlier: Any, command: Any, fingerprint: str | None) -> Any:
    if earlier.case_id != command.case_id or earlier.organisation != command.organisation:
        raise KeyReused()
    if fingerprint is not None and earlier.fingerprint != fingerprint:
        raise KeyReused()
    return earlier
