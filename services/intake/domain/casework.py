"""Work on a case: home visits, the investigation, the initial case statement, consent.

- JX-7.3 (I-5): a home visit while the guardian is away needs two workers and the guardian told
  (`assignment.home_visit_rules`); the workers present are members of the case's team, each
  registered staff of its organisation, cleared and not suspended (MZ-7.1.3) on the day.
- MZ-6.2.2 (I-5) holds for the work, not only the team on paper: the investigation, and every
  visit before the initial statement, is done by at least two qualified, cleared workers, a
  woman among them for a girl. **Resolution**: visits until the initial statement belong to the
  investigation (SZ-6.2.1: visit and investigation, then the statement); later ones are home
  service (JX-7.3 only).
- Nothing is dated before the case's earliest report or in the future (`clock.CLOCK_SKEW`): a
  visit before the report cannot have answered it (SZ-6.2.1); nor can a consent to its work.
- SZ-6.2.1 (I-3): the first home visit stops the 24 h clock of an emergency report.
- SZ-6.2.2 (I-4): the investigation covers type of harm, degree, time and place, environment or
  perpetrator, related persons, social support, usable resources and anything else.
- SZ-6.2.1 (I-2): the initial case statement follows a visit and the investigation and stops
  the 72 h clock; it is produced once.
- JX-7.2.3: the client or their guardian signs informed consent; we record who agreed to what.
Every event names the reports of the case, so notify can stop each report's clocks.
"""

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from events.domain import Conflict, EventData, Refused, Violation, conflict, refuse
from intake.domain import Gender
from intake.domain.assignment import (
    HOME_VISIT_RULE,
    TEAM_RULE,
    StaffMember,
    check_investigation_team,
    clearance_violations,
    home_visit_rules,
)
from intake.domain.cases import Case, case_fields, require_active
from intake.domain.clock import check_dated, local_date
from intake.domain.events import (
    ConsentRecorded,
    ConsentScope,
    InitialStatement,
    InitialStatementRecorded,
    Investigation,
    InvestigationRecorded,
    VisitRecorded,
)

INVESTIGATION_RULE = "SZ-6.2.2"
STATEMENT_RULE = "SZ-6.2.1"
CONSENT_RULE = "JX-7.2.3"


class Workplace(BaseModel):
    """What the rules read beside the case: when its earliest report came in, the staff the
    command names (the case's organisation's entries, by id) and the child's gender."""

    model_config = ConfigDict(frozen=True)

    reports_from: datetime
    staff: Mapping[str, StaffMember]
    child_gender: Gender


class RecordVisit(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    visit_id: str
    visited_at: datetime
    worker_ids: list[str]
    guardian_present: bool
    guardian_informed: bool
    place: str | None = None
    notes: str | None = None
    recorded_by: str
    now: datetime


class RecordInvestigation(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    investigated_at: datetime
    investigator_ids: list[str]
    findings: Investigation
    recorded_by: str
    now: datetime


class RecordStatement(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    stated_at: datetime
    statement: InitialStatement
    recorded_by: str
    now: datetime


class RecordConsent(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    consent_id: str
    given_by: str
    relation: str
    scopes: list[ConsentScope]
    given_at: datetime
    note: str | None = None
    recorded_by: str
    now: datetime


def record_visit(command: RecordVisit, case: Case, place: Workplace) -> list[EventData]:
    """A home visit by members of the team, checked against JX-7.3 and, while the case is under
    investigation, MZ-6.2.2."""
    require_active(case, "a visit")
    _dated_in_window(command.visited_at, command.now, HOME_VISIT_RULE, place)
    workers = sorted(set(command.worker_ids))
    investigating = not case.statement_recorded
    team_rule = TEAM_RULE if investigating else HOME_VISIT_RULE
    members = _workers(workers, case, place, team_rule)
    violations = home_visit_rules(len(workers), command.guardian_present, command.guardian_informed)
    on = local_date(command.visited_at)
    if investigating:
        violations += check_investigation_team(members, place.child_gender, on)
    else:
        violations += [v for m in members for v in clearance_violations(m, on)]
    _raise(violations)
    return [
        VisitRecorded(
            **case_fields(case),
            report_ids=list(case.report_ids),
            **command.model_dump(exclude={"case_id", "worker_ids", "now"}),
            worker_ids=workers,
            first_visit=case.visits == 0,
            rule=HOME_VISIT_RULE,
        )
    ]


def record_investigation(
    command: RecordInvestigation, case: Case, place: Workplace
) -> list[EventData]:
    """The investigation's findings (SZ-6.2.2) and who investigated: two qualified, cleared
    workers of the team at least, a woman among them for a girl (MZ-6.2.2)."""
    require_active(case, "an investigation")
    _dated_in_window(command.investigated_at, command.now, INVESTIGATION_RULE, place)
    investigators = sorted(set(command.investigator_ids))
    members = _workers(investigators, case, place, TEAM_RULE)
    on = local_date(command.investigated_at)
    _raise(check_investigation_team(members, place.child_gender, on))
    return [
        InvestigationRecorded(
            **case_fields(case),
            report_ids=list(case.report_ids),
            **command.model_dump(exclude={"case_id", "now", "investigator_ids"}),
            investigator_ids=investigators,
            rule=INVESTIGATION_RULE,
        )
    ]


def record_statement(command: RecordStatement, case: Case, place: Workplace) -> list[EventData]:
    """The initial case statement, once, after a home visit and the investigation (I-2)."""
    require_active(case, "an initial statement")
    _dated_in_window(command.stated_at, command.now, STATEMENT_RULE, place)
    if case.statement_recorded:
        message = "the initial case statement is already recorded"
        raise conflict("statement_already_recorded", STATEMENT_RULE, message)
    done = {"a home visit": case.visits, "the investigation": case.investigations}
    missing = [what for what, count in done.items() if not count]
    if missing:
        message = f"the statement follows {' and '.join(missing)}: record them first"
        raise conflict("investigation_incomplete", STATEMENT_RULE, message)
    return [
        InitialStatementRecorded(
            **case_fields(case),
            report_ids=list(case.report_ids),
            **command.model_dump(exclude={"case_id", "now"}),
            rule=STATEMENT_RULE,
        )
    ]


def record_consent(command: RecordConsent, case: Case, place: Workplace) -> list[EventData]:
    require_active(case, "a consent")
    _dated_in_window(command.given_at, command.now, CONSENT_RULE, place)
    if not command.scopes:
        raise refuse("consent_without_scope", CONSENT_RULE, "consent to what?")
    return [
        ConsentRecorded(
            **case_fields(case),
            **command.model_dump(exclude={"case_id", "now", "scopes"}),
            scopes=sorted(set(command.scopes)),
            rule=CONSENT_RULE,
        )
    ]


def _workers(ids: list[str], case: Case, place: Workplace, rule: str) -> list[StaffMember]:
    """The workers named, each on the case's team and registered staff of its organisation."""
    strangers = [w for w in ids if w not in case.team]
    if strangers:
        raise refuse("visitor_not_on_team", rule, f"not on the case's team: {strangers}")
    found = {w: m for w, m in place.staff.items() if m.organisation == case.organisation}
    unknown = [w for w in ids if w not in found]
    if unknown:
        raise refuse("unknown_worker", rule, f"not staff of this organisation: {unknown}")
    return [found[w] for w in ids]


def _raise(violations: list[Violation]) -> None:
    """Too few workers, or no woman for a girl, is a bad record (422); a complete group with an
    uncleared member is refused for that person's present state (409), as for teams."""
    if not violations:
        return
    if any(v.rule in (TEAM_RULE, HOME_VISIT_RULE) for v in violations):
        raise Refused(sorted(violations, key=lambda v: v.rule not in (TEAM_RULE, HOME_VISIT_RULE)))
    raise Conflict(violations)


def _dated_in_window(at: datetime, now: datetime, rule: str, place: Workplace) -> None:
    """Dated from the case's earliest report (and 2000, `clock.EARLIEST`) until now."""
    since = "the case's first report came in"
    check_dated(at, now, rule, place.reports_from, "before_report", since)
