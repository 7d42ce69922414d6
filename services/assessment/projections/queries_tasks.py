"""Readers of `safety_tasks`: a case's tasks, one task, a worker's open tasks."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.safety_tasks import Task
from assessment.projections.tables import safety_tasks


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
