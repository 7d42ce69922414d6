"""The outbox keeps the text it publishes: payload as text (the canonical form the event was
hashed over, hash appended), not JSONB. The relay reads it as it is, PostgreSQL no longer parses
every event twice on append nor prints it back on publish, and a consumer receives the very
bytes that were hashed. The CloudEvent type, sent as a header, gets its own column.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE outbox ADD COLUMN type text")
    op.execute("UPDATE outbox SET type = payload->>'type'")
    op.execute("ALTER TABLE outbox ALTER COLUMN type SET NOT NULL")
    op.execute("ALTER TABLE outbox ALTER COLUMN payload TYPE text USING payload::text")


def downgrade() -> None:
    op.execute("ALTER TABLE outbox ALTER COLUMN payload TYPE jsonb USING payload::jsonb")
    op.execute("ALTER TABLE outbox DROP COLUMN type")
