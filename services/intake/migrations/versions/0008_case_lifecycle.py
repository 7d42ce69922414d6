"""What intake learns of a case from other services' events, for the case view: the current
safety grade, the tasks the grade set, the clocks notify keeps on the case's subjects
(`intake.projections.learnt`). Codes, clauses, ids and times only.

Revision ID: intake_0008
Revises: intake_0007
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0008"
down_revision = "intake_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_safety",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("assessment_id", sa.Text, nullable=False),
        sa.Column("grade", sa.Text, nullable=False),
        sa.Column("label", sa.Text),
        sa.Column("grade_clause", sa.Text),
        sa.Column("rule_set", sa.Text, nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "case_tasks",
        sa.Column("task_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("clause", sa.Text, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
    )
    op.create_index("ix_case_tasks_case_id", "case_tasks", ["case_id"])
    op.create_table(
        "deadlines",
        sa.Column("deadline_id", sa.Text, primary_key=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("subject_id", sa.Text, nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("clause", sa.Text, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
    )
    op.create_index("ix_deadlines_subject_id", "deadlines", ["subject_id"])


def downgrade() -> None:
    op.drop_table("deadlines")
    op.drop_table("case_tasks")
    op.drop_table("case_safety")
