"""Issue 14: each case's status as intake moved it (`intake.case.status_changed`: which work
assessment accepts, domain/case_status.py; no row: as opened), the crises of a case (M-11,
JX-7.6.1) and the child's interviews (I-6, MZ-5.2.3). Codes, ids and times only: summaries,
notes and interview records stay sealed in the event store.

Revision ID: assessment_0009
Revises: assessment_0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "assessment_0009"
down_revision = "assessment_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_status",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("intake_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "crises",
        sa.Column("crisis_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, nullable=False, index=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conditions", JSONB, nullable=False),
        sa.Column("required", JSONB, nullable=False),
        sa.Column("done", JSONB, nullable=False),
        sa.Column("outstanding", JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "child_interviews",
        sa.Column("interview_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, nullable=False, index=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("matter", sa.Text, nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("interviewer_ids", JSONB, nullable=False),
        sa.Column("repeat_of", sa.Text),
        sa.Column("repeat_reason_code", sa.Text),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("child_interviews")
    op.drop_table("crises")
    op.drop_table("case_status")
