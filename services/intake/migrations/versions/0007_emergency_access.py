"""Who opened a case in an emergency, until when (`intake.case.emergency_access_granted`): read
by the record rule on every read of the case.

Revision ID: intake_0007
Revises: intake_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0007"
down_revision = "intake_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emergency_access",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("subject", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, primary_key=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("emergency_access")
