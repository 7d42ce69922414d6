"""Read models of the assessment service (SQLAlchemy Core); the schema is made by `migrations/`.
Each is written in the unit of work that appends the events it reflects, or by a reaction in
the inbox transaction of another service's event.

Nothing here names or describes a child or a staff member: free text stays encrypted in the
event store under the case's data key, so shredding it leaves no readable copy in these tables.
"""

from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# --- cases as intake opened them, and what assessment keeps of intake's registries -------------

cases = Table(
    "cases",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("child_id", Text),
    Column("child_gender", Text),
    Column("opened_event_id", Text, nullable=False),
)

# The status intake last gave each case (`intake.case.status_changed`); no row: as opened.
case_status = Table(
    "case_status",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("intake_version", Integer, nullable=False),
)

# A staff id names one person within one organisation (intake_0006): the key is both.
staff = Table(
    "staff",
    metadata,
    Column("organisation", Text, primary_key=True),
    Column("worker_id", Text, primary_key=True),
    Column("gender", Text, nullable=False),
    Column("qualified", Boolean, nullable=False),
    Column("background_check_on", Date),
    Column("background_check_clean", Boolean),
    Column("suspended", Boolean, nullable=False),
)

children = Table(
    "children",
    metadata,
    Column("child_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("gender", Text, nullable=False),
)

case_team = Table(
    "case_team",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("worker_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
)

# --- assessments of a case by a team (safety, Appendix B; guardianship, Appendix D) ------------


def assessment_table(name: str, *own: Column[Any]) -> Table:
    """The columns every recorded assessment of a case has, with the kind's `own` ones."""
    return Table(
        name,
        metadata,
        Column("event_id", Text, primary_key=True),
        Column("case_id", Text, nullable=False),
        Column("stream_version", Integer, nullable=False),
        Column("assessment_id", Text, nullable=False, unique=True),
        Column("organisation", Text, nullable=False),
        *own,
        Column("rule_set", Text, nullable=False),
        Column("assessed_at", DateTime(timezone=True), nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("recorded_by", Text, nullable=False),
        Column("assessors", JSONB, nullable=False),
        Column("child_gender_source", Text, nullable=False),
        Column("inputs", JSONB, nullable=False),
        Column("result", JSONB, nullable=False),
        Column("supersedes", Text),
        Column("superseded_by", Text),
        Column("fingerprint", Text),
    )


safety_grades = assessment_table("safety_grades", Column("grade", Text, nullable=False))

safety_cases = Table(
    "safety_cases",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("current_assessment_id", Text, nullable=False),
    Column("current_grade", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

guardianship_assessments = assessment_table(
    "guardianship_assessments",
    Column("conclusion", Text, nullable=False),
    Column("guardian_declares_inability", Boolean, nullable=False),
    Column("guardianship_disputed", Boolean, nullable=False),
    Column("requirement", JSONB, nullable=False),
)

safety_tasks = Table(
    "safety_tasks",
    metadata,
    Column("task_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("assignee_ids", JSONB, nullable=False),
    Column("source_event_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", Text),
    Column("reason_code", Text),
)

# --- the mental-health service; `mh_review_items` is the organisation's one approval queue -----

mh_cases = Table(
    "mh_cases",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("worker_id", Text),
    Column("phase", Text, nullable=False),
    Column("risk_level", Text),
    Column("service_subject", Boolean, nullable=False),
    Column("referral_open", Boolean, nullable=False),
    Column("planned_sessions", Integer),
    Column("minimum_sessions", Integer, nullable=False),
    Column("sessions_done", Integer, nullable=False),
    Column("frequency", Text),
    Column("agreement_signed_at", DateTime(timezone=True)),
    Column("last_session_at", DateTime(timezone=True)),
    Column("midterm_reviewed_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("followups_done", Integer, nullable=False),
    Column("fully_closed_at", DateTime(timezone=True)),
    Column("pending", JSONB),
    Column("due", JSONB, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

mh_sessions = Table(
    "mh_sessions",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("session_id", Text, nullable=False),
    Column("case_id", Text, nullable=False),
    Column("number", Integer, nullable=False),
    Column("worker_ids", JSONB, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("home_visit", Boolean, nullable=False),
    Column("recorded_by", Text, nullable=False),
)

mh_review_items = Table(
    "mh_review_items",
    metadata,
    Column("item_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("submitted_by", Text, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_by", Text),
    Column("reviewed_at", DateTime(timezone=True)),
)

# --- compulsory family education (SZ-6.4.4) ---------------------------------------------------

fe_orders = Table(
    "fe_orders",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("ordered_hours", Integer, nullable=False),
    Column("hours_delivered", Integer, nullable=False),
    Column("extension_months", Integer, nullable=False),
    Column("version", Integer, nullable=False),
)

# --- crises (M-11, JX-7.6.1) and the child's interviews (I-6, MZ-5.2.3) -----------------------

crises = Table(
    "crises",
    metadata,
    Column("crisis_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False),
    Column("conditions", JSONB, nullable=False),
    Column("required", JSONB, nullable=False),
    Column("done", JSONB, nullable=False),
    Column("outstanding", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

child_interviews = Table(
    "child_interviews",
    metadata,
    Column("interview_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("matter", Text, nullable=False),
    Column("held_at", DateTime(timezone=True), nullable=False),
    Column("interviewer_ids", JSONB, nullable=False),
    Column("repeat_of", Text),
    Column("repeat_reason_code", Text),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
