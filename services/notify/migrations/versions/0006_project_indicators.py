"""What the entrustor's indicators of a project are computed from (JX-7.5.3, DOMAIN §10): the
investigation records each case holds and the outcome figures of each closed case.

Revision ID: notify_0006
Revises: notify_0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "notify_0006"
down_revision = "notify_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_records",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
    )
    op.create_table(
        "case_closures",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("indicators", JSONB, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_closures")
    op.drop_table("case_records")
