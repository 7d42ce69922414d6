"""`GET /v1/deadlines`: the organisation's clocks for supervisors, read from the read model."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from events.app import BackboneDep
from events.auth import Forbidden, Principal, require_roles
from notify import projections

router = APIRouter(prefix="/v1/deadlines", tags=["deadlines"])

Supervisor = Annotated[Principal, Depends(require_roles("supervisor", "org_admin"))]


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


@router.get("")
async def list_deadlines(
    principal: Supervisor,
    backbone: BackboneDep,
    state: Literal["open", "overdue", "met"] | None = None,
    worker: str | None = None,
    organisation: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DeadlinePublic]:
    """Deadlines of the caller's organisation, soonest due first (a supervisor sees their
    organisation's, never another's)."""
    own = principal.organisation
    if own is None or (organisation is not None and organisation != own):
        raise Forbidden("deadlines are listed for the caller's own organisation only")
    async with backbone.engine.connect() as conn:
        rows = await projections.list_deadlines(
            conn, organisation=own, state=state, worker=worker, limit=limit
        )
    return [DeadlinePublic.model_validate(row._asdict()) for row in rows]
