"""`/v1/cases/{case_id}/tasks`: the tasks a case's safety grade set (SZ-6.4, R-SZ-B-10), soonest
due first, and recording one as done. The case's team and its organisation's supervisors read;
an assignee on the team or a supervisor completes; a supervisor cancels. `/v1/workers/{id}/tasks`:
a worker's own open tasks, or any worker's of the organisation for a supervisor."""

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from assessment.api.access import Assigned, OnTask, SupervisorOnTask
from assessment.api.paths import CaseId, Id
from assessment.domain.bounds import refuse_out_of_range
from assessment.domain.safety_tasks import CancelTask, CompleteTask
from assessment.handlers import tasks
from assessment.handlers.shared import NotVisible, Sent
from assessment.projections.queries_tasks import open_tasks_of_worker, task_row, tasks_of
from events.api import IdempotencyKey, Now, Staff, context, organisation_of
from events.app import BackboneDep
from events.auth import Forbidden, Principal
from events.backbone import Backbone

router = APIRouter(prefix="/v1/cases", tags=["tasks"])
workers = APIRouter(prefix="/v1/workers", tags=["tasks"])
MISSING = "task"


class TaskPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    task_id: str
    case_id: str
    code: str
    clause: str
    due_at: datetime
    overdue: bool
    assignee_ids: list[str]
    source_event_id: str
    status: str
    closed_at: datetime | None
    reason_code: str | None


class CaseTasksPublic(BaseModel):
    """`next_due` is the open task due soonest (None when nothing is open)."""

    case_id: str
    next_due: TaskPublic | None
    tasks: list[TaskPublic]


class CompletionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    completed_at: AwareDatetime | None = Field(None, description="default: now; not in the future")


@router.get("/{case_id}/tasks")
async def read_tasks(
    case_id: CaseId,
    principal: Assigned,
    backbone: BackboneDep,
    now: Now,
    status: Literal["open", "completed", "cancelled", "all"] = "open",
) -> CaseTasksPublic:
    """The case's tasks in `status` (default open), soonest due first, and the next due."""
    async with backbone.engine.connect() as conn:
        rows = await tasks_of(conn, case_id, None if status == "all" else status)
    if any(row.organisation != organisation_of(principal) for row in rows):
        raise NotVisible(MISSING)
    found = [_public(row, now) for row in rows]
    upcoming = [t for t in found if t.status == "open"]
    return CaseTasksPublic(case_id=case_id, next_due=upcoming[0] if upcoming else None, tasks=found)


@router.post("/{case_id}/tasks/{task_id}/completion", status_code=201)
async def complete(
    case_id: CaseId,
    task_id: Id,
    body: CompletionCreate,
    principal: OnTask,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> TaskPublic:
    """Record the task done: one of its assignees, or a supervisor of the organisation."""
    refuse_out_of_range(body, now)
    _may_complete(principal, await _task(backbone, principal, case_id, task_id))
    command = CompleteTask(
        case_id=case_id, task_id=task_id, completed_at=body.completed_at or now, now=now
    )
    sent = Sent(command, organisation_of(principal))
    ctx = context(principal, f"complete-task|{case_id}|{task_id}", key, body)
    async with backbone.uow() as uow:
        done = await tasks.complete(sent, uow, ctx)
    return _public(done, now)


class CancellationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason_code: Literal["not_applicable"] = Field(
        "not_applicable", description="the action's §6.4 condition does not hold for this case"
    )


@router.post("/{case_id}/tasks/{task_id}/cancellation", status_code=201)
async def cancel(
    case_id: CaseId,
    task_id: Id,
    body: CancellationCreate,
    principal: SupervisorOnTask,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> TaskPublic:
    """End an open task undone because its condition does not hold (a supervisor)."""
    await _task(backbone, principal, case_id, task_id)
    command = CancelTask(case_id=case_id, task_id=task_id, reason_code=body.reason_code)
    sent = Sent(command, organisation_of(principal))
    ctx = context(principal, f"cancel-task|{case_id}|{task_id}", key, body)
    async with backbone.uow() as uow:
        done = await tasks.cancel(sent, uow, ctx)
    return _public(done, now)


async def _task(backbone: Backbone, principal: Principal, case_id: str, task_id: str) -> Any:
    async with backbone.engine.connect() as conn:
        row = await task_row(conn, task_id)
    if row is None or row.case_id != case_id or row.organisation != organisation_of(principal):
        raise NotVisible(MISSING)
    return row


@workers.get("/{worker_id}/tasks")
async def read_worker_tasks(
    worker_id: Id, principal: Staff, backbone: BackboneDep, now: Now
) -> list[TaskPublic]:
    """A worker's open tasks across the organisation's cases, soonest due first: that worker,
    or a supervisor."""
    if not principal.has_role("supervisor") and principal.subject != worker_id:
        raise Forbidden("a worker reads only their own tasks")
    async with backbone.engine.connect() as conn:
        rows = await open_tasks_of_worker(conn, organisation_of(principal), worker_id)
    return [_public(row, now) for row in rows]


def _may_complete(principal: Principal, row: Any) -> None:
    if not principal.has_role("supervisor") and principal.subject not in row.assignee_ids:
        raise Forbidden("only an assignee of the task or a supervisor completes it")


def _public(row: Any, now: datetime) -> TaskPublic:
    fields = {name: getattr(row, name) for name in TaskPublic.model_fields if name != "overdue"}
    overdue = row.status == "open" and row.due_at < now
    return TaskPublic(**fields, overdue=overdue)
