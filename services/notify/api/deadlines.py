"""`GET /v1/deadlines`: clocks from the read model, for a worker (the clocks naming them), an
organisation's supervisors and org admins (their organisation's, optionally one project's) and
for an entrustor (the cases of the
projects it commissions, whichever provider runs them). ARCHITECTURE, record-level rules: "a
worker sees cases assigned to them; a supervisor their organisation's; an entrustor its
projects'"."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from events.app import BackboneDep
from events.auth import Forbidden, Principal, require_roles
from notify import projections

router = APIRouter(prefix="/v1/deadlines", tags=["deadlines"])

Reader = Annotated[
    Principal, Depends(require_roles("worker", "supervisor", "org_admin", "entrustor"))
]


class DeadlinePublic(BaseModel):
    deadline_id: str
    rule: str
    clause: str
    subject: str
    subject_id: str
    organisation: str | None
    workers: list[str]
    started_at: datetime
    due_at: datetime
    remind_at: datetime
    provisional: bool
    missing_years: list[int]
    remind: list[str]
    escalate_to: list[str]
    state: str
    reminded_at: datetime | None
    missed_at: datetime | None
    met_at: datetime | None
    series_id: str | None = None  # occurrences of a recurring clock share it
    occurrence: int | None = None


@router.get("")
async def list_deadlines(
    principal: Reader,
    backbone: BackboneDep,
    state: Literal["open", "overdue", "met"] | None = None,
    worker: str | None = None,
    organisation: str | None = None,
    project: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DeadlinePublic]:
    """Deadlines soonest due first. A worker sees the clocks naming them; a supervisor or org
    admin their organisation's, never another's; an entrustor those of its projects' cases."""
    own = principal.organisation
    if own is None:
        raise Forbidden("the token names no organisation")
    staff = principal.has_role("supervisor", "org_admin", "worker")
    if not principal.has_role("supervisor", "org_admin", "entrustor"):  # a worker only
        if worker not in (None, principal.subject):
            raise Forbidden("a worker lists their own deadlines only")
        worker = principal.subject
    if staff and organisation is not None and organisation != own:
        raise Forbidden("deadlines are listed for the caller's own organisation only")
    async with backbone.engine.connect() as conn:
        rows = await projections.list_deadlines(
            conn,
            organisation=own if staff else organisation,
            state=state,
            worker=worker,
            project=project,
            entrustor=None if staff else own,
            limit=limit,
        )
    return [DeadlinePublic.model_validate(row._asdict()) for row in rows]
