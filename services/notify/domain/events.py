"""Event types of the notify service, registered in the shared registry (`events.domain`).

One stream per clock rule and subject (`deadline-<rule>-<subject id>`); a stream holds every
run of that rule for that subject, each run named by its `deadline_id`. Nothing here names or
describes a person beyond staff and entity ids, except where a subscription sends to: its
`target` and webhook secret are sealed (`notify.subscription.created` v2).
"""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from events.domain import EventData, registry


@registry.register("notify.deadline.set", 1)
class DeadlineSet(EventData):
    """A clock of the clock table started: it falls due at `due_at` (DOMAIN §2-8, §13).
    `provisional` when working days of a year without a loaded notice were counted Mon-Fri."""

    deadline_id: str
    rule: str
    clause: str
    subject: str
    subject_id: str
    organisation: str | None
    workers: list[str]
    started_at: datetime
    started_by: str  # the id of the event that started the clock
    due_at: datetime
    remind_at: datetime
    provisional: bool
    missing_years: list[int]
    remind: list[str]  # roles, as the rule stood when the clock was set
    escalate_to: list[str]


@registry.register("notify.deadline.set", 2)
class DeadlineSetV2(EventData):
    """As v1, and for a recurring rule (DOMAIN §5, §8, §12) which series and occurrence this is:
    occurrence k of `series_id` falls due `length + (k-1) * every` after `series_started_at`.
    `started_at` is when this occurrence's span began (the previous occurrence's due time)."""

    deadline_id: str
    rule: str
    clause: str
    subject: str
    subject_id: str
    organisation: str | None
    workers: list[str]
    started_at: datetime
    started_by: str  # the id of the event that started the clock (or set this occurrence)
    due_at: datetime
    remind_at: datetime
    provisional: bool
    missing_years: list[int]
    remind: list[str]
    escalate_to: list[str]
    series_id: str | None
    occurrence: int | None
    series_started_at: datetime | None


@registry.upcaster("notify.deadline.set", from_version=1)
def _one_off_clock(data: dict[str, Any]) -> dict[str, Any]:
    """Every v1 clock was a one-off run."""
    return {**data, "series_id": None, "occurrence": None, "series_started_at": None}


@registry.register("notify.deadline.set", 3)
class DeadlineSetV3(DeadlineSetV2):
    """As v2, and `party`: the recipient whose acknowledgement a clock kept per recipient awaits
    (SZ-5.2.1: one clock each), None otherwise; `supervisors`: the case's supervisors, named in
    its escalation (the case team is in `workers`)."""

    party: str | None
    supervisors: list[str]


@registry.upcaster("notify.deadline.set", from_version=2)
def _one_clock_per_report(data: dict[str, Any]) -> dict[str, Any]:
    """A v2 clock stood for the whole report and named no supervisor."""
    return {**data, "party": None, "supervisors": []}


@registry.register("notify.deadline.reassigned", 1)
class DeadlineReassigned(EventData):
    """The case team changed (`cause`: the intake event): the open clock now names `workers`
    (new members see it, those who left do not) and escalates to `supervisors` (MZ-6.2.2)."""

    deadline_id: str
    rule: str
    subject_id: str
    workers: list[str]
    supervisors: list[str]
    reassigned_at: datetime
    cause: str


@registry.register("notify.deadline.cancelled", 1)
class DeadlineCancelled(EventData):
    """The duty went away undone: neither met nor missed (a superseded task, a case that was
    closed, transferred or handed over). `reason` names the event that ended it."""

    deadline_id: str
    rule: str
    subject_id: str
    cancelled_at: datetime
    cancelled_by: str  # the id of the event that ended it
    cancelled_by_type: str
    reason: str


@registry.register("notify.deadline.recomputed", 1)
class DeadlineRecomputed(EventData):
    """A provisional clock (§13: working days of a year without a loaded notice counted Mon-Fri)
    was recomputed once `years_loaded` were loaded; it supersedes the due and remind times of
    the clock's `notify.deadline.set`."""

    deadline_id: str
    rule: str
    subject_id: str
    previous_due_at: datetime
    due_at: datetime
    remind_at: datetime
    provisional: bool
    missing_years: list[int]
    years_loaded: list[int]
    recomputed_at: datetime


@registry.register("notify.deadline.met", 1)
class DeadlineMet(EventData):
    """A stop event of the rule arrived; `late` when the clock had already run out."""

    deadline_id: str
    rule: str
    subject_id: str
    met_at: datetime
    met_by: str  # the id of the stop event
    met_by_type: str
    late: bool


@registry.register("notify.reminder.sent", 1)
class ReminderSent(EventData):
    """The roles of the rule were reminded before the clock ran out."""

    deadline_id: str
    rule: str
    subject_id: str
    organisation: str | None
    remind: list[str]
    workers: list[str]
    due_at: datetime
    sent_at: datetime


@registry.register("notify.deadline.missed", 1)
class DeadlineMissed(EventData):
    """The clock ran out before any stop event of the rule arrived."""

    deadline_id: str
    rule: str
    clause: str
    subject_id: str
    due_at: datetime
    missed_at: datetime


@registry.register("notify.escalated", 1)
class EscalatedV1(EventData):
    """A missed deadline was put before the rule's escalation roles."""

    model_config = ConfigDict(title="Escalated")

    deadline_id: str
    rule: str
    clause: str
    subject_id: str
    organisation: str | None
    escalate_to: list[str]
    escalated_at: datetime


@registry.register("notify.escalated", 2)
class Escalated(EscalatedV1):
    """As v1, naming the people too: the case's `supervisors` and the `workers` who owed it,
    and the `party` of a clock kept per recipient (whose acknowledgement is missing)."""

    supervisors: list[str]
    workers: list[str]
    party: str | None


@registry.upcaster("notify.escalated", from_version=1)
def _escalated_to_roles_only(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "supervisors": [], "workers": [], "party": None}


# --- the official calendar (DOMAIN §13) ---------------------------------------------------


class Holiday(BaseModel):
    date: date
    name: str


@registry.register("notify.calendar.year_loaded", 1)
class CalendarYearLoaded(EventData):
    """An administrator loaded one year's official holiday notice (holidays with names, and the
    weekend days declared working days, 调休). `replaced_library` when the year was one the
    bundled calendar already knew and the administrator chose to override it."""

    year: int
    holidays: list[Holiday]
    extra_workdays: list[date]
    replaced_library: bool
    loaded_by: str
    loaded_at: datetime


@registry.register("notify.calendar.year_needed", 1)
class CalendarYearNeeded(EventData):
    """A clock reached a year whose holiday notice nobody loaded; it was set provisionally
    (Mon-Fri) and an administrator must load the year (raised once per year)."""

    year: int
    deadline_id: str
    rule: str
    organisation: str | None
    raised_at: datetime


# --- subscriptions and notifications ---------------------------------------------------------


@registry.register("notify.subscription.created", 1, personal={"secret"})
class SubscriptionCreatedV1(EventData):
    """An endpoint asked to be told about `event_types` of `organisation` (webhook or e-mail).
    The webhook `secret` is sealed with the data key `subscription:<id>`; shredding that key
    on deletion makes it unreadable everywhere."""

    model_config = ConfigDict(title="SubscriptionCreated")

    subscription_id: str
    organisation: str
    agency: str | None
    channel: str
    target: str
    event_types: list[str]
    language: str
    secret: str | None
    created_by: str


@registry.register("notify.subscription.created", 2, personal={"secret", "target"})
class SubscriptionCreated(SubscriptionCreatedV1):
    """As v1, and the `target` (an e-mail address names a person; a webhook URL may too) is
    sealed with the secret under `subscription:<id>`, so deleting the subscription shreds it
    as well. v1 is upcast as is."""


registry.upcaster("notify.subscription.created", from_version=1)(dict)


@registry.register("notify.subscription.deleted", 1)
class SubscriptionDeleted(EventData):
    subscription_id: str
    organisation: str
    deleted_by: str


@registry.register("notify.notification.delivered", 1)
class NotificationDelivered(EventData):
    """The receiver accepted the notification (a 2xx answer, or the SMTP server took it)."""

    notification_id: str
    subscription_id: str
    channel: str
    event_type: str
    source_event_id: str
    attempts: int
    delivered_at: datetime


@registry.register("notify.notification.failed", 1)
class NotificationFailed(EventData):
    """Every attempt within the retry window failed; `last_error` says how the last one did."""

    notification_id: str
    subscription_id: str
    channel: str
    event_type: str
    source_event_id: str
    attempts: int
    last_error: str
    failed_at: datetime
