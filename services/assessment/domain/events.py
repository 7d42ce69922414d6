"""Event types of the assessment service, registered in `events.registry.registry`.

Names follow `assessment.<aggregate>.<fact>`. Free text about a child (notes) is declared
personal and encrypted with the data key of the event's key scope, the case id, so shredding
the case's key makes it unreadable wherever the event was copied. The structured ratings and
the evaluator's answer are codes, not free text, and stay readable for the read models and
the services that react to a grade.
"""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assessment.domain.family_education import FamilyEducationResult
from assessment.domain.guardianship import (
    GuardianshipFindings,
    GuardianshipInput,
    GuardianshipResult,
    Requirement,
)
from assessment.domain.mental_health_forms import (
    ClientConsent,
    ClientRequestKind,
    ClosureForm,
    ClosureReason,
    Cooperation,
    FeasibilityForm,
    Frequency,
    MidtermDecision,
    PlanForm,
    RiskLevel,
    SessionText,
    Trend,
    Trigger,
)
from assessment.domain.safety_risk import SafetyRiskInput, SafetyRiskResult
from events.domain import EventData, registry

GenderSource = Literal["request", "intake.case.opened", "intake.child.registered"]


class Assessor(BaseModel):
    """A worker who took part in an assessment (their work identity, not a child's data)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    worker_id: str = Field(min_length=1, max_length=100)
    gender: Literal["male", "female"]


@registry.register("assessment.safety.risk_graded", 1, personal={"notes"})
class SafetyRiskGradedV1(EventData):
    """A case's safety risk was graded under rule set SZ-2023-B (SZ-6.3, Appendix B).

    `inputs` and `result` are the evaluator's input and answer as they were, so the grade can
    be re-checked against the rule set it names; `supersedes` names the assessment this one
    replaces as the case's current grade (None for the first).
    """

    model_config = ConfigDict(title="SafetyRiskGraded")

    case_id: str
    assessment_id: str
    organisation: str
    assessed_at: datetime
    child_gender: Literal["male", "female"]
    child_gender_source: Literal["request", "intake.case.opened"]
    assessors: list[Assessor]
    inputs: SafetyRiskInput
    rule_set: str
    result: SafetyRiskResult
    supersedes: str | None = None
    notes: str | None = None


@registry.register("assessment.safety.risk_graded", 2, personal={"notes"})
class SafetyRiskGraded(SafetyRiskGradedV1):
    """v2: the child's gender may come from intake's child registry (`intake.child.registered`);
    otherwise as v1, which is upcast unchanged."""

    child_gender_source: GenderSource  # type: ignore[assignment]  # v2 widens v1


registry.upcaster("assessment.safety.risk_graded", from_version=1)(dict)


# --- mental-health service (DOMAIN §6, DB36/T 2143-2025) --------------------------------------
# Structured codes stay readable (notify's clocks and the referral service act on them); every
# form's free text, test scores and reviewers' comments are personal, encrypted under the case id.


@registry.register("assessment.mental_health_assessment.risk_graded", 1, personal={"notes"})
class MentalHealthRiskGraded(EventData):
    """A test or dynamic monitoring graded the child's mental-health risk (M-1, JX-6.1.1);
    `service_subject` says whether JX-5.1 makes the child a subject of the service."""

    case_id: str
    grading_id: str
    organisation: str
    risk_level: RiskLevel
    instrument: str
    assessed_at: datetime
    graded_by: str
    designated_by: str | None = None
    service_subject: bool
    referral_triggers: list[Trigger] = Field(default_factory=list)
    notes: str | None = None


@registry.register("assessment.mental_health_assessment.referral_required", 1)
class ReferralRequired(EventData):
    """An M-2 condition was found: the case is to be referred at once (JX-7.1.2, JX-7.4.1)."""

    case_id: str
    organisation: str
    triggers: list[str] = Field(description="M-2 conditions found, or the mid-term reason")
    raised_by: Literal["risk_grading", "feasibility", "midterm_review"]
    source_id: str
    rule: str
    raised_at: datetime


@registry.register(
    "assessment.mental_health_assessment.feasibility_submitted", 1, personal={"form"}
)
class FeasibilitySubmitted(EventData):
    """A worker completed the Appendix A feasibility assessment; it awaits the supervisor's
    review (JX-7.1.3). The worker named takes the case on their caseload (M-6)."""

    case_id: str
    item_id: str
    organisation: str
    worker_id: str
    submitted_by: str
    submitted_at: datetime
    conclusion: Literal["serve", "refer"]
    referral_triggers: list[Trigger]
    instrument: str
    form: FeasibilityForm


@registry.register(
    "assessment.mental_health_assessment.feasibility_approved", 1, personal={"comments"}
)
class FeasibilityApproved(EventData):
    case_id: str
    item_id: str
    reviewed_by: str
    reviewed_at: datetime
    comments: str | None = None


@registry.register(
    "assessment.mental_health_assessment.feasibility_returned", 1, personal={"comments"}
)
class FeasibilityReturned(EventData):
    case_id: str
    item_id: str
    reviewed_by: str
    reviewed_at: datetime
    comments: str


@registry.register("assessment.mental_health_assessment.feasibility_filed", 1)
class FeasibilityFiled(EventData):
    """M-3 (JX-7.1.3): the provider filed the reviewed (approved) feasibility assessment
    `item_id` with the entrustor; the plan and the agreement come after it. The entrustor is
    an organisation, not a person."""

    case_id: str
    item_id: str
    organisation: str
    entrustor: str
    reference: str | None = None
    filed_by: str
    filed_at: datetime
    rule: str


@registry.register("assessment.service_plan.submitted", 1, personal={"form"})
class PlanSubmitted(EventData):
    """A worker put an Appendix B plan (or a revision of it) to the supervisor."""

    case_id: str
    item_id: str
    organisation: str
    submitted_by: str
    submitted_at: datetime
    revision: bool
    risk_level: RiskLevel
    minimum_sessions: int
    planned_sessions: int
    frequency: Frequency
    form: PlanForm


@registry.register("assessment.service_plan.returned", 1, personal={"comments"})
class PlanReturned(EventData):
    case_id: str
    item_id: str
    reviewed_by: str
    reviewed_at: datetime
    comments: str


@registry.register("assessment.service_plan.agreement_signed", 1, personal={"comments"})
class AgreementSigned(EventData):
    """The plan is agreed: number, content and period of the service, consented to by the client
    or guardian and confirmed by the supervisor (M-3, M-4); the M-5 start clock runs from here."""

    case_id: str
    organisation: str
    item_id: str
    worker_id: str
    risk_level: RiskLevel
    planned_sessions: int
    minimum_sessions: int
    frequency: Frequency
    starts_on: date
    ends_on: date
    signed_at: datetime
    approved_by: str
    rule_set: str
    comments: str | None = None


@registry.register("assessment.service_plan.adjustment_initiated", 1, personal={"notes"})
class AdjustmentInitiated(EventData):
    """A plan adjustment was opened; it is to be done within 5 working days (M-4, JX-7.2.2)."""

    case_id: str
    organisation: str
    adjustment_id: str
    reason: Literal["client_change", "worker_decision", "midterm_review", "risk_changed"]
    initiated_by: str
    initiated_at: datetime
    notes: str | None = None


@registry.register("assessment.service_plan.adjusted", 1, personal={"comments"})
class PlanAdjusted(EventData):
    """The supervisor approved the revised plan: open adjustments and client requests are done."""

    case_id: str
    item_id: str
    risk_level: RiskLevel
    planned_sessions: int
    minimum_sessions: int
    frequency: Frequency
    adjusted_at: datetime
    approved_by: str
    adjustment_ids: list[str]
    client_request_ids: list[str]
    comments: str | None = None


@registry.register("assessment.service_plan.client_request_received", 1, personal={"detail"})
class ClientRequestReceived(EventData):
    """The client asked to pause, change or stop the service (M-9, JX-7.4.2)."""

    case_id: str
    organisation: str
    request_id: str
    kind: ClientRequestKind
    received_at: datetime
    received_by: str
    detail: str | None = None


@registry.register("assessment.service_plan.client_request_reported", 1)
class ClientRequestReported(EventData):
    """The worker reported the client's request to the provider (M-9: within 2 working days)."""

    case_id: str
    organisation: str
    request_id: str
    kind: ClientRequestKind
    reported_at: datetime
    reported_by: str


@registry.register("assessment.service_plan.worker_changed", 1, personal={"reason"})
class WorkerChanged(EventData):
    """Another worker took over the case with the client's recorded consent (M-6, JX-7.3)."""

    case_id: str
    from_worker: str
    to_worker: str
    consent: ClientConsent
    changed_by: str
    changed_at: datetime
    reason: str | None = None


@registry.register("assessment.session.recorded", 1, personal={"text"})
class SessionRecorded(EventData):
    """One session of the plan took place (Appendix C, M-7)."""

    case_id: str
    session_id: str
    number: int
    planned_sessions: int
    worker_ids: list[str]
    started_at: datetime
    ended_at: datetime
    minutes: int
    home_visit: bool
    guardian_present: bool
    guardian_informed: bool
    recorded_by: str
    text: SessionText


@registry.register("assessment.service_plan.midterm_reviewed", 1, personal={"findings"})
class MidtermReviewed(EventData):
    """The supervisor's mid-term evaluation of the service (M-8, JX-7.4.1)."""

    case_id: str
    review_id: str
    reviewed_by: str
    reviewed_at: datetime
    sessions_done: int
    trend: Trend
    significant_deterioration: bool
    expected_effect_unlikely: bool
    referral_triggers: list[Trigger]
    decision: MidtermDecision
    findings: str | None = None


@registry.register("assessment.closure.submitted", 1, personal={"form"})
class ClosureSubmitted(EventData):
    """A worker put the Appendix D closure to the supervisor (M-10, JX-7.5)."""

    case_id: str
    item_id: str
    organisation: str
    submitted_by: str
    submitted_at: datetime
    reason: ClosureReason
    form: ClosureForm


@registry.register("assessment.closure.returned", 1, personal={"comments"})
class ClosureReturned(EventData):
    case_id: str
    item_id: str
    reviewed_by: str
    reviewed_at: datetime
    comments: str


class OutcomeIndicators(BaseModel):
    """The case's share of the entrustor's indicators (JX-7.5.3, DOMAIN §10); None = not known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plan_completion_rate: float
    goal_achievement_rate: float | None
    goal_reasonableness_rate: float | None
    sessions_on_schedule_rate: float | None
    client_satisfaction: int | None
    client_cooperation: Cooperation | None
    same_instrument_as_intake: bool | None


@registry.register("assessment.closure.recorded", 1, personal={"comments"})
class ClosureRecorded(EventData):
    """The supervisor confirmed the closure: the case is closed (M-10, SZ-6.5)."""

    case_id: str
    organisation: str
    item_id: str
    worker_id: str | None
    reason: ClosureReason
    closed_at: datetime
    approved_by: str
    sessions_done: int
    planned_sessions: int | None
    indicators: OutcomeIndicators
    rule_set: str
    comments: str | None = None


@registry.register("assessment.closure.followup_recorded", 1, personal={"notes"})
class FollowUpRecorded(EventData):
    """A follow-up of the closed case took place (SZ-6.6): by phone, home visit or the child's
    support network; `within_window` says whether it fell within 6 months of closure."""

    case_id: str
    followup_id: str
    number: int
    method: Literal["phone", "home_visit", "support_network"]
    followed_up_at: datetime
    within_window: bool
    recorded_by: str
    notes: str | None = None


@registry.register("assessment.closure.fully_closed", 1, personal={"notes"})
class FullyClosed(EventData):
    """An assessment after the follow-ups found the conditions of full closure met (SZ-6.6)."""

    case_id: str
    assessed_by: str
    assessed_at: datetime
    followups: int
    notes: str | None = None


# --- compulsory family education (SZ-6.4.4, Appendix I) ---------------------------------------


@registry.register("assessment.family_education_order.issued", 1, personal={"guardian"})
class FamilyEducationOrdered(EventData):
    """Police ordered the guardian to take family education (SZ-6.4.4); hours from table I.1."""

    case_id: str
    order_id: str
    organisation: str
    ordered_by: str
    issued_by: str
    issued_at: datetime
    starts_on: date
    months: int
    ends_on: date
    ordered_hours: int
    result: FamilyEducationResult
    guardian: str | None = None


@registry.register("assessment.family_education_order.session_recorded", 1, personal={"notes"})
class FamilyEducationSessionRecorded(EventData):
    case_id: str
    order_id: str
    kind: str
    hours: int
    held_on: date
    recorded_by: str
    hours_delivered: int
    notes: str | None = None


@registry.register("assessment.family_education_order.extended", 1, personal={"reason"})
class FamilyEducationExtended(EventData):
    case_id: str
    order_id: str
    months: int
    total_months: int
    ends_on: date
    extended_by: str
    extended_at: datetime
    reason: str | None = None


@registry.register("assessment.family_education_order.completed", 1)
class FamilyEducationCompleted(EventData):
    case_id: str
    order_id: str
    completed_on: date
    completed_by: str
    hours_delivered: int


# --- guardianship capacity assessment (SZ Appendix D, SZ-6.4.2, SZ-6.4.3) ---------------------


@registry.register("assessment.guardianship.capacity_assessed", 1, personal={"findings", "notes"})
class GuardianshipCapacityAssessedV1(EventData):
    """The family's guardianship capacity was assessed under rule set SZ-2023-D (Appendix D).

    `inputs` (appraisal codes and the recorded conclusion) and `result` stay readable; the
    findings of table D.2 and the notes are personal. `requirement` is what §6.4 asked at the
    case's safety grade when it was recorded; `supersedes` names the assessment replaced.
    """

    model_config = ConfigDict(title="GuardianshipCapacityAssessed")

    case_id: str
    assessment_id: str
    organisation: str
    assessed_at: datetime
    child_gender: Literal["male", "female"]
    child_gender_source: Literal["request", "intake.case.opened"]
    assessors: list[Assessor]
    guardian_declares_inability: bool
    guardianship_disputed: bool
    requirement: Requirement
    inputs: GuardianshipInput
    rule_set: str
    result: GuardianshipResult
    supersedes: str | None = None
    findings: GuardianshipFindings | None = None
    notes: str | None = None


@registry.register("assessment.guardianship.capacity_assessed", 2, personal={"findings", "notes"})
class GuardianshipCapacityAssessed(GuardianshipCapacityAssessedV1):
    """v2: the child's gender may come from intake's child registry; v1 is upcast unchanged."""

    child_gender_source: GenderSource  # type: ignore[assignment]  # v2 widens v1


registry.upcaster("assessment.guardianship.capacity_assessed", from_version=1)(dict)


# --- tasks from a safety grade's required actions (SZ-6.4) -------------------------------------
# The contract agreed with notify: notify starts a clock on `task.set` and stops it on
# `task.completed` or `task.cancelled`. Worker ids are work identities, not a child's data.


@registry.register("assessment.task.set", 1)
class TaskSet(EventData):
    """An action §6.4 requires at the case's grade became a task due at `due_at`;
    `source_event_id` is the `safety.risk_graded` event that required it."""

    task_id: str
    case_id: str
    code: str
    clause: str
    due_at: datetime
    assignee_ids: list[str]
    source_event_id: str


@registry.register("assessment.task.completed", 1)
class TaskCompleted(EventData):
    """An assignee or a supervisor recorded the task as done."""

    task_id: str
    case_id: str
    code: str
    completed_at: datetime


@registry.register("assessment.task.cancelled", 1)
class TaskCancelled(EventData):
    """An open task ended undone: `superseded` when a regrade replaced the grade requiring it."""

    task_id: str
    case_id: str
    code: str
    reason_code: str


# --- crisis intervention (M-11, JX-7.6.1) and the child's interview (I-6, MZ-5.2.3) ------------


@registry.register("assessment.crisis.recorded", 1, personal={"summary"})
class CrisisRecorded(EventData):
    """M-11: a serious risk to the child was found (`conditions`, JX-7.6.1) and crisis
    intervention started; `required` lists the actions those conditions ask for."""

    crisis_id: str
    case_id: str
    organisation: str
    detected_at: datetime
    conditions: list[str]
    required: list[str]
    recorded_by: str
    rule: str
    summary: str | None = None


@registry.register("assessment.crisis.action_recorded", 1, personal={"notes"})
class CrisisActionRecorded(EventData):
    """One action of the crisis intervention done (JX-7.6.1): a placement names who
    supported it (police, procuratorate, court, justice), a medical escort whether the
    guardian went."""

    crisis_id: str
    case_id: str
    code: str
    done_at: datetime
    supported_by: list[str] = Field(default_factory=list)
    with_guardian: bool | None = None
    recorded_by: str
    rule: str
    notes: str | None = None


@registry.register(
    "assessment.child_interview.recorded", 1, personal={"place", "record", "repeat_reason"}
)
class ChildInterviewRecorded(EventData):
    """I-6 (MZ-5.2.3, JX-4.5): the child was interviewed about `matter` (the harm it is about,
    e.g. its report id). The first record of a matter is the one every later step reads; a
    later one names the interview it `repeat_of` and why (`repeat_reason_code`)."""

    interview_id: str
    case_id: str
    organisation: str
    matter: str
    held_at: datetime
    interviewer_ids: list[str]
    recorded_by: str
    rule: str
    repeat_of: str | None = None
    repeat_reason_code: str | None = None
    place: str | None = None
    record: str
    repeat_reason: str | None = None


# --- supervisor review of a safety or guardianship assessment (MZ-7.4.3) -----------------------


@registry.register("assessment.case_assessment.approved", 1, personal={"comments"})
class CaseAssessmentApproved(EventData):
    """A supervisor approved a safety (Appendix B) or guardianship (Appendix D) assessment."""

    case_id: str
    assessment_id: str
    kind: Literal["safety", "guardianship"]
    reviewed_by: str
    reviewed_at: datetime
    comments: str | None = None


@registry.register("assessment.case_assessment.returned", 1, personal={"comments"})
class CaseAssessmentReturned(EventData):
    """A supervisor returned an assessment with comments; a reassessment supersedes it."""

    case_id: str
    assessment_id: str
    kind: Literal["safety", "guardianship"]
    reviewed_by: str
    reviewed_at: datetime
    comments: str
