"""Receiving reports (DOMAIN §2) and mandatory reporting (DOMAIN §3, SZ-5.2).

A report is accepted at once (SZ-6.2.1) unless it is malformed: a resident ID number that
fails I-7, or a trigger that is not one of the nine situations of SZ-5.2.2. Any trigger, or an
emergency, makes the report mandatory: a `MandatoryReportFiled` fact addressed to the
recipients `mandatory.evaluate_report` names (police 110, the responsible person of the place,
civil affairs) is recorded with the report, in the same stream, and each recipient's
acknowledgement is recorded later as its own fact.
"""

from collections.abc import Iterable
from datetime import datetime
from functools import singledispatch

from pydantic import BaseModel, ConfigDict

from events.domain import EventData, Refused, conflict, refuse
from intake.domain import Violation
from intake.domain.clock import in_the_future, local_date, too_early
from intake.domain.events import (
    Addressee,
    ChildDetails,
    CivilAffairsNotified,
    Finding,
    Ground,
    MandatoryReportAcknowledged,
    MandatoryReportFiled,
    Reporter,
    ReportReceived,
    ReportWarningsConfirmed,
    Source,
)
from intake.domain.identity import (
    age_on,
    gender_mismatch,
    minor_violations,
    validate_resident_id,
)
from intake.domain.mandatory import DUTY_CLAUSE, MandatoryDecision, evaluate_report

TIME_RULE = "SZ-6.2.2"  # I-4: the time and place of the harm are part of the investigation
NOTICE_RULE = "SZ-6.2.1"  # I-2: on intake, report to the supervising civil-affairs department
CIVIL_AFFAIRS = "civil_affairs"  # the recipient key of `mandatory.RECIPIENTS`


class ReceiveReport(BaseModel):
    model_config = ConfigDict(frozen=True)

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
    now: datetime
    confirmed: frozenset[str] = frozenset()  # warning codes the worker confirms (I-7)


class AcknowledgeMandatoryReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    report_id: str
    recipient: str
    acknowledged_by: str
    acknowledged_at: datetime
    reference: str | None
    recorded_by: str
    now: datetime


class NotifyCivilAffairs(BaseModel):
    model_config = ConfigDict(frozen=True)

    report_id: str
    notified_at: datetime
    notified_by: str
    reference: str | None
    now: datetime


class Report(BaseModel):
    """A report's current state, folded from its events."""

    model_config = ConfigDict(frozen=True)

    report_id: str
    organisation: str
    child_id: str
    received_at: datetime
    mandatory: bool = False
    recipients: tuple[str, ...] = ()
    acknowledged: tuple[str, ...] = ()
    civil_affairs_notified: bool = False


def receive_report(command: ReceiveReport) -> list[EventData]:
    """The report's events: received, and filed to police and civil affairs if mandatory."""
    timing = _time_violations(command)
    if timing:  # decided first: the rest reads the received day
        raise Refused(timing)
    child, id_violations, warnings = _checked_child(command)
    decision = evaluate_report(
        command.triggers, command.emergency, child.gender, _age_at_harm(command, child)
    )
    unconfirmed = [w for w in warnings if w.code not in command.confirmed]
    violations = (
        id_violations + unconfirmed + _harm_before_birth(command, child) + decision.violations
    )
    if violations:
        raise Refused(violations)
    received = ReportReceived(
        **command.model_dump(exclude={"child", "triggers", "reporter", "now", "confirmed"}),
        reporter=command.reporter,
        child=child,
        triggers=sorted(set(command.triggers)),
        mandatory=decision.mandatory,
    )
    events: list[EventData] = [received]
    if warnings:
        events.append(_confirmed(command, warnings))
    if decision.mandatory:
        filed = _filed(command, decision)
        events.append(filed)
        if CIVIL_AFFAIRS in {r.key for r in filed.recipients}:
            events.append(_notified_by_filing(filed))
    return events


def acknowledge(command: AcknowledgeMandatoryReport, report: Report) -> list[EventData]:
    """Record that one recipient of the mandatory report acknowledged it (SZ-5.2.1)."""
    if not report.mandatory:
        message = "no mandatory report was filed for this report"
        raise conflict("no_mandatory_report", DUTY_CLAUSE, message)
    if command.recipient not in report.recipients:
        message = f"{command.recipient!r} is not a recipient; one of {list(report.recipients)}"
        raise refuse("unknown_recipient", DUTY_CLAUSE, message)
    if command.recipient in report.acknowledged:
        message = f"{command.recipient} has already acknowledged this report"
        raise conflict("already_acknowledged", DUTY_CLAUSE, message)
    at = command.acknowledged_at
    if at < report.received_at or in_the_future(at, command.now):
        message = "an acknowledgement falls between the report's receipt and now"
        raise refuse("acknowledgement_time", DUTY_CLAUSE, message)
    return [
        MandatoryReportAcknowledged(
            report_id=report.report_id,
            organisation=report.organisation,
            child_id=report.child_id,
            **command.model_dump(exclude={"report_id", "now"}),
        )
    ]


def notify_civil_affairs(command: NotifyCivilAffairs, report: Report) -> list[EventData]:
    """Record that the supervising civil-affairs department was told of the report (SZ-6.2.1):
    once, at a time between the report's receipt and now."""
    if report.civil_affairs_notified:
        message = "civil affairs was already notified of this report"
        raise conflict("already_notified", NOTICE_RULE, message)
    at = command.notified_at
    if at < report.received_at or in_the_future(at, command.now):
        message = "the notice falls between the report's receipt and now"
        raise refuse("notice_time", NOTICE_RULE, message)
    return [
        CivilAffairsNotified(
            report_id=report.report_id,
            organisation=report.organisation,
            child_id=report.child_id,
            **command.model_dump(exclude={"report_id", "now"}),
            rule=NOTICE_RULE,
        )
    ]


def report_state(events: Iterable[EventData]) -> Report | None:
    """The report as its events leave it; None when there is none."""
    state: Report | None = None
    for event in events:
        if isinstance(event, ReportReceived):
            state = Report(
                report_id=event.report_id,
                organisation=event.organisation,
                child_id=event.child_id,
                received_at=event.received_at,
            )
        elif state is not None:
            state = _changed(event, state)
    return state


@singledispatch
def _changed(event: EventData, report: Report) -> Report:
    return report


@_changed.register
def _report_filed(event: MandatoryReportFiled, report: Report) -> Report:
    recipients = tuple(r.key for r in event.recipients)
    return report.model_copy(update={"mandatory": True, "recipients": recipients})


@_changed.register
def _acknowledged(event: MandatoryReportAcknowledged, report: Report) -> Report:
    return report.model_copy(update={"acknowledged": (*report.acknowledged, event.recipient)})


@_changed.register
def _notified(event: CivilAffairsNotified, report: Report) -> Report:
    return report.model_copy(update={"civil_affairs_notified": True})


def _checked_child(command: ReceiveReport) -> tuple[ChildDetails, list[Violation], list[Violation]]:
    """The child with a normalised ID number and the birth date it carries, or I-7 violations;
    and the warnings the worker must confirm (the ID number's gender digit, I-7)."""
    child, received_on = command.child, local_date(command.received_at)
    warnings: list[Violation] = []
    if child.resident_id is not None:
        check = validate_resident_id(child.resident_id, child.birth_date, received_on)
        if not check.ok:
            return child, list(check.violations), []
        update = {"resident_id": check.normalised, "birth_date": check.birth_date}
        child = child.model_copy(update=update)
        mismatch = gender_mismatch(check, child.gender)
        warnings = [mismatch] if mismatch is not None else []
    if child.birth_date is None:
        return child, [], warnings
    harm_on = local_date(command.occurred_at or command.received_at)
    return child, minor_violations(child.birth_date, harm_on, received_on), warnings


def _age_at_harm(command: ReceiveReport, child: ChildDetails) -> int | None:
    if child.birth_date is None:
        return None
    when = command.occurred_at or command.received_at
    return age_on(child.birth_date, local_date(when))


def _harm_before_birth(command: ReceiveReport, child: ChildDetails) -> list[Violation]:
    """Harm to the child happened after they were born (SZ-6.2.2: its time is investigated)."""
    if command.occurred_at is None or child.birth_date is None:
        return []
    if local_date(command.occurred_at) >= child.birth_date:
        return []
    message = "the harm cannot have happened before the child was born"
    return [Violation(code="occurred_before_birth", rule=TIME_RULE, message=message)]


def _time_violations(command: ReceiveReport) -> list[Violation]:
    """Received from 2000 until now, the harm from 2000 until the receipt (`clock`)."""
    violations = []
    if in_the_future(command.received_at, command.now):
        message = "a report cannot be received in the future"
        violations.append(Violation(code="received_in_future", rule=TIME_RULE, message=message))
    for name, at in (("received_at", command.received_at), ("occurred_at", command.occurred_at)):
        if at is not None and too_early(at):
            message = "before 2000-01-01, earlier than anything this service records"
            violations.append(
                Violation(code="too_early", rule=TIME_RULE, message=message, field=name)
            )
    if command.occurred_at is not None and command.occurred_at > command.received_at:
        message = "the harm cannot have happened after the report was received"
        violations.append(
            Violation(code="occurred_after_received", rule=TIME_RULE, message=message)
        )
    return violations


def _confirmed(command: ReceiveReport, warnings: list[Violation]) -> ReportWarningsConfirmed:
    return ReportWarningsConfirmed(
        report_id=command.report_id,
        organisation=command.organisation,
        child_id=command.child_id,
        warnings=[Finding(code=w.code, rule=w.rule, message=w.message) for w in warnings],
        confirmed_by=command.received_by,
        confirmed_at=command.now,
    )


def _notified_by_filing(filed: MandatoryReportFiled) -> CivilAffairsNotified:
    """A mandatory report addressed to civil affairs is the notice of SZ-6.2.1."""
    return CivilAffairsNotified(
        report_id=filed.report_id,
        organisation=filed.organisation,
        child_id=filed.child_id,
        notified_at=filed.filed_at,
        notified_by=filed.filed_by,
        reference=None,
        rule=NOTICE_RULE,
    )


def _filed(command: ReceiveReport, decision: MandatoryDecision) -> MandatoryReportFiled:
    return MandatoryReportFiled(
        report_id=command.report_id,
        organisation=command.organisation,
        child_id=command.child_id,
        filed_at=command.now,
        filed_by=command.received_by,
        recipients=[Addressee(**r.model_dump(exclude={"name_zh"})) for r in decision.recipients],
        grounds=[Ground(**r.model_dump()) for r in decision.reasons],
        triggers=sorted(set(command.triggers)),
        emergency=command.emergency,
        occurred_at=command.occurred_at,
        place=command.place,
        harm=command.description,
        warnings=[Finding(code=w.code, rule=w.rule, message=w.message) for w in decision.warnings],
    )
