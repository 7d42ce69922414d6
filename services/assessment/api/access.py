"""The record-level rule as route dependencies: every case-scoped route takes `Assigned` (a
worker of the case's team, or a supervisor of its organisation) or `SupervisorOfCase` (only the
latter). Whatever denies the caller, a case intake never opened among it, the answer is the same
404, so a case's existence is not disclosed (ARCHITECTURE, Security). Every route that records
work takes one of the aliases below instead: the same rule first, then the case's status at
intake must allow that kind of work (`domain.case_status`, 409 naming the status and clause)."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from assessment.api.paths import CaseId
from assessment.domain.access import case_access
from assessment.domain.case_status import Work, may_work
from assessment.projections.case_status import status_of
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


def _working(work: Work, *, supervisor: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the record-level rule (`Assigned`, or `SupervisorOfCase`), then the
    case's status at intake allows `work` (issue 14 item 3)."""

    async def check(case_id: str, principal: Principal, backbone: Backbone) -> Principal:
        async with backbone.engine.connect() as conn:
            may_work(await status_of(conn, case_id), work)
        return principal

    async def on_case(case_id: CaseId, principal: Assigned, backbone: BackboneDep) -> Principal:
        return await check(case_id, principal, backbone)

    async def supervising(
        case_id: CaseId, principal: SupervisorOfCase, backbone: BackboneDep
    ) -> Principal:
        return await check(case_id, principal, backbone)

    return supervising if supervisor else on_case


Assessing = Annotated[Principal, Depends(_working("assess"))]
StartingService = Annotated[Principal, Depends(_working("start_service"))]
SupervisorStartingService = Annotated[
    Principal, Depends(_working("start_service", supervisor=True))
]
Serving = Annotated[Principal, Depends(_working("serve"))]
Closing = Annotated[Principal, Depends(_working("close"))]
FollowingUp = Annotated[Principal, Depends(_working("follow_up"))]
Reviewing = Annotated[Principal, Depends(_working("review", supervisor=True))]
OnTask = Annotated[Principal, Depends(_working("task"))]
SupervisorOnTask = Annotated[Principal, Depends(_working("task", supervisor=True))]
InCrisis = Annotated[Principal, Depends(_working("crisis"))]
Interviewing = Annotated[Principal, Depends(_working("interview"))]
