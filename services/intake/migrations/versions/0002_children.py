"""Intake read models: the child registry (keyed digests only, no personal data in clear).

Revision ID: intake_0002
Revises: intake_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0002"
down_revision = "intake_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "children",
        sa.Column("child_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("gender", sa.Text, nullable=False),
        sa.Column("id_digest", sa.Text),
        sa.Column("birth_digest", sa.Text),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("children_resident_id", "children", ["organisation", "id_digest"], unique=True)
    op.create_index("children_birth", "children", ["organisation", "birth_digest"])


def downgrade() -> None:
    op.drop_table("children")
