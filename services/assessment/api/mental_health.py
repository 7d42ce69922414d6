"""`/v1/cases/{case_id}/mental-health/...`: the mental-health service of a case (DOMAIN §6,
JX 7.1-7.6); `/v1/workers/{id}/caseload` and `/v1/supervision/queue` to read across cases.

Routes only validate, build a command and call the handler; a refusal becomes a problem in the
app's one handler: a rule broken by the request is a 422 `rule-violation`, a request the case's
present state does not allow (the caseload cap among them) a 409 `conflict`; both name the JX
clause (`rule`) and the rulebook's M-number (`domain_rule`). Every case route takes the
record-level rule (`api.access`: the case's team, its organisation's supervisors); within it a
worker acts on the cases they hold or nobody holds yet (M-6). Dates and numbers out of range are
a 422 (`domain.bounds`); ids derive from the Idempotency-Key, so a retry records nothing more.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from assessment.api.access import (
    Assessing,
    Assigned,
    Closing,
    FollowingUp,
    Reviewing,
    Serving,
    StartingService,
    SupervisorStartingService,
)
from assessment.api.paths import CaseId
from assessment.domain import mental_health as mh
from assessment.domain import mental_health_rules as mr
from assessment.domain.bounds import refuse_out_of_range
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
from events.domain import Line, Text
from events.problems import Problem

router = APIRouter(tags=["mental-health service"])
WorkerId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][\w.:-]*$")]
BASE = "/v1/cases/{case_id}/mental-health"
PLAN_PERIOD = ("form.starts_on", "form.ends_on")  # the only dates that may lie ahead


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RiskGradingCreate(_Body):
    """M-1: a risk level from a test or dynamic monitoring, and any M-2 condition found."""

    risk_level: RiskLevel
    instrument: Code
    assessed_at: AwareDatetime | None = None
    designated_by: Line | None = Field(None, description="JX-5.1 designation")
    referral_triggers: list[Trigger] = Field(default_factory=list, max_length=3)
    notes: Text | None = Field(None, description="personal: encrypted")


class FeasibilityCreate(_Body):
    worker_id: Code | None = Field(None, description="who takes the case on; a worker: themself")
    form: FeasibilityForm


class FilingCreate(_Body):
    """M-3 (JX-7.1.3): the reviewed feasibility assessment filed with the entrustor."""

    entrustor: Line = Field(min_length=1, description="the entrustor it was filed with")
    reference: Line | None = Field(None, description="the entrustor's filing reference")
    filed_at: AwareDatetime | None = None


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
    principal: Assessing,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-1, M-2: emits `risk_graded` (with `risk_level`) and, on an M-2 condition,
    `referral_required`."""
    refuse_out_of_range(body, now)
    ctx = _context(principal, case_id, "risk-grading", key, body)
    command = mh.GradeRisk(
        case_id=case_id,
        grading_id=ctx.id_for("grading"),
        organisation=organisation_of(principal),
        graded_by=principal.subject,
        assessed_at=body.assessed_at or now,
        **body.model_dump(exclude={"assessed_at"}),
    )
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/feasibility", status_code=201)
async def submit_feasibility(
    case_id: CaseId,
    body: FeasibilityCreate,
    principal: StartingService,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """Appendix A (JX-7.1.1) by the worker of the case's team taking the case on; goes to a
    supervisor (M-3). 409 naming M-6 when that worker already holds 8 open cases."""
    refuse_out_of_range(body, now)
    ctx = _context(principal, case_id, "feasibility", key, body)
    command = mh.SubmitFeasibility(
        case_id=case_id,
        item_id=ctx.id_for("item"),
        organisation=organisation_of(principal),
        worker_id=_worker_of(principal, body.worker_id),
        submitted_by=principal.subject,
        submitted_at=now,
        form=body.form,
    )
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/feasibility-filing", status_code=201)
async def file_feasibility(
    case_id: CaseId,
    body: FilingCreate,
    principal: SupervisorStartingService,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-3 (JX-7.1.3): the provider (a supervisor) files the approved Appendix A assessment
    with the entrustor; emits `feasibility_filed`. No plan before it (409 naming M-3)."""
    refuse_out_of_range(body, now)
    ctx = _context(principal, case_id, "feasibility-filing", key, body)
    command = mh.FileFeasibility(
        case_id=case_id,
        entrustor=body.entrustor,
        reference=body.reference,
        filed_by=principal.subject,
        filed_at=body.filed_at or now,
    )
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/plan", status_code=201)
async def submit_plan(
    case_id: CaseId,
    body: PlanCreate,
    principal: StartingService,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """Appendix B (JX-7.2): at least 6 sessions, 12 for high risk, with informed consent; goes
    to a supervisor, whose approval signs the agreement (or completes an adjustment)."""
    refuse_out_of_range(body, now, ahead=PLAN_PERIOD)
    ctx = _context(principal, case_id, "plan", key, body)
    command = mh.SubmitPlan(
        case_id=case_id,
        item_id=ctx.id_for("item"),
        organisation=organisation_of(principal),
        submitted_by=principal.subject,
        submitted_at=now,
        form=body.form,
    )
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/reviews", status_code=201)
async def review(
    case_id: CaseId,
    body: ReviewCreate,
    principal: Reviewing,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """A supervisor approves the pending assessment, plan or closure, or returns it with
    comments. Approving a plan emits `agreement_signed`; approving a closure `closure.recorded`."""
    command = mh.Review(
        case_id=case_id, reviewed_by=principal.subject, reviewed_at=now, **body.model_dump()
    )
    return await _run(
        backbone, principal, command, _context(principal, case_id, "review", key, body)
    )


@router.post(f"{BASE}/sessions", status_code=201)
async def record_session(
    case_id: CaseId,
    body: SessionCreate,
    principal: Serving,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """Appendix C (JX-7.3): one session of 1-2 h by the case's worker, held by now."""
    refuse_out_of_range(body, now)
    ctx = _context(principal, case_id, "session", key, body)
    command = mh.RecordSession(
        case_id=case_id,
        session_id=ctx.id_for("session"),
        recorded_by=principal.subject,
        form=body.form,
    )
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/worker-changes", status_code=201)
async def change_worker(
    case_id: CaseId,
    body: WorkerChangeCreate,
    principal: StartingService,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-6: another worker of the case's team takes over, only with the client's recorded
    consent and room in their caseload."""
    refuse_out_of_range(body, now)
    command = mh.ChangeWorker(
        case_id=case_id, changed_by=principal.subject, changed_at=now, **body.model_dump()
    )
    ctx = _context(principal, case_id, "worker-change", key, body)
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/client-requests", status_code=201)
async def receive_client_request(
    case_id: CaseId,
    body: ClientRequestCreate,
    principal: Serving,
    backbone: BackboneDep,
    response: Response,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-9: the client asks to pause, change or stop; report it within 2 working days."""
    refuse_out_of_range(body, now)
    ctx = _context(principal, case_id, "client-request", key, body)
    request_id = ctx.id_for("request")
    command = mh.ReceiveClientRequest(
        case_id=case_id,
        request_id=request_id,
        kind=body.kind,
        received_at=body.received_at or now,
        received_by=principal.subject,
        detail=body.detail,
    )
    response.headers["Location"] = f"/v1/cases/{case_id}/mental-health/client-requests/{request_id}"
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/client-requests/{{request_id}}/report", status_code=201)
async def report_client_request(
    case_id: CaseId,
    request_id: Annotated[str, Path(min_length=1, max_length=100)],
    principal: Serving,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-9: the worker reported the client's request to the provider."""
    command = mh.ReportClientRequest(
        case_id=case_id, request_id=request_id, reported_at=now, reported_by=principal.subject
    )
    ctx = _context(principal, case_id, f"report|{request_id}", key, None)
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/adjustments", status_code=201)
async def initiate_adjustment(
    case_id: CaseId,
    body: AdjustmentCreate,
    principal: StartingService,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-4 (JX-7.2.2): open an adjustment of the plan, to be done within 5 working days."""
    ctx = _context(principal, case_id, "adjustment", key, body)
    command = mh.InitiateAdjustment(
        case_id=case_id,
        adjustment_id=ctx.id_for("adjustment"),
        initiated_by=principal.subject,
        initiated_at=now,
        **body.model_dump(),
    )
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/midterm-reviews", status_code=201)
async def review_midterm(
    case_id: CaseId,
    body: MidtermReviewCreate,
    principal: Reviewing,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """M-8 (JX-7.4.1): deterioration or an M-2 condition refers at once."""
    ctx = _context(principal, case_id, "midterm-review", key, body)
    command = mh.ReviewMidterm(
        case_id=case_id,
        review_id=ctx.id_for("review"),
        reviewed_by=principal.subject,
        reviewed_at=now,
        **body.model_dump(),
    )
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/closure", status_code=201)
async def submit_closure(
    case_id: CaseId,
    body: ClosureCreate,
    principal: Closing,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """Appendix D (JX-7.5): same instrument as at intake (M-10); goes to a supervisor."""
    refuse_out_of_range(body, now)
    ctx = _context(principal, case_id, "closure", key, body)
    command = mh.SubmitClosure(
        case_id=case_id,
        item_id=ctx.id_for("item"),
        organisation=organisation_of(principal),
        submitted_by=principal.subject,
        submitted_at=now,
        form=body.form,
    )
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/follow-ups", status_code=201)
async def record_follow_up(
    case_id: CaseId,
    body: FollowUpCreate,
    principal: FollowingUp,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """SZ-6.6: a follow-up of the closed case (1-2 within 6 months)."""
    refuse_out_of_range(body, now)
    ctx = _context(principal, case_id, "follow-up", key, body)
    command = mh.RecordFollowUp(
        case_id=case_id,
        followup_id=ctx.id_for("follow-up"),
        method=body.method,
        followed_up_at=body.followed_up_at or now,
        recorded_by=principal.subject,
        notes=body.notes,
    )
    return await _run(backbone, principal, command, ctx)


@router.post(f"{BASE}/full-closure", status_code=201)
async def close_fully(
    case_id: CaseId,
    body: FullClosureCreate,
    principal: FollowingUp,
    backbone: BackboneDep,
    now: Now,
    key: IdempotencyKey = None,
) -> MentalHealthCasePublic:
    """SZ-6.6: full closure once an assessment after the follow-ups finds its conditions met."""
    command = mh.CloseFully(
        case_id=case_id, assessed_by=principal.subject, assessed_at=now, **body.model_dump()
    )
    ctx = _context(principal, case_id, "full-closure", key, body)
    return await _run(backbone, principal, command, ctx)


# --- reads ----------------------------------------------------------------------------------


@router.get(BASE)
async def read_case(
    case_id: CaseId, principal: Assigned, backbone: BackboneDep
) -> MentalHealthCasePublic:
    """The case's phase, plan, sessions done vs required, pending item and next due items."""
    return await _visible(backbone, principal, case_id)


@router.get(f"{BASE}/sessions")
async def read_sessions(
    case_id: CaseId, principal: Assigned, backbone: BackboneDep
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


def _context(
    principal: Principal, case_id: str, action: str, key: str | None, body: BaseModel | None
) -> Context:
    """An Idempotency-Key scoped to the caller, the case and the action (the same key sent to
    another route of the case is no retry)."""
    return context(principal, f"mh|{case_id}|{action}", key, body)


async def _run(
    backbone: Backbone, principal: Principal, command: mh.Command, ctx: Context
) -> MentalHealthCasePublic:
    """Execute the command in one unit of work; the case as the caller now sees it."""
    async with backbone.uow() as uow:
        await execute(_sent(principal, command), uow, ctx)
    return await _visible(backbone, principal, command.case_id, acted=True)


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
