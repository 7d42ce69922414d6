"""The record-level rule as route dependencies: every case-scoped route takes `Assigned` (a
worker of the case's team, or a supervisor of its organisation) or `SupervisorOfCase` (only the
latter). Whatever denies the caller, a case intake never opened among it, the answer is the same
404, so a case's existence is not disclosed (ARCHITECTURE, Security)."""

from typing import Annotated

from fastapi import Depends

from assessment.api.paths import CaseId
from assessment.domain.access import case_access
from assessment.projections.queries import case_row
from assessment.projections.queries_staff import team_of
from events.api import Staff, Supervisor
from events.app import BackboneDep
from events.auth import Principal
from events.backbone import Backbone
from events.problems import Problem

# One reason for every denial: a reason per cause would tell an unknown case from another's.
HIDDEN = "a case is visible to its team and to its organisation's supervisors"


async def _may_work_on(case_id: str, principal: Principal, backbone: Backbone) -> Principal:
    async with backbone.engine.connect() as conn:
        opened = await case_row(conn, case_id)
        team = await team_of(conn, case_id)
    owner = opened.organisation if opened is not None else None
    access = case_access(principal.subject, principal.roles, principal.organisation, owner, team)
    if not access.allowed:
        detail = "no case with this id is visible to you"
        raise Problem(404, "not-found", "Not found", detail, rule=access.rule, reason=HIDDEN)
    return principal


async def assigned_to_case(case_id: CaseId, principal: Staff, backbone: BackboneDep) -> Principal:
    return await _may_work_on(case_id, principal, backbone)


async def supervising_case(
    case_id: CaseId, principal: Supervisor, backbone: BackboneDep
) -> Principal:
    return await _may_work_on(case_id, principal, backbone)


Assigned = Annotated[Principal, Depends(assigned_to_case)]
SupervisorOfCase = Annotated[Principal, Depends(supervising_case)]
