"""Cases as intake opened them (intake.case.opened): owner organisation, child, gender if given.

Revision ID: assessment_0002
Revises: assessment_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "assessment_0002"
down_revision = "assessment_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("child_id", sa.Text),
        sa.Column("child_gender", sa.Text),
        sa.Column("opened_event_id", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cases")
