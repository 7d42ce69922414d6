"""Which deadlines an event starts, meets or stops, and what a running clock owes at a moment.

A recurring rule (`Repeat`) runs as a series: one deadline per occurrence, the next one set when
the current one is met by a `satisfied_by` event or missed, until the window (`within`) closes
or a stop event ends the series. Occurrence k is due `length + (k-1) * every` after the series
started, so a late or early visit does not shift the schedule (SZ-5.8.2 "at least weekly").

Pure: takes an event's name and its plaintext (non-personal) fields, the clock table and the
calendar; returns plans. Ids are derived (uuid5) from the facts that caused them, so handling
one event twice plans the same deadlines with the same ids.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import NamedTuple, Protocol, TypeVar
from urllib.parse import quote
from uuid import NAMESPACE_URL, uuid5

from notify.domain.calendar import WorkingCalendar, in_years
from notify.domain.clocks import (
    CLAUSE,
    ClockRule,
    DueAt,
    Subject,
    rules_satisfied_by,
    rules_started_by,
    rules_stopped_by,
)
from notify.domain.deadlines import (
    CHINA,
    END_OF_WORKING_DAY,
    Due,
    due_at,
    occurrence_due,
    remind_at,
    series_end,
)

NAMESPACE = uuid5(NAMESPACE_URL, "https://careledger.example/notify/deadlines")

#: Where each subject's id is found in an event (ClockRule.subject: "stop events must carry
#: this entity's id"); a list field names several subjects at once. A worker is found by their
#: id and the event's `organisation` together (`StaffMember`).
SUBJECT_FIELDS: Mapping[Subject, tuple[str, ...]] = {
    Subject.REPORT: ("report_id", "report_ids"),
    Subject.CASE: ("case_id",),
    Subject.CHILD: ("child_id",),
    Subject.WORKER: ("worker_id",),
    Subject.TASK: ("task_id",),
}

#: Fields that say when the starting fact happened, most specific first. A clock runs from the
#: fact (the 72 h of SZ-6.2.1 run from receiving the report, not from typing it in), never from
#: a later moment than the event was recorded. `occurred_at` (when the harm happened) is not
#: among them: the clocks run from when the organisation learnt of it.
FACT_TIME_FIELDS = (
    "received_at",
    "filed_at",
    "signed_at",
    "assessed_at",
    "initiated_at",
    "started_at",
    "set_at",
    "reported_at",
    "registered_at",
    "closed_at",
    "changed_at",
    "recorded_at",
)
#: Fields naming the staff who owe the work, for a supervisor's per-worker list.
WORKER_FIELDS = (
    "assignee_ids",
    "worker_ids",
    "worker_id",
    "received_by",
    "filed_by",
    "initiated_by",
    "reported_by",
)
#: Entity ids an event may carry beside its organisation (learnt for events that lack it).
ENTITY_FIELDS = ("report_id", "report_ids", "case_id", "child_id")


@dataclass(frozen=True)
class StaffMember:
    """One person of the staff registry. A staff id names one person within one organisation
    (intake_0006: two organisations may register the same id for two people), so a clock kept
    on a staff member is kept on both: `subject_id` is `<organisation>/<worker id>`, each part
    percent-encoded so that no two pairs share it. Clocks set before that were kept on the
    worker id alone (`legacy_subject_id`); their rows name the organisation and the worker."""

    organisation: str
    worker_id: str

    @property
    def subject_id(self) -> str:
        return f"{quote(self.organisation, safe='')}/{quote(self.worker_id, safe='')}"

    @property
    def legacy_subject_id(self) -> str:
        return self.worker_id


class Reached(NamedTuple):
    """A clock (or series) an event reaches: its rule's code and the subject id it is kept
    on; for a staff member also who they are (`staff`), so that the clocks set before the
    subject named the organisation are found as well, in that organisation only; for a clock
    kept per party (`PerParty`), the party the event names."""

    rule: str
    subject_id: str
    staff: StaffMember | None = None
    party: str | None = None


class Firing(StrEnum):
    REMIND = "remind"
    MISS = "miss"


@dataclass(frozen=True)
class Series:
    """A recurring rule's run on one subject: its id and when it started (occurrences count from
    there)."""

    series_id: str
    started_at: datetime


@dataclass(frozen=True)
class PlannedDeadline:
    """One run of `rule` on one subject (or one occurrence of a series), as it is set.
    `started_at` is when its span began: the start, or the previous occurrence's due time."""

    deadline_id: str
    rule: ClockRule
    subject_id: str
    organisation: str | None
    workers: tuple[str, ...]
    started_at: datetime
    due: Due
    remind_at: datetime
    clause: str
    series: Series | None = None
    occurrence: int | None = None
    party: str | None = None  # the recipient whose acknowledgement this clock awaits
    supervisors: tuple[str, ...] = ()  # the case's supervisors, named in the escalation

    @property
    def stream_id(self) -> str:
        return stream_of(self.rule.code, self.subject_id)


@dataclass(frozen=True)
class FireDueClocks:
    """Fire up to `limit` clocks that owe a reminder or a miss at `at`."""

    at: datetime
    limit: int


class Window(Protocol):
    """A running occurrence as the read model holds it."""

    @property
    def started_at(self) -> datetime: ...


W = TypeVar("W", bound=Window)


def stream_of(rule_code: str, subject_id: str) -> str:
    return f"deadline-{rule_code}-{subject_id}"


def series_id_of(rule_code: str, subject_id: str, started_by: str) -> str:
    """The id of the series of `rule_code` on the subject that the event `started_by` began."""
    return derived_id("series", rule_code, subject_id, started_by)


def derived_id(*parts: str) -> str:
    """A stable event or deadline id for the facts `parts` (a redelivery gets the same id)."""
    return str(uuid5(NAMESPACE, "/".join(parts)))


def subject_ids(subject: Subject, data: Mapping[str, object]) -> tuple[str, ...]:
    """The ids of the subjects the event names; a staff member's is per organisation."""
    if subject is Subject.WORKER:
        return tuple(member.subject_id for member in staff_members(data))
    return _ids(SUBJECT_FIELDS[subject], data)


def staff_members(data: Mapping[str, object]) -> tuple[StaffMember, ...]:
    """The staff members the event names: its worker ids in its organisation. Without an
    organisation none: an id alone would reach every organisation's person with that id."""
    organisation = data.get("organisation")
    if not isinstance(organisation, str) or not organisation:
        return ()
    ids = _ids(SUBJECT_FIELDS[Subject.WORKER], data)
    return tuple(StaffMember(organisation, worker_id) for worker_id in ids)


def _ids(fields: Sequence[str], data: Mapping[str, object]) -> tuple[str, ...]:
    found: list[str] = []
    for name in fields:
        value = data.get(name)
        if isinstance(value, str) and value:
            found.append(value)
        elif isinstance(value, list):
            found += [v for v in value if isinstance(v, str) and v]
    return tuple(dict.fromkeys(found))


def entities_of(data: Mapping[str, object]) -> tuple[str, ...]:
    """The report, case and child ids the event names."""
    found: list[str] = []
    for name in ENTITY_FIELDS:
        value = data.get(name)
        values = value if isinstance(value, list) else [value]
        found += [v for v in values if isinstance(v, str) and v]
    return tuple(dict.fromkeys(found))


def linked_to_case(data: Mapping[str, object]) -> tuple[str, ...]:
    """The reports, child and task an event names beside its case (deadlines kept on them
    belong to that case's project)."""
    task = data.get("task_id")
    tasks = (task,) if isinstance(task, str) and task else ()
    case_id = data.get("case_id")
    return tuple(e for e in (*entities_of(data), *tasks) if e != case_id)


def fact_time(data: Mapping[str, object], recorded_at: datetime) -> datetime:
    """When the starting fact happened: its own time field, but never after it was recorded,
    and not when it lies before notify's years (as unreadable as a malformed time: a clock
    from year 1 would ask for that year's calendar)."""
    for name in FACT_TIME_FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            value = _parse_time(value)
        if isinstance(value, datetime) and value.tzinfo is not None and in_years(value):
            return min(value, recorded_at)
    return recorded_at


def workers_of(data: Mapping[str, object]) -> tuple[str, ...]:
    found: list[str] = []
    for name in WORKER_FIELDS:
        value = data.get(name)
        values = value if isinstance(value, list) else [value]
        found += [v for v in values if isinstance(v, str) and v]
    return tuple(dict.fromkeys(found))


def deadlines_started_by(
    event_id: str,
    event_name: str,
    data: Mapping[str, object],
    recorded_at: datetime,
    calendar: WorkingCalendar,
) -> list[PlannedDeadline]:
    """Every clock this event starts: one-off runs, and the first occurrence of each series."""
    started = fact_time(data, recorded_at)
    organisation = data.get("organisation")
    owner = organisation if isinstance(organisation, str) else None
    plans = []
    for rule in rules_started_by(event_name):
        if not rule.applies_to(data, event_name):
            continue
        for subject_id in subject_ids(rule.subject, data):
            if rule.is_recurring:
                series = Series(series_id_of(rule.code, subject_id, event_id), started)
                first = next_occurrence(
                    rule, subject_id, owner, workers_of(data), series, 0, calendar
                )
                plans += [first] if first is not None else []
                continue
            due = due_at(rule, started, calendar, data)
            for party in _parties(rule, data):
                ids = (rule.code, subject_id, event_id) + ((party,) if party else ())
                plans.append(
                    PlannedDeadline(
                        deadline_id=derived_id("deadline", *ids),
                        rule=rule,
                        subject_id=subject_id,
                        organisation=owner,
                        workers=workers_of(data),
                        started_at=started,
                        due=due,
                        remind_at=remind_at(rule, started, due.due_at),
                        clause=clause_of(rule, data),
                        party=party,
                    )
                )
    return plans


def _parties(rule: ClockRule, data: Mapping[str, object]) -> tuple[str | None, ...]:
    """One run per party the event lists for a rule kept per party, else one run."""
    return (None,) if rule.per_party is None else rule.per_party.parties(data)


def next_occurrence(
    rule: ClockRule,
    subject_id: str,
    organisation: str | None,
    workers: Sequence[str],
    series: Series,
    after: int,
    calendar: WorkingCalendar,
) -> PlannedDeadline | None:
    """Occurrence `after + 1` of the series, or None once it would fall due after the window
    closes (the series is then complete)."""
    k = after + 1
    due = occurrence_due(rule, series.started_at, k, calendar)
    end = series_end(rule, series.started_at)
    if end is not None and due.due_at > end:
        return None
    began = (
        series.started_at
        if k == 1
        else occurrence_due(rule, series.started_at, k - 1, calendar).due_at
    )
    return PlannedDeadline(
        deadline_id=derived_id("deadline", series.series_id, str(k)),
        rule=rule,
        subject_id=subject_id,
        organisation=organisation,
        workers=tuple(workers),
        started_at=began,
        due=due,
        remind_at=remind_at(rule, began, due.due_at),
        clause=rule.clause,
        series=series,
        occurrence=k,
    )


def restart_point(
    rule: ClockRule, data: Mapping[str, object], recorded_at: datetime
) -> datetime | None:
    """When a satisfying event restarts `rule`'s series (`Repeat.restart_from`): the end of the
    date it states, China time, so the next occurrence leaves the whole of its last day (a
    check on 2 Nov 2026 is due again by 2 Nov 2027, 23:59:59); never a date after the event
    was recorded. None when the rule keeps its schedule, or the date is missing or unreadable
    (the schedule then goes on as counted)."""
    field = rule.repeat.restart_from if rule.repeat else None
    value = data.get(field) if field else None
    try:
        stated = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        stated = None
    if stated is None or not in_years(stated):
        return None
    day = min(stated, recorded_at.astimezone(CHINA).date())
    return datetime.combine(day, END_OF_WORKING_DAY, tzinfo=CHINA).astimezone(UTC)


def restarted_series(
    rule: ClockRule,
    subject_id: str,
    organisation: str | None,
    workers: Sequence[str],
    restarted_by: str,
    at: datetime,
    calendar: WorkingCalendar,
) -> PlannedDeadline | None:
    """The first occurrence of the series that the event `restarted_by` begins at `at` on the
    subject of a running series (kept on the subject, organisation and workers it was set
    with, so an old staff clock goes on under its own subject id)."""
    series = Series(series_id_of(rule.code, subject_id, restarted_by), at)
    return next_occurrence(rule, subject_id, organisation, workers, series, 0, calendar)


def clause_of(rule: ClockRule, data: Mapping[str, object]) -> str:
    """The clause a clock cites: the start event's own when the rule takes its due time from
    the event (an assessment task names the clause it enforces), else the rule's."""
    stated = data.get("clause")
    if isinstance(rule.length, DueAt) and isinstance(stated, str) and CLAUSE.match(stated):
        return stated
    return rule.clause


def subjects_stopped_by(event_name: str, data: Mapping[str, object]) -> list[Reached]:
    """Every clock or series this event stops, as `(rule code, subject id, staff)`."""
    rules = (r for r in rules_stopped_by(event_name) if r.stopped_by_event(event_name, data))
    return [reached for rule in rules for reached in _reached(rule, data)]


def subjects_satisfied_by(event_name: str, data: Mapping[str, object]) -> list[Reached]:
    """Every series whose current occurrence this event meets, as `(rule code, subject id,
    staff)`."""
    return [r for rule in rules_satisfied_by(event_name) for r in _reached(rule, data)]


def _reached(rule: ClockRule, data: Mapping[str, object]) -> list[Reached]:
    if rule.subject is Subject.WORKER:
        return [Reached(rule.code, m.subject_id, m) for m in staff_members(data)]
    party = rule.per_party.named_by(data) if rule.per_party else None
    return [Reached(rule.code, s, party=party) for s in subject_ids(rule.subject, data)]


def reaches(reached: Reached, row_party: str | None) -> bool:
    """Whether a stop event reaching `reached` stops a clock kept for `row_party`: the party's
    own clock only; a clock set before clocks were kept per party stood for every recipient
    and stops on any of them, as it did then."""
    return row_party is None or reached.party is None or row_party == reached.party


def occurrences_met(running: Sequence[W], at: datetime) -> list[W]:
    """The running occurrences an event at `at` meets: those whose span has begun (a missed
    one late, the current one on time). An occurrence not yet begun is not met in advance, so
    two visits in one week do not count for the next week (SZ-5.8.2 "at least weekly")."""
    return [row for row in running if row.started_at <= at]


def firing_due(due: datetime, remind: datetime, reminded: bool, now: datetime) -> Firing | None:
    """What an open clock owes at `now`: the miss once due (a reminder then is too late and is
    skipped), else the reminder once its time came, else nothing."""
    if now >= due:
        return Firing.MISS
    if not reminded and now >= remind:
        return Firing.REMIND
    return None


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
