"""Unit of work: one database transaction holding events, their outbox rows, inbox rows and
projection changes. It rolls back unless `commit()` was called."""

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from events.envelope import Envelope, Metadata
from events.registry import EventData
from events.store import EventStore, NewEvent, Outbound, StreamAppend
from events.tables import inbox

OUTBOX_CHANNEL = "careledger_outbox"
CLAIM_MANY_SQL = (
    "INSERT INTO inbox (consumer, event_id, event_type) "
    "SELECT $1, id, type FROM unnest($2::uuid[], $3::text[]) AS c(id, type) "
    "ON CONFLICT DO NOTHING RETURNING event_id::text"
)


class UnitOfWork:
    def __init__(self, engine: AsyncEngine, store: EventStore, topic: str) -> None:
        self.engine, self.store, self.topic = engine, store, topic
        self._conn: AsyncConnection | None = None
        self._appended = 0

    @property
    def conn(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._conn

    async def __aenter__(self) -> Self:
        # The transaction begins with the first statement (SQLAlchemy's autobegin), which saves
        # a call into the connection per unit of work; it is one transaction all the same.
        self._conn = await self.engine.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.conn.in_transaction():  # not committed: nothing of it stays
                await self.conn.rollback()
        finally:
            await self.conn.close()
            self._conn = None

    async def append(
        self,
        stream_id: str,
        expected_version: int | None,
        events: Sequence[EventData | NewEvent],
        meta: Metadata,
        *,
        key_scope: str | None = None,
        partition_key: str | None = None,
    ) -> list[Envelope]:
        """Append to a stream and queue the new events for Kafka (key = case id or stream id)."""
        outbound = Outbound(self.topic, partition_key or stream_id)
        appended = await self.store.append(
            self.conn, stream_id, expected_version, events, meta, key_scope, outbound
        )
        if appended.new:
            self._appended += len(appended.envelopes)
        return appended.envelopes

    async def append_streams(
        self, appends: Sequence[StreamAppend], meta: Metadata
    ) -> list[list[Envelope]]:
        """`append` to several streams in one statement, in the order given (each stream's
        `key`: its Kafka key, default the stream id). One round trip instead of one a stream."""
        appended = await self.store.append_streams(self.conn, appends, meta, self.topic)
        self._appended += sum(len(a.envelopes) for a in appended if a.new)
        return [a.envelopes for a in appended]

    async def claim(self, consumer: str, envelope: Envelope) -> bool:
        """Record that `consumer` handles this event; False if it already did (a redelivery)."""
        result = await self.conn.execute(
            pg_insert(inbox)
            .values(consumer=consumer, event_id=envelope.id, event_type=envelope.type)
            .on_conflict_do_nothing()
            .returning(inbox.c.event_id)
        )
        return result.first() is not None

    async def claim_many(self, consumer: str, envelopes: Sequence[Envelope]) -> set[str]:
        """`claim` for a batch in one statement: the ids this consumer had not handled yet."""
        result = await self.conn.exec_driver_sql(
            CLAIM_MANY_SQL,
            (consumer, [e.id for e in envelopes], [e.type for e in envelopes]),
        )
        return {str(event_id) for (event_id,) in result.all()}

    async def commit(self) -> None:
        # An outbox insert trigger NOTIFYs OUTBOX_CHANNEL; PostgreSQL delivers it on commit.
        await self.conn.commit()
        if self._appended:
            self.store.appended.inc(self._appended)


def caused_by(envelope: Envelope, actor: str) -> Metadata:
    """Metadata for events a handler appends in reaction to `envelope`."""
    return Metadata(actor=actor, correlation_id=envelope.correlation_id, causation_id=envelope.id)
