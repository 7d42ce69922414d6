"""Rows remember the transaction that wrote them (`xid`, PostgreSQL's 64-bit transaction id).

Identity values are handed out when a row is inserted, not when its transaction commits, so a
row can become visible after rows with higher ids. Readers that must follow commit order (the
outbox relay, `EventStore.read_all`) therefore read in windows between two snapshots: the rows
of transactions that committed between them, in id order. See `events/windows.py`.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before this migration get one old value (their transactions are long over)
    # as a constant default: no table rewrite, and no UPDATE the append-only trigger refuses.
    for table in ("events", "outbox"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN xid xid8 NOT NULL DEFAULT '1'")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN xid SET DEFAULT pg_current_xact_id()")
    op.execute("CREATE INDEX events_xid ON events (xid)")
    # Rows too large for the broker are parked (never published, alerted), not retried forever.
    op.execute("ALTER TABLE outbox ADD COLUMN parked_reason text")


def downgrade() -> None:
    op.execute("ALTER TABLE outbox DROP COLUMN parked_reason")
    op.execute("DROP INDEX events_xid")
    for table in ("events", "outbox"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN xid")
