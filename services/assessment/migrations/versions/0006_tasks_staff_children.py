"""Tasks from safety grades, intake's staff registry and children's genders as assessment
needs them (codes and work identities only; no names).

Revision ID: assessment_0006
Revises: assessment_0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "assessment_0006"
down_revision = "assessment_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "safety_tasks",
        sa.Column("task_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, nullable=False, index=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("clause", sa.Text, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assignee_ids", JSONB, nullable=False),
        sa.Column("source_event_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_by", sa.Text),
        sa.Column("reason_code", sa.Text),
    )
    op.create_table(
        "staff",
        sa.Column("worker_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("gender", sa.Text, nullable=False),
        sa.Column("qualified", sa.Boolean, nullable=False),
        sa.Column("background_check_on", sa.Date),
        sa.Column("background_check_clean", sa.Boolean),
        sa.Column("suspended", sa.Boolean, nullable=False),
    )
    op.create_table(
        "children",
        sa.Column("child_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("gender", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("children")
    op.drop_table("staff")
    op.drop_table("safety_tasks")
