"""Which deadlines an event starts or stops, and what a running clock owes at a given moment.

Pure: takes an event's name and its plaintext (non-personal) fields, the clock table and the
calendar; returns plans. Ids are derived (uuid5) from the facts that caused them, so handling
one event twice plans the same deadlines with the same ids.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, uuid5

from notify.domain.calendar import WorkingCalendar
from notify.domain.clocks import ClockRule, Subject, rules_started_by, rules_stopped_by
from notify.domain.deadlines import Due, due_at, remind_at

NAMESPACE = uuid5(NAMESPACE_URL, "https://careledger.example/notify/deadlines")

#: Where each subject's id is found in an event (ClockRule.subject: "stop events must carry
#: this entity's id"); a list field names several subjects at once.
SUBJECT_FIELDS: Mapping[Subject, tuple[str, ...]] = {
    Subject.REPORT: ("report_id", "report_ids"),
    Subject.CASE: ("case_id",),
    Subject.CHILD: ("child_id",),
    Subject.WORKER: ("worker_id",),
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
    "recorded_at",
)
#: Fields naming the staff who owe the work, for a supervisor's per-worker list.
WORKER_FIELDS = (
    "worker_ids",
    "worker_id",
    "received_by",
    "filed_by",
    "initiated_by",
    "reported_by",
)
#: Entity ids an event may carry beside its organisation (learnt for events that lack it).
ENTITY_FIELDS = ("report_id", "report_ids", "case_id", "child_id")


class Firing(StrEnum):
    REMIND = "remind"
    MISS = "miss"


@dataclass(frozen=True)
class PlannedDeadline:
    """One run of `rule` on one subject, as the start event sets it."""

    deadline_id: str
    rule: ClockRule
    subject_id: str
    organisation: str | None
    workers: tuple[str, ...]
    started_at: datetime
    due: Due
    remind_at: datetime

    @property
    def stream_id(self) -> str:
        return stream_of(self.rule.code, self.subject_id)


def stream_of(rule_code: str, subject_id: str) -> str:
    return f"deadline-{rule_code}-{subject_id}"


def derived_id(*parts: str) -> str:
    """A stable event or deadline id for the facts `parts` (a redelivery gets the same id)."""
    return str(uuid5(NAMESPACE, "/".join(parts)))


def subject_ids(subject: Subject, data: Mapping[str, object]) -> tuple[str, ...]:
    found: list[str] = []
    for name in SUBJECT_FIELDS[subject]:
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


def fact_time(data: Mapping[str, object], recorded_at: datetime) -> datetime:
    """When the starting fact happened: its own time field, but never after it was recorded."""
    for name in FACT_TIME_FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            value = _parse_time(value)
        if isinstance(value, datetime) and value.tzinfo is not None:
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
    """Every one-off clock this event starts (recurring schedules are not kept here yet)."""
    started = fact_time(data, recorded_at)
    organisation = data.get("organisation")
    plans = []
    for rule in rules_started_by(event_name):
        if rule.is_recurring or not rule.applies_to(data):
            continue
        for subject_id in subject_ids(rule.subject, data):
            due = due_at(rule, started, calendar)
            plans.append(
                PlannedDeadline(
                    deadline_id=derived_id("deadline", rule.code, subject_id, event_id),
                    rule=rule,
                    subject_id=subject_id,
                    organisation=organisation if isinstance(organisation, str) else None,
                    workers=workers_of(data),
                    started_at=started,
                    due=due,
                    remind_at=remind_at(rule, started, due.due_at),
                )
            )
    return plans


def subjects_stopped_by(event_name: str, data: Mapping[str, object]) -> list[tuple[str, str]]:
    """`(rule code, subject id)` of every one-off clock this event stops."""
    return [
        (rule.code, subject_id)
        for rule in rules_stopped_by(event_name)
        if not rule.is_recurring
        for subject_id in subject_ids(rule.subject, data)
    ]


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
