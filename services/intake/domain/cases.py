"""Cases: opened from reports about one child, investigated by a team that meets I-5.

- A case gathers reports about one child; a report belongs to at most one case.
- The investigation team (MZ-6.2.2, DOMAIN I-5): at least two qualified workers, a woman among
  them when the child is a girl; each member cleared by a current, clean yearly check and not
  suspended (MZ-7.1.3, DOMAIN §12). Members are staff of the case's organisation.
- A person suspended after a positive check is taken off every open case at once (MZ-7.1.3).
- Status: a pure state machine (`TRANSITIONS`), moved by this organisation's people and by
  other services' events (`intake.reactions`). A move the table does not allow is refused
  naming the present state (409); nothing is recorded on a case in a final state.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from functools import singledispatch

from pydantic import BaseModel, ConfigDict

from events.domain import Conflict, EventData, Refused, conflict, refuse
from intake.domain import Gender, Violation
from intake.domain.access import Caller, Holding, may_see
from intake.domain.assignment import CHECK_RULE, TEAM_RULE, StaffMember, check_investigation_team
from intake.domain.events import (
    CaseOpened,
    CaseStatusChanged,
    InitialStatementRecorded,
    InvestigationRecorded,
    TeamAssigned,
    VisitRecorded,
    WorkerRemoved,
)

CASE_RULE = "JX-9.1"  # one archive per child: a case holds reports about one child only
# The clauses whose refusals also name their number in DOMAIN.md (`domain_rule` of a problem).
DOMAIN_RULES = {TEAM_RULE: "I-5", CHECK_RULE: "§12"}
POSITIVE_CHECK = "background_check_not_clean"


class Status(StrEnum):
    OPEN = "open"  # reports taken in, visit and investigation under way (SZ-6.2)
    IN_SERVICE = "in_service"  # a service plan is running (SZ-6.4)
    CLOSING = "closing"  # closing work: summary, notice, closing record (SZ-6.5)
    FOLLOW_UP = "follow_up"  # closed, followed up 1-2 times within 6 months (SZ-6.6)
    CLOSED = "closed"  # fully closed after an assessment says so (SZ-6.6)
    TRANSFERRED = "transferred"  # referred on to another institution (JX-6.2.1)
    HANDED_OVER = "handed_over"  # the archive went to the entrustor, no copy kept (JX-9.4.2)


STATUS_RULES: dict[Status, str] = {
    Status.OPEN: "SZ-6.2.1",
    Status.IN_SERVICE: "SZ-6.4",
    Status.CLOSING: "SZ-6.5",
    Status.FOLLOW_UP: "SZ-6.6",
    Status.CLOSED: "SZ-6.6",
    Status.TRANSFERRED: "JX-6.2.1",
    Status.HANDED_OVER: "JX-9.4.2",
}
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.IN_SERVICE, Status.CLOSING, Status.TRANSFERRED}),
    Status.IN_SERVICE: frozenset({Status.CLOSING, Status.FOLLOW_UP, Status.TRANSFERRED}),
    Status.CLOSING: frozenset({Status.FOLLOW_UP, Status.IN_SERVICE}),
    Status.FOLLOW_UP: frozenset({Status.CLOSED, Status.IN_SERVICE}),
    Status.CLOSED: frozenset({Status.HANDED_OVER}),
    Status.TRANSFERRED: frozenset({Status.HANDED_OVER}),
    Status.HANDED_OVER: frozenset(),
}
# A person moves a case to any of these; handed_over follows archive's handover only.
PERSON_TARGETS = frozenset(Status) - {Status.HANDED_OVER}
# Work on the child (visits, investigation, statements, consent, categories) goes on while a
# case is open, in service, closing or followed up; not once it is closed, transferred or gone.
ACTIVE = frozenset({Status.OPEN, Status.IN_SERVICE, Status.CLOSING, Status.FOLLOW_UP})


class ReportRef(BaseModel):
    """What opening a case needs to know of a report."""

    model_config = ConfigDict(frozen=True)

    report_id: str
    organisation: str
    child_id: str
    case_id: str | None
    received_by: str
    team: frozenset[str] = frozenset()  # the team of the case that holds it, if one does

    def holding(self) -> Holding:
        return Holding(
            organisation=self.organisation, team=self.team, took_in=frozenset({self.received_by})
        )


class OpenCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    organisation: str
    report_ids: list[str]
    opened_at: datetime
    opened_by: str
    by_supervisor: bool = False  # a supervisor sees every report of the organisation (SZ-7.3.3)

    def opener(self) -> Caller:
        return Caller(
            subject=self.opened_by, organisation=self.organisation, supervisor=self.by_supervisor
        )


class AssignTeam(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    worker_ids: list[str]
    on: date
    assigned_by: str


class Case(BaseModel):
    """A case's current state, folded from its events."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    organisation: str
    child_id: str
    report_ids: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    status: Status = Status.OPEN
    visits: int = 0
    investigations: int = 0
    statement_recorded: bool = False


class ChangeStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    to: Status
    at: datetime
    by: str
    reason: str | None = None
    cause: str | None = None  # the other service's event name, for a reaction


def open_case(command: OpenCase, reports: Sequence[ReportRef], case_number: str) -> list[EventData]:
    """Open a case from reports about one child that no other case holds. A report the opener
    may not see (SZ-7.3.3) is refused as if there were none, so its existence is not revealed."""
    opener = command.opener()
    found = {r.report_id: r for r in reports if may_see(opener, r.holding()).allowed}
    missing = [r for r in command.report_ids if r not in found]
    if missing or not command.report_ids:
        raise refuse("unknown_report", "I-1", f"no such report: {missing}")
    chosen = [found[r] for r in dict.fromkeys(command.report_ids)]
    if len({r.child_id for r in chosen}) > 1:
        message = "the reports are about different children: one case per child"
        raise refuse("reports_of_several_children", CASE_RULE, message)
    taken = [r.report_id for r in chosen if r.case_id is not None]
    if taken:
        raise conflict("report_in_a_case", CASE_RULE, f"already in a case: {taken}")
    return [
        CaseOpened(
            **command.model_dump(exclude={"report_ids", "by_supervisor"}),
            case_number=case_number,
            child_id=chosen[0].child_id,
            report_ids=[r.report_id for r in chosen],
        )
    ]


def assign_team(
    command: AssignTeam, case: Case, members: Sequence[StaffMember], child_gender: Gender
) -> list[EventData]:
    """Set the investigation team; refused unless it meets MZ-6.2.2 and MZ-7.1.3 on `on`."""
    require_active(case, "a team")
    strangers = set(command.worker_ids) - {
        m.id for m in members if m.organisation == case.organisation
    }
    if strangers:
        message = f"not staff of this organisation: {sorted(strangers)}"
        raise refuse("unknown_worker", TEAM_RULE, message)
    team = [m for m in members if m.id in command.worker_ids]
    violations = check_investigation_team(team, child_gender, command.on)
    if violations:
        raise _refusal(violations)(_composition_first(violations))
    return [
        TeamAssigned(
            case_id=case.case_id,
            organisation=case.organisation,
            child_id=case.child_id,
            worker_ids=sorted(set(command.worker_ids)),
            assigned_on=command.on,
            assigned_by=command.assigned_by,
            rule=TEAM_RULE,
        )
    ]


def remove_suspended(
    case: Case, worker_id: str, on: date, reason: str = POSITIVE_CHECK, rule: str = CHECK_RULE
) -> list[EventData]:
    """Take a suspended (MZ-7.1.3) or deregistered (§12) worker off the case at once; nothing
    if not on it."""
    if worker_id not in case.team:
        return []
    return [
        WorkerRemoved(
            case_id=case.case_id,
            organisation=case.organisation,
            child_id=case.child_id,
            worker_id=worker_id,
            removed_on=on,
            reason=reason,
            rule=rule,
        )
    ]


def change_status(command: ChangeStatus, case: Case) -> list[EventData]:
    """Move the case to `command.to` if `TRANSITIONS` allows it from its present status."""
    if command.to not in TRANSITIONS[case.status]:
        raise not_allowed_in(case, f"cannot go to {command.to.value}")
    return [
        CaseStatusChanged(
            case_id=case.case_id,
            organisation=case.organisation,
            child_id=case.child_id,
            from_status=case.status.value,
            to_status=command.to.value,
            changed_at=command.at,
            changed_by=command.by,
            reason=command.reason,
            cause=command.cause,
            rule=STATUS_RULES[command.to],
        )
    ]


def follow_other_service(command: ChangeStatus, case: Case) -> list[EventData]:
    """Another service's fact moves the case, when `TRANSITIONS` allows it; otherwise nothing
    (a retry cannot make a disallowed move allowed, so refusing would only dead-letter it).
    **Resolution**: the skipped fact is logged for a person to look at."""
    if command.to not in TRANSITIONS[case.status]:
        return []
    return change_status(command, case)


def require_active(case: Case, what: str) -> None:
    """Work on the child is recorded only on an active case (409 naming its status)."""
    if case.status not in ACTIVE:
        raise not_allowed_in(case, f"cannot record {what}")


def not_allowed_in(case: Case, message: str) -> Conflict:
    allowed = ", ".join(sorted(s.value for s in TRANSITIONS[case.status])) or "none"
    text = f"the case is {case.status.value}: {message} (it may go to: {allowed})"
    return conflict("case_status", STATUS_RULES[case.status], text, state=case.status.value)


def case_state(events: Iterable[EventData]) -> Case | None:
    """The case as its events leave it; None before it is opened."""
    state: Case | None = None
    for event in events:
        if isinstance(event, CaseOpened):
            state = Case(
                case_id=event.case_id,
                organisation=event.organisation,
                child_id=event.child_id,
                report_ids=tuple(event.report_ids),
            )
        elif state is not None:
            state = _changed(event, state)
    return state


@singledispatch
def _changed(event: EventData, case: Case) -> Case:
    """An event the rules above do not look back at (consent, project, categories)."""
    return case


@_changed.register
def _status_changed(event: CaseStatusChanged, case: Case) -> Case:
    return case.model_copy(update={"status": Status(event.to_status)})


@_changed.register
def _visited(event: VisitRecorded, case: Case) -> Case:
    return case.model_copy(update={"visits": case.visits + 1})


@_changed.register
def _investigated(event: InvestigationRecorded, case: Case) -> Case:
    return case.model_copy(update={"investigations": case.investigations + 1})


@_changed.register
def _stated(event: InitialStatementRecorded, case: Case) -> Case:
    return case.model_copy(update={"statement_recorded": True})


@_changed.register
def _team_assigned(event: TeamAssigned, case: Case) -> Case:
    return case.model_copy(update={"team": tuple(event.worker_ids)})


@_changed.register
def _worker_removed(event: WorkerRemoved, case: Case) -> Case:
    return case.model_copy(update={"team": tuple(w for w in case.team if w != event.worker_id)})


def domain_rule_of(violation: Violation) -> str | None:
    """The rulebook's number of a violation (I-5, §12), for `create_service_app`."""
    return DOMAIN_RULES.get(violation.rule)


def _refusal(violations: list[Violation]) -> type[Refused]:
    """A team too small or without a woman is a bad command (422); a team whose members are
    not cleared is refused for their present state (409)."""
    return Refused if any(v.rule == TEAM_RULE for v in violations) else Conflict


def _composition_first(violations: list[Violation]) -> list[Violation]:
    return sorted(violations, key=lambda v: v.rule != TEAM_RULE)
