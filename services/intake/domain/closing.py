"""Closing a case and following it up: what the team records so the case may go to follow-up
and, after it, be fully closed (`cases.readiness` asks for it).

- SZ-6.5: a summary of the intervention's effect; the child and guardian told in advance when
  the work ends (and how to ask for new help); a closing record filed with the organisation.
- MZ-6.4.2: the service summary report (goals reached, plan carried out, effect, reflection),
  after hearing the entrustor and the client (MZ-6.4.1).
- SZ-6.6, MZ-6.4.3: follow-ups scheduled (when, how) within 6 months after closure, 1-2 of
  them done by phone, home visit or the child's support network; full closure only after an
  assessment finds its conditions met.
Free text and the names of whom the ending was told are sealed (personal) in the events.
"""

import calendar
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from events.domain import EventData, conflict, refuse
from intake.domain.cases import (
    CLOSING_RULE,
    FOLLOWUP_RULE,
    REPORT_RULE,
    Case,
    Status,
    case_fields,
    not_allowed_in,
    require_active,
)
from intake.domain.clock import check_dated, local_date
from intake.domain.events import (
    ClosingStepRecorded,
    EndingNoticeGiven,
    FollowupDone,
    FollowupMethod,
    FollowupPlanned,
    FullClosureAssessed,
    ServiceReport,
    ServiceReportRecorded,
)

FOLLOWUP_MONTHS = 6  # SZ-6.6: the follow-ups fall within 6 months after closure


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    recorded_by: str
    now: datetime


class RecordClosingStep(Command):
    step: Literal["effect_summary", "closing_record"]
    done_at: datetime
    text: str


class GiveEndingNotice(Command):
    told: list[str]
    told_at: datetime
    ends_on: date
    contact: str | None = None


class RecordServiceReport(Command):
    reported_at: datetime
    report: ServiceReport


class PlanFollowup(Command):
    followup_id: str
    planned_on: date
    method: FollowupMethod
    note: str | None = None


class RecordFollowup(Command):
    followup_id: str
    followed_up_at: datetime
    method: FollowupMethod
    notes: str | None = None


class AssessFullClosure(Command):
    assessed_at: datetime
    conditions_met: bool
    notes: str | None = None


def record_closing_step(command: RecordClosingStep, case: Case) -> list[EventData]:
    require_active(case, "closing work")
    _dated(command.done_at, command.now, case.opened_at, CLOSING_RULE)
    fields = command.model_dump(include={"step", "done_at", "text", "recorded_by"})
    return [ClosingStepRecorded(**case_fields(case), **fields, rule=CLOSING_RULE)]


def give_ending_notice(command: GiveEndingNotice, case: Case) -> list[EventData]:
    """Told in advance (the day the work ends comes after the day they were told), with how
    to reach the service with a new need agreed (SZ-6.5, 解除工作关系)."""
    require_active(case, "the notice of the ending")
    _dated(command.told_at, command.now, case.opened_at, CLOSING_RULE)
    if not command.told:
        raise refuse("notice_to_nobody", CLOSING_RULE, "who was told?", field="told")
    if not command.contact:
        message = "agree how they reach the service with a new need"
        raise refuse("notice_without_contact", CLOSING_RULE, message, field="contact")
    if command.ends_on <= local_date(command.told_at):
        message = "the ending is told in advance: ends_on comes after the day they were told"
        raise refuse("notice_not_in_advance", CLOSING_RULE, message, field="ends_on")
    fields = command.model_dump(include={"told", "told_at", "ends_on", "contact", "recorded_by"})
    return [EndingNoticeGiven(**case_fields(case), **fields, rule=CLOSING_RULE)]


def record_service_report(command: RecordServiceReport, case: Case) -> list[EventData]:
    require_active(case, "the service summary report")
    _dated(command.reported_at, command.now, case.opened_at, REPORT_RULE)
    fields = command.model_dump(include={"reported_at", "recorded_by"})
    return [
        ServiceReportRecorded(
            **case_fields(case), **fields, report=command.report, rule=REPORT_RULE
        )
    ]


def plan_followup(command: PlanFollowup, case: Case) -> list[EventData]:
    """A follow-up scheduled from today to 6 months ahead (SZ-6.6)."""
    require_active(case, "a follow-up plan")
    today = local_date(command.now)
    latest = months_after(today, FOLLOWUP_MONTHS)
    if not today <= command.planned_on <= latest:
        message = f"a follow-up is planned from {today} to {latest} (within 6 months)"
        raise refuse("followup_out_of_window", FOLLOWUP_RULE, message, field="planned_on")
    fields = command.model_dump(
        include={"followup_id", "planned_on", "method", "note", "recorded_by"}
    )
    return [FollowupPlanned(**case_fields(case), **fields, rule=FOLLOWUP_RULE)]


def record_followup(command: RecordFollowup, case: Case) -> list[EventData]:
    """A follow-up follows the closure: only while the case is in follow-up."""
    if case.status != Status.FOLLOW_UP:
        raise not_allowed_in(case, "a follow-up is recorded after closure, in follow_up")
    _dated(command.followed_up_at, command.now, case.status_since, FOLLOWUP_RULE)
    fields = command.model_dump(
        include={"followup_id", "followed_up_at", "method", "notes", "recorded_by"}
    )
    return [FollowupDone(**case_fields(case), **fields, rule=FOLLOWUP_RULE)]


def assess_full_closure(command: AssessFullClosure, case: Case) -> list[EventData]:
    """Assessed after at least one follow-up (SZ-6.6), while the case is in follow-up."""
    if case.status != Status.FOLLOW_UP:
        raise not_allowed_in(case, "full closure is assessed in follow_up")
    if not case.followups_done:
        message = "full closure is assessed after the follow-ups: none is recorded"
        raise conflict("followup_not_done", FOLLOWUP_RULE, message, state=case.status.value)
    _dated(command.assessed_at, command.now, case.status_since, FOLLOWUP_RULE)
    return [
        FullClosureAssessed(
            **case_fields(case),
            assessed_at=command.assessed_at,
            conditions_met=command.conditions_met,
            notes=command.notes,
            assessed_by=command.recorded_by,
            rule=FOLLOWUP_RULE,
        )
    ]


def months_after(day: date, months: int) -> date:
    """The same day `months` calendar months later, or that month's last day."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _dated(at: datetime, now: datetime, since: datetime | None, rule: str) -> None:
    """Dated from `since` (the case's opening for closing work, which is done on the case;
    the move to follow-up for what follows the closure, SZ-6.6) and 2000 (`clock.EARLIEST`)
    until now."""
    when = f"{since.isoformat()}, when the case was there" if since else ""
    check_dated(at, now, rule, since, "before_the_case", when)
