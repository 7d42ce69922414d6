"""Recurring clocks (one deadline row per occurrence of a series), the calendar years an
administrator loaded (DOMAIN §13), the years for which an administrator was alerted, and which
service project each case belongs to (with the reports, children and tasks of each case), so
deadlines can be listed per project (DOMAIN §1).

Revision ID: notify_0003
Revises: notify_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "notify_0003"
down_revision = "notify_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deadlines", sa.Column("series_id", sa.Text))
    op.add_column("deadlines", sa.Column("occurrence", sa.Integer))
    op.add_column("deadlines", sa.Column("series_started_at", sa.DateTime(timezone=True)))
    op.create_index(
        "deadlines_provisional_open",
        "deadlines",
        ["deadline_id"],
        postgresql_where="provisional AND state = 'open'",
    )
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("holidays", JSONB, nullable=False),
        sa.Column("extra_workdays", JSONB, nullable=False),
        sa.Column("replaced_library", sa.Boolean, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("loaded_by", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "calendar_alerts",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    )

    op.create_table(
        "case_projects",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("project_id", sa.Text, nullable=False),
        sa.Column("entrustor_org", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text),
    )
    op.create_index("case_projects_project", "case_projects", ["entrustor_org", "project_id"])
    op.create_table(
        "entity_cases",
        sa.Column("entity_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, primary_key=True),
    )
    op.create_index("entity_cases_case", "entity_cases", ["case_id"])


def downgrade() -> None:
    op.drop_table("entity_cases")
    op.drop_table("case_projects")
    op.drop_table("calendar_alerts")
    op.drop_table("calendar_years")
    op.drop_index("deadlines_provisional_open", table_name="deadlines")
    for column in ("series_started_at", "occurrence", "series_id"):
        op.drop_column("deadlines", column)
