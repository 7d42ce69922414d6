"""The state of a case's mental-health service, folded from its events, and what it waits for.

Pure: `evolve` applies one event, `fold` a stream; `next_due` lists what the case waits for with
the clause that asks for it. Deadlines in working days are given as a span from a fact, since the
working-day calendar (DOMAIN §13) is kept by notify's clock table; wall-clock ones as a time.
"""

from __future__ import annotations

import math
from calendar import monthrange
from datetime import date, datetime, timedelta
from functools import singledispatch
from typing import Literal

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
    PlanAdjusted,
    PlanReturned,
    PlanSubmitted,
    ReferralRequired,
    SessionRecorded,
    WorkerChanged,
)
from assessment.domain.mental_health_forms import (
    ClientRequestKind,
    ClosureForm,
    Frequency,
    RiskLevel,
)
from events.domain import EventData

Phase = Literal[
    "new",  # nothing but risk grades yet
    "assessing",  # feasibility assessment submitted or returned (JX-7.1)
    "assessed",  # feasibility approved: a plan may be made (JX-7.2)
    "in_service",  # agreement signed: sessions (JX-7.3)
    "closed",  # closure confirmed (JX-7.5)
]
ItemKind = Literal["feasibility", "plan", "closure"]


class _State(BaseModel):
    model_config = ConfigDict(frozen=True)


class Pending(_State):
    """An item put to the supervisor and not yet approved or returned."""

    item_id: str
    kind: ItemKind
    submitted_by: str
    submitted_at: datetime
    returned: bool = False


class PlanTerms(_State):
    """What the agreed (or last approved) plan says, readable."""

    planned_sessions: int
    minimum_sessions: int
    frequency: Frequency
    session_minutes: int
    risk_level: RiskLevel
    starts_on: date
    ends_on: date


class SessionFacts(_State):
    number: int
    started_at: datetime
    minutes: int


class ClientRequest(_State):
    request_id: str
    kind: ClientRequestKind
    received_at: datetime
    reported_at: datetime | None = None
    resolved: bool = False


class MentalHealthCase(_State):
    """What the rules need to know of a case; folded from its events by `evolve`."""

    case_id: str
    organisation: str | None = None
    phase: Phase = "new"
    worker_id: str | None = None
    risk_level: RiskLevel | None = None
    graded_at: datetime | None = None
    designated: bool = False
    intake_instrument: str | None = None
    referral_triggers: tuple[str, ...] = ()
    referral_raised_at: datetime | None = None
    pending: Pending | None = None
    feasibility_item: str | None = None  # the approved feasibility assessment (M-3)
    feasibility_filed_at: datetime | None = None  # filed with the entrustor (M-3)
    closure_form: ClosureForm | None = None
    submitted_plan: PlanTerms | None = None
    plan: PlanTerms | None = None
    agreement_signed_at: datetime | None = None
    sessions: tuple[SessionFacts, ...] = ()
    midterm_reviewed_at: datetime | None = None
    adjustments_open: tuple[tuple[str, datetime], ...] = ()
    client_requests: tuple[ClientRequest, ...] = ()
    closed_at: datetime | None = None
    followups: tuple[datetime, ...] = ()
    fully_closed_at: datetime | None = None
    version: int = 0

    @property
    def referral_open(self) -> bool:
        return bool(self.referral_triggers) and self.phase != "closed"

    @property
    def service_subject(self) -> bool:
        """JX-5.1: medium or high risk, or designated by the department."""
        return self.designated or self.risk_level in mr.SUBJECT_LEVELS

    @property
    def minimum_sessions(self) -> int:
        return minimum_sessions(self.risk_level)


def minimum_sessions(risk_level: RiskLevel | None) -> int:
    """M-4, M-7: at least 6 sessions in any plan, 12 for a high-risk case."""
    by_risk = mr.MIN_SESSIONS_BY_RISK.get(risk_level) if risk_level else None
    return max(mr.MIN_PLAN_SESSIONS, by_risk or 0)


# --- what is due next -------------------------------------------------------------------------


class DueItem(_State):
    """Something the case is waiting for; `due_at` for wall-clock spans, else `within` a number
    of working days `since` a fact (notify's clock table computes those dates)."""

    code: str
    rule: str
    domain_rule: str
    since: datetime | None = None
    due_at: datetime | None = None
    within_working_days: int | None = None


def next_due(case: MentalHealthCase) -> list[DueItem]:
    """What the case waits for now, most pressing first."""
    items: list[DueItem] = []
    if case.phase == "closed":
        return _after_closure(case)
    if case.referral_open:
        items.append(_due("refer_at_once", mr.REFERRAL, since=case.referral_raised_at))
    if case.pending is not None:
        who = "revise" if case.pending.returned else "supervisor_review"
        items.append(_due(f"{who}_{case.pending.kind}", mr.REVIEW, since=case.pending.submitted_at))
    items += _start_items(case)
    items += _service_items(case)
    return items


def _after_closure(case: MentalHealthCase) -> list[DueItem]:
    """SZ-6.6: a follow-up within 6 months of closure, then the full-closure assessment."""
    if case.fully_closed_at is not None or case.closed_at is None:
        return []
    if not case.followups:
        due = add_months(case.closed_at, mr.FOLLOW_UP_MONTHS)
        return [_due("post_closure_follow_up", mr.FOLLOW_UP, since=case.closed_at, due_at=due)]
    return [_due("full_closure_assessment", mr.FOLLOW_UP, since=case.followups[-1])]


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, clamped to the month's end (31 Aug + 6 months: 28/29 Feb)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def _start_items(case: MentalHealthCase) -> list[DueItem]:
    if case.sessions or case.phase == "closed":
        return []
    found = []
    if case.agreement_signed_at is not None:
        found.append(
            _due(
                "start_service",
                mr.SERVICE,
                since=case.agreement_signed_at,
                within=mr.START_AFTER_AGREEMENT,
            )
        )
    start_days = mr.START_BY_RISK.get(case.risk_level or "")
    if start_days is not None and case.graded_at is not None:
        found.append(
            _due(
                f"start_service_{case.risk_level}_risk",
                mr.SERVICE,
                since=case.graded_at,
                within=start_days,
            )
        )
    if case.phase in ("new", "assessing") and case.pending is None:
        found.append(_due("feasibility_assessment", mr.FEASIBILITY))
    ready = case.phase == "assessed" and case.pending is None and not case.referral_open
    if ready and case.feasibility_filed_at is None:
        found.append(_due("file_feasibility_with_entrustor", mr.REVIEW))
    elif ready:
        found.append(_due("service_plan", mr.PLAN))
    return found


def _service_items(case: MentalHealthCase) -> list[DueItem]:
    if case.phase != "in_service" or case.plan is None:
        return []
    found = []
    for request in case.client_requests:
        if request.reported_at is None:
            found.append(
                _due(
                    "report_client_request",
                    mr.CLIENT_REQUEST,
                    since=request.received_at,
                    within=mr.REPORT_REQUEST_DAYS,
                )
            )
        elif not request.resolved:
            found.append(
                _due(
                    "adjust_for_client_request",
                    mr.CLIENT_REQUEST,
                    since=request.reported_at,
                    within=mr.ADJUST_DAYS,
                )
            )
    for _, since in case.adjustments_open:
        found.append(_due("adjust_plan", mr.ADJUST, since=since, within=mr.ADJUST_DAYS))
    if case.plan.planned_sessions < case.minimum_sessions:
        found.append(_due("plan_below_risk_minimum", mr.SERVICE))
    done = len(case.sessions)
    if case.midterm_reviewed_at is None and done >= math.ceil(case.plan.planned_sessions / 2):
        found.append(_due("midterm_review", mr.MIDTERM))
    if done >= case.plan.planned_sessions:
        found.append(_due("closure", mr.CLOSURE))
    elif case.sessions:
        last = case.sessions[-1].started_at
        gap = timedelta(days=mr.FREQUENCY_DAYS[case.plan.frequency])
        found.append(_due("next_session", mr.SERVICE, since=last, due_at=last + gap))
    return found


def _due(
    code: str,
    rule: str,
    *,
    since: datetime | None = None,
    due_at: datetime | None = None,
    within: int | None = None,
) -> DueItem:
    return DueItem(
        code=code,
        rule=rule,
        domain_rule=mr.DOMAIN_RULE_BY_CODE.get(code) or mr.DOMAIN_RULES[rule],
        since=since,
        due_at=due_at,
        within_working_days=within,
    )


# --- folding events into state ----------------------------------------------------------------


def evolve(case: MentalHealthCase, event: EventData) -> MentalHealthCase:
    """The case after one of its events (events of other types leave it as it was)."""
    change = _changes(event, case)
    return case.model_copy(update={**change, "version": case.version + 1})


def fold(case_id: str, events: list[EventData]) -> MentalHealthCase:
    case = MentalHealthCase(case_id=case_id)
    for event in events:
        case = evolve(case, event)
    return case


@singledispatch
def _changes(event: EventData, case: MentalHealthCase) -> dict[str, object]:
    """What one event changes in the case, one registered function per event type."""
    return {}


@_changes.register(MentalHealthRiskGraded)
def _risk_graded(event: MentalHealthRiskGraded, case: MentalHealthCase) -> dict[str, object]:
    return {
        "organisation": case.organisation or event.organisation,
        "risk_level": event.risk_level,
        "graded_at": event.assessed_at,
        "designated": case.designated or event.designated_by is not None,
    }


@_changes.register(ReferralRequired)
def _referral_required(event: ReferralRequired, case: MentalHealthCase) -> dict[str, object]:
    triggers = tuple(sorted(set(case.referral_triggers) | set(event.triggers)))
    return {"referral_triggers": triggers, "referral_raised_at": event.raised_at}


@_changes.register(FeasibilitySubmitted)
def _feasibility_submitted(
    event: FeasibilitySubmitted, case: MentalHealthCase
) -> dict[str, object]:
    return {
        "organisation": event.organisation,
        "phase": "assessing",
        "worker_id": event.worker_id,
        "intake_instrument": event.instrument,
        "pending": _pending_of(event, "feasibility"),
    }


@_changes.register(FeasibilityApproved)
def _feasibility_approved(event: FeasibilityApproved, case: MentalHealthCase) -> dict[str, object]:
    return {"phase": "assessed", "pending": None, "feasibility_item": event.item_id}


@_changes.register(FeasibilityFiled)
def _feasibility_filed(event: FeasibilityFiled, case: MentalHealthCase) -> dict[str, object]:
    return {"feasibility_filed_at": event.filed_at}


@_changes.register(FeasibilityReturned)
@_changes.register(PlanReturned)
@_changes.register(ClosureReturned)
def _returned(
    event: FeasibilityReturned | PlanReturned | ClosureReturned, case: MentalHealthCase
) -> dict[str, object]:
    pending = case.pending.model_copy(update={"returned": True}) if case.pending else None
    return {"pending": pending}


@_changes.register(PlanSubmitted)
def _plan_submitted(event: PlanSubmitted, case: MentalHealthCase) -> dict[str, object]:
    return {"pending": _pending_of(event, "plan"), "submitted_plan": _terms(event)}


@_changes.register(AgreementSigned)
def _agreement_signed(event: AgreementSigned, case: MentalHealthCase) -> dict[str, object]:
    return {
        "phase": "in_service",
        "pending": None,
        "plan": case.submitted_plan,
        "agreement_signed_at": event.signed_at,
    }


@_changes.register(PlanAdjusted)
def _plan_adjusted(event: PlanAdjusted, case: MentalHealthCase) -> dict[str, object]:
    done = set(event.client_request_ids)
    requests = tuple(
        r.model_copy(update={"resolved": True}) if r.request_id in done else r
        for r in case.client_requests
    )
    return {
        "pending": None,
        "plan": case.submitted_plan,
        "adjustments_open": (),
        "client_requests": requests,
    }


@_changes.register(AdjustmentInitiated)
def _adjustment_initiated(event: AdjustmentInitiated, case: MentalHealthCase) -> dict[str, object]:
    opened = (event.adjustment_id, event.initiated_at)
    return {"adjustments_open": (*case.adjustments_open, opened)}


@_changes.register(ClientRequestReceived)
def _request_received(event: ClientRequestReceived, case: MentalHealthCase) -> dict[str, object]:
    request = ClientRequest(
        request_id=event.request_id, kind=event.kind, received_at=event.received_at
    )
    return {"client_requests": (*case.client_requests, request)}


@_changes.register(ClientRequestReported)
def _request_reported(event: ClientRequestReported, case: MentalHealthCase) -> dict[str, object]:
    requests = tuple(
        r.model_copy(update={"reported_at": event.reported_at})
        if r.request_id == event.request_id
        else r
        for r in case.client_requests
    )
    return {"client_requests": requests}


@_changes.register(WorkerChanged)
def _worker_changed(event: WorkerChanged, case: MentalHealthCase) -> dict[str, object]:
    return {"worker_id": event.to_worker}


@_changes.register(SessionRecorded)
def _session_recorded(event: SessionRecorded, case: MentalHealthCase) -> dict[str, object]:
    facts = SessionFacts(number=event.number, started_at=event.started_at, minutes=event.minutes)
    return {"sessions": (*case.sessions, facts)}


@_changes.register(MidtermReviewed)
def _midterm_reviewed(event: MidtermReviewed, case: MentalHealthCase) -> dict[str, object]:
    return {"midterm_reviewed_at": event.reviewed_at}


@_changes.register(ClosureSubmitted)
def _closure_submitted(event: ClosureSubmitted, case: MentalHealthCase) -> dict[str, object]:
    return {"pending": _pending_of(event, "closure"), "closure_form": event.form}


@_changes.register(ClosureRecorded)
def _closure_recorded(event: ClosureRecorded, case: MentalHealthCase) -> dict[str, object]:
    return {"phase": "closed", "pending": None, "closed_at": event.closed_at}


@_changes.register(FollowUpRecorded)
def _follow_up_recorded(event: FollowUpRecorded, case: MentalHealthCase) -> dict[str, object]:
    return {"followups": (*case.followups, event.followed_up_at)}


@_changes.register(FullyClosed)
def _fully_closed(event: FullyClosed, case: MentalHealthCase) -> dict[str, object]:
    return {"fully_closed_at": event.assessed_at}


def _pending_of(
    event: FeasibilitySubmitted | PlanSubmitted | ClosureSubmitted, kind: ItemKind
) -> Pending:
    return Pending(
        item_id=event.item_id,
        kind=kind,
        submitted_by=event.submitted_by,
        submitted_at=event.submitted_at,
    )


def _terms(event: PlanSubmitted) -> PlanTerms:
    return PlanTerms(
        planned_sessions=event.planned_sessions,
        minimum_sessions=event.minimum_sessions,
        frequency=event.frequency,
        session_minutes=event.form.session_minutes,
        risk_level=event.risk_level,
        starts_on=event.form.starts_on,
        ends_on=event.form.ends_on,
    )
