"""Event types of the intake service, registered in `events.registry.registry`.

Names follow `intake.<aggregate>.<fact>` and match the names notify's clock table listens for
(`services/notify/domain/clocks.py`, EVENT_CATALOG). Every field that names or identifies a
person, or tells in free text what happened to them, is declared personal and encrypted with
the data key of the event's key scope: the child's id for reports (so a child's archive can be
handed over and its key shredded), the staff member's id for staff events.
"""

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from events.registry import EventData, registry
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
class BackgroundCheckRecorded(EventData):
    worker_id: str
    organisation: str
    checked_on: date
    clean: bool
    rule: str
    note: str | None = None


@registry.register("intake.worker.suspended", 1)
class WorkerSuspended(EventData):
    worker_id: str
    organisation: str
    suspended_on: date
    reason: str
    rule: str


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
class WorkerRemoved(EventData):
    """A worker was taken off a case; after a positive background check at once (MZ-7.1.3)."""

    case_id: str
    organisation: str
    child_id: str
    worker_id: str
    removed_on: date
    reason: str
    rule: str
