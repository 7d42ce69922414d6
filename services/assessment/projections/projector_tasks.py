"""Read model `safety_tasks`: the tasks a case's safety grades set, with their state. Written in
the unit of work that appends the `assessment.task.*` events it reflects."""

from collections.abc import Sequence
from functools import singledispatch

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.events import TaskCancelled, TaskCompleted, TaskSet
from assessment.projections.tables import safety_tasks
from events.domain import EventData
from events.envelope import Envelope


async def project_tasks(
    conn: AsyncConnection,
    envelopes: Sequence[Envelope],
    events: Sequence[EventData],
    organisation: str,
) -> None:
    for envelope, event in zip(envelopes, events, strict=True):
        await _project(event, conn, envelope, organisation)


@singledispatch
async def _project(
    event: EventData, conn: AsyncConnection, envelope: Envelope, organisation: str
) -> None:
    """The row change of one event, one registered function per event type."""


@_project.register(TaskSet)
async def _set(
    event: TaskSet, conn: AsyncConnection, envelope: Envelope, organisation: str
) -> None:
    row = {**event.model_dump(), "organisation": organisation, "status": "open"}
    await conn.execute(safety_tasks.insert().values({**row, "set_at": envelope.time}))


@_project.register(TaskCompleted)
async def _completed(
    event: TaskCompleted, conn: AsyncConnection, envelope: Envelope, organisation: str
) -> None:
    values = {"status": "completed", "closed_at": event.completed_at, "reason_code": None}
    await _close(conn, envelope, event.task_id, values)


@_project.register(TaskCancelled)
async def _cancelled(
    event: TaskCancelled, conn: AsyncConnection, envelope: Envelope, organisation: str
) -> None:
    values = {"status": "cancelled", "closed_at": envelope.time, "reason_code": event.reason_code}
    await _close(conn, envelope, event.task_id, values)


async def _close(
    conn: AsyncConnection, envelope: Envelope, task_id: str, values: dict[str, object]
) -> None:
    query = update(safety_tasks).where(safety_tasks.c.task_id == task_id)
    await conn.execute(query.values({**values, "closed_by": envelope.actor}))
