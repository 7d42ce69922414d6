"""The staff registry: who may work with children (DOMAIN §12, MZ-7.1.3, SZ-7.1.5).

Commands in, events out. A supervisor is registered only if SZ-7.1.5 holds (at least 4 years in
child services and the social-worker qualification). The yearly background check is recorded
as a fact; a positive one (a record of sexual assault, abuse, trafficking or violence) suspends
the person at once (MZ-7.1.3).
**Resolution**: a later clean check does not lift a suspension; SZ-7.1.4 asks for dismissal,
so reinstatement is not something a check can decide. A person who leaves the organisation (or
is dismissed) is deregistered: they leave their cases and no check falls due for them any more;
the registration stays in the stream, so they are not registered again under the same id.
**Resolution**: a staff id (the person's subject at the identity provider) names one person
within one organisation: the registry's key is the organisation and the id, so another
organisation registering the same id neither fails nor reaches this organisation's entry.
"""

from collections.abc import Iterable
from datetime import date
from functools import singledispatch
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from events.domain import EventData, Refused, conflict, refuse
from intake.domain import Gender, Violation
from intake.domain.assignment import (
    CHECK_RULE,
    SUPERVISOR_RULE,
    TEAM_RULE,
    StaffMember,
    check_investigation_team,
    check_supervisor,
)
from intake.domain.cases import ACTIVE, Case
from intake.domain.events import (
    BackgroundCheckRecorded,
    CaseUnderstaffed,
    Qualification,
    StaffRole,
    WorkerDeregistered,
    WorkerRegistered,
    WorkerSuspended,
)

POSITIVE_CHECK = "background_check_not_clean"
REGISTRY_RULE = "§12"
UNDERSTAFFED_NOTIFIES = ["supervisor"]  # who completes a case's team (MZ-6.2.2)


class RegisterWorker(BaseModel):
    model_config = ConfigDict(frozen=True)

    worker_id: str
    organisation: str
    role: StaffRole
    name: str
    gender: Gender
    qualifications: frozenset[Qualification]
    years_in_child_services: float = Field(ge=0)


class RecordBackgroundCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    organisation: str  # a staff id is one person only within an organisation
    worker_id: str
    checked_on: date
    clean: bool
    note: str | None = None
    today: date


class DeregisterWorker(BaseModel):
    model_config = ConfigDict(frozen=True)

    organisation: str
    worker_id: str
    deregistered_on: date
    reason: Literal["left_organisation", "dismissed"]
    today: date


class Staff(BaseModel):
    """A staff member's current state, folded from their events."""

    model_config = ConfigDict(frozen=True)

    worker_id: str
    organisation: str
    role: StaffRole
    gender: Gender
    qualifications: frozenset[Qualification]
    years_in_child_services: float
    background_check_date: date | None = None
    background_check_clean: bool | None = None
    suspended: bool = False
    deregistered: bool = False

    def as_member(self) -> StaffMember:
        """The view the assignment rules (MZ-6.2.2, MZ-7.1.3, SZ-7.1.5) take of this person."""
        return StaffMember(
            id=self.worker_id,
            organisation=self.organisation,
            gender=self.gender,
            qualified=Qualification.SOCIAL_WORKER in self.qualifications,
            years_in_child_services=self.years_in_child_services,
            background_check_date=self.background_check_date,
            background_check_clean=self.background_check_clean,
            suspended=self.suspended,
            deregistered=self.deregistered,
            supervisor_registered=Qualification.SUPERVISOR_REGISTERED in self.qualifications,
        )


def register_worker(command: RegisterWorker, existing: Staff | None) -> list[EventData]:
    """Register a worker or supervisor; a supervisor must meet SZ-7.1.5."""
    if existing is not None:
        raise conflict("already_registered", "§12", "this person is registered")
    event = WorkerRegistered(
        worker_id=command.worker_id,
        organisation=command.organisation,
        role=command.role,
        name=command.name,
        gender=command.gender,
        qualifications=sorted(command.qualifications),
        years_in_child_services=command.years_in_child_services,
    )
    if command.role == StaffRole.SUPERVISOR:
        violations = check_supervisor(_registered(event).as_member())
        if violations:
            raise Refused(violations)
    return [event]


def record_background_check(command: RecordBackgroundCheck, staff: Staff) -> list[EventData]:
    """Record the yearly check (MZ-7.1.3); a positive result suspends the person at once."""
    if command.checked_on > command.today:
        message = f"check dated {command.checked_on}, after today {command.today}"
        raise refuse("background_check_in_future", CHECK_RULE, message)
    recorded = BackgroundCheckRecorded(
        worker_id=staff.worker_id,
        organisation=staff.organisation,
        checked_on=command.checked_on,
        clean=command.clean,
        rule=CHECK_RULE,
        note=command.note,
    )
    if command.clean or staff.suspended:
        return [recorded]
    suspended = WorkerSuspended(
        worker_id=staff.worker_id,
        organisation=staff.organisation,
        suspended_on=command.today,
        reason=POSITIVE_CHECK,
        rule=CHECK_RULE,
    )
    return [recorded, suspended]


def deregister_worker(command: DeregisterWorker, staff: Staff) -> list[EventData]:
    """The person leaves the organisation (DOMAIN §12); once only, not dated in the future."""
    if staff.deregistered:
        raise conflict("already_deregistered", REGISTRY_RULE, "already deregistered")
    if command.deregistered_on > command.today:
        message = f"dated {command.deregistered_on}, after today {command.today}"
        raise refuse("deregistration_in_future", REGISTRY_RULE, message)
    return [
        WorkerDeregistered(
            worker_id=staff.worker_id,
            organisation=staff.organisation,
            deregistered_on=command.deregistered_on,
            reason=command.reason,
            rule=REGISTRY_RULE,
        )
    ]


def acting_supervisor_violations(staff: Staff | None, on: date) -> list[Violation]:
    """A supervisor acting on a case (setting its team) is one of the organisation's registered
    supervisors (`staff`: the registry's entry for the caller's subject in the caller's
    organisation, None if there is none), qualified under SZ-7.1.5 and cleared on `on`
    (MZ-7.1.3): a token with the supervisor role is not enough."""
    if staff is None or staff.role != StaffRole.SUPERVISOR:
        message = "not a registered supervisor of this organisation"
        return [Violation(code="supervisor_unregistered", rule=SUPERVISOR_RULE, message=message)]
    return check_supervisor(staff.as_member(), on)


def understaffed(
    case: Case, removed: str, remaining: list[StaffMember], child_gender: Gender, on: date
) -> list[EventData]:
    """Flag an active case whose team, once `removed` left it, no longer meets MZ-6.2.2 on
    `on` (`remaining`: the members left, as the registry has them); nothing otherwise."""
    if case.status not in ACTIVE:
        return []
    violations = check_investigation_team(remaining, child_gender, on)
    shortfalls = [v.code for v in violations if v.rule == TEAM_RULE]
    if not shortfalls:
        return []
    return [
        CaseUnderstaffed(
            case_id=case.case_id,
            organisation=case.organisation,
            child_id=case.child_id,
            remaining_worker_ids=sorted(m.id for m in remaining),
            removed_worker_id=removed,
            shortfalls=shortfalls,
            flagged_on=on,
            notify_roles=UNDERSTAFFED_NOTIFIES,
            rule=TEAM_RULE,
        )
    ]


def staff_state(events: Iterable[EventData]) -> Staff | None:
    """The staff member as their events leave them; None before registration."""
    state: Staff | None = None
    for event in events:
        if isinstance(event, WorkerRegistered):
            state = _registered(event)
        elif state is not None:
            state = _changed(event, state)
    return state


def _registered(event: WorkerRegistered) -> Staff:
    return Staff(
        worker_id=event.worker_id,
        organisation=event.organisation,
        role=event.role,
        gender=event.gender,
        qualifications=frozenset(event.qualifications),
        years_in_child_services=event.years_in_child_services,
    )


@singledispatch
def _changed(event: EventData, staff: Staff) -> Staff:
    return staff


@_changed.register
def _checked(event: BackgroundCheckRecorded, staff: Staff) -> Staff:
    if staff.background_check_date and event.checked_on < staff.background_check_date:
        return staff  # an older check recorded late does not replace the newer one
    changes = {"background_check_date": event.checked_on, "background_check_clean": event.clean}
    return staff.model_copy(update=changes)


@_changed.register
def _suspended(event: WorkerSuspended, staff: Staff) -> Staff:
    return staff.model_copy(update={"suspended": True})


@_changed.register
def _deregistered(event: WorkerDeregistered, staff: Staff) -> Staff:
    return staff.model_copy(update={"deregistered": True})
