"""Clocks that follow the case (issue 14): a clock kept per recipient (`party`, SZ-5.2.1), the
case's supervisors it escalates to, cancelled clocks (state `cancelled`, when and why), and what
notify learns of each case from intake: its child, team, supervisors and whether it ended.

Revision ID: notify_0005
Revises: notify_0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "notify_0005"
down_revision = "notify_0004"
branch_labels = None
depends_on = None

NO_ONE = sa.text("'{}'::text[]")


def upgrade() -> None:
    op.add_column("deadlines", sa.Column("party", sa.Text))
    op.add_column(
        "deadlines",
        sa.Column("supervisors", ARRAY(sa.Text), nullable=False, server_default=NO_ONE),
    )
    op.add_column("deadlines", sa.Column("cancelled_at", sa.DateTime(timezone=True)))
    op.add_column("deadlines", sa.Column("cancel_reason", sa.Text))
    op.drop_constraint("deadlines_state", "deadlines", type_="check")
    op.create_check_constraint(
        "deadlines_state", "deadlines", "state IN ('open', 'overdue', 'met', 'cancelled')"
    )
    op.create_table(
        "case_teams",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text),
        sa.Column("child_id", sa.Text),
        sa.Column("workers", ARRAY(sa.Text), nullable=False, server_default=NO_ONE),
        sa.Column("supervisors", ARRAY(sa.Text), nullable=False, server_default=NO_ONE),
        sa.Column("status", sa.Text),
        sa.Column("ended", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("case_teams_child", "case_teams", ["child_id"])
    # the open clocks of a subject are looked up on every case event
    op.create_index("deadlines_subject_state", "deadlines", ["subject_id", "state"])


def downgrade() -> None:
    op.drop_index("deadlines_subject_state", table_name="deadlines")
    op.drop_index("case_teams_child", table_name="case_teams")
    op.drop_table("case_teams")
    op.execute("UPDATE deadlines SET state = 'met' WHERE state = 'cancelled'")  # lossy, as v1
    op.drop_constraint("deadlines_state", "deadlines", type_="check")
    op.create_check_constraint(
        "deadlines_state", "deadlines", "state IN ('open', 'overdue', 'met')"
    )
    for column in ("cancel_reason", "cancelled_at", "supervisors", "party"):
        op.drop_column("deadlines", column)
