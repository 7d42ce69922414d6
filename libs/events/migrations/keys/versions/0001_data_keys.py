"""Key store: one wrapped data key per scope; a shredded key leaves a tombstone.

Revision ID: k0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "k0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("wrapped_key", sa.LargeBinary),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.Column("shredded_at", sa.DateTime(timezone=True)),
        sa.Column("shred_reason", sa.Text),
        sa.CheckConstraint(
            "(shredded_at IS NULL) = (wrapped_key IS NOT NULL)", name="data_keys_key_or_tombstone"
        ),
    )


def downgrade() -> None:
    op.drop_table("data_keys")
