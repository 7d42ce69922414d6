"""Event types of the notify service, registered in `events.registry.registry`.

One stream per clock rule and subject (`deadline-<rule>-<subject id>`); a stream holds every
run of that rule for that subject, each run named by its `deadline_id`. Nothing here names or
describes a person beyond staff and entity ids; only a webhook secret is sealed.
"""

from datetime import datetime

from events.registry import EventData, registry


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
class Escalated(EventData):
    """A missed deadline was put before the rule's escalation roles."""

    deadline_id: str
    rule: str
    clause: str
    subject_id: str
    organisation: str | None
    escalate_to: list[str]
    escalated_at: datetime


# --- subscriptions and notifications ---------------------------------------------------------


@registry.register("notify.subscription.created", 1, personal={"secret"})
class SubscriptionCreated(EventData):
    """An endpoint asked to be told about `event_types` of `organisation` (webhook or e-mail).
    The webhook `secret` is sealed with the data key `subscription:<id>`; shredding that key
    on deletion makes it unreadable everywhere."""

    subscription_id: str
    organisation: str
    agency: str | None
    channel: str
    target: str
    event_types: list[str]
    language: str
    secret: str | None
    created_by: str


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
