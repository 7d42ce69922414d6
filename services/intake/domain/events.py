"""Event types of the intake service, registered in `events.registry.registry`.

Names follow `intake.<aggregate>.<fact>` and match the names notify's clock table listens for
(`services/notify/domain/clocks.py`, EVENT_CATALOG). Every field that names or identifies a
person, or tells in free text what happened to them, is declared personal and encrypted with
the data key of the event's key scope: the child's id for reports, children and cases (so a
child's archive can be handed over and its key shredded), `staff:<organisation>:<worker id>`
for staff events (`handlers.staff_scope`; events recorded before it used the stream id).
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.domain import EventData, registry
from intake.domain import Gender


class Source(StrEnum):
    """Where a report came from (I-1)."""

    HOTLINE = "hotline"  # NX-7.5
    MANDATORY_REPORT = "mandatory_report"  # SZ-5.2
    CIVIL_AFFAIRS_LIST = "civil_affairs_list"  # JX-7.1.1
    COMMUNITY_SCREENING = "community_screening"  # MZ-5.2.1, screening and visits
    REFERRAL = "referral"
    WALK_IN = "walk_in"


class StaffRole(StrEnum):
    WORKER = "worker"
    SUPERVISOR = "supervisor"


class Qualification(StrEnum):
    SOCIAL_WORKER = "social_worker"  # 社会工作者职业资格 (MZ-6.2.2 "qualified")
    SUPERVISOR_REGISTERED = "supervisor_registered"  # 督导资质备案 (SZ-7.1.5)
    PSYCHOLOGICAL_COUNSELLOR = "psychological_counsellor"


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reporter(Part):
    name: str
    organisation: str | None = None
    contact: str | None = None


class ChildDetails(Part):
    name: str
    gender: Gender
    birth_date: date | None = None
    resident_id: str | None = None  # normalised, checked under I-7
    address: str | None = None


class Addressee(Part):
    """An institution a mandatory report goes to, with the clause that names it."""

    key: str
    name: str
    contact: str | None
    rule: str


class Ground(Part):
    """Why a report is mandatory: a trigger of SZ-5.2.2 or the general duty of SZ-5.2.1."""

    trigger: int | None
    rule: str
    text: str


class Finding(Part):
    """A warning attached to a decision (it did not stop it), with its clause."""

    code: str
    rule: str
    message: str


# --- staff (DOMAIN §12) -------------------------------------------------------------------


@registry.register("intake.worker.registered", 1, personal={"name"})
class WorkerRegistered(EventData):
    worker_id: str
    organisation: str
    role: StaffRole
    name: str
    gender: Gender
    qualifications: list[Qualification]
    years_in_child_services: float = Field(ge=0)


@registry.register("intake.worker.background_check_recorded", 1, personal={"note"})
class BackgroundCheckRecordedV1(EventData):
    model_config = ConfigDict(title="BackgroundCheckRecorded")

    worker_id: str
    organisation: str
    checked_on: date
    clean: bool
    rule: str
    note: str | None = None


@registry.register("intake.worker.background_check_recorded", 2, personal={"clean", "note"})
class BackgroundCheckRecorded(BackgroundCheckRecordedV1):
    """The yearly criminal-record check (MZ-7.1.3). v2: its result `clean` is personal too (a
    failed check is a fact about the person), sealed under the staff scope; v1 upcast as is."""


@registry.register("intake.worker.suspended", 1)
class WorkerSuspendedV1(EventData):
    model_config = ConfigDict(title="WorkerSuspended")

    worker_id: str
    organisation: str
    suspended_on: date
    reason: str
    rule: str


@registry.register("intake.worker.suspended", 2, personal={"reason"})
class WorkerSuspended(WorkerSuspendedV1):
    """The person was stopped from work (MZ-7.1.3). v2: the `reason` is personal, sealed under
    the staff scope; `rule` stays in clear. v1 is upcast as is."""


@registry.register("intake.worker.deregistered", 1)
class WorkerDeregisteredV1(EventData):
    """The person no longer works for the organisation (left or dismissed, SZ-7.1.4): they
    leave every case at once and their yearly check is no longer due (DOMAIN §12)."""

    model_config = ConfigDict(title="WorkerDeregistered")

    worker_id: str
    organisation: str
    deregistered_on: date
    reason: Literal["left_organisation", "dismissed"]
    rule: str


@registry.register("intake.worker.deregistered", 2, personal={"reason"})
class WorkerDeregistered(WorkerDeregisteredV1):
    """As v1 (left or dismissed, SZ-7.1.4; DOMAIN §12), but whether the person was dismissed
    is personal: `reason` is sealed under the staff scope. v1 is upcast as is."""


# Each v2 above only declares more fields personal: the data keeps its shape.
registry.upcaster("intake.worker.background_check_recorded", from_version=1)(dict)
registry.upcaster("intake.worker.suspended", from_version=1)(dict)
registry.upcaster("intake.worker.deregistered", from_version=1)(dict)


# --- reports and mandatory reports (DOMAIN §2, §3) -------------------------------------------


@registry.register(
    "intake.report.received",
    1,
    personal={"reporter", "child", "place", "description"},
)
class ReportReceived(EventData):
    """A report of a child in difficulty came in (I-1); `emergency` starts the 24 h clock (I-3)."""

    report_id: str
    organisation: str
    child_id: str
    source: Source
    received_at: datetime
    received_by: str
    reporter: Reporter
    child: ChildDetails
    occurred_at: datetime | None
    place: str | None
    description: str
    triggers: list[int]
    emergency: bool
    mandatory: bool


@registry.register("intake.mandatory_report.filed", 1, personal={"place", "harm"})
class MandatoryReportFiled(EventData):
    """A mandatory report to the police, the responsible person of the place told (SZ-5.2.1),
    and civil affairs where it is among the recipients (SZ-6.2.1): time, place and harm."""

    report_id: str
    organisation: str
    child_id: str
    filed_at: datetime
    filed_by: str
    recipients: list[Addressee]
    grounds: list[Ground]
    triggers: list[int]
    emergency: bool
    occurred_at: datetime | None
    place: str | None
    harm: str
    warnings: list[Finding] = Field(default_factory=list)


@registry.register("intake.mandatory_report.acknowledged", 1, personal={"acknowledged_by"})
class MandatoryReportAcknowledged(EventData):
    """A recipient of a mandatory report acknowledged it (SZ-5.2.1, DOMAIN §3)."""

    report_id: str
    organisation: str
    child_id: str
    recipient: str
    acknowledged_by: str
    acknowledged_at: datetime
    reference: str | None
    recorded_by: str


@registry.register("intake.report.warnings_confirmed", 1)
class ReportWarningsConfirmed(EventData):
    """The worker who took the report confirmed what its warnings question (I-7: the ID
    number's gender digit against the stated gender). The findings name no personal data."""

    report_id: str
    organisation: str
    child_id: str
    warnings: list[Finding]
    confirmed_by: str
    confirmed_at: datetime


@registry.register("intake.report.civil_affairs_notified", 1)
class CivilAffairsNotified(EventData):
    """The supervising civil-affairs department was told of the intake (SZ-6.2.1, every
    report); notify's clock from `intake.report.received` stops here. `notified_by` is the
    staff member's id; `reference` the department's, if it gave one."""

    report_id: str
    organisation: str
    child_id: str
    notified_at: datetime
    notified_by: str
    reference: str | None
    rule: str


# --- child registry (一人一档, JX-9.1) -------------------------------------------------------


@registry.register("intake.child.registered", 1, personal={"child"})
class ChildRegistered(EventData):
    """A child entered the organisation's registry, from the report that first named them."""

    child_id: str
    organisation: str
    child: ChildDetails
    first_report_id: str


# --- cases (DOMAIN §2, I-5) -------------------------------------------------------------------


@registry.register("intake.case.opened", 1)
class CaseOpened(EventData):
    """A case was opened for a child from one or more reports about them."""

    case_id: str
    case_number: str
    organisation: str
    child_id: str
    report_ids: list[str]
    opened_at: datetime
    opened_by: str


@registry.register("intake.case.project_set", 1)
class CaseProjectSet(EventData):
    """The case belongs to the service project `project_id` that `entrustor_org` commissions
    (DOMAIN §1: the entrustor sees its projects' cases); set again to move it."""

    case_id: str
    organisation: str
    project_id: str
    entrustor_org: str
    set_at: datetime
    set_by: str


@registry.register("intake.case.emergency_access_granted", 1, personal={"reason"})
class EmergencyAccessGranted(EventData):
    """A supervisor outside the case's organisation opened it in an emergency ("breaking the
    glass"), saying why; they may read it until `until`. The case's organisation's admins are
    notified (`notify_roles`); the reason may name people and is sealed."""

    case_id: str
    organisation: str
    granted_to: str
    granted_to_organisation: str
    reason: str
    granted_at: datetime
    until: datetime
    notify_roles: list[str]


@registry.register("intake.case.team_assigned", 1)
class TeamAssigned(EventData):
    """The investigation team was set (MZ-6.2.2: two qualified workers, a woman for a girl)."""

    case_id: str
    organisation: str
    child_id: str
    worker_ids: list[str]
    assigned_on: date
    assigned_by: str
    rule: str


@registry.register("intake.case.worker_removed", 1)
class WorkerRemovedV1(EventData):
    """A worker was taken off a case; after a positive background check at once (MZ-7.1.3)."""

    model_config = ConfigDict(title="WorkerRemoved")

    case_id: str
    organisation: str
    child_id: str
    worker_id: str
    removed_on: date
    reason: str
    rule: str


@registry.register("intake.case.worker_removed", 2, personal={"reason"})
class WorkerRemoved(WorkerRemovedV1):
    """A worker was taken off a case (MZ-7.1.3, §12). v2: the `reason` repeats a staff fact (a
    positive check, a dismissal) and is personal, sealed with the case's other events under the
    child's scope; `worker_id` and `rule` stay in clear. v1 is upcast as is."""


registry.upcaster("intake.case.worker_removed", from_version=1)(dict)


@registry.register("intake.case.understaffed", 1)
class CaseUnderstaffed(EventData):
    """A worker's removal (suspension, MZ-7.1.3; leaving, §12) left the case's team short of
    what its work needs (MZ-6.2.2: two qualified, cleared workers, a woman for a girl): the
    case is flagged and `notify_roles` told to complete the team. `shortfalls` are the codes
    of the rule's violations (`team_too_few_qualified`, `team_no_female_worker`)."""

    case_id: str
    organisation: str
    child_id: str
    remaining_worker_ids: list[str]
    removed_worker_id: str
    shortfalls: list[str]
    flagged_on: date
    notify_roles: list[str]
    rule: str


# --- case work: visits, investigation, initial statement, consent (DOMAIN §2, I-2 to I-5) ------


class Investigation(Part):
    """What the investigation found (SZ-6.2.2, I-4); every item is free text about the child."""

    harm_type: str
    degree: str
    time_and_place: str
    environment_or_perpetrator: str
    related_persons: str | None = None
    social_support: str | None = None
    usable_resources: str | None = None
    other: str | None = None


class InitialStatement(Part):
    """The initial case statement (SZ-6.2.1, I-2)."""

    basic_info: str
    situation: str
    needs: str
    next_steps: str


class ConsentScope(StrEnum):
    """What a person consented to."""

    SERVICE = "service"  # 知情同意书 for the service (JX-7.2.3)
    RECORDING = "recording"  # photos, audio or video during service (SZ-7.3.3)
    INFORMATION_SHARING = "information_sharing"  # with other departments (JX-9.3)
    REFERRAL = "referral"  # to another institution (JX-6.2.1)


@registry.register("intake.case.visit_recorded", 1, personal={"place", "notes"})
class VisitRecorded(EventData):
    """A home visit took place (JX-7.3); the first one stops the 24 h clock of the case's
    reports (I-3), which is why it carries their ids."""

    case_id: str
    organisation: str
    child_id: str
    report_ids: list[str]
    visit_id: str
    visited_at: datetime
    worker_ids: list[str]
    guardian_present: bool
    guardian_informed: bool
    first_visit: bool
    place: str | None
    notes: str | None
    recorded_by: str
    rule: str


@registry.register("intake.case.investigation_recorded", 1, personal={"findings"})
class InvestigationRecordedV1(EventData):
    """The investigation's findings (SZ-6.2.2, I-4); a later one adds to the earlier ones."""

    model_config = ConfigDict(title="InvestigationRecorded")

    case_id: str
    organisation: str
    child_id: str
    report_ids: list[str]
    investigated_at: datetime
    findings: Investigation
    recorded_by: str
    rule: str


@registry.register("intake.case.investigation_recorded", 2, personal={"findings"})
class InvestigationRecorded(InvestigationRecordedV1):
    """As v1, with who investigated (`investigator_ids`, staff ids in clear): at least two
    qualified, cleared workers, a woman among them for a girl (MZ-6.2.2, I-5). v1 is upcast
    with none named (recorded before they were)."""

    investigator_ids: list[str]


@registry.upcaster("intake.case.investigation_recorded", from_version=1)
def _investigators_unnamed(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "investigator_ids": []}


@registry.register("intake.case.initial_statement_recorded", 1, personal={"statement"})
class InitialStatementRecorded(EventData):
    """The initial case statement was produced (SZ-6.2.1, I-2): stops the 72 h clock of every
    report in `report_ids`."""

    case_id: str
    organisation: str
    child_id: str
    report_ids: list[str]
    stated_at: datetime
    statement: InitialStatement
    recorded_by: str
    rule: str


@registry.register("intake.case.consent_recorded", 1, personal={"given_by", "note"})
class ConsentRecorded(EventData):
    """Who consented to what, when (JX-7.2.3)."""

    case_id: str
    organisation: str
    child_id: str
    consent_id: str
    given_by: str
    relation: str
    scopes: list[ConsentScope]
    given_at: datetime
    note: str | None
    recorded_by: str
    rule: str


# --- case status (DOMAIN §9-11) -------------------------------------------------------------


@registry.register("intake.case.status_changed", 1, personal={"reason"})
class CaseStatusChanged(EventData):
    """The case moved from one status to another; `cause` names the other service's event
    that moved it, None when a person of this organisation did."""

    case_id: str
    organisation: str
    child_id: str
    from_status: str
    to_status: str
    changed_at: datetime
    changed_by: str
    reason: str | None
    cause: str | None
    rule: str


# --- child categories and household (SZ-5.8.1, JX-9.2) --------------------------------------


class ChildCategory(StrEnum):
    """Why a child is in difficulty; the first seven are the follow-up categories of SZ-5.8.1,
    with the values notify's clock table uses."""

    SERIOUS_VIOLENCE = "serious_violence"
    SEVERE_ILLNESS_OR_DISABILITY = "severe_illness_or_disability"
    DE_FACTO_UNSUPPORTED = "de_facto_unsupported"
    SCATTERED_ORPHAN = "scattered_orphan"
    PARENT_SEVERELY_ILL_OR_DISABLED = "parent_severely_ill_or_disabled"
    POOR_FAMILY = "poor_family"
    VAGRANCY_HISTORY = "vagrancy_history"
    ORPHAN_IN_CARE = "orphan_in_care"
    GUARDIANSHIP_ABSENT = "guardianship_absent"
    GUARDIANSHIP_IMPROPER = "guardianship_improper"
    GUARDIANSHIP_INFRINGING = "guardianship_infringing"
    LEFT_BEHIND = "left_behind"
    OTHER = "other"


@registry.register("intake.child.categories_set", 1, personal={"evidence"})
class ChildCategoriesSetV1(EventData):
    """The child's categories, each with its evidence (the whole set; replaces the last)."""

    model_config = ConfigDict(title="ChildCategoriesSet")

    child_id: str
    organisation: str
    case_id: str
    categories: list[ChildCategory]
    evidence: dict[str, str]
    set_at: datetime
    set_by: str
    rule: str


@registry.register("intake.child.categories_set", 2, personal={"categories", "evidence"})
class ChildCategoriesSet(ChildCategoriesSetV1):
    """The child's categories, each with its evidence (the whole set; replaces the last). v2:
    the `categories` say what the child lives through and are personal, sealed under the
    child's scope like the evidence. v1 is upcast as is."""


registry.upcaster("intake.child.categories_set", from_version=1)(dict)


@registry.register("intake.case.followup_category_set", 1)
class FollowupCategorySet(EventData):
    """The category that sets the child's follow-up visits (SZ-5.8.2) was set or changed;
    notify ends the old schedule and starts the one for `category`."""

    case_id: str
    organisation: str
    child_id: str
    category: ChildCategory
    previous: ChildCategory | None
    set_at: datetime
    set_by: str
    rule: str


class Guardian(Part):
    name: str
    relation: str
    contact: str | None = None
    lives_with_child: bool = True


class FamilyMember(Part):
    name: str
    relation: str


class Minor(Part):
    """Another minor of the family not registered here (a registered one is a sibling id)."""

    name: str
    relation: str
    birth_date: date | None = None


@registry.register(
    "intake.child.household_recorded", 1, personal={"guardians", "members", "other_minors"}
)
class HouseholdRecorded(EventData):
    """Who the child lives with (JX-9.2 basic information; the whole household, replacing the
    last). A sibling with their own record is linked by `sibling_ids`, never copied."""

    child_id: str
    organisation: str
    case_id: str
    guardians: list[Guardian]
    members: list[FamilyMember]
    other_minors: list[Minor]
    sibling_ids: list[str]
    recorded_at: datetime
    recorded_by: str


# --- case lifecycle: facts learnt from other services, closing work, follow-ups ---------------
# (SZ-6.1 steps: investigation, analysis, intervention, closing, follow-up; SZ-6.3 to SZ-6.6,
# MZ-6.4). Free text about the child and the names of whom the ending was told are personal.


class ClosingWork(StrEnum):
    """What closing a case asks for (SZ-6.5, MZ-6.4, SZ-6.6), as the case's state counts it."""

    EFFECT_SUMMARY = "effect_summary"  # 总结工作: the effect of the intervention (SZ-6.5)
    ENDING_NOTICE = "ending_notice"  # 解除工作关系: told in advance when it ends (SZ-6.5)
    CLOSING_RECORD = "closing_record"  # 结案记录, filed with the organisation (SZ-6.5)
    SERVICE_REPORT = "service_report"  # 总结报告 of MZ-6.4.2
    FOLLOWUP_PLANNED = "followup_planned"  # time, frequency, method of follow-ups (MZ-6.4.3)
    FOLLOWUP_DONE = "followup_done"  # a follow-up after closure took place (SZ-6.6)
    FULL_CLOSURE = "full_closure"  # an assessment found full closure's conditions met (SZ-6.6)


class FollowupMethod(StrEnum):
    """The three ways of SZ-6.6."""

    PHONE = "phone"
    HOME_VISIT = "home_visit"
    SUPPORT_NETWORK = "support_network"


class ServiceReport(Part):
    """The service summary report (MZ-6.4.2), after hearing entrustor and client (MZ-6.4.1)."""

    goals_achieved: str
    plan_implementation: str
    effect_evaluation: str
    reflection: str
    opinions_heard: str


@registry.register("intake.case.milestone_learnt", 1)
class MilestoneLearnt(EventData):
    """Another service published a fact that moves the case along SZ-6.1's steps (a safety grade
    that requires interventions, a signed plan, an approved closure, a full-closure assessment).
    `target` is the status it calls for (None: it only counts as closing work), `counts_as` the
    closing work it stands for; the case moves as far as the rules allow (`cases.moves_due`)."""

    case_id: str
    organisation: str
    child_id: str
    fact: str  # the other service's event name
    fact_id: str  # its event id
    occurred_at: datetime
    target: str | None
    counts_as: list[ClosingWork]
    rule: str


@registry.register("intake.case.closing_step_recorded", 1, personal={"text"})
class ClosingStepRecorded(EventData):
    """The summary of the intervention's effect or the closing record was written (SZ-6.5)."""

    case_id: str
    organisation: str
    child_id: str
    step: Literal["effect_summary", "closing_record"]
    done_at: datetime
    text: str
    recorded_by: str
    rule: str


@registry.register("intake.case.ending_notice_given", 1, personal={"told", "contact"})
class EndingNoticeGiven(EventData):
    """The child and guardian were told in advance when the service ends, and how to reach the
    service with a new need (SZ-6.5, 解除工作关系)."""

    case_id: str
    organisation: str
    child_id: str
    told: list[str]
    told_at: datetime
    ends_on: date
    contact: str | None
    recorded_by: str
    rule: str


@registry.register("intake.case.service_report_recorded", 1, personal={"report"})
class ServiceReportRecorded(EventData):
    """The service summary report (MZ-6.4.2)."""

    case_id: str
    organisation: str
    child_id: str
    reported_at: datetime
    report: ServiceReport
    recorded_by: str
    rule: str


@registry.register("intake.case.followup_planned", 1, personal={"note"})
class FollowupPlanned(EventData):
    """A follow-up after closure was scheduled (SZ-6.6; MZ-6.4.3: time, frequency, method)."""

    case_id: str
    organisation: str
    child_id: str
    followup_id: str
    planned_on: date
    method: FollowupMethod
    note: str | None
    recorded_by: str
    rule: str


@registry.register("intake.case.followup_done", 1, personal={"notes"})
class FollowupDone(EventData):
    """A follow-up after closure took place (SZ-6.6: 1-2 within 6 months)."""

    case_id: str
    organisation: str
    child_id: str
    followup_id: str
    followed_up_at: datetime
    method: FollowupMethod
    notes: str | None
    recorded_by: str
    rule: str


@registry.register("intake.case.full_closure_assessed", 1, personal={"notes"})
class FullClosureAssessed(EventData):
    """After the follow-ups, an assessment of whether full closure's conditions are met (SZ-6.6:
    only then is the case fully closed)."""

    case_id: str
    organisation: str
    child_id: str
    assessed_at: datetime
    conditions_met: bool
    notes: str | None
    assessed_by: str
    rule: str
