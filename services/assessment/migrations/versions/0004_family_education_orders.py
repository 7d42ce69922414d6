"""Compulsory family-education orders (SZ-6.4.4): period, hours ordered and delivered.

Revision ID: assessment_0004
Revises: assessment_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "assessment_0004"
down_revision = "assessment_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fe_orders",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, nullable=False, index=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("ordered_hours", sa.Integer, nullable=False),
        sa.Column("hours_delivered", sa.Integer, nullable=False),
        sa.Column("extension_months", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fe_orders")
