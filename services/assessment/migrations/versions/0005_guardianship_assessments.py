"""Guardianship capacity assessments (SZ Appendix D): codes, conclusion, supersession.

Revision ID: assessment_0005
Revises: assessment_0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "assessment_0005"
down_revision = "assessment_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guardianship_assessments",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, nullable=False, index=True),
        sa.Column("stream_version", sa.Integer, nullable=False),
        sa.Column("assessment_id", sa.Text, nullable=False, unique=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("conclusion", sa.Text, nullable=False),
        sa.Column("rule_set", sa.Text, nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("assessors", JSONB, nullable=False),
        sa.Column("child_gender_source", sa.Text, nullable=False),
        sa.Column("guardian_declares_inability", sa.Boolean, nullable=False),
        sa.Column("guardianship_disputed", sa.Boolean, nullable=False),
        sa.Column("requirement", JSONB, nullable=False),
        sa.Column("inputs", JSONB, nullable=False),
        sa.Column("result", JSONB, nullable=False),
        sa.Column("supersedes", sa.Text),
        sa.Column("superseded_by", sa.Text),
        sa.Column("fingerprint", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("guardianship_assessments")
