"""`GET /v1/deadlines`: clocks from the read model, for a worker (the clocks naming them), an
organisation's supervisors and org admins (their organisation's, optionally one project's) and
for an entrustor (the cases of the projects it commissions, whichever provider runs them).
ARCHITECTURE, record-level rules: "a worker sees cases assigned to them; a supervisor their
organisation's; an entrustor its projects'"."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from events.api import CaseReader, Organisation
from events.app import BackboneDep
from events.auth import Forbidden
from notify.projections import queries
from notify.projections.queries import DeadlinePublic

router = APIRouter(prefix="/v1/deadlines", tags=["deadlines"])


@router.get("")
async def list_deadlines(
    principal: CaseReader,
    own: Organisation,
    backbone: BackboneDep,
    state: Literal["open", "overdue", "met"] | None = None,
    worker: str | None = None,
    organisation: str | None = None,
    project: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DeadlinePublic]:
    """Deadlines soonest due first. A worker sees the clocks naming them; a supervisor or org
    admin their organisation's, never another's; an entrustor those of its projects' cases."""
    staff = principal.has_role("supervisor", "org_admin", "worker")
    if not principal.has_role("supervisor", "org_admin", "entrustor"):  # a worker only
        if worker not in (None, principal.subject):
            raise Forbidden("a worker lists their own deadlines only")
        worker = principal.subject
    if staff and organisation is not None and organisation != own:
        raise Forbidden("deadlines are listed for the caller's own organisation only")
    async with backbone.engine.connect() as conn:
        return await queries.list_deadlines(
            conn,
            organisation=own if staff else organisation,
            state=state,
            worker=worker,
            project=project,
            entrustor=None if staff else own,
            limit=limit,
        )
