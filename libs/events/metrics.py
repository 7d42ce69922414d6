"""Prometheus metrics of the backbone, one registry per process, served at /metrics."""

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry()

APPENDED = Counter(
    "careledger_events_appended", "Events appended to the store", ["service"], registry=REGISTRY
)
PUBLISHED = Counter(
    "careledger_outbox_published",
    "Events the relay published to Kafka",
    ["service"],
    registry=REGISTRY,
)
PARKED = Counter(
    "careledger_outbox_parked",
    "Outbox rows set aside unpublished (too large for the broker): each one needs an operator",
    ["service"],
    registry=REGISTRY,
)
HANDLED = Counter(
    "careledger_consumer_handled",
    "Events handled by the consumer (redeliveries included)",
    ["service"],
    registry=REGISTRY,
)
DEAD_LETTERED = Counter(
    "careledger_consumer_dead_lettered",
    "Messages sent to the dead-letter topic",
    ["service"],
    registry=REGISTRY,
)
BACKLOG = Gauge(
    "careledger_outbox_backlog",
    "Outbox rows not yet published (at the last scrape)",
    ["service"],
    registry=REGISTRY,
)
RESTARTS = Gauge(
    "careledger_component_restarts",
    "Times a component recreated its clients",
    ["service", "component"],
    registry=REGISTRY,
)
