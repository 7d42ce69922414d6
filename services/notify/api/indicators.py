"""`GET /v1/projects/{project_id}/indicators`: the entrustor's evaluation indicators of a
project (JX-7.5.3, DOMAIN §10), to the entrustor whose token names the project and to the
supervisors and org admins of a provider running its cases (computed from their cases only).
A project the caller cannot see is a 404, whether or not it exists."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from events.api import Organisation
from events.app import BackboneDep
from events.auth import Principal, require_roles
from events.problems import Problem
from notify.domain import access
from notify.domain.indicators import RULE, Indicators
from notify.projections.indicators import indicators_of

router = APIRouter(prefix="/v1/projects", tags=["indicators"])

Evaluator = Annotated[Principal, Depends(require_roles("supervisor", "org_admin", "entrustor"))]
ProjectId = Annotated[str, Path(min_length=1, max_length=100)]


@router.get("/{project_id}/indicators")
async def project_indicators(
    project_id: ProjectId, principal: Evaluator, own: Organisation, backbone: BackboneDep
) -> Indicators:
    """Five groups of figures, each with what it was computed from (`counted` of `of`) and
    `null` where nothing counted yet."""
    scopes = access.deadline_scopes(principal.subject, principal.roles, own, principal.projects)
    async with backbone.engine.connect() as conn:
        found = await indicators_of(conn, project_id, scopes)
    if found is None:
        raise Problem(404, "not-found", "No such project", rule=RULE)
    return found
