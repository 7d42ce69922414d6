"""Intake read models: cases, their teams, case numbers; reports learn their case.

Revision ID: intake_0003
Revises: intake_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "intake_0003"
down_revision = "intake_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reports", sa.Column("case_id", sa.Text))
    op.create_table(
        "cases",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("case_number", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("child_id", sa.Text, nullable=False),
        sa.Column("report_ids", JSONB, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("organisation", "case_number", name="cases_number_key"),
    )
    op.create_table(
        "case_team",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("worker_id", sa.Text, primary_key=True),
    )
    op.create_index("case_team_worker", "case_team", ["worker_id"])
    op.create_table(
        "case_numbers",
        sa.Column("organisation", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_numbers")
    op.drop_table("case_team")
    op.drop_table("cases")
    op.drop_column("reports", "case_id")
