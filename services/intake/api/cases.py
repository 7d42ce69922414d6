"""`/v1/cases`: cases opened from reports, their investigation teams (I-5, §12), lists and the
status of each case. The record rule (`intake.domain.access`, SZ-7.3.3): a supervisor reaches
every case of the organisation; a worker sees the cases they work on (or opened) and changes
only those they are assigned to; a case is opened only from reports the opener may see;
partners and other roles nothing (403)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from events.api import (
    Before,
    IdempotencyKey,
    Limit,
    Page,
    Staff,
    Supervisor,
    context,
    now,
    organisation_of,
)
from events.app import BackboneDep
from events.auth import Forbidden, Principal
from events.backbone import Backbone
from events.errors import KeyShredded
from events.problems import Problem
from intake.api.access import caller_of
from intake.api.common import gone, not_found, today
from intake.api.inputs import Note, PathId, QueryId, RecordId
from intake.api.staff import ActingSupervisor
from intake.domain.access import may_change_case, may_see
from intake.domain.cases import (
    LADDER,
    PERSON_TARGETS,
    RANK,
    AssignTeam,
    Case,
    ChangeStatus,
    OpenCase,
    Status,
    case_state,
    readiness,
)
from intake.domain.events import ChildCategory
from intake.handlers import cases as handlers
from intake.handlers.shared import load
from intake.projections.learnt import case_learnt
from intake.projections.queries import CaseFile, CasePublic, case_file, case_page, case_public
from intake.projections.rows import (
    case_holding,
    case_row,
    child_row,
    emergency_readers,
    team_of,
)

router = APIRouter(prefix="/v1/cases", tags=["cases"])

# As route parameters, the record rule runs before the body is validated: a caller who may not
# see the case gets its 404 whatever they send, as for a case that does not exist.


async def case_seen(case_id: PathId, principal: Staff, backbone: BackboneDep) -> Principal:
    await reach(backbone, principal, case_id)
    return principal


async def case_changed(case_id: PathId, principal: Staff, backbone: BackboneDep) -> Principal:
    await reach(backbone, principal, case_id, change=True)
    return principal


async def case_supervised(
    case_id: PathId, principal: Supervisor, backbone: BackboneDep
) -> Principal:
    await reach(backbone, principal, case_id)
    return principal


CaseWorker = Annotated[Principal, Depends(case_changed)]
"""Works on the case: its team, or a supervisor of its organisation."""
CaseSupervisor = Annotated[Principal, Depends(case_supervised)]
"""A supervisor of the case's organisation."""


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report_ids: list[RecordId] = Field(min_length=1, max_length=50)


class TeamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_ids: list[RecordId] = Field(min_length=1, max_length=20)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Status = Field(description="handed_over only follows archive's handover")
    reason: Note | None = None


@router.post("", status_code=201)
async def open_case(
    body: CaseCreate, principal: Staff, backbone: BackboneDep, key: IdempotencyKey = None
) -> CasePublic:
    """Open a case from one or more reports about the same child, each one the caller may see
    (another is refused as unknown, like a report that does not exist)."""
    ctx = context(principal, "case", key, body)
    command = OpenCase(
        case_id=f"case-{ctx.id_for('case')}",
        organisation=organisation_of(principal),
        report_ids=body.report_ids,
        opened_at=now(),
        opened_by=principal.subject,
        by_supervisor=principal.has_role("supervisor"),
    )
    async with backbone.uow() as uow:
        await handlers.open_case(command, uow, ctx)
    return await reach(backbone, principal, command.case_id)


@router.get("")
async def list_cases(
    principal: Staff,
    backbone: BackboneDep,
    before: Before,
    limit: Limit = 50,
    status: Status | None = None,
    worker_id: QueryId = None,
    category: ChildCategory | None = None,
    emergency: bool | None = None,
    overdue: bool | None = None,
) -> Page[CasePublic]:
    """The cases the caller may see, newest first, a page at a time (`next_cursor`)."""
    filters = {
        "status": status,
        "worker_id": worker_id,
        "category": category,
        "emergency": emergency,
        "overdue": overdue,
    }
    member = None if principal.has_role("supervisor") else principal.subject
    async with backbone.uow() as uow:
        return await case_page(
            uow.conn,
            organisation_of(principal),
            member=member,
            before=before,
            limit=limit,
            filters=filters,
            now=now(),
        )


@router.get("/{case_id}")
async def read(case_id: PathId, principal: Staff, backbone: BackboneDep) -> CasePublic:
    """The case with what other services' events told of it (the current safety grade, its
    open tasks, the clocks that fall due first) and, when their facts call it further, where
    and what it lacks to get there (SZ-6.1; `cases.readiness`)."""
    case = await reach(backbone, principal, case_id)
    async with backbone.uow() as uow:
        told = await case_learnt(uow.conn, case_id, case.child_id, case.report_ids)
        try:
            history = await load(uow, case_id)
        except KeyShredded:
            raise gone() from None
    state = case_state(history.events)
    return CasePublic(**case.model_dump() | told | progress(state))


def progress(case: Case | None) -> dict[str, Any]:
    if case is None:
        return {}
    shown: dict[str, Any] = {"closing_work": sorted(w.value for w in case.closing_work)}
    if case.pending is not None and case.status in RANK:
        step = LADDER[RANK[case.status] + 1]
        shown |= {"moving_to": case.pending.value, "waiting_for": readiness(case, step)}
    return shown


@router.get("/{case_id}/file")
async def read_file(case_id: PathId, principal: Staff, backbone: BackboneDep) -> CaseFile:
    """Visits, investigation, statement, consents, status history, categories with evidence
    and household, decrypted from the case's and the child's streams."""
    case = await reach(backbone, principal, case_id)
    async with backbone.uow() as uow:
        try:
            on_case, on_child = await load(uow, case_id), await load(uow, case.child_id)
        except KeyShredded:
            raise gone() from None
    return case_file(case_id, on_case.events, on_child.events)


@router.put("/{case_id}/team")
async def assign_team(
    case_id: PathId,
    body: TeamUpdate,
    principal: CaseSupervisor,
    acting: ActingSupervisor,  # SZ-7.1.5: a registered supervisor (issue 14 item 9)
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """Set the investigation team: at least two qualified, cleared workers, a woman for a girl."""
    command = AssignTeam(
        case_id=case_id, worker_ids=body.worker_ids, on=today(), assigned_by=principal.subject
    )
    async with backbone.uow() as uow:
        await handlers.assign_team(command, uow, context(principal, case_id, key, body))
    return await reach(backbone, principal, case_id)


@router.post("/{case_id}/status")
async def change_status(
    case_id: PathId,
    body: StatusChange,
    principal: CaseSupervisor,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """Move the case (supervisors): a move the status table does not allow is 409 naming the
    present status (`state`); one the case is not ready for (no investigation before service
    or closing, no closing work before follow-up, no follow-up and full-closure assessment
    before closed: `cases.readiness`) is 422 naming the clause."""
    if body.to not in PERSON_TARGETS:
        detail = f"a case becomes {body.to.value} only when archive hands it over"
        raise Problem(422, "rule-violation", "The request breaks a rule", detail, rule="JX-9.4.2")
    command = ChangeStatus(
        case_id=case_id, to=body.to, at=now(), by=principal.subject, reason=body.reason
    )
    async with backbone.uow() as uow:
        ctx = context(principal, f"{case_id}/status", key, body)
        await handlers.change_status(command, uow, ctx)
    return await reach(backbone, principal, case_id)


async def reach(
    backbone: Backbone, principal: Principal, case_id: str, *, change: bool = False
) -> CasePublic:
    """The case if the caller may see it (404 otherwise, as for no case) and, with `change`,
    change it (403: who opened it without being on the team)."""
    async with backbone.uow() as uow:
        row = await case_row(uow.conn, case_id)
        if row is None:
            raise not_found("case")
        team = await team_of(uow.conn, case_id)
        child = await child_row(uow.conn, row.child_id)
        glass = await emergency_readers(uow.conn, case_id, now())
    caller, holding = caller_of(principal), case_holding(row, team, glass)
    if not may_see(caller, holding).allowed:
        raise not_found("case")
    if change and not (allowed := may_change_case(caller, holding)).allowed:
        raise Forbidden(allowed.reason, rule=allowed.rule)
    return case_public(row, team, list(child.categories), now())
