"""Notify read models: deadlines (one row per run of a clock rule on a subject) and the
organisation of each report, case and child notify heard of (for events that omit it).

Revision ID: notify_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "notify_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadlines",
        sa.Column("deadline_id", sa.Text, primary_key=True),
        sa.Column("stream_id", sa.Text, nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("clause", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("subject_id", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text),
        sa.Column("workers", ARRAY(sa.Text), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.Text, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("missing_years", ARRAY(sa.Integer), nullable=False),
        sa.Column("remind", ARRAY(sa.Text), nullable=False),
        sa.Column("escalate_to", ARRAY(sa.Text), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True)),
        sa.Column("missed_at", sa.DateTime(timezone=True)),
        sa.Column("met_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("state IN ('open', 'overdue', 'met')", name="deadlines_state"),
    )
    op.create_index(
        "deadlines_open_due", "deadlines", ["due_at"], postgresql_where="state = 'open'"
    )
    op.create_index(
        "deadlines_open_remind",
        "deadlines",
        ["remind_at"],
        postgresql_where="state = 'open' AND reminded_at IS NULL",
    )
    op.create_index("deadlines_subject", "deadlines", ["rule", "subject_id"])
    op.create_index("deadlines_organisation_state", "deadlines", ["organisation", "state"])
    op.create_table(
        "entity_organisations",
        sa.Column("entity_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("entity_organisations")
    op.drop_table("deadlines")
