"""`/v1/cases/{case_id}/mental-health/...`: the mental-health service of a case (DOMAIN §6,
JX 7.1-7.6); `/v1/workers/{id}/caseload` and `/v1/supervision/queue` to read across cases.

Routes only validate, build a command and call the handler; a refusal becomes a problem in the
app's one handler: a rule broken by the request is a 422 `rule-violation`, a request the case's
present state does not allow (the caseload cap among them) a 409 `conflict`; both name the JX
clause (`rule`) and the rulebook's M-number (`domain_rule`). A worker acts on the cases they
hold; supervisors on their organisation's.
"""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from assessment.api.paths import CaseId
from assessment.domain import mental_health as mh
from assessment.domain import mental_health_rules as mr
from assessment.domain.mental_health_forms import (
    ClientConsent,
    ClientRequestKind,
    ClosureForm,
    Code,
    FeasibilityForm,
    MidtermDecision,
    PlanForm,
    RiskLevel,
    SessionForm,
    Trend,
    Trigger,
)
from assessment.handlers.mental_health import MISSING, execute
from assessment.handlers.shared import NotVisible, Sent
from assessment.projections.queries_mental_health import (
    CaseloadPublic,
    MentalHealthCasePublic,
    ReviewItemPublic,
    SessionPublic,
    caseload_of,
    mental_health_case,
    queue_of,
    sessions,
)
from events.api import IdempotencyKey, Now, Staff, Supervisor, context, organisation_of
from events.app import BackboneDep
from events.auth import Forbidden, Principal
from events.backbone import Backbone
from events.context import Context
from events.problems import Problem

router = APIRouter(tags=["mental-health service"])
WorkerId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][\w.:-]*$")]
BASE = "/v1/cases/{case_id}/mental-health"
Text = Annotated[str, Field(min_length=1, max_length=10_000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RiskGradingCreate(_Body):
    """M-1: a risk level from a test or dynamic monitoring, and any M-2 condition found."""

    risk_level: RiskLevel
    instrument: Code
    assessed_at: AwareDatetime | None = None
    designated_by: str | None = Field(None, max_length=200, description="JX-5.1 designation")
    referral_triggers: list[Trigger] = Field(default_factory=list, max_length=3)
    notes: Text | None = Field(None, description="personal: encrypted")


class FeasibilityCreate(_Body):
    worker_id: Code | None = Field(None, description="who takes the case on; a worker: themself")
    form: FeasibilityForm


class PlanCreate(_Body):
    form: PlanForm


class ReviewCreate(_Body):
    item_id: str = Field(min_length=1, max_length=100)
    decision: Literal["approve", "return"]
    comments: Text | None = Field(None, description="required to return; personal: encrypted")


class SessionCreate(_Body):
    form: SessionForm


class WorkerChangeCreate(_Body):
    to_worker: Code
    consent: ClientConsent | None = None
    reason: Text | None = Field(None, description="personal: encrypted")


class ClientRequestCreate(_Body):
    kind: ClientRequestKind
    received_at: AwareDatetime | None = None
    detail: Text | None = Field(None, description="personal: encrypted")


class AdjustmentCreate(_Body):
    reason: Literal["client_change", "worker_decision", "midterm_review", "risk_changed"]
    notes: Text | None = Field(None, description="personal: encrypted")


class MidtermReviewCreate(_Body):
    trend: Trend
    significant_deterioration: bool = False
    expected_effect_unlikely: bool = False
    referral_triggers: list[Trigger] = Field(default_factory=list, max_length=3)
    decision: MidtermDecision
    findings: Text | None = Field(None, description="personal: encrypted")


class ClosureCreate(_Body):
    form: ClosureForm


class FollowUpCreate(_Body):
    method: Literal["phone", "home_visit", "support_network"]
    followed_up_at: AwareDatetime | None = None
    notes: Text | None = Field(None, description="personal: encrypted")


class FullClosureCreate(_Body):
    conditions_met: bool
    notes: Text | None = Field(None, description="personal: encrypted")


# --- commands ---------------------------------------------------------------------------------


@router.post(f"{BASE}/risk-gradings", status_code=201)
async def grade_risk(
    case_id: CaseId,
    body: RiskGradingCreate,
    principal: Staff,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-1, M-2: emits `risk_graded` (with `risk_level`) and, on an M-2 condition,
    `referral_required`."""
    command = mh.GradeRisk(
        case_id=case_id,
        grading_id=_new_id(),
        organisation=organisation_of(principal),
        graded_by=principal.subject,
        assessed_at=body.assessed_at or now,
        **body.model_dump(exclude={"assessed_at"}),
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/feasibility", status_code=201)
async def submit_feasibility(
    case_id: CaseId,
    body: FeasibilityCreate,
    principal: Staff,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """Appendix A (JX-7.1.1) by the worker taking the case on; goes to a supervisor (M-3).
    409 naming M-6 when that worker already holds 8 open cases."""
    worker = _worker_of(principal, body.worker_id)
    command = mh.SubmitFeasibility(
        case_id=case_id,
        item_id=_new_id(),
        organisation=organisation_of(principal),
        worker_id=worker,
        submitted_by=principal.subject,
        submitted_at=now,
        form=body.form,
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/plan", status_code=201)
async def submit_plan(
    case_id: CaseId,
    body: PlanCreate,
    principal: Staff,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """Appendix B (JX-7.2): at least 6 sessions, 12 for high risk, with informed consent; goes
    to a supervisor, whose approval signs the agreement (or completes an adjustment)."""
    command = mh.SubmitPlan(
        case_id=case_id,
        item_id=_new_id(),
        organisation=organisation_of(principal),
        submitted_by=principal.subject,
        submitted_at=now,
        form=body.form,
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/reviews", status_code=201)
async def review(
    case_id: CaseId,
    body: ReviewCreate,
    principal: Supervisor,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """A supervisor approves the pending assessment, plan or closure, or returns it with
    comments. Approving a plan emits `agreement_signed`; approving a closure `closure.recorded`."""
    command = mh.Review(
        case_id=case_id, reviewed_by=principal.subject, reviewed_at=now, **body.model_dump()
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/sessions", status_code=201)
async def record_session(
    case_id: CaseId,
    body: SessionCreate,
    principal: Staff,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """Appendix C (JX-7.3): one session of 1-2 h by the case's worker."""
    command = mh.RecordSession(
        case_id=case_id, session_id=_new_id(), recorded_by=principal.subject, form=body.form
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/worker-changes", status_code=201)
async def change_worker(
    case_id: CaseId,
    body: WorkerChangeCreate,
    principal: Staff,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-6: another worker takes over, only with the client's recorded consent and room in
    their caseload."""
    command = mh.ChangeWorker(
        case_id=case_id, changed_by=principal.subject, changed_at=now, **body.model_dump()
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/client-requests", status_code=201)
async def receive_client_request(
    case_id: CaseId,
    body: ClientRequestCreate,
    principal: Staff,
    backbone: BackboneDep,
    response: Response,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-9: the client asks to pause, change or stop; report it within 2 working days."""
    request_id = _new_id()
    command = mh.ReceiveClientRequest(
        case_id=case_id,
        request_id=request_id,
        kind=body.kind,
        received_at=body.received_at or now,
        received_by=principal.subject,
        detail=body.detail,
    )
    response.headers["Location"] = f"/v1/cases/{case_id}/mental-health/client-requests/{request_id}"
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/client-requests/{{request_id}}/report", status_code=201)
async def report_client_request(
    case_id: CaseId,
    request_id: Annotated[str, Path(min_length=1, max_length=100)],
    principal: Staff,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-9: the worker reported the client's request to the provider."""
    command = mh.ReportClientRequest(
        case_id=case_id, request_id=request_id, reported_at=now, reported_by=principal.subject
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/adjustments", status_code=201)
async def initiate_adjustment(
    case_id: CaseId,
    body: AdjustmentCreate,
    principal: Staff,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-4 (JX-7.2.2): open an adjustment of the plan, to be done within 5 working days."""
    command = mh.InitiateAdjustment(
        case_id=case_id,
        adjustment_id=_new_id(),
        initiated_by=principal.subject,
        initiated_at=now,
        **body.model_dump(),
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/midterm-reviews", status_code=201)
async def review_midterm(
    case_id: CaseId,
    body: MidtermReviewCreate,
    principal: Supervisor,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-8 (JX-7.4.1): deterioration or an M-2 condition refers at once."""
    command = mh.ReviewMidterm(
        case_id=case_id,
        review_id=_new_id(),
        reviewed_by=principal.subject,
        reviewed_at=now,
        **body.model_dump(),
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/closure", status_code=201)
async def submit_closure(
    case_id: CaseId,
    body: ClosureCreate,
    principal: Staff,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """Appendix D (JX-7.5): same instrument as at intake (M-10); goes to a supervisor."""
    command = mh.SubmitClosure(
        case_id=case_id,
        item_id=_new_id(),
        organisation=organisation_of(principal),
        submitted_by=principal.subject,
        submitted_at=now,
        form=body.form,
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/follow-ups", status_code=201)
async def record_follow_up(
    case_id: CaseId,
    body: FollowUpCreate,
    principal: Staff,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """SZ-6.6: a follow-up of the closed case (1-2 within 6 months)."""
    command = mh.RecordFollowUp(
        case_id=case_id,
        followup_id=_new_id(),
        method=body.method,
        followed_up_at=body.followed_up_at or now,
        recorded_by=principal.subject,
        notes=body.notes,
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


@router.post(f"{BASE}/full-closure", status_code=201)
async def close_fully(
    case_id: CaseId,
    body: FullClosureCreate,
    principal: Staff,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """SZ-6.6: full closure once an assessment after the follow-ups finds its conditions met."""
    command = mh.CloseFully(
        case_id=case_id, assessed_by=principal.subject, assessed_at=now, **body.model_dump()
    )
    sent = _sent(principal, command)
    async with backbone.uow() as uow:
        await execute(sent, uow, _context(principal, case_id, key))
    return await _visible(backbone, principal, case_id, acted=True)


# --- reads ----------------------------------------------------------------------------------


@router.get(BASE)
async def read_case(
    case_id: CaseId, principal: Staff, backbone: BackboneDep
) -> MentalHealthCasePublic:
    """The case's phase, plan, sessions done vs required, pending item and next due items."""
    return await _visible(backbone, principal, case_id)


@router.get(f"{BASE}/sessions")
async def read_sessions(
    case_id: CaseId, principal: Staff, backbone: BackboneDep
) -> list[SessionPublic]:
    await _visible(backbone, principal, case_id)
    async with backbone.engine.connect() as conn:
        return await sessions(conn, case_id)


@router.get("/v1/workers/{worker_id}/caseload")
async def read_caseload(
    worker_id: WorkerId, principal: Staff, backbone: BackboneDep
) -> CaseloadPublic:
    """A worker's open cases against the cap of 8 (M-6); the worker themself or a supervisor."""
    if not principal.has_role("supervisor") and principal.subject != worker_id:
        raise Forbidden("a worker reads only their own caseload")
    async with backbone.engine.connect() as conn:
        return await caseload_of(conn, organisation_of(principal), worker_id)


@router.get("/v1/supervision/queue")
async def read_queue(principal: Supervisor, backbone: BackboneDep) -> list[ReviewItemPublic]:
    """Assessments, plans and closures of the organisation awaiting a supervisor, oldest first."""
    async with backbone.engine.connect() as conn:
        return await queue_of(conn, organisation_of(principal))


# --- helpers --------------------------------------------------------------------------------


def _sent(principal: Principal, command: mh.Command) -> Sent[mh.Command]:
    """A worker acts on the cases they hold (or nobody holds yet); a supervisor on any case
    of the organisation."""
    worker = None if principal.has_role("supervisor") else principal.subject
    return Sent(command, organisation_of(principal), worker)


def _context(principal: Principal, case_id: str, key: str | None) -> Context:
    """An Idempotency-Key scoped to the caller and the case."""
    return context(principal, f"mh|{case_id}", key)


async def _visible(
    backbone: Backbone, principal: Principal, case_id: str, *, acted: bool = False
) -> MentalHealthCasePublic:
    async with backbone.engine.connect() as conn:
        case = await mental_health_case(conn, case_id, organisation_of(principal))
    mine = case is not None and case.worker_id in (None, principal.subject)
    if case is None or not (acted or principal.has_role("supervisor") or mine):
        raise NotVisible(MISSING)
    return case


def _worker_of(principal: Principal, named: str | None) -> str:
    if principal.has_role("supervisor"):
        if named is None:
            raise Problem(
                422, "rule-violation", "Worker missing", "name the worker", rule=mr.SERVICE
            )
        return named
    if named not in (None, principal.subject):
        raise Forbidden("a worker takes cases on for themself only")
    return principal.subject


def _new_id() -> str:
    return str(uuid.uuid4())
