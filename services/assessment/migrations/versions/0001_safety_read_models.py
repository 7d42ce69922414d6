"""Assessment read models: safety grades of cases (current and history).

Revision ID: assessment_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "assessment_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "safety_cases",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("current_assessment_id", sa.Text, nullable=False),
        sa.Column("current_grade", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "safety_grades",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, nullable=False),
        sa.Column("stream_version", sa.Integer, nullable=False),
        sa.Column("assessment_id", sa.Text, nullable=False, unique=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("grade", sa.Text, nullable=False),
        sa.Column("rule_set", sa.Text, nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("assessors", JSONB, nullable=False),
        sa.Column("child_gender_source", sa.Text, nullable=False),
        sa.Column("inputs", JSONB, nullable=False),
        sa.Column("result", JSONB, nullable=False),
        sa.Column("supersedes", sa.Text),
        sa.Column("superseded_by", sa.Text),
        sa.Column("fingerprint", sa.Text),
        sa.UniqueConstraint("case_id", "stream_version", name="safety_grades_case_version"),
    )


def downgrade() -> None:
    op.drop_table("safety_grades")
    op.drop_table("safety_cases")
