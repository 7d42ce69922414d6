"""The order in which notify learnt that a report, child or task belongs to a case: a
deadline's events are keyed on Kafka by the newest case its subject belongs to (a child may be
in a second case later), so they share the partition of that case's events.

Revision ID: notify_0004
Revises: notify_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "notify_0004"
down_revision = "notify_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows already there are numbered in no particular order; their cases were learnt before
    # any key depended on it.
    op.add_column(
        "entity_cases",
        sa.Column("linked", sa.BigInteger, sa.Identity(always=True), nullable=False),
    )
    op.create_index("entity_cases_newest", "entity_cases", ["entity_id", "linked"])


def downgrade() -> None:
    op.drop_index("entity_cases_newest", table_name="entity_cases")
    op.drop_column("entity_cases", "linked")
