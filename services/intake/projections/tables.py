"""Read models of the intake service (SQLAlchemy Core); the schema is made by `migrations/`.

The reports table keeps nothing that names or describes the child, the reporter or the harm:
those stay encrypted in the event store under the child's data key, so shredding that key
leaves no readable copy here. The children table keeps keyed digests of the ID number and birth
date, the category codes and sibling ids. Staff names are kept: they are adults' work identities.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

staff = Table(
    "staff",
    metadata,
    Column("organisation", Text, primary_key=True),  # a staff id is per organisation
    Column("worker_id", Text, primary_key=True),
    Column("stream_id", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("gender", Text, nullable=False),
    Column("qualifications", JSONB, nullable=False),
    Column("years_in_child_services", Float, nullable=False),
    Column("background_check_date", Date),
    Column("background_check_clean", Boolean),
    Column("suspended", Boolean, nullable=False),
    Column("suspended_on", Date),
    Column("suspension_rule", Text),
    Column("deregistered_on", Date),
    Column("deregistration_reason", Text),
    Column("version", Integer, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

children = Table(
    "children",
    metadata,
    Column("child_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("gender", Text, nullable=False),
    Column("id_digest", Text),
    Column("birth_digest", Text),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("categories", JSONB, nullable=False),
    Column("sibling_ids", JSONB, nullable=False),
)

reports = Table(
    "reports",
    metadata,
    Column("seq", BigInteger, nullable=False),
    Column("report_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("child_id", Text, nullable=False),
    Column("child_gender", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("received_by", Text, nullable=False),
    Column("emergency", Boolean, nullable=False),
    Column("mandatory", Boolean, nullable=False),
    Column("triggers", JSONB, nullable=False),
    Column("acknowledged_by", JSONB, nullable=False),
    Column("fingerprint", Text),
    Column("version", Integer, nullable=False),
    Column("case_id", Text),
)

cases = Table(
    "cases",
    metadata,
    Column("seq", BigInteger, nullable=False),
    Column("case_id", Text, primary_key=True),
    Column("case_number", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("child_id", Text, nullable=False),
    Column("report_ids", JSONB, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("emergency", Boolean, nullable=False),
    Column("visit_due_at", DateTime(timezone=True)),
    Column("statement_due_at", DateTime(timezone=True)),
    Column("first_visit_at", DateTime(timezone=True)),
    Column("statement_at", DateTime(timezone=True)),
    Column("visits", Integer, nullable=False),
    Column("investigations", Integer, nullable=False),
    Column("consents", Integer, nullable=False),
)

case_team = Table(
    "case_team",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("worker_id", Text, primary_key=True),
)

emergency_access = Table(
    "emergency_access",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("subject", Text, primary_key=True),
    Column("organisation", Text, primary_key=True),
    Column("until", DateTime(timezone=True), nullable=False),
)

case_numbers = Table(
    "case_numbers",
    metadata,
    Column("organisation", Text, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)

# What other services published about a case (`projections.learnt`, migration 0008): codes,
# clauses, ids and times only.
case_safety = Table(
    "case_safety",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("assessment_id", Text, nullable=False),
    Column("grade", Text, nullable=False),
    Column("label", Text),
    Column("grade_clause", Text),
    Column("rule_set", Text, nullable=False),
    Column("assessed_at", DateTime(timezone=True), nullable=False),
)

case_tasks = Table(
    "case_tasks",
    metadata,
    Column("task_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False, index=True),
    Column("code", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("deadline_id", Text, primary_key=True),
    Column("subject", Text, nullable=False),
    Column("subject_id", Text, nullable=False, index=True),
    Column("rule", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("provisional", Boolean, nullable=False),
    Column("status", Text, nullable=False),
)
