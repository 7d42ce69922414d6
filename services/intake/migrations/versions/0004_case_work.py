"""Intake read models: case status, deadlines and case work; the child's category codes.

Revision ID: intake_0004
Revises: intake_0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "intake_0004"
down_revision = "intake_0003"
branch_labels = None
depends_on = None

CASE_COLUMNS = (
    sa.Column("status", sa.Text, nullable=False, server_default="open"),
    sa.Column("emergency", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("visit_due_at", sa.DateTime(timezone=True)),
    sa.Column("statement_due_at", sa.DateTime(timezone=True)),
    sa.Column("first_visit_at", sa.DateTime(timezone=True)),
    sa.Column("statement_at", sa.DateTime(timezone=True)),
    sa.Column("visits", sa.Integer, nullable=False, server_default="0"),
    sa.Column("investigations", sa.Integer, nullable=False, server_default="0"),
    sa.Column("consents", sa.Integer, nullable=False, server_default="0"),
)


def upgrade() -> None:
    for column in CASE_COLUMNS:
        op.add_column("cases", column)
    op.create_index("cases_organisation_seq", "cases", ["organisation", "seq"])
    op.add_column(
        "children",
        sa.Column("categories", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    op.add_column(
        "children",
        sa.Column("sibling_ids", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )


def downgrade() -> None:
    op.drop_column("children", "sibling_ids")
    op.drop_column("children", "categories")
    op.drop_index("cases_organisation_seq")
    for column in reversed(CASE_COLUMNS):
        op.drop_column("cases", column.name)
