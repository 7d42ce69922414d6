"""Table definitions (SQLAlchemy Core). The schema itself is created by Alembic migrations."""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

store_metadata = MetaData()

events = Table(
    "events",
    store_metadata,
    Column("position", BigInteger, Identity(always=True), primary_key=True),
    Column("id", Uuid(as_uuid=False), nullable=False, unique=True),
    Column("stream_id", Text, nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("type", Text, nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # xid (xid8, the writing transaction; see migration 0004) is read in SQL only.
    UniqueConstraint("stream_id", "stream_version", name="events_stream_version_key"),
)

outbox = Table(
    "outbox",
    store_metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("event_id", Uuid(as_uuid=False), nullable=False),
    Column("topic", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("payload", Text, nullable=False),  # the published text (canonical, hash appended)
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Column("parked_reason", Text),  # set aside unpublished (too large), with an alert
)

inbox = Table(
    "inbox",
    store_metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", Uuid(as_uuid=False), nullable=False),
    Column("event_type", Text, nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id", name="inbox_pkey"),
)

keys_metadata = MetaData()

data_keys = Table(
    "data_keys",
    keys_metadata,
    Column("scope", Text, primary_key=True),
    Column("wrapped_key", LargeBinary),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("shredded_at", DateTime(timezone=True)),
    Column("shred_reason", Text),
    # The KEK that wraps the key (events.keystore.kek_id; kept on a tombstone: the KEK that
    # must be destroyed before the shred is complete). NULL: wrapped before ids were recorded.
    Column("kek_id", Text),
)

# KEKs rotated away: no data key may be wrapped by one again (migration k0002).
retired_keks = Table(
    "retired_keks",
    keys_metadata,
    Column("kek_id", Text, primary_key=True),
    Column("retired_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
