"""KEK rotation: every data key records the key-encryption key that wraps it, and a KEK that
was rotated away is recorded as retired, so that no data key is wrapped by it again.

`kek_id` is `events.keystore.kek_id(kek)`; keys wrapped before this migration have none (the
key store tries the KEKs it holds, and `python -m events.keystore rotate` re-wraps them).

Revision ID: k0002
Revises: k0001
"""

import sqlalchemy as sa
from alembic import op

revision = "k0002"
down_revision = "k0001"
branch_labels = None
depends_on = None

REFUSE_RETIRED = """CREATE FUNCTION data_keys_refuse_retired_kek() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM retired_keks WHERE kek_id = NEW.kek_id) THEN
    RAISE EXCEPTION 'KEK % is retired: no data key may be wrapped by it (give this service the '
                    'current KEK as CARELEDGER_KEK)', NEW.kek_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$"""

# Only rows that hold a key: shredding one (wrapped_key set to NULL) is always allowed.
TRIGGER = """CREATE TRIGGER data_keys_refuse_retired_kek BEFORE INSERT OR UPDATE ON data_keys
  FOR EACH ROW WHEN (NEW.wrapped_key IS NOT NULL AND NEW.kek_id IS NOT NULL)
  EXECUTE FUNCTION data_keys_refuse_retired_kek()"""


def upgrade() -> None:
    op.add_column("data_keys", sa.Column("kek_id", sa.Text))
    op.create_table(
        "retired_keks",
        sa.Column("kek_id", sa.Text, primary_key=True),
        sa.Column(
            "retired_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
    )
    op.execute(REFUSE_RETIRED)
    op.execute(TRIGGER)
    # The runtime role's rights are granted by events.grants; nobody else gets any.
    op.execute("REVOKE ALL ON data_keys, retired_keks FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP TRIGGER data_keys_refuse_retired_kek ON data_keys")
    op.execute("DROP FUNCTION data_keys_refuse_retired_kek()")
    op.drop_table("retired_keks")
    op.drop_column("data_keys", "kek_id")
