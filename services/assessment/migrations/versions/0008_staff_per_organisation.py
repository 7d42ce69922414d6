"""Staff ids are per organisation (intake_0006): assessment's copy of the staff registry is
keyed by (organisation, worker id), so two organisations' people with the same id are two rows.
Existing rows are kept as they are: each already names the organisation it belongs to.

Revision ID: assessment_0008
Revises: assessment_0007
"""

from alembic import op

revision = "assessment_0008"
down_revision = "assessment_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("staff_pkey", "staff", type_="primary")
    op.create_primary_key("staff_pkey", "staff", ["organisation", "worker_id"])


def downgrade() -> None:
    # fails, as it should, once two organisations hold the same id
    op.drop_constraint("staff_pkey", "staff", type_="primary")
    op.create_primary_key("staff_pkey", "staff", ["worker_id"])
