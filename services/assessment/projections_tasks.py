"""Read model `safety_tasks`: the tasks a case's safety grades set, with their state. Written in
the unit of work that appends the `assessment.task.*` events it reflects."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, DateTime, Table, Text, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.events import TaskCancelled, TaskCompleted, TaskSet
from assessment.domain.safety_tasks import Task
from assessment.projections import metadata
from events.envelope import Envelope
from events.registry import EventData

safety_tasks = Table(
    "safety_tasks",
    metadata,
    Column("task_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("assignee_ids", JSONB, nullable=False),
    Column("source_event_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", Text),
    Column("reason_code", Text),
)


async def project_tasks(
    conn: AsyncConnection,
    envelopes: Sequence[Envelope],
    events: Sequence[EventData],
    organisation: str,
) -> None:
    for envelope, event in zip(envelopes, events, strict=True):
        if isinstance(event, TaskSet):
            row = {**event.model_dump(), "organisation": organisation, "status": "open"}
            await conn.execute(safety_tasks.insert().values({**row, "set_at": envelope.time}))
        elif isinstance(event, TaskCompleted | TaskCancelled):
            await _close(conn, envelope, event)


async def _close(
    conn: AsyncConnection, envelope: Envelope, event: TaskCompleted | TaskCancelled
) -> None:
    if isinstance(event, TaskCompleted):
        values = {"status": "completed", "closed_at": event.completed_at, "reason_code": None}
    else:
        values = {
            "status": "cancelled",
            "closed_at": envelope.time,
            "reason_code": event.reason_code,
        }
    query = update(safety_tasks).where(safety_tasks.c.task_id == event.task_id)
    await conn.execute(query.values({**values, "closed_by": envelope.actor}))


def as_task(row: Any) -> Task:
    return Task(
        task_id=row.task_id,
        case_id=row.case_id,
        code=row.code,
        status=row.status,
        assignee_ids=tuple(row.assignee_ids),
    )


async def tasks_of(conn: AsyncConnection, case_id: str, status: str | None = None) -> list[Any]:
    """The case's tasks, soonest due first."""
    query = select(safety_tasks).where(safety_tasks.c.case_id == case_id)
    if status is not None:
        query = query.where(safety_tasks.c.status == status)
    order = (safety_tasks.c.due_at, safety_tasks.c.code)
    return list((await conn.execute(query.order_by(*order))).all())


async def task_row(conn: AsyncConnection, task_id: str) -> Any:
    query = select(safety_tasks).where(safety_tasks.c.task_id == task_id)
    return (await conn.execute(query)).one_or_none()


async def open_tasks_of_worker(
    conn: AsyncConnection, organisation: str, worker_id: str
) -> list[Any]:
    """The worker's open tasks across the organisation's cases, soonest due first."""
    query = select(safety_tasks).where(
        safety_tasks.c.organisation == organisation,
        safety_tasks.c.status == "open",
        safety_tasks.c.assignee_ids.contains([worker_id]),
    )
    return list((await conn.execute(query.order_by(safety_tasks.c.due_at))).all())
