"""Work on a case: home visits, the investigation, the initial case statement, consent.

- JX-7.3 (I-5): a home visit while the guardian is away needs two workers and the guardian told
  (`assignment.home_visit_rules`); the workers present are members of the case's team.
- SZ-6.2.1 (I-3): the first home visit stops the 24 h clock of an emergency report.
- SZ-6.2.2 (I-4): the investigation covers type of harm, degree, time and place, environment or
  perpetrator, related persons, social support, usable resources and anything else.
- SZ-6.2.1 (I-2): the initial case statement follows a visit and the investigation and stops
  the 72 h clock; it is produced once.
- JX-7.2.3: the client or their guardian signs informed consent; we record who agreed to what.
Every event names the reports of the case, so notify can stop each report's clocks.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from events.domain import EventData, Refused, conflict, refuse
from intake.domain.assignment import HOME_VISIT_RULE, home_visit_rules
from intake.domain.cases import Case, require_active
from intake.domain.clock import in_the_future, too_early
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


def record_visit(command: RecordVisit, case: Case) -> list[EventData]:
    """A home visit by members of the team, checked against JX-7.3."""
    require_active(case, "a visit")
    _dated_in_window(command.visited_at, command.now, HOME_VISIT_RULE)
    workers = sorted(set(command.worker_ids))
    strangers = [w for w in workers if w not in case.team]
    if strangers:
        message = f"not on the case's team: {strangers}"
        raise refuse("visitor_not_on_team", HOME_VISIT_RULE, message)
    violations = home_visit_rules(len(workers), command.guardian_present, command.guardian_informed)
    if violations:
        raise Refused(violations)
    return [
        VisitRecorded(
            **_case_fields(case),
            report_ids=list(case.report_ids),
            **command.model_dump(exclude={"case_id", "worker_ids", "now"}),
            worker_ids=workers,
            first_visit=case.visits == 0,
            rule=HOME_VISIT_RULE,
        )
    ]


def record_investigation(command: RecordInvestigation, case: Case) -> list[EventData]:
    require_active(case, "an investigation")
    _dated_in_window(command.investigated_at, command.now, INVESTIGATION_RULE)
    return [
        InvestigationRecorded(
            **_case_fields(case),
            report_ids=list(case.report_ids),
            **command.model_dump(exclude={"case_id", "now"}),
            rule=INVESTIGATION_RULE,
        )
    ]


def record_statement(command: RecordStatement, case: Case) -> list[EventData]:
    """The initial case statement, once, after a home visit and the investigation (I-2)."""
    require_active(case, "an initial statement")
    _dated_in_window(command.stated_at, command.now, STATEMENT_RULE)
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
            **_case_fields(case),
            report_ids=list(case.report_ids),
            **command.model_dump(exclude={"case_id", "now"}),
            rule=STATEMENT_RULE,
        )
    ]


def record_consent(command: RecordConsent, case: Case) -> list[EventData]:
    require_active(case, "a consent")
    _dated_in_window(command.given_at, command.now, CONSENT_RULE)
    if not command.scopes:
        raise refuse("consent_without_scope", CONSENT_RULE, "consent to what?")
    return [
        ConsentRecorded(
            **_case_fields(case),
            **command.model_dump(exclude={"case_id", "now", "scopes"}),
            scopes=sorted(set(command.scopes)),
            rule=CONSENT_RULE,
        )
    ]


def _case_fields(case: Case) -> dict[str, Any]:
    return {"case_id": case.case_id, "organisation": case.organisation, "child_id": case.child_id}


def _dated_in_window(at: datetime, now: datetime, rule: str) -> None:
    """Dated from 2000 (`clock.EARLIEST`) until now."""
    if in_the_future(at, now):
        raise refuse("in_the_future", rule, f"{at.isoformat()} is after now")
    if too_early(at):
        raise refuse("too_early", rule, "before 2000-01-01, earlier than anything recorded here")
