"""The workers assigned to each case, from intake (ARCHITECTURE: a worker sees the cases
assigned to them).

Revision ID: assessment_0007
Revises: assessment_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "assessment_0007"
down_revision = "assessment_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_team",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("worker_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_team")
