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
from typing import Literal

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
    """A report to police and civil affairs under SZ-5.2.1: time, place and harm."""

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
class InvestigationRecorded(EventData):
    """The investigation's findings (SZ-6.2.2, I-4); a later one adds to the earlier ones."""

    case_id: str
    organisation: str
    child_id: str
    report_ids: list[str]
    investigated_at: datetime
    findings: Investigation
    recorded_by: str
    rule: str


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
