"""The clock table: every deadline the product enforces, as reviewable data (DOMAIN §2-8, §12).

One entry per obligation. An entry says which facts start its clock, how long it runs, which facts
stop it, whom to remind and when, whom to escalate to when it runs out, and the clause it comes
from. Change a deadline here and in review, never in handler code.

Event types are named `<service>.<aggregate>.<fact>` and match `Envelope.event_name` (the type
without its `.vN` suffix), so a schema version bump does not silently detach a clock. Every name
a rule uses is listed in `EVENT_CATALOG` with what it means; the table is validated when this
module is imported and a broken table refuses to load.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType


class Unit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    MONTHS = "months"
    WORKING_DAYS = "working_days"


@dataclass(frozen=True)
class Duration:
    """A span as the standard states it: wall-clock hours/days, calendar months, or working
    days (DOMAIN §13). Kept as stated, not converted, so each unit is added its own way."""

    amount: int
    unit: Unit

    @property
    def is_wall_clock(self) -> bool:
        return self.unit is not Unit.WORKING_DAYS


def hours(n: int) -> Duration:
    return Duration(n, Unit.HOURS)


def days(n: int) -> Duration:
    return Duration(n, Unit.DAYS)


def months(n: int) -> Duration:
    return Duration(n, Unit.MONTHS)


def working_days(n: int) -> Duration:
    return Duration(n, Unit.WORKING_DAYS)


@dataclass(frozen=True)
class SpanFraction:
    """Remind when this share of the clock's span is left (1/4 of 24 h: at 18 h)."""

    share: Fraction


RemindBefore = Duration | SpanFraction


@dataclass(frozen=True)
class DueAt:
    """The start event states the due time itself, in `data[field]` (an ISO-8601 instant with
    offset): another service decided it (assessment's tasks), notify only keeps the clock."""

    field: str


Length = Duration | DueAt


class Subject(StrEnum):
    """What the deadline is kept on; stop events must carry this entity's id."""

    REPORT = "report"
    CASE = "case"
    CHILD = "child"
    WORKER = "worker"  # a staff member: their id within the event's organisation (StaffMember)
    TASK = "task"


class Role(StrEnum):
    ASSIGNED_WORKER = "assigned_worker"
    SUPERVISOR = "supervisor"
    ORG_ADMIN = "org_admin"
    ENTRUSTOR = "entrustor"
    CIVIL_AFFAIRS = "civil_affairs"


@dataclass(frozen=True)
class When:
    """The start event starts this clock only if `data[field]` is one of `values`."""

    field: str
    values: frozenset[str | bool]

    def holds_for(self, data: Mapping[str, object]) -> bool:
        return data.get(self.field) in self.values


@dataclass(frozen=True)
class AnyOf:
    """The start event starts this clock if any of `conditions` holds for it (a follow-up
    category set, or an emergency report)."""

    conditions: tuple[When, ...]

    def holds_for(self, data: Mapping[str, object]) -> bool:
        return any(c.holds_for(data) for c in self.conditions)


@dataclass(frozen=True)
class OnEvent:
    """`condition` holds for the start event `event` only; the rule's other start events start
    it as they are (a closure starts the post-closure clock; intake's status change only when
    it moves the case to follow-up)."""

    event: str
    condition: When

    def holds_for(self, data: Mapping[str, object], event_name: str | None) -> bool:
        if event_name is not None and event_name != self.event:
            return True
        return self.condition.holds_for(data)


@dataclass(frozen=True)
class PerParty:
    """One clock per party the start event lists in `data[listed]` (each item's `key`, or the
    item itself when it is a string); a stop event stops only the clock of the party it names in
    `data[named]` (SZ-5.2.1: police's acknowledgement is not the school's)."""

    listed: str
    key: str
    named: str

    def parties(self, data: Mapping[str, object]) -> tuple[str, ...]:
        items = data.get(self.listed)
        listed = items if isinstance(items, list) else []
        found = [i.get(self.key) if isinstance(i, Mapping) else i for i in listed]
        return tuple(dict.fromkeys(p for p in found if isinstance(p, str) and p))

    def named_by(self, data: Mapping[str, object]) -> str | None:
        party = data.get(self.named)
        return party if isinstance(party, str) and party else None


@dataclass(frozen=True)
class Repeat:
    """A recurring clock: the first occurrence falls due `length` after the start, then one
    every `every`, until `within` has passed since the start (None: until a stop event).
    Each occurrence is met by one of the rule's `satisfied_by` events. With `restart_from`, a
    satisfying event also restarts the series from the date it states in `data[restart_from]`
    (the yearly check: the next is due a year after the last check, MZ-7.1.3), instead of
    keeping the schedule counted from the first start."""

    every: Duration
    within: Duration | None
    restart_from: str | None = None


@dataclass(frozen=True)
class ClockRule:
    code: str
    clause: str
    subject: Subject
    starts_on: tuple[str, ...]
    length: Length
    stopped_by: tuple[str, ...]
    remind_before: RemindBefore
    remind: tuple[Role, ...]
    escalate_to: tuple[Role, ...]
    domain_rule: str | None = None
    when: When | AnyOf | OnEvent | None = None
    repeat: Repeat | None = None
    satisfied_by: tuple[str, ...] = ()
    #: Stop events that end the clock as cancelled, not met: the duty went away undone (a
    #: superseded task, a closed case), so it was neither fulfilled nor missed.
    cancelled_by: tuple[str, ...] = ()
    per_party: PerParty | None = None
    #: Several start events announce one fact (assessment's closure and intake's move of the
    #: case to follow-up): a start is skipped while a run of the rule covers it, i.e. one runs
    #: on the subject or ended at or after the start's fact time (a one-off clock only).
    once_per_fact: bool = False
    #: A stop event that stops the clock only when its data meets a condition (intake's status
    #: change ends the follow-up series only when it moves the case to follow-up: the closure).
    stop_when: OnEvent | None = None
    note: str = ""

    @property
    def is_recurring(self) -> bool:
        return self.repeat is not None

    def stopped_by_event(self, event_type: str, data: Mapping[str, object]) -> bool:
        """Whether this event, with this data, stops the clock."""
        if event_type not in self.stopped_by:
            return False
        return self.stop_when is None or self.stop_when.holds_for(data, event_type)

    def cancels(self, event_type: str) -> bool:
        """Whether this stop event ends the clock as cancelled rather than met."""
        return event_type in self.cancelled_by

    def applies_to(self, data: Mapping[str, object], event_name: str | None = None) -> bool:
        """Whether a start event (named `event_name`) with this payload starts this clock."""
        if isinstance(self.when, OnEvent):
            return self.when.holds_for(data, event_name)
        return self.when is None or self.when.holds_for(data)


EVENT_CATALOG: Mapping[str, str] = MappingProxyType(
    {
        "intake.report.received": "a report of a child in difficulty came in; data.emergency "
        "marks serious domestic violence or unlawful infringement (I-1, I-3)",
        "intake.mandatory_report.filed": "a worker reported to police (110) under SZ-5.2",
        "intake.mandatory_report.acknowledged": "a recipient of a mandatory report (data."
        "recipient: police, place_responsible, ...) acknowledged it",
        "intake.report.civil_affairs_notified": "the supervising civil-affairs department was "
        "told of a report (SZ-6.2.1)",
        "intake.case.visit_recorded": "a home visit to the child took place",
        "intake.case.initial_statement_recorded": "visit and investigation done, initial case "
        "statement produced (I-2)",
        "intake.case.followup_category_set": "the child's follow-up category (SZ-5.8.1) was set "
        "or changed; data.category",
        "intake.worker.registered": "a staff member joined the organisation",
        "intake.worker.background_check_recorded": "criminal-record check of a staff member done "
        "on data.checked_on (a date); the next is due a year after it (MZ-7.1.3)",
        "intake.worker.deregistered": "a staff member left the organisation",
        "intake.worker.suspended": "a staff member was stopped from work (a positive "
        "background check, §12)",
        "assessment.service_plan.agreement_signed": "agreement on number, content and period of "
        "mental-health service signed (M-3)",
        "assessment.mental_health_assessment.risk_graded": "dynamic monitoring graded a child's "
        "mental-health risk; data.risk_level normal|low|medium|high",
        "assessment.session.recorded": "a mental-health service session took place",
        "assessment.service_plan.adjustment_initiated": "a worker opened a plan adjustment (M-4)",
        "assessment.service_plan.client_request_received": "the client asked to pause, change or "
        "stop the service (M-9)",
        "assessment.service_plan.client_request_reported": "the worker reported the client's "
        "request to the provider (M-9)",
        "assessment.service_plan.adjusted": "the plan adjustment was completed",
        "assessment.closure.recorded": "the case was closed (SZ-6.5)",
        "assessment.closure.followup_recorded": "a post-closure follow-up took place (SZ-6.6)",
        "assessment.closure.fully_closed": "assessment found full closure conditions met",
        "intake.case.status_changed": "the case moved from data.from_status to data.to_status; "
        "follow_up: closed, followed up within 6 months (SZ-6.6), also for a case assessment "
        "never closed",
        "intake.case.followup_done": "a follow-up after closure took place, recorded in intake "
        "(SZ-6.6)",
        "intake.case.full_closure_assessed": "intake recorded the assessment of full closure "
        "after the follow-ups (SZ-6.6)",
        "referral.placement.temporary_care_started": "temporary care of the child began",
        "referral.placement.extension_granted": "civil affairs extended temporary care",
        "referral.placement.temporary_guardianship_started": "temporary guardianship began; "
        "data.category a|b|c|d per SZ Appendix F, data.living_allowance_eligible",
        "referral.placement.ended": "the placement ended (child returned home or moved to "
        "long-term guardianship)",
        "referral.placement.new_guardian_appointed": "a new guardian was appointed",
        "referral.placement.living_allowance_arranged": "the basic living allowance was arranged",
        "referral.placement.support_session_recorded": "psychological support in placement took "
        "place",
        "referral.protection_order_application.filed": "application for a personal-safety "
        "protection ruling was filed with the court",
        "assessment.task.set": "assessment gave the assigned workers a task due at data.due_at "
        "(an intervention the grade requires, with its clause); a regrade cancels old tasks",
        "assessment.task.completed": "an assessment task was done",
        "assessment.task.cancelled": "an assessment task was withdrawn (e.g. by a regrade)",
    }
)

WORKER = (Role.ASSIGNED_WORKER,)
QUARTER = SpanFraction(Fraction(1, 4))
HALF = SpanFraction(Fraction(1, 2))
SERIOUS_VIOLENCE = When("category", frozenset({"serious_violence"}))
EVERY_3_MONTHS_CATEGORIES = When(
    "category", frozenset({"severe_illness_or_disability", "de_facto_unsupported"})
)
EVERY_6_MONTHS_CATEGORIES = When(
    "category",
    frozenset(
        {"scattered_orphan", "parent_severely_ill_or_disabled", "poor_family", "vagrancy_history"}
    ),
)
# A new category replaces a series; a closure ends them, whether assessment's (mental health)
# or intake's move of the case to follow-up (SZ-6.6: after closure come the follow-ups).
FOLLOWUP_ENDS = (
    "intake.case.followup_category_set",
    "assessment.closure.recorded",
    "intake.case.status_changed",
)
CLOSURE = "assessment.closure.recorded"
STATUS_CHANGED = "intake.case.status_changed"
AT_CLOSURE = OnEvent(STATUS_CHANGED, When("to_status", frozenset({"follow_up"})))
MH_START_STOPS = ("assessment.session.recorded", CLOSURE)
EMERGENCY = When("emergency", frozenset({True}))
#: "Immediately" (SZ-5.2.1, SZ-6.2.1) has no span; see the note of the acknowledgement clock.
IMMEDIATELY = hours(1)
TEMPORARY_GUARDIANSHIP = "referral.placement.temporary_guardianship_started"
PLACEMENT_ENDED = "referral.placement.ended"

CLOCK_TABLE: tuple[ClockRule, ...] = (
    ClockRule(
        code="mandatory_report.acknowledgement",
        clause="SZ-5.2.1",
        domain_rule="§3",
        subject=Subject.REPORT,
        starts_on=("intake.mandatory_report.filed",),
        length=IMMEDIATELY,
        stopped_by=("intake.mandatory_report.acknowledged",),
        per_party=PerParty(listed="recipients", key="key", named="recipient"),
        remind_before=HALF,
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR, Role.ORG_ADMIN),
        note="Resolution: 'immediately' has no span; 1 h is the least time in which a worker can "
        "call 110, obtain the acknowledgement and record it, and escalation still reaches the "
        "supervisor within the same shift while police can act on the report. One clock per "
        "recipient: each acknowledges for itself.",
    ),
    ClockRule(
        code="intake.civil_affairs_report",
        clause="SZ-6.2.1",
        domain_rule="I-2",
        subject=Subject.REPORT,
        starts_on=("intake.report.received",),
        length=IMMEDIATELY,
        stopped_by=("intake.report.civil_affairs_notified",),
        remind_before=HALF,
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR,),
        note="SZ-6.2.1 asks on every intake to accept at once and report to the supervising "
        "civil-affairs department; 'immediately' is read as for the mandatory report (1 h).",
    ),
    ClockRule(
        code="intake.first_visit",
        clause="SZ-6.2.1",
        domain_rule="I-3",
        subject=Subject.REPORT,
        starts_on=("intake.report.received",),
        when=When("emergency", frozenset({True})),
        length=hours(24),
        stopped_by=("intake.case.visit_recorded",),
        remind_before=QUARTER,
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR, Role.ORG_ADMIN),
    ),
    ClockRule(
        code="intake.investigation",
        clause="SZ-6.2.1",
        domain_rule="I-2",
        subject=Subject.REPORT,
        starts_on=("intake.report.received",),
        length=hours(72),
        stopped_by=("intake.case.initial_statement_recorded",),
        remind_before=QUARTER,
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR,),
    ),
    ClockRule(
        code="mental_health.start_by_agreement",
        clause="JX-7.3",
        domain_rule="M-5",
        subject=Subject.CASE,
        starts_on=("assessment.service_plan.agreement_signed",),
        length=working_days(15),
        stopped_by=MH_START_STOPS,
        cancelled_by=(CLOSURE,),
        remind_before=QUARTER,
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR, Role.ENTRUSTOR),
    ),
    ClockRule(
        code="mental_health.start_medium_risk",
        clause="JX-7.3",
        domain_rule="M-5",
        subject=Subject.CASE,
        starts_on=("assessment.mental_health_assessment.risk_graded",),
        when=When("risk_level", frozenset({"medium"})),
        length=working_days(10),
        stopped_by=MH_START_STOPS,
        cancelled_by=(CLOSURE,),
        remind_before=QUARTER,
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR, Role.ENTRUSTOR),
    ),
    ClockRule(
        code="mental_health.start_high_risk",
        clause="JX-7.3",
        domain_rule="M-5",
        subject=Subject.CASE,
        starts_on=("assessment.mental_health_assessment.risk_graded",),
        when=When("risk_level", frozenset({"high"})),
        length=working_days(5),
        stopped_by=MH_START_STOPS,
        cancelled_by=(CLOSURE,),
        remind_before=QUARTER,
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR, Role.ENTRUSTOR),
    ),
    ClockRule(
        code="mental_health.plan_adjustment",
        clause="JX-7.2.2",
        domain_rule="M-4",
        subject=Subject.CASE,
        starts_on=("assessment.service_plan.adjustment_initiated",),
        length=working_days(5),
        stopped_by=("assessment.service_plan.adjusted", CLOSURE),
        cancelled_by=(CLOSURE,),
        remind_before=QUARTER,
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR,),
    ),
    ClockRule(
        code="mental_health.client_request_report",
        clause="JX-7.4.2",
        domain_rule="M-9",
        subject=Subject.CASE,
        starts_on=("assessment.service_plan.client_request_received",),
        length=working_days(2),
        stopped_by=("assessment.service_plan.client_request_reported",),
        remind_before=HALF,
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR,),
    ),
    ClockRule(
        code="mental_health.client_request_adjustment",
        clause="JX-7.4.2",
        domain_rule="M-9",
        subject=Subject.CASE,
        starts_on=("assessment.service_plan.client_request_reported",),
        length=working_days(5),
        stopped_by=("assessment.service_plan.adjusted", CLOSURE),
        cancelled_by=(CLOSURE,),
        remind_before=QUARTER,
        remind=(Role.ASSIGNED_WORKER, Role.SUPERVISOR),
        escalate_to=(Role.ORG_ADMIN, Role.ENTRUSTOR),
    ),
    ClockRule(
        code="followup.weekly_after_serious_violence",
        clause="SZ-5.8.2",
        domain_rule="§5",
        subject=Subject.CHILD,
        starts_on=(
            "intake.case.followup_category_set",
            "intake.report.received",
            "intake.mandatory_report.filed",
        ),
        when=AnyOf((SERIOUS_VIOLENCE, EMERGENCY)),
        length=days(7),
        repeat=Repeat(every=days(7), within=months(3)),
        satisfied_by=("intake.case.visit_recorded",),
        stopped_by=FOLLOWUP_ENDS,
        cancelled_by=FOLLOWUP_ENDS,
        stop_when=AT_CLOSURE,
        remind_before=days(2),
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR,),
        note="An emergency report (serious violence or unlawful infringement, I-3) starts it as "
        "the category does; a series already running goes on. The 24 h first visit is "
        "intake.first_visit; after 3 months the worker sets the category again, which ends "
        "this schedule and starts the one that fits.",
    ),
    ClockRule(
        code="followup.every_3_months",
        clause="SZ-5.8.2",
        domain_rule="§5",
        subject=Subject.CHILD,
        starts_on=("intake.case.followup_category_set",),
        when=EVERY_3_MONTHS_CATEGORIES,
        length=months(3),
        repeat=Repeat(every=months(3), within=None),
        satisfied_by=("intake.case.visit_recorded",),
        stopped_by=FOLLOWUP_ENDS,
        cancelled_by=FOLLOWUP_ENDS,
        stop_when=AT_CLOSURE,
        remind_before=days(14),
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR,),
    ),
    ClockRule(
        code="followup.every_6_months",
        clause="SZ-5.8.2",
        domain_rule="§5",
        subject=Subject.CHILD,
        starts_on=("intake.case.followup_category_set",),
        when=EVERY_6_MONTHS_CATEGORIES,
        length=months(6),
        repeat=Repeat(every=months(6), within=None),
        satisfied_by=("intake.case.visit_recorded",),
        stopped_by=FOLLOWUP_ENDS,
        cancelled_by=FOLLOWUP_ENDS,
        stop_when=AT_CLOSURE,
        remind_before=months(1),
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR,),
    ),
    ClockRule(
        code="followup.after_closure",
        clause="SZ-6.6",
        domain_rule="§5",
        subject=Subject.CASE,
        # A case assessment never closed reaches follow-up in intake only: its move starts the
        # clock too, once per closure (DOMAIN §5 last bullet).
        starts_on=(CLOSURE, STATUS_CHANGED),
        when=OnEvent(STATUS_CHANGED, When("to_status", frozenset({"follow_up"}))),
        once_per_fact=True,
        length=months(6),
        stopped_by=(
            "assessment.closure.followup_recorded",
            "assessment.closure.fully_closed",
            "intake.case.followup_done",
            "intake.case.full_closure_assessed",
        ),
        remind_before=months(1),
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR,),
        note="The standard asks 1-2 follow-ups within 6 months; the clock enforces the first. "
        "Started by assessment's closure or intake's move of the case to follow_up, whichever "
        "comes first; met by a follow-up recorded in either service.",
    ),
    ClockRule(
        code="placement.temporary_care",
        clause="SZ-F.1.7",
        domain_rule="§8",
        subject=Subject.CHILD,
        starts_on=("referral.placement.temporary_care_started",),
        length=months(3),
        stopped_by=(PLACEMENT_ENDED, "referral.placement.extension_granted"),
        remind_before=days(14),
        remind=(Role.ASSIGNED_WORKER, Role.CIVIL_AFFAIRS),
        escalate_to=(Role.ORG_ADMIN, Role.CIVIL_AFFAIRS),
    ),
    ClockRule(
        code="placement.temporary_care_extension",
        clause="SZ-F.1.7",
        domain_rule="§8",
        subject=Subject.CHILD,
        starts_on=("referral.placement.extension_granted",),
        length=months(9),
        stopped_by=(PLACEMENT_ENDED,),
        remind_before=months(1),
        remind=(Role.ASSIGNED_WORKER, Role.CIVIL_AFFAIRS),
        escalate_to=(Role.ORG_ADMIN, Role.CIVIL_AFFAIRS),
    ),
    ClockRule(
        code="placement.temporary_guardianship",
        clause="SZ-5.5",
        domain_rule="§8",
        subject=Subject.CHILD,
        starts_on=(TEMPORARY_GUARDIANSHIP,),
        length=months(12),
        stopped_by=(PLACEMENT_ENDED,),
        remind_before=months(1),
        remind=(Role.ASSIGNED_WORKER, Role.CIVIL_AFFAIRS),
        escalate_to=(Role.ORG_ADMIN, Role.CIVIL_AFFAIRS),
    ),
    ClockRule(
        code="placement.protection_order_application",
        clause="SZ-F.1.4",
        domain_rule="§8",
        subject=Subject.CHILD,
        starts_on=(TEMPORARY_GUARDIANSHIP,),
        when=When("category", frozenset({"b"})),
        length=hours(72),
        stopped_by=("referral.protection_order_application.filed",),
        remind_before=QUARTER,
        remind=(Role.ASSIGNED_WORKER, Role.CIVIL_AFFAIRS),
        escalate_to=(Role.SUPERVISOR, Role.CIVIL_AFFAIRS),
    ),
    ClockRule(
        code="placement.new_guardian",
        clause="SZ-F.1.5",
        domain_rule="§8",
        subject=Subject.CHILD,
        starts_on=(TEMPORARY_GUARDIANSHIP,),
        when=When("category", frozenset({"c"})),
        length=months(1),
        stopped_by=("referral.placement.new_guardian_appointed", PLACEMENT_ENDED),
        remind_before=days(7),
        remind=(Role.ASSIGNED_WORKER, Role.CIVIL_AFFAIRS),
        escalate_to=(Role.ORG_ADMIN, Role.CIVIL_AFFAIRS),
    ),
    ClockRule(
        code="placement.living_allowance",
        clause="SZ-F.1.6",
        domain_rule="§8",
        subject=Subject.CHILD,
        starts_on=(TEMPORARY_GUARDIANSHIP,),
        when=When("living_allowance_eligible", frozenset({True})),
        length=months(1),
        stopped_by=("referral.placement.living_allowance_arranged",),
        remind_before=days(7),
        remind=(Role.ASSIGNED_WORKER, Role.CIVIL_AFFAIRS),
        escalate_to=(Role.ORG_ADMIN, Role.CIVIL_AFFAIRS),
    ),
    ClockRule(
        code="placement.weekly_psychological_support",
        clause="NX-6.1.6",
        domain_rule="§8",
        subject=Subject.CHILD,
        starts_on=("referral.placement.temporary_care_started", TEMPORARY_GUARDIANSHIP),
        length=days(7),
        repeat=Repeat(every=days(7), within=None),
        satisfied_by=("referral.placement.support_session_recorded",),
        stopped_by=(PLACEMENT_ENDED,),
        remind_before=days(2),
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR, Role.ORG_ADMIN),
    ),
    ClockRule(
        code="staff.background_check",
        clause="MZ-7.1.3",
        domain_rule="§12",
        subject=Subject.WORKER,
        starts_on=("intake.worker.registered",),
        length=months(12),
        # Counted from the last check, not from registration: a check at registration must not
        # push the next one two years away (issue 14 item 8).
        repeat=Repeat(every=months(12), within=None, restart_from="checked_on"),
        satisfied_by=("intake.worker.background_check_recorded",),
        stopped_by=("intake.worker.deregistered", "intake.worker.suspended"),
        cancelled_by=("intake.worker.deregistered", "intake.worker.suspended"),
        remind_before=months(1),
        remind=(Role.ORG_ADMIN,),
        escalate_to=(Role.ORG_ADMIN, Role.ENTRUSTOR),
    ),
    ClockRule(
        code="assessment.task",
        clause="SZ-6.4",
        domain_rule="§4",
        subject=Subject.TASK,
        starts_on=("assessment.task.set",),
        length=DueAt("due_at"),
        stopped_by=("assessment.task.completed", "assessment.task.cancelled"),
        cancelled_by=("assessment.task.cancelled",),
        remind_before=QUARTER,
        remind=WORKER,
        escalate_to=(Role.SUPERVISOR,),
        note="The task's own clause (data.clause) is kept on the clock; SZ-6.4 is the clause "
        "of the rule as a whole: the interventions each grade requires.",
    ),
)


class ClockTableError(ValueError):
    """The clock table contradicts itself; it must not load."""


SERVICES = ("intake", "assessment", "referral", "archive", "notify")
EVENT_NAME = re.compile(rf"^({'|'.join(SERVICES)})\.[a-z][a-z_]*\.[a-z][a-z_]*$")
FIELD = re.compile(r"^[a-z][a-z_]*$")
CLAUSE = re.compile(r"^(MZ|JX|SZ|NX|GB)-[0-9A-Z][0-9A-Za-z.]*$")


def table_problems(rules: Iterable[ClockRule], catalog: Mapping[str, str]) -> list[str]:
    """Every way the table is wrong, so a reviewer sees them all at once."""
    rules = tuple(rules)
    problems = _duplicate_codes(rules) + _unused_events(rules, catalog)
    for rule in rules:
        problems += [f"{rule.code}: {p}" for p in _rule_problems(rule, catalog)]
    return problems


def validate_table(rules: Iterable[ClockRule], catalog: Mapping[str, str]) -> None:
    problems = table_problems(rules, catalog)
    if problems:
        raise ClockTableError("; ".join(problems))


def _duplicate_codes(rules: tuple[ClockRule, ...]) -> list[str]:
    codes = [r.code for r in rules]
    return [f"duplicate code {c}" for c in sorted({c for c in codes if codes.count(c) > 1})]


def _unused_events(rules: tuple[ClockRule, ...], catalog: Mapping[str, str]) -> list[str]:
    used = {e for r in rules for e in _events_of(r)}
    return [f"catalog event {e} is used by no rule" for e in sorted(set(catalog) - used)]


def _events_of(rule: ClockRule) -> tuple[str, ...]:
    return rule.starts_on + rule.stopped_by + rule.satisfied_by


def _rule_problems(rule: ClockRule, catalog: Mapping[str, str]) -> list[str]:
    return (
        _span_problems(rule)
        + _event_problems(rule, catalog)
        + _reminder_problems(rule)
        + _routing_problems(rule)
    )


def _span_problems(rule: ClockRule) -> list[str]:
    if isinstance(rule.length, DueAt):
        return _stated_due_problems(rule, rule.length)
    problems = [] if rule.length.amount > 0 else ["length must be positive"]
    if rule.repeat is None:
        return problems
    if rule.repeat.every.amount <= 0:
        problems.append("repeat.every must be positive")
    if rule.repeat.every.unit is not rule.length.unit:
        problems.append("repeat.every must use the unit of length, so occurrences do not drift")
    within = rule.repeat.within
    if within is not None and (within.amount <= 0 or not within.is_wall_clock):
        problems.append("repeat.within must be a positive wall-clock span")
    restart = rule.repeat.restart_from
    if restart is not None and not FIELD.match(restart):
        problems.append(f"restart field {restart!r} is no name")
    return problems


def _stated_due_problems(rule: ClockRule, length: DueAt) -> list[str]:
    problems = [] if FIELD.match(length.field) else [f"due-time field {length.field!r} is no name"]
    if rule.repeat is not None:
        problems.append("a clock due at a time its start event states cannot recur")
    if not isinstance(rule.remind_before, SpanFraction):
        problems.append("a clock due at a stated time needs its reminder as a share of its span")
    return problems


def _event_problems(rule: ClockRule, catalog: Mapping[str, str]) -> list[str]:
    problems = [f"unknown event {e}" for e in _events_of(rule) if e not in catalog]
    problems += [f"badly named event {e}" for e in _events_of(rule) if not EVENT_NAME.match(e)]
    if not rule.starts_on or not rule.stopped_by:
        problems.append("needs start and stop events")
    if not rule.is_recurring and set(rule.starts_on) & set(rule.stopped_by):
        problems.append("a one-off clock cannot stop on its own start event")
    if rule.is_recurring != bool(rule.satisfied_by):
        problems.append("satisfied_by is required for, and only for, recurring clocks")
    if not set(rule.cancelled_by) <= set(rule.stopped_by):
        problems.append("cancelled_by must list stop events")
    if isinstance(rule.when, OnEvent) and rule.when.event not in rule.starts_on:
        problems.append(f"condition on {rule.when.event}, which does not start the clock")
    if rule.once_per_fact and rule.is_recurring:
        problems.append("once_per_fact is for one-off clocks (a series is never started twice)")
    return problems


def _reminder_problems(rule: ClockRule) -> list[str]:
    before = rule.remind_before
    if isinstance(before, SpanFraction):
        return [] if 0 < before.share < 1 else ["remind share must be between 0 and 1"]
    if not before.is_wall_clock or before.amount <= 0:
        return ["a fixed reminder must be a positive wall-clock span"]
    spans = [s for s in (rule.length, rule.repeat and rule.repeat.every) if isinstance(s, Duration)]
    if any(before.unit is s.unit and before.amount >= s.amount for s in spans):
        return ["the reminder must fall inside the span"]
    return []


def _routing_problems(rule: ClockRule) -> list[str]:
    problems = [] if CLAUSE.match(rule.clause) else [f"clause {rule.clause!r} cites no standard"]
    if not rule.remind or not rule.escalate_to:
        problems.append("needs someone to remind and someone to escalate to")
    return problems


validate_table(CLOCK_TABLE, EVENT_CATALOG)

_BY_CODE: Mapping[str, ClockRule] = MappingProxyType({r.code: r for r in CLOCK_TABLE})


def rule_for(code: str) -> ClockRule:
    """The rule with this code; KeyError names the code when there is none."""
    return _BY_CODE[code]


def rules_started_by(event_type: str) -> tuple[ClockRule, ...]:
    """Rules this event type may start; check `ClockRule.applies_to(data)` on each."""
    return tuple(r for r in CLOCK_TABLE if event_type in r.starts_on)


def rules_stopped_by(event_type: str) -> tuple[ClockRule, ...]:
    return tuple(r for r in CLOCK_TABLE if event_type in r.stopped_by)


def rules_satisfied_by(event_type: str) -> tuple[ClockRule, ...]:
    """Recurring rules whose current occurrence this event type meets."""
    return tuple(r for r in CLOCK_TABLE if event_type in r.satisfied_by)
