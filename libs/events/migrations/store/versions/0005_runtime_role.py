"""Tamper evidence the services cannot undo: a recorded head per stream.

The services run as a runtime role that may append and read events but not change them (its
rights are in events/grants.py, granted by events.migrate after every upgrade, so a role named
after this migration ran gets them too). `stream_heads` records every stream's last version and
hash. A trigger that runs as the owner keeps it, in the append's own statement, so that a tail
removed by someone who could bypass the append-only trigger is still found by `chain.verify()`,
and the runtime role can neither write the table nor lower a head.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STREAM_HEADS = """CREATE TABLE stream_heads (
  stream_id text PRIMARY KEY,
  version integer NOT NULL CHECK (version >= 1),
  hash text NOT NULL
)"""

# SECURITY DEFINER: runs as the owner, so the runtime role needs no right on stream_heads
# beyond reading it. An append must start right after the recorded head, without gaps:
# appending over a removed tail is refused, not recorded as the new truth. The search path is
# fixed so that the caller's cannot redirect the owner's statements.
ADVANCE = """CREATE FUNCTION stream_heads_advance() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
  bad record;
BEGIN
  SELECT a.stream_id, a.first, COALESCE(h.version, 0) AS head INTO bad
    FROM (SELECT stream_id, min(stream_version) AS first, max(stream_version) AS last,
                 count(*) AS n
            FROM appended GROUP BY stream_id) a
    LEFT JOIN stream_heads h USING (stream_id)
   WHERE a.first <> COALESCE(h.version, 0) + 1 OR a.last - a.first + 1 <> a.n
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'stream % is recorded at version %: an append from version % does not '
                    'continue it (was its tail removed?)', bad.stream_id, bad.head, bad.first
      USING ERRCODE = 'data_corrupted';
  END IF;
  INSERT INTO stream_heads (stream_id, version, hash)
  SELECT DISTINCT ON (stream_id) stream_id, stream_version, hash
    FROM appended ORDER BY stream_id, stream_version DESC
  ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, hash = excluded.hash;
  RETURN NULL;
END $$"""

# Once per statement: the store writes a whole batch in one INSERT.
TRIGGER = """CREATE TRIGGER stream_heads_advance AFTER INSERT ON events
  REFERENCING NEW TABLE AS appended
  FOR EACH STATEMENT EXECUTE FUNCTION stream_heads_advance()"""

# The streams written before this migration. CREATE TRIGGER locked events against writes until
# this transaction commits, so no append falls between the two.
BACKFILL = """INSERT INTO stream_heads (stream_id, version, hash)
SELECT DISTINCT ON (stream_id) stream_id, stream_version, hash
  FROM events ORDER BY stream_id, stream_version DESC"""


def upgrade() -> None:
    schema = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one()
    op.execute(STREAM_HEADS)
    # Only the owner and the roles events.grants names may touch these (explicitly: PUBLIC
    # gets no rights on tables by default, and must never get them here).
    op.execute("REVOKE ALL ON events, stream_heads FROM PUBLIC")
    op.execute(ADVANCE.format(schema=schema))
    op.execute(TRIGGER)
    op.execute(BACKFILL)


def downgrade() -> None:
    op.execute("DROP TRIGGER stream_heads_advance ON events")
    op.execute("DROP FUNCTION stream_heads_advance()")
    op.execute("DROP TABLE stream_heads")
