"""Staff ids are per organisation: the registry's key is (organisation, worker id), and each row
names its staff member's stream (registrations before this keep `worker-<id>`).

Revision ID: intake_0006
Revises: intake_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0006"
down_revision = "intake_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff", sa.Column("stream_id", sa.Text))
    op.execute("UPDATE staff SET stream_id = 'worker-' || worker_id")
    op.alter_column("staff", "stream_id", nullable=False)
    op.drop_constraint("staff_pkey", "staff", type_="primary")
    op.create_primary_key("staff_pkey", "staff", ["organisation", "worker_id"])
    op.drop_index("staff_organisation", table_name="staff")


def downgrade() -> None:
    # fails, as it should, once two organisations hold the same id
    op.create_index("staff_organisation", "staff", ["organisation", "worker_id"])
    op.drop_constraint("staff_pkey", "staff", type_="primary")
    op.create_primary_key("staff_pkey", "staff", ["worker_id"])
    op.drop_column("staff", "stream_id")
