"""Cases: opened from reports about one child, investigated by a team that meets I-5.

- A case gathers reports about one child; a report belongs to at most one case.
- The investigation team (MZ-6.2.2, DOMAIN I-5): at least two qualified workers, a woman among
  them when the child is a girl; each member cleared by a current, clean yearly check and not
  suspended (MZ-7.1.3, DOMAIN §12). Members are staff of the case's organisation.
- A person suspended after a positive check is taken off every open case at once (MZ-7.1.3).
- Status: a pure state machine (`TRANSITIONS`), moved by this organisation's people and by
  other services' events (`intake.reactions`). A move the table does not allow is refused
  naming the present state (409); nothing is recorded on a case in a final state.
- A move also needs what its step of SZ-6.1 asks (`readiness`, 422 naming the clause): service
  or closing only after the investigation (a team, MZ-6.2.2; the first visit and the initial
  statement, SZ-6.2.1); follow-up only after the closing work (summary of effect, advance
  notice of the ending, closing record: SZ-6.5; the service summary report: MZ-6.4.2) and with
  follow-ups scheduled or done (SZ-6.6, MZ-6.4.3); full closure only after a follow-up and an
  assessment that finds its conditions met (SZ-6.6).
- Facts of other services move a case by themselves (`learn`, `moves_due`): a safety grade that
  requires interventions (SZ-6.3, SZ-6.4.1), a task it set (SZ-6.4) or a signed service plan
  (JX-7.2, M-3) call for `in_service`; an approved closure (JX-7.5, M-10) for `follow_up`; a
  full-closure assessment (SZ-6.6) for `closed`. The fact is recorded on the case
  (`MilestoneLearnt`: its name, id and what it stands for) and the case climbs SZ-6.1's ladder
  (open, in_service, closing, follow_up, closed) one step at a time, each step a
  `status_changed` naming the fact as `cause`, as far as `readiness` allows. What is missing
  keeps it where it stopped; recording it later (a statement, a notice) lets it climb on, in
  the same transaction. So an approved closure of an open case records open -> in_service ->
  closing -> follow_up when everything is there, and stops at closing while the notice or the
  follow-up plan is still to be recorded. **Resolution**: an approved Appendix D closure (JX
  table D.1: summary, change, reflection, goals met; approved by the supervisor) stands for
  SZ-6.5's summary of effect and closing record and MZ-6.4.2's summary report; the advance
  notice and the follow-up plan are recorded here. A person who moves a case back (follow-up
  to service) drops what earlier facts called for.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from functools import singledispatch
from typing import Any

from pydantic import BaseModel, ConfigDict

from events.domain import Conflict, EventData, Refused, conflict, refuse
from intake.domain import Gender, Violation
from intake.domain.access import Caller, Holding, may_see
from intake.domain.assignment import CHECK_RULE, TEAM_RULE, StaffMember, check_investigation_team
from intake.domain.events import (
    CaseOpened,
    CaseStatusChanged,
    ClosingStepRecorded,
    ClosingWork,
    EndingNoticeGiven,
    FollowupDone,
    FollowupPlanned,
    FullClosureAssessed,
    InitialStatementRecorded,
    InvestigationRecorded,
    MilestoneLearnt,
    ServiceReportRecorded,
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
# SZ-6.1's steps in order: a fact of another service moves a case up this ladder a step at a time.
LADDER = (Status.OPEN, Status.IN_SERVICE, Status.CLOSING, Status.FOLLOW_UP, Status.CLOSED)
RANK = {status: step for step, status in enumerate(LADDER)}
AUTOMATIC = "service:intake"  # who moves a case when another service's fact does
INVESTIGATION_RULE = "SZ-6.2.1"  # the first visit and the initial statement within 72 h
CLOSING_RULE = "SZ-6.5"
REPORT_RULE = "MZ-6.4.2"
FOLLOWUP_RULE = "SZ-6.6"
# The closing work each needs before follow-up, with its clause and what is missing without it.
CLOSING_WORK: tuple[tuple[ClosingWork, str, str], ...] = (
    (ClosingWork.EFFECT_SUMMARY, CLOSING_RULE, "the summary of the intervention's effect"),
    (ClosingWork.ENDING_NOTICE, CLOSING_RULE, "the advance notice of the ending"),
    (ClosingWork.CLOSING_RECORD, CLOSING_RULE, "the closing record"),
    (ClosingWork.SERVICE_REPORT, REPORT_RULE, "the service summary report"),
)


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
    closing_work: frozenset[ClosingWork] = frozenset()
    followups_done: int = 0
    pending: Status | None = None  # where facts of other services call the case (`moves_due`)
    pending_cause: str | None = None  # the fact that called it there
    opened_at: datetime | None = None  # nothing done on the case is dated before
    status_since: datetime | None = None  # when it reached its status (a follow-up comes after)


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


class Learn(BaseModel):
    """A fact of another service about the case (`intake.reactions.MILESTONES`)."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    fact: str
    fact_id: str
    occurred_at: datetime
    target: Status | None
    counts_as: frozenset[ClosingWork] = frozenset()
    rule: str
    at: datetime  # when intake learnt it (the moves' time)


def change_status(command: ChangeStatus, case: Case) -> list[EventData]:
    """Move the case to `command.to` if `TRANSITIONS` allows it from its present status (409)
    and the case has what that step asks (`readiness`, 422 naming the clause)."""
    if command.to not in TRANSITIONS[case.status]:
        raise not_allowed_in(case, f"cannot go to {command.to.value}")
    missing = readiness(case, command.to)
    if missing:
        raise Refused(missing, state=case.status.value)
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


def readiness(case: Case, to: Status) -> list[Violation]:
    """What the case lacks for the step to `to`, each with the clause that asks for it; empty
    when it may go (a transfer, M-2, and going back to service after closing need nothing more
    than the investigation)."""
    if to in (Status.IN_SERVICE, Status.CLOSING):
        return _investigation_gaps(case)
    if to == Status.FOLLOW_UP:
        gaps = [
            _missing(f"{work.value}_missing", rule, f"{what} is not recorded")
            for work, rule, what in CLOSING_WORK
            if work not in case.closing_work
        ]
        followups = {ClosingWork.FOLLOWUP_PLANNED, ClosingWork.FOLLOWUP_DONE}
        if not followups & case.closing_work:
            message = "no follow-up is scheduled or done: 1-2 within 6 months after closure"
            gaps.append(_missing("followup_missing", FOLLOWUP_RULE, message))
        return gaps
    if to == Status.CLOSED:
        gaps = []
        if ClosingWork.FOLLOWUP_DONE not in case.closing_work:
            message = "no follow-up after closure took place yet"
            gaps.append(_missing("followup_not_done", FOLLOWUP_RULE, message))
        if ClosingWork.FULL_CLOSURE not in case.closing_work:
            message = "no assessment found the conditions of full closure met"
            gaps.append(_missing("full_closure_not_assessed", FOLLOWUP_RULE, message))
        return gaps
    return []


def _investigation_gaps(case: Case) -> list[Violation]:
    gaps = []
    if not case.team:
        gaps.append(_missing("team_missing", TEAM_RULE, "the case has no investigation team"))
    if not case.visits:
        message = "the first home visit is not recorded"
        gaps.append(_missing("first_visit_missing", INVESTIGATION_RULE, message))
    if not case.statement_recorded:
        message = "the initial case statement is not recorded"
        gaps.append(_missing("initial_statement_missing", INVESTIGATION_RULE, message))
    return gaps


def _missing(code: str, rule: str, message: str) -> Violation:
    return Violation(code=code, rule=rule, message=message)


def learn(command: Learn, case: Case) -> list[EventData]:
    """Record another service's fact if it tells the case something new (a step further, or
    closing work not yet counted), then the moves it allows. A fact telling nothing new, or
    about a case no longer active, records nothing (a redelivery is one of those)."""
    if case.status not in ACTIVE:
        return []
    new_work = command.counts_as - case.closing_work
    target = command.target
    further = target is not None and _rank(target) > max(_rank(case.status), _rank(case.pending))
    if not new_work and not further:
        return []
    learnt = MilestoneLearnt(
        case_id=case.case_id,
        organisation=case.organisation,
        child_id=case.child_id,
        fact=command.fact,
        fact_id=command.fact_id,
        occurred_at=command.occurred_at,
        target=target.value if target else None,
        counts_as=sorted(command.counts_as),
        rule=command.rule,
    )
    return [learnt, *moves_due(_changed(learnt, case), command.at)]


def then_moves_due(case: Case, events: list[EventData], at: datetime) -> list[EventData]:
    """`events` and after them the moves they let the case make towards where facts of other
    services call it (a statement recorded late lets a graded case go into service)."""
    case = apply(case, events)
    return [*events, *moves_due(case, at)] if case.pending else events


def apply(case: Case, events: Iterable[EventData]) -> Case:
    """The case after `events`."""
    for event in events:
        case = _changed(event, case)
    return case


def moves_due(case: Case, at: datetime) -> list[EventData]:
    """Up SZ-6.1's ladder towards `case.pending`, one step at a time, while `readiness` allows;
    each move names the fact that called for it."""
    moves: list[EventData] = []
    while case.pending is not None and case.status in RANK:
        if RANK[case.status] >= RANK[case.pending]:
            break
        step = LADDER[RANK[case.status] + 1]
        if step not in TRANSITIONS[case.status] or readiness(case, step):
            break
        command = ChangeStatus(
            case_id=case.case_id, to=step, at=at, by=AUTOMATIC, cause=case.pending_cause
        )
        [moved] = change_status(command, case)
        moves.append(moved)
        case = _changed(moved, case)
    return moves


def follow_other_service(command: ChangeStatus, case: Case) -> list[EventData]:
    """Another service's fact moves the case, when `TRANSITIONS` allows it; otherwise nothing
    (a retry cannot make a disallowed move allowed, so refusing would only dead-letter it).
    **Resolution**: the skipped fact is logged for a person to look at."""
    if command.to not in TRANSITIONS[case.status] or readiness(case, command.to):
        return []
    return change_status(command, case)


def require_active(case: Case, what: str) -> None:
    """Work on the child is recorded only on an active case (409 naming its status)."""
    if case.status not in ACTIVE:
        raise not_allowed_in(case, f"cannot record {what}")


def case_fields(case: Case) -> dict[str, Any]:
    """What every event of a case names: the case, its organisation and its child."""
    return {"case_id": case.case_id, "organisation": case.organisation, "child_id": case.child_id}


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
                opened_at=event.opened_at,
                status_since=event.opened_at,
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
    """Reaching (or passing) where facts called it settles them; leaving the ladder, or a person
    sending the case back a step, drops them."""
    status, pending = Status(event.to_status), case.pending
    if pending is not None and (status not in RANK or RANK[status] >= RANK[pending]):
        pending = None
    back = status in RANK and case.status in RANK and RANK[status] < RANK[case.status]
    if back and event.cause is None:
        pending = None
    cause = case.pending_cause if pending else None
    update = {"status": status, "pending": pending, "pending_cause": cause}
    return case.model_copy(update=update | {"status_since": event.changed_at})


@_changed.register
def _learnt(event: MilestoneLearnt, case: Case) -> Case:
    update: dict[str, object] = {"closing_work": case.closing_work | set(event.counts_as)}
    target = Status(event.target) if event.target else None
    mark = max(_rank(case.status) if case.status in RANK else len(LADDER), _rank(case.pending))
    if target is not None and _rank(target) > mark:
        update |= {"pending": target, "pending_cause": event.fact}
    if ClosingWork.FOLLOWUP_DONE in event.counts_as:
        update["followups_done"] = case.followups_done + 1
    return case.model_copy(update=update)


@_changed.register
def _closing_step(event: ClosingStepRecorded, case: Case) -> Case:
    return _did(case, ClosingWork(event.step))


@_changed.register
def _notice(event: EndingNoticeGiven, case: Case) -> Case:
    return _did(case, ClosingWork.ENDING_NOTICE)


@_changed.register
def _report(event: ServiceReportRecorded, case: Case) -> Case:
    return _did(case, ClosingWork.SERVICE_REPORT)


@_changed.register
def _planned(event: FollowupPlanned, case: Case) -> Case:
    return _did(case, ClosingWork.FOLLOWUP_PLANNED)


@_changed.register
def _followed_up(event: FollowupDone, case: Case) -> Case:
    done = _did(case, ClosingWork.FOLLOWUP_DONE)
    return done.model_copy(update={"followups_done": case.followups_done + 1})


@_changed.register
def _full_closure(event: FullClosureAssessed, case: Case) -> Case:
    """The last assessment decides: one that finds the conditions unmet withdraws an earlier."""
    work = case.closing_work - {ClosingWork.FULL_CLOSURE}
    if event.conditions_met:
        work |= {ClosingWork.FULL_CLOSURE}
    return case.model_copy(update={"closing_work": work})


def _rank(status: Status | None) -> int:
    """Its step on SZ-6.1's ladder; -1 for none, or off the ladder (transferred, handed over)."""
    return RANK.get(status, -1) if status is not None else -1


def _did(case: Case, work: ClosingWork) -> Case:
    return case.model_copy(update={"closing_work": case.closing_work | {work}})


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
