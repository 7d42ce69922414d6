"""Application layer of the tasks a safety grade sets (SZ-6.4, R-SZ-B-10), on `tasks-<case id>`,
keyed and encrypted by the case id so a case's grade and tasks keep their order. A completion or
cancellation retried with its Idempotency-Key finds its event stored and answers the same row."""

from typing import Any

from assessment.domain.events import (
    FamilyEducationOrdered,
    SafetyRiskGraded,
    TaskCancelled,
    TaskCompleted,
)
from assessment.domain.safety_tasks import (
    CancelTask,
    CompleteTask,
    cancel_task,
    complete_task,
    tasks_ended_by_case,
    tasks_met_by_order,
    tasks_of_grade,
)
from assessment.handlers.shared import NotVisible, Sent, append_to_case
from assessment.projections.projector_tasks import project_tasks
from assessment.projections.queries_tasks import as_task, task_row, tasks_of
from events.context import Context, stable_id
from events.envelope import Envelope
from events.store import NewEvent
from events.uow import UnitOfWork


def tasks_stream(case_id: str) -> str:
    return f"tasks-{case_id}"


async def set_tasks(
    uow: UnitOfWork, envelope: Envelope, graded: SafetyRiskGraded, ctx: Context
) -> None:
    """The grade's required actions become tasks; the superseded grade's open tasks end.
    Part of the grade's unit of work: it does not commit."""
    open_rows = await tasks_of(uow.conn, graded.case_id, "open")
    events = tasks_of_grade(
        graded,
        envelope.id,
        [as_task(row) for row in open_rows],
        lambda code: stable_id(envelope.id, f"task/{code}"),
    )
    stream = tasks_stream(graded.case_id)
    appended = await append_to_case(uow, stream, events, ctx, graded.case_id)
    await project_tasks(uow.conn, appended, events, graded.organisation)


async def meet_by_order(uow: UnitOfWork, issued: FamilyEducationOrdered, ctx: Context) -> None:
    """R-SZ-B-09: the order meets the case's open family-education task. Part of the order's
    unit of work (it does not commit); ids derive from the request's key, like the order's."""
    open_rows = await tasks_of(uow.conn, issued.case_id, "open")
    met = tasks_met_by_order([as_task(row) for row in open_rows], issued)
    keyed = [NewEvent(e, ctx.id_for(f"task/{e.task_id}") if ctx.seed else None) for e in met]
    appended = await append_to_case(uow, tasks_stream(issued.case_id), keyed, ctx, issued.case_id)
    await project_tasks(uow.conn, appended, met, issued.organisation)


async def end_with_case(uow: UnitOfWork, case_id: str, status: str, ctx: Context) -> None:
    """The case reached a final status: its open tasks are cancelled with that reason. Part of
    the inbox unit of work of intake's event (it does not commit); ids derive from that event."""
    open_rows = await tasks_of(uow.conn, case_id, "open")
    if not open_rows:
        return
    ended = tasks_ended_by_case([as_task(row) for row in open_rows], status)
    appended = await append_to_case(uow, tasks_stream(case_id), ctx.keyed(ended), ctx, case_id)
    await project_tasks(uow.conn, appended, ended, open_rows[0].organisation)


async def complete(sent: Sent[CompleteTask], uow: UnitOfWork, ctx: Context) -> Any:
    """Record an open task of the case done; its read-model row after the change."""
    command = sent.command
    task = await _task(uow, command.case_id, command.task_id, sent.organisation)
    if await _retried(uow, ctx, command.case_id):
        return await task_row(uow.conn, command.task_id)
    return await _close(uow, ctx, complete_task(command, task), sent.organisation)


async def cancel(sent: Sent[CancelTask], uow: UnitOfWork, ctx: Context) -> Any:
    """End an open task of the case undone; its read-model row after the change."""
    command = sent.command
    task = await _task(uow, command.case_id, command.task_id, sent.organisation)
    if await _retried(uow, ctx, command.case_id):
        return await task_row(uow.conn, command.task_id)
    return await _close(uow, ctx, cancel_task(command, task), sent.organisation)


async def _retried(uow: UnitOfWork, ctx: Context, case_id: str) -> bool:
    """Did this keyed request close the task already (its event is on the case's stream)?"""
    if ctx.seed is None:
        return False
    stored = await uow.store.read_stream(uow.conn, tasks_stream(case_id))
    return ctx.retried({e.id for e in stored})


async def _task(uow: UnitOfWork, case_id: str, task_id: str, organisation: str) -> Any:
    row = await task_row(uow.conn, task_id)
    if row is None or row.case_id != case_id or row.organisation != organisation:
        raise NotVisible("task")
    return as_task(row)


async def _close(
    uow: UnitOfWork, ctx: Context, closed: TaskCompleted | TaskCancelled, organisation: str
) -> Any:
    case_id = closed.case_id
    stream = tasks_stream(case_id)
    appended = await append_to_case(uow, stream, ctx.keyed([closed]), ctx, case_id)
    await project_tasks(uow.conn, appended, [closed], organisation)
    done = await task_row(uow.conn, closed.task_id)
    await uow.commit()
    return done
