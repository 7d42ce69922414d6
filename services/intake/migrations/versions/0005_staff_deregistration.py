"""Staff read model: when a person left the organisation, and why (DOMAIN §12).

Revision ID: intake_0005
Revises: intake_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0005"
down_revision = "intake_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff", sa.Column("deregistered_on", sa.Date))
    op.add_column("staff", sa.Column("deregistration_reason", sa.Text))


def downgrade() -> None:
    op.drop_column("staff", "deregistration_reason")
    op.drop_column("staff", "deregistered_on")
