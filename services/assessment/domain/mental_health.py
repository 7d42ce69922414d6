"""The mental-health service of a case (DOMAIN §6, DB36/T 2143-2025 "JX" 7.1-7.6, Appendices
A-D). Pure: a command and the case's present state (`mental_health_state`) in, events out.
Every refusal names the JX clause it applies; `mental_health_rules` maps it to the rulebook's
M-number and holds every number and message.

Life of a case: risk graded (any time, M-1) -> feasibility assessment by the worker who takes
the case on (Appendix A, M-2 screening, M-6 caseload) -> supervisor approves or returns it
(M-3) -> plan (Appendix B, M-4/M-7 session minimums, informed consent) -> supervisor approves:
the agreement is signed (M-5 clock) -> sessions (Appendix C, M-7), client requests (M-9),
worker changes (M-6), mid-term review (M-8), adjustments (M-4) -> closure (Appendix D, M-10)
-> supervisor approves: closed, with the indicators of JX-7.5.3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import singledispatch
from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from assessment.domain import mental_health_rules as mr
from assessment.domain.events import (
    AdjustmentInitiated,
    AgreementSigned,
    ClientRequestReceived,
    ClientRequestReported,
    ClosureRecorded,
    ClosureReturned,
    ClosureSubmitted,
    FeasibilityApproved,
    FeasibilityFiled,
    FeasibilityReturned,
    FeasibilitySubmitted,
    FollowUpRecorded,
    FullyClosed,
    MentalHealthRiskGraded,
    MidtermReviewed,
    OutcomeIndicators,
    PlanAdjusted,
    PlanReturned,
    PlanSubmitted,
    ReferralRequired,
    SessionRecorded,
    WorkerChanged,
)
from assessment.domain.mental_health_forms import (
    ClientConsent,
    ClientRequestKind,
    ClosureForm,
    FeasibilityForm,
    MidtermDecision,
    PlanForm,
    RiskLevel,
    SessionForm,
    Trend,
    Trigger,
)
from assessment.domain.mental_health_state import (
    DueItem,
    ItemKind,
    MentalHealthCase,
    Pending,
    add_months,
    evolve,
    fold,
    minimum_sessions,
    next_due,
)
from events.domain import Conflict, EventData, Refused, Violation

__all__ = [
    "DueItem",
    "MentalHealthCase",
    "Pending",
    "add_months",
    "evolve",
    "fold",
    "minimum_sessions",
    "next_due",
]

RaisedBy = Literal["risk_grading", "feasibility", "midterm_review"]
AdjustmentReason = Literal["client_change", "worker_decision", "midterm_review", "risk_changed"]


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- M-1, M-2: risk grading -------------------------------------------------------------------


class GradeRisk(_Command):
    case_id: str
    grading_id: str
    organisation: str
    risk_level: RiskLevel
    instrument: str
    assessed_at: datetime
    graded_by: str
    designated_by: str | None = None
    referral_triggers: tuple[Trigger, ...] = ()
    notes: str | None = None


def grade_risk(command: GradeRisk, case: MentalHealthCase) -> list[EventData]:
    """M-1: the risk level and whether it makes a service subject (JX-5.1); an M-2 condition
    adds a referral requirement (JX-7.1.2)."""
    _not_closed(case)
    subject = command.designated_by is not None or command.risk_level in mr.SUBJECT_LEVELS
    fields = command.model_dump(exclude={"referral_triggers"})
    triggers = sorted(set(command.referral_triggers))
    graded = MentalHealthRiskGraded(**fields, service_subject=subject, referral_triggers=triggers)
    at, org = command.assessed_at, command.organisation
    return [graded, *_referral(case, triggers, "risk_grading", command.grading_id, at, org)]


def _referral(
    case: MentalHealthCase,
    reasons: Sequence[str],
    raised_by: RaisedBy,
    source_id: str,
    at: datetime,
    organisation: str,
) -> list[EventData]:
    """M-2: the requirement to refer at once, naming every reason found."""
    if not reasons:
        return []
    rule = mr.MIDTERM if raised_by == "midterm_review" else mr.REFERRAL
    required = ReferralRequired(
        case_id=case.case_id,
        organisation=case.organisation or organisation,
        triggers=sorted(set(reasons)),
        raised_by=raised_by,
        source_id=source_id,
        rule=rule,
        raised_at=at,
    )
    return [required]


# --- M-3, M-6: feasibility assessment and the caseload --------------------------------------


class SubmitFeasibility(_Command):
    case_id: str
    item_id: str
    organisation: str
    worker_id: str
    submitted_by: str
    submitted_at: datetime
    form: FeasibilityForm


def submit_feasibility(
    command: SubmitFeasibility, case: MentalHealthCase, worker_open_cases: int
) -> list[EventData]:
    """Appendix A by the worker who takes the case on; refused when that worker already holds
    the most open cases M-6 allows (409). An M-2 condition concludes 'refer' (JX-7.1.2)."""
    _not_closed(case)
    if case.phase not in ("new", "assessing") or _awaiting(case, "feasibility"):
        raise _conflict("feasibility_not_open", mr.REVIEW)
    if command.worker_id != case.worker_id:
        check_caseload(command.worker_id, worker_open_cases)
    form = command.form
    _refuse_any(
        _v("client_confirmation_missing", mr.FEASIBILITY, "form.client_confirmation")
        if form.client_confirmation is None
        else None,
        _v("emergency_undescribed", mr.FEASIBILITY, "form.text.emergency_detail")
        if form.emergency and form.text.emergency_detail is None
        else None,
    )
    triggers = sorted(set(form.referral_triggers))
    submitted = FeasibilitySubmitted(
        **command.model_dump(exclude={"form"}),
        form=form,
        conclusion="refer" if triggers else "serve",
        referral_triggers=triggers,
        instrument=form.intake_measure.instrument,
    )
    at, org = command.submitted_at, command.organisation
    return [submitted, *_referral(case, triggers, "feasibility", command.item_id, at, org)]


def check_caseload(worker_id: str, open_cases: int) -> None:
    """M-6 (JX-7.3): a worker directly serves at most 8 open cases at once."""
    if open_cases >= mr.CASELOAD_CAP:
        values = {"worker": worker_id, "open": open_cases, "cap": mr.CASELOAD_CAP}
        raise _conflict("caseload_full", mr.SERVICE, "worker_id", **values)


class FileFeasibility(_Command):
    case_id: str
    entrustor: str
    filed_by: str
    filed_at: datetime
    reference: str | None = None


def file_feasibility(command: FileFeasibility, case: MentalHealthCase) -> list[EventData]:
    """M-3 (JX-7.1.3): the reviewed (approved) assessment is filed with the entrustor, once."""
    _not_closed(case)
    if case.feasibility_item is None:
        raise _conflict("feasibility_not_reviewed", mr.REVIEW)
    if case.feasibility_filed_at is not None:
        raise _conflict("feasibility_filed_already", mr.REVIEW)
    filed = FeasibilityFiled(
        **command.model_dump(),
        item_id=case.feasibility_item,
        organisation=case.organisation or "",
        rule=mr.REVIEW,
    )
    return [filed]


def _filed(case: MentalHealthCase) -> None:
    """M-3: no first plan and no agreement before the assessment is filed with the entrustor."""
    if case.phase == "assessed" and case.feasibility_filed_at is None:
        raise _conflict("feasibility_not_filed", mr.REVIEW)


# --- supervisor review (JX-7.1.3, Appendices B and D) ---------------------------------------


class Review(_Command):
    case_id: str
    item_id: str
    decision: Literal["approve", "return"]
    reviewed_by: str
    reviewed_at: datetime
    comments: str | None = None


def review(command: Review, case: MentalHealthCase) -> list[EventData]:
    """The supervisor approves the pending item or returns it with comments; no one reviews
    what they submitted themselves (the forms have separate worker and supervisor boxes)."""
    pending = case.pending
    if pending is None or pending.returned or pending.item_id != command.item_id:
        raise _conflict("nothing_to_review", mr.REVIEW, "item_id")
    if command.reviewed_by == pending.submitted_by:
        raise Refused([_v("own_submission", mr.REVIEW, "item_id")])
    if command.decision == "return":
        return [_returned(pending.kind, command)]
    if pending.kind == "feasibility":
        return [FeasibilityApproved(**command.model_dump(exclude={"decision"}))]
    if pending.kind == "plan":
        return [_plan_approved(command, case)]
    return [_closed(command, case)]


def _returned(kind: ItemKind, command: Review) -> EventData:
    if not command.comments:
        raise Refused([_v("comments_missing", mr.REVIEW, "comments")])
    model = {"feasibility": FeasibilityReturned, "plan": PlanReturned, "closure": ClosureReturned}
    return model[kind](**command.model_dump(exclude={"decision"}))


# --- M-4, M-7: the service plan and its agreement -------------------------------------------


class SubmitPlan(_Command):
    case_id: str
    item_id: str
    organisation: str
    submitted_by: str
    submitted_at: datetime
    form: PlanForm


def submit_plan(command: SubmitPlan, case: MentalHealthCase) -> list[EventData]:
    """Appendix B: a first plan once the feasibility assessment is approved, or a revision while
    an adjustment or a reported client request is open (JX-7.2.2, JX-7.4.2)."""
    _not_closed(case)
    _filed(case)
    revision = case.phase == "in_service"
    if case.phase not in ("assessed", "in_service") or (revision and not _adjustment_due(case)):
        raise _conflict("plan_not_open", mr.PLAN)
    if case.pending is not None and not case.pending.returned:
        raise _conflict("awaiting_review", mr.REVIEW)
    _refuse_any(*plan_violations(command.form, case))
    submitted = PlanSubmitted(
        **command.model_dump(),
        revision=revision,
        risk_level=case.risk_level or "normal",
        minimum_sessions=case.minimum_sessions,
        planned_sessions=command.form.planned_sessions,
        frequency=command.form.frequency,
    )
    return [submitted]


def plan_violations(form: PlanForm, case: MentalHealthCase) -> list[Violation | None]:
    """Every rule of JX-5.1, 7.1.2, 7.2 and 7.3 the plan breaks for this case (None: kept)."""
    risk, minimum = case.risk_level, case.minimum_sessions
    sessions, low, high = form.planned_sessions, *mr.SESSION_MINUTES
    return [
        _v("risk_not_graded", mr.RISK, None) if risk is None else None,
        _v("not_a_service_subject", mr.SUBJECT, None, risk=risk)
        if risk is not None and not case.service_subject
        else None,
        _v("referral_required", mr.REFERRAL, None) if case.referral_open else None,
        _v("too_few_sessions", mr.PLAN, "form.planned_sessions", minimum=mr.MIN_PLAN_SESSIONS)
        if sessions < mr.MIN_PLAN_SESSIONS
        else None,
        _v("below_risk_minimum", mr.SERVICE, "form.planned_sessions", risk=risk, minimum=minimum)
        if mr.MIN_PLAN_SESSIONS <= sessions < minimum
        else None,
        _v("session_length", mr.SERVICE, "form.session_minutes")
        if not low <= form.session_minutes <= high
        else None,
        _v("period_reversed", mr.PLAN, "form.ends_on") if form.ends_on < form.starts_on else None,
        _v("first_plan_not_weekly", mr.SERVICE, "form.frequency")
        if case.phase == "assessed" and form.frequency != "weekly"
        else None,
        _v("consent_missing", mr.CONSENT, "form.consent") if form.consent is None else None,
    ]


def _plan_approved(command: Review, case: MentalHealthCase) -> EventData:
    """Approving a first plan signs the agreement (R-JX-AGREEMENT); a revision adjusts it."""
    terms = case.submitted_plan
    assert terms is not None  # a pending plan always has terms
    _filed(case)
    risk, minimum = case.risk_level or "normal", case.minimum_sessions
    _refuse_any(
        _v("referral_required", mr.REFERRAL, None) if case.referral_open else None,
        _v("below_risk_minimum", mr.SERVICE, None, risk=risk, minimum=minimum)
        if terms.planned_sessions < minimum
        else None,
    )
    common: dict[str, Any] = {
        "case_id": command.case_id,
        "item_id": command.item_id,
        "risk_level": risk,
        "planned_sessions": terms.planned_sessions,
        "minimum_sessions": minimum,
        "frequency": terms.frequency,
        "approved_by": command.reviewed_by,
        "comments": command.comments,
    }
    if case.phase == "in_service":
        requests = [r.request_id for r in case.client_requests if r.reported_at and not r.resolved]
        return PlanAdjusted(
            **common,
            adjusted_at=command.reviewed_at,
            adjustment_ids=[a for a, _ in case.adjustments_open],
            client_request_ids=requests,
        )
    return AgreementSigned(
        **common,
        organisation=case.organisation or "",
        worker_id=case.worker_id or "",
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        signed_at=command.reviewed_at,
        rule_set=mr.RULE_SET_ID,
    )


class InitiateAdjustment(_Command):
    case_id: str
    adjustment_id: str
    reason: AdjustmentReason
    initiated_by: str
    initiated_at: datetime
    notes: str | None = None


def initiate_adjustment(command: InitiateAdjustment, case: MentalHealthCase) -> list[EventData]:
    """M-4 (JX-7.2.2): open an adjustment of the running plan, due within 5 working days."""
    _in_service(case)
    if case.adjustments_open:
        raise _conflict("adjustment_open", mr.ADJUST)
    return [AdjustmentInitiated(**command.model_dump(), organisation=case.organisation or "")]


# --- M-7: sessions ----------------------------------------------------------------------------


class RecordSession(_Command):
    case_id: str
    session_id: str
    recorded_by: str
    form: SessionForm


def record_session(command: RecordSession, case: MentalHealthCase) -> list[EventData]:
    """Appendix C: one session of 1-2 h by the case's worker (M-6, M-7); a home visit while
    the guardian is away needs two workers and the guardian told (JX-7.3)."""
    _in_service(case)
    form = command.form
    minutes = int((form.ended_at - form.started_at).total_seconds() // 60)
    away = form.home_visit and not form.guardian_present
    low, high = mr.SESSION_MINUTES
    _refuse_any(
        _v("session_length", mr.SERVICE, "form.ended_at") if not low <= minutes <= high else None,
        _v("not_the_case_worker", mr.SERVICE, "form.worker_ids")
        if case.worker_id not in form.worker_ids
        else None,
        _v("home_visit_alone", mr.SERVICE, "form.worker_ids")
        if away and len(set(form.worker_ids)) < mr.HOME_VISIT_WORKERS
        else None,
        _v("guardian_not_informed", mr.SERVICE, "form.guardian_informed")
        if away and not form.guardian_informed
        else None,
    )
    recorded = SessionRecorded(
        **form.model_dump(exclude={"worker_ids", "text"}),
        case_id=command.case_id,
        session_id=command.session_id,
        number=len(case.sessions) + 1,
        planned_sessions=case.plan.planned_sessions if case.plan else 0,
        worker_ids=list(dict.fromkeys(form.worker_ids)),
        minutes=minutes,
        recorded_by=command.recorded_by,
        text=form.text,
    )
    return [recorded]


# --- M-6: change of worker ---------------------------------------------------------------------


class ChangeWorker(_Command):
    case_id: str
    to_worker: str
    consent: ClientConsent | None
    changed_by: str
    changed_at: datetime
    reason: str | None = None


def change_worker(
    command: ChangeWorker, case: MentalHealthCase, new_worker_open_cases: int
) -> list[EventData]:
    """M-6 (JX-7.3): the same worker throughout; another only with the client's consent, and
    only if they have room under the caseload cap."""
    _not_closed(case)
    if case.worker_id is None:
        raise _conflict("no_worker", mr.SERVICE)
    if command.to_worker == case.worker_id:
        raise Refused([_v("same_worker", mr.SERVICE, "to_worker")])
    if command.consent is None or not command.consent.given:
        raise Refused([_v("client_consent_missing", mr.SERVICE, "consent")])
    check_caseload(command.to_worker, new_worker_open_cases)
    return [WorkerChanged(**command.model_dump(), from_worker=case.worker_id)]


# --- M-9: the client's requests -------------------------------------------------------------


class ReceiveClientRequest(_Command):
    case_id: str
    request_id: str
    kind: ClientRequestKind
    received_at: datetime
    received_by: str
    detail: str | None = None


def receive_client_request(
    command: ReceiveClientRequest, case: MentalHealthCase
) -> list[EventData]:
    """M-9 (JX-7.4.2): the client asks to pause, change or stop the service."""
    _in_service(case)
    return [ClientRequestReceived(**command.model_dump(), organisation=case.organisation or "")]


class ReportClientRequest(_Command):
    case_id: str
    request_id: str
    reported_at: datetime
    reported_by: str


def report_client_request(command: ReportClientRequest, case: MentalHealthCase) -> list[EventData]:
    """M-9: the worker reports the request to the provider (due within 2 working days)."""
    _not_closed(case)
    request = next((r for r in case.client_requests if r.request_id == command.request_id), None)
    if request is None:
        raise _conflict("no_such_request", mr.CLIENT_REQUEST, "request_id")
    if request.reported_at is not None:
        raise _conflict("already_reported", mr.CLIENT_REQUEST, "request_id")
    org = case.organisation or ""
    return [ClientRequestReported(**command.model_dump(), kind=request.kind, organisation=org)]


# --- M-8: mid-term review ---------------------------------------------------------------------


class ReviewMidterm(_Command):
    case_id: str
    review_id: str
    reviewed_by: str
    reviewed_at: datetime
    trend: Trend
    significant_deterioration: bool = False
    expected_effect_unlikely: bool = False
    referral_triggers: tuple[Trigger, ...] = ()
    decision: MidtermDecision
    findings: str | None = None


def review_midterm(command: ReviewMidterm, case: MentalHealthCase) -> list[EventData]:
    """M-8 (JX-7.4.1): significant deterioration or an M-2 condition -> refer at once; an effect
    unlikely to come -> adjust the plan or refer. 'adjust' opens an adjustment (M-4)."""
    _in_service(case)
    must_refer = command.significant_deterioration or bool(command.referral_triggers)
    _refuse_any(
        _v("must_refer", mr.MIDTERM, "decision")
        if must_refer and command.decision != "refer"
        else None,
        _v("must_adjust_or_refer", mr.MIDTERM, "decision")
        if command.expected_effect_unlikely and command.decision == "continue"
        else None,
    )
    reviewed = MidtermReviewed(
        **command.model_dump(exclude={"referral_triggers"}),
        sessions_done=len(case.sessions),
        referral_triggers=sorted(set(command.referral_triggers)),
    )
    events: list[EventData] = [reviewed]
    if command.decision == "refer":
        at, org = command.reviewed_at, case.organisation or ""
        reasons = _midterm_reasons(command)
        events += _referral(case, reasons, "midterm_review", command.review_id, at, org)
    if command.decision == "adjust" and not case.adjustments_open:
        opened = InitiateAdjustment(
            case_id=command.case_id,
            adjustment_id=f"{command.review_id}-adjustment",
            reason="midterm_review",
            initiated_by=command.reviewed_by,
            initiated_at=command.reviewed_at,
        )
        org = case.organisation or ""
        events.append(AdjustmentInitiated(**opened.model_dump(), organisation=org))
    return events


def _midterm_reasons(command: ReviewMidterm) -> list[str]:
    reasons: list[str] = [*command.referral_triggers]
    reasons += ["significant_deterioration"] if command.significant_deterioration else []
    reasons += ["expected_effect_unlikely"] if command.expected_effect_unlikely else []
    return reasons or ["supervisor_decision"]


# --- M-10: closure ----------------------------------------------------------------------------


class SubmitClosure(_Command):
    case_id: str
    item_id: str
    organisation: str
    submitted_by: str
    submitted_at: datetime
    form: ClosureForm


def submit_closure(command: SubmitClosure, case: MentalHealthCase) -> list[EventData]:
    """Appendix D: the closing evaluation uses the instrument used at intake (M-10, JX-7.5.2);
    unmet goals need their analysis and follow-up (JX-7.5.1)."""
    _not_closed(case)
    if case.phase not in ("assessed", "in_service") and not case.referral_open:
        raise _conflict("closure_not_open", mr.CLOSURE)
    if case.pending is not None and not case.pending.returned:
        raise _conflict("awaiting_review", mr.REVIEW)
    _refuse_any(*closure_violations(command.form, case))
    return [ClosureSubmitted(**command.model_dump(), reason=command.form.reason)]


def closure_violations(form: ClosureForm, case: MentalHealthCase) -> list[Violation | None]:
    """Every rule of JX-7.3, 7.4 and 7.5 the closure breaks for this case (None: kept)."""
    measure, intake = form.final_measure, case.intake_instrument
    held, minimum, risk = len(case.sessions), case.minimum_sessions, case.risk_level
    goals_met = form.reason == "goals_met"
    unmet = any(not g.achieved for g in form.goals)
    analysed = form.text.unmet_goal_analysis is not None and form.text.follow_up is not None
    stop_asked = any(r.kind == "stop" for r in case.client_requests)
    return [
        _v("final_measure_missing", mr.CONTINUITY, "form.final_measure")
        if measure is None and form.reason in mr.CLOSURE_NEEDS_MEASURE
        else None,
        _v("instrument_changed", mr.CONTINUITY, "form.final_measure.instrument", instrument=intake)
        if measure is not None and intake is not None and measure.instrument != intake
        else None,
        _v(
            "too_few_sessions_held",
            mr.SERVICE,
            "form.reason",
            held=held,
            risk=risk,
            minimum=minimum,
        )
        if goals_met and held < minimum
        else None,
        _v("goals_not_met", mr.CLOSURE, "form.goals")
        if goals_met and (not form.goals or unmet)
        else None,
        _v("unmet_goals_unanalysed", mr.CLOSURE, "form.text.unmet_goal_analysis")
        if unmet and not analysed
        else None,
        _v("no_stop_request", mr.CLIENT_REQUEST, "form.reason")
        if form.reason == "client_stopped" and not stop_asked
        else None,
        _v("no_referral", mr.REFERRAL, "form.reason")
        if form.reason == "referred" and not case.referral_triggers
        else None,
        _v("client_confirmation_missing", mr.CLOSURE, "form.client_confirmation")
        if form.client_confirmation is None and form.reason != "referred"
        else None,
    ]


def _closed(command: Review, case: MentalHealthCase) -> EventData:
    submitted = case.closure_form
    assert submitted is not None  # a pending closure always has its form
    return ClosureRecorded(
        case_id=command.case_id,
        organisation=case.organisation or "",
        item_id=command.item_id,
        worker_id=case.worker_id,
        reason=submitted.reason,
        closed_at=command.reviewed_at,
        approved_by=command.reviewed_by,
        sessions_done=len(case.sessions),
        planned_sessions=case.plan.planned_sessions if case.plan else None,
        indicators=indicators(case, submitted),
        rule_set=mr.RULE_SET_ID,
        comments=command.comments,
    )


def indicators(case: MentalHealthCase, form: ClosureForm) -> OutcomeIndicators:
    """The case's part of the entrustor's indicators (JX-7.5.3, DOMAIN §10)."""
    planned = case.plan.planned_sessions if case.plan else 0
    goals, measure, intake = form.goals, form.final_measure, case.intake_instrument
    return OutcomeIndicators(
        plan_completion_rate=_rate(len(case.sessions), planned) or 0.0,
        goal_achievement_rate=_rate(sum(g.achieved for g in goals), len(goals)),
        goal_reasonableness_rate=_rate(sum(g.reasonable for g in goals), len(goals)),
        sessions_on_schedule_rate=_on_schedule(case),
        client_satisfaction=form.client_satisfaction,
        client_cooperation=form.client_cooperation,
        same_instrument_as_intake=measure.instrument == intake if measure and intake else None,
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _on_schedule(case: MentalHealthCase) -> float | None:
    """Share of gaps between sessions within the plan's interval plus a grace of 3 days."""
    if case.plan is None or len(case.sessions) < 2:
        return None
    limit = timedelta(days=mr.FREQUENCY_DAYS[case.plan.frequency] + mr.SCHEDULE_GRACE_DAYS)
    starts = [s.started_at for s in case.sessions]
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    return _rate(sum(gap <= limit for gap in gaps), len(gaps))


# --- SZ-6.6: follow-up after closure and full closure -------------------------------------------


class RecordFollowUp(_Command):
    case_id: str
    followup_id: str
    method: Literal["phone", "home_visit", "support_network"]
    followed_up_at: datetime
    recorded_by: str
    notes: str | None = None


def record_follow_up(command: RecordFollowUp, case: MentalHealthCase) -> list[EventData]:
    """SZ-6.6: a follow-up of the closed case; one outside the 6 months is recorded as such."""
    closed_at = _closed_not_final(case)
    if command.followed_up_at < closed_at:
        raise Refused([_v("before_closure", mr.FOLLOW_UP, "followed_up_at")])
    window_end = add_months(closed_at, mr.FOLLOW_UP_MONTHS)
    recorded = FollowUpRecorded(
        **command.model_dump(),
        number=len(case.followups) + 1,
        within_window=command.followed_up_at <= window_end,
    )
    return [recorded]


class CloseFully(_Command):
    case_id: str
    assessed_by: str
    assessed_at: datetime
    conditions_met: bool
    notes: str | None = None


def close_fully(command: CloseFully, case: MentalHealthCase) -> list[EventData]:
    """SZ-6.6: full closure after the follow-ups, once an assessment finds its conditions met."""
    _closed_not_final(case)
    _refuse_any(
        _v("no_follow_up", mr.FOLLOW_UP, None) if not case.followups else None,
        _v("conditions_not_met", mr.FOLLOW_UP, "conditions_met")
        if not command.conditions_met
        else None,
    )
    fields = command.model_dump(exclude={"conditions_met"})
    return [FullyClosed(**fields, followups=len(case.followups))]


def _closed_not_final(case: MentalHealthCase) -> datetime:
    if case.phase != "closed" or case.closed_at is None:
        raise _conflict("not_closed", mr.FOLLOW_UP)
    if case.fully_closed_at is not None:
        raise _conflict("fully_closed", mr.FOLLOW_UP)
    return case.closed_at


# --- one entry for the application layer -----------------------------------------------------

Command = (
    GradeRisk
    | SubmitFeasibility
    | FileFeasibility
    | Review
    | SubmitPlan
    | InitiateAdjustment
    | RecordSession
    | ChangeWorker
    | ReceiveClientRequest
    | ReportClientRequest
    | ReviewMidterm
    | SubmitClosure
    | RecordFollowUp
    | CloseFully
)


@singledispatch
def decide(command: Command, case: MentalHealthCase, open_cases: int) -> list[EventData]:
    """The events `command` records on `case`, one registered rule per command type;
    `open_cases` is the caseload of `caseload_worker(command)` without this case (M-6)."""
    raise TypeError(f"no mental-health rule decides {type(command).__name__}")


def caseload_worker(command: Command) -> str | None:
    """The worker the command puts the case on, whose open cases M-6 caps (counted first)."""
    if isinstance(command, SubmitFeasibility):
        return command.worker_id
    if isinstance(command, ChangeWorker):
        return command.to_worker
    return None


def _regardless_of_caseload(
    rule: Callable[[Any, MentalHealthCase], list[EventData]],
) -> Callable[[Any, MentalHealthCase, int], list[EventData]]:
    return lambda command, case, _open_cases: rule(command, case)


decide.register(SubmitFeasibility, submit_feasibility)
decide.register(ChangeWorker, change_worker)
for _command, _rule in (
    (GradeRisk, grade_risk),
    (FileFeasibility, file_feasibility),
    (Review, review),
    (SubmitPlan, submit_plan),
    (InitiateAdjustment, initiate_adjustment),
    (RecordSession, record_session),
    (ReceiveClientRequest, receive_client_request),
    (ReportClientRequest, report_client_request),
    (ReviewMidterm, review_midterm),
    (SubmitClosure, submit_closure),
    (RecordFollowUp, record_follow_up),
    (CloseFully, close_fully),
):
    decide.register(_command, _regardless_of_caseload(_rule))


# --- small helpers ------------------------------------------------------------------------------


def _awaiting(case: MentalHealthCase, kind: ItemKind) -> bool:
    return case.pending is not None and case.pending.kind == kind and not case.pending.returned


def _adjustment_due(case: MentalHealthCase) -> bool:
    reported = any(r.reported_at and not r.resolved for r in case.client_requests)
    return bool(case.adjustments_open) or reported or case.pending is not None


def _not_closed(case: MentalHealthCase) -> None:
    if case.phase == "closed":
        raise _conflict("case_closed", mr.CLOSURE)


def _in_service(case: MentalHealthCase) -> None:
    _not_closed(case)
    if case.phase != "in_service":
        raise _conflict("not_in_service", mr.SERVICE)


def _v(code: str, rule: str, field: str | None, **values: object) -> Violation:
    message = mr.MESSAGES[code].format(**values)
    return Violation(code=code, rule=rule, field=field, message=message, sensitive=False)


def _refuse_any(*found: Violation | None) -> None:
    violations = [v for v in found if v is not None]
    if violations:
        raise Refused(violations)


def _conflict(code: str, rule: str, field: str | None = None, **values: object) -> Conflict:
    return Conflict([_v(code, rule, field, **values)])
