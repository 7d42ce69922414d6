"""The record-level rule as a route dependency: a case-scoped route takes `Assigned` instead of
`Staff`, so a worker reaches only the cases intake assigned to them (404 for the others, as for
a case that does not exist: a case's existence is not disclosed)."""

from typing import Annotated

from fastapi import Depends

from assessment.api.paths import CaseId
from assessment.domain.access import case_access
from assessment.projections.queries_staff import team_of
from events.api import Staff
from events.app import BackboneDep
from events.auth import Principal
from events.problems import Problem


async def assigned_to_case(case_id: CaseId, principal: Staff, backbone: BackboneDep) -> Principal:
    team: dict[str, str] = {}
    if not principal.has_role("supervisor"):  # a supervisor's access needs no team
        async with backbone.engine.connect() as conn:
            team = await team_of(conn, case_id)
    access = case_access(principal.subject, principal.roles, principal.organisation, team)
    if not access.allowed:
        raise Problem(
            404,
            "not-found",
            "Not found",
            "no case with this id is visible to you",
            rule=access.rule,
            reason=access.reason,
        )
    return principal


Assigned = Annotated[Principal, Depends(assigned_to_case)]
