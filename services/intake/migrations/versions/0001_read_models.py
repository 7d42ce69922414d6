"""Intake read models: staff registry and reports.

Revision ID: intake_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "intake_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("worker_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("gender", sa.Text, nullable=False),
        sa.Column("qualifications", JSONB, nullable=False),
        sa.Column("years_in_child_services", sa.Float, nullable=False),
        sa.Column("background_check_date", sa.Date),
        sa.Column("background_check_clean", sa.Boolean),
        sa.Column("suspended", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("suspended_on", sa.Date),
        sa.Column("suspension_rule", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("staff_organisation", "staff", ["organisation", "worker_id"])
    op.create_table(
        "reports",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
        sa.Column("report_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("child_id", sa.Text, nullable=False),
        sa.Column("child_gender", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.Text, nullable=False),
        sa.Column("emergency", sa.Boolean, nullable=False),
        sa.Column("mandatory", sa.Boolean, nullable=False),
        sa.Column("triggers", JSONB, nullable=False),
        sa.Column("acknowledged_by", JSONB, nullable=False),
        sa.Column("fingerprint", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("reports_organisation_seq", "reports", ["organisation", "seq"])


def downgrade() -> None:
    op.drop_table("reports")
    op.drop_table("staff")
