"""The body each Idempotency-Key was first used with, per caller and path.

A keyed POST claims its key here before the route runs (`events/idempotency.py`): the same key
with the same body is let through, and the route answers what the first request recorded; the
same key with another body is refused (409). Rows are a digest of the scope and of the body, no
personal data.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """CREATE TABLE idempotency_keys (
  scope bytea PRIMARY KEY,
  fingerprint bytea NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now()
)"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_keys")
