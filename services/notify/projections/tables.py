"""Notify's read models and its delivery queue as SQLAlchemy Core tables; the schema is made by
`migrations/`. A deadline goes open -> overdue (missed) and open|overdue -> met | cancelled; a
delivery pending -> delivered | failed | cancelled."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

OPEN, OVERDUE, MET = "open", "overdue", "met"
PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"

metadata = MetaData()

# --- deadlines and what notify learnt about the entities they are kept on ------------------

deadlines = Table(
    "deadlines",
    metadata,
    Column("deadline_id", Text, primary_key=True),
    Column("stream_id", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("subject_id", Text, nullable=False),
    Column("organisation", Text),
    Column("workers", ARRAY(Text), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("started_by", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("remind_at", DateTime(timezone=True), nullable=False),
    Column("provisional", Boolean, nullable=False),
    Column("missing_years", ARRAY(Integer), nullable=False),
    Column("remind", ARRAY(Text), nullable=False),
    Column("escalate_to", ARRAY(Text), nullable=False),
    Column("state", Text, nullable=False),
    Column("reminded_at", DateTime(timezone=True)),
    Column("missed_at", DateTime(timezone=True)),
    Column("met_at", DateTime(timezone=True)),
    Column("series_id", Text),
    Column("occurrence", Integer),
    Column("series_started_at", DateTime(timezone=True)),
    Column("party", Text),  # the recipient a per-recipient clock awaits (notify_0005)
    Column("supervisors", ARRAY(Text), nullable=False),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("cancel_reason", Text),
)

#: What notify learnt of a case from intake (notify_0005): its child, team and supervisors
#: (named on its clocks) and whether it ended (closed, transferred, handed over).
case_teams = Table(
    "case_teams",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("organisation", Text),
    Column("child_id", Text),
    Column("workers", ARRAY(Text), nullable=False),
    Column("supervisors", ARRAY(Text), nullable=False),
    Column("status", Text),
    Column("ended", Boolean, nullable=False),
)

case_projects = Table(
    "case_projects",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("project_id", Text, nullable=False),
    Column("entrustor_org", Text, nullable=False),
    Column("organisation", Text),
)

entity_cases = Table(
    "entity_cases",
    metadata,
    Column("entity_id", Text, primary_key=True),
    Column("case_id", Text, primary_key=True),
    Column("linked", BigInteger, Identity(always=True), nullable=False),  # learnt in this order
)

entity_organisations = Table(
    "entity_organisations",
    metadata,
    Column("entity_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
)

#: What the entrustor's indicators of a project are made of (notify_0006, JX-7.5.3): the
#: investigation records a case holds (`visit`, `investigation`, `initial_statement`) and the
#: outcome figures assessment's approved closure gives (`assessment.closure.recorded`).
case_records = Table(
    "case_records",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("kind", Text, primary_key=True),
)

case_closures = Table(
    "case_closures",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("indicators", JSONB, nullable=False),
)

# --- subscriptions and the durable delivery queue (notify_0002) ----------------------------

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("subscription_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("agency", Text),
    Column("channel", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("event_types", ARRAY(Text), nullable=False),
    Column("language", Text, nullable=False),
    Column("secret_token", JSONB),
    Column("created_event_id", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("notification_id", Text, primary_key=True),
    Column("subscription_id", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("source_event_id", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("finished_at", DateTime(timezone=True)),
)

# --- calendar years an administrator loaded, and the years a clock needed (DOMAIN §13) -----

calendar_years = Table(
    "calendar_years",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("holidays", JSONB, nullable=False),
    Column("extra_workdays", JSONB, nullable=False),
    Column("replaced_library", Boolean, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("loaded_by", Text, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

calendar_alerts = Table(
    "calendar_alerts",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("event_id", Text, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
)
