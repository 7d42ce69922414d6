"""Mental-health service read models: each case's state and due items, its sessions, and the
items awaiting a supervisor. No free text: forms stay encrypted in the event store.

Revision ID: assessment_0003
Revises: assessment_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "assessment_0003"
down_revision = "assessment_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mh_cases",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("worker_id", sa.Text),
        sa.Column("phase", sa.Text, nullable=False),
        sa.Column("risk_level", sa.Text),
        sa.Column("service_subject", sa.Boolean, nullable=False),
        sa.Column("referral_open", sa.Boolean, nullable=False),
        sa.Column("planned_sessions", sa.Integer),
        sa.Column("minimum_sessions", sa.Integer, nullable=False),
        sa.Column("sessions_done", sa.Integer, nullable=False),
        sa.Column("frequency", sa.Text),
        sa.Column("agreement_signed_at", sa.DateTime(timezone=True)),
        sa.Column("last_session_at", sa.DateTime(timezone=True)),
        sa.Column("midterm_reviewed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("followups_done", sa.Integer, nullable=False),
        sa.Column("fully_closed_at", sa.DateTime(timezone=True)),
        sa.Column("pending", JSONB),
        sa.Column("due", JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("mh_cases_caseload", "mh_cases", ["organisation", "worker_id", "phase"])
    op.create_table(
        "mh_sessions",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("case_id", sa.Text, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("worker_ids", JSONB, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("home_visit", sa.Boolean, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.UniqueConstraint("case_id", "number", name="mh_sessions_case_number"),
    )
    op.create_table(
        "mh_review_items",
        sa.Column("item_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("submitted_by", sa.Text, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.Text),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("mh_review_queue", "mh_review_items", ["organisation", "status"])


def downgrade() -> None:
    op.drop_table("mh_review_items")
    op.drop_table("mh_sessions")
    op.drop_index("mh_cases_caseload", "mh_cases")
    op.drop_table("mh_cases")
