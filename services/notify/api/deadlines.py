"""`GET /v1/deadlines`: clocks from the read model, for a worker (the clocks naming them), an
organisation's supervisors and org admins (their organisation's, optionally one project's) and
for an entrustor (the cases of the projects its token names, whichever provider runs them).
ARCHITECTURE, record-level rules: "a worker sees cases assigned to them; a supervisor their
organisation's; an entrustor its projects'". Several roles see what each grants on its own
(`notify.domain.access`)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from events.api import CaseReader, Organisation
from events.app import BackboneDep
from events.auth import Forbidden
from notify.domain import access
from notify.projections import queries
from notify.projections.queries import DeadlinePublic

router = APIRouter(prefix="/v1/deadlines", tags=["deadlines"])

Id = Annotated[str | None, Query(min_length=1, max_length=100)]


@router.get("")
async def list_deadlines(
    principal: CaseReader,
    own: Organisation,
    backbone: BackboneDep,
    state: Literal["open", "overdue", "met", "cancelled"] | None = None,
    worker: Id = None,
    organisation: Id = None,
    project: Id = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DeadlinePublic]:
    """Deadlines soonest due first, of what the caller's roles grant; `worker`, `organisation`
    and `project` narrow that, never widen it."""
    roles = principal.roles
    if access.sees_only_own_clocks(roles) and worker not in (None, principal.subject):
        raise Forbidden("a worker lists their own deadlines only", rule=access.RULE)
    if not access.sees_other_organisations(roles) and organisation not in (None, own):
        raise Forbidden(
            "deadlines are listed for the caller's own organisation only", rule=access.RULE
        )
    scopes = access.deadline_scopes(principal.subject, roles, own, principal.projects)
    async with backbone.engine.connect() as conn:
        return await queries.list_deadlines(
            conn,
            scopes=scopes,
            state=state,
            worker=worker,
            organisation=organisation,
            project=project,
            limit=limit,
        )
