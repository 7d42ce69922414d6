"""The event store: append-only, optimistic concurrency per stream, idempotent by event id,
hash-chained per stream. Works on the caller's connection so that a unit of work can write
events, outbox rows and projections in one transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from events.canonical import GENESIS_HASH
from events.crypto import FieldCipher, ScopeSealer
from events.envelope import Envelope, Metadata, Sealed, iso_time, new_id, seal_document, utcnow
from events.errors import ConcurrencyError, EventTooLarge, IdempotencyConflict
from events.metrics import APPENDED
from events.registry import EventData, Registry
from events.tables import events
from events.windows import Window, window_sql

ANY_VERSION = None
# The largest sealed event the store takes: what a Kafka message may hold with room for its key
# and headers (the broker's default message.max.bytes is 1,048,588). A larger event could never
# be published; refused here, it never reaches the outbox.
MAX_EVENT_BYTES = 1_000_000


@dataclass(frozen=True)
class NewEvent:
    """An event to append; give `event_id` to make a retried command idempotent."""

    data: EventData
    event_id: str | None = None


@dataclass(frozen=True)
class Appended:
    envelopes: list[Envelope]
    new: bool  # False when every event was already stored (an idempotent retry)


def _envelope(row: Any) -> Envelope:
    return Envelope.model_validate({**row.envelope, "position": row.position})


def _refuse_oversized(seal: Sealed) -> None:
    if len(seal.text) * 4 > MAX_EVENT_BYTES and len(seal.text.encode()) > MAX_EVENT_BYTES:
        raise EventTooLarge(seal.document["type"], len(seal.text.encode()), MAX_EVENT_BYTES)


def _as_new(item: EventData | NewEvent) -> NewEvent:
    if not isinstance(item, NewEvent):
        return NewEvent(item, new_id())
    return item if item.event_id else NewEvent(item.data, new_id())


# One round trip writes the batch and, for a unit of work, its outbox rows. Documents travel
# as text: the events table casts them to jsonb, the outbox keeps the text it will publish.
# The guard makes the write conditional on the head it was sealed after ($10 = version,
# $11 = hash) still being the stream's event at that version: a head remembered from an
# earlier append may be stale (that transaction rolled back); a newer event is refused by the
# unique key anyway.
APPEND_SQL = """
WITH batch AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[])
        AS b(id, version, type, document, prev_hash, hash)
), guard AS (
    SELECT CASE WHEN $10::int = 0
        THEN NOT EXISTS (SELECT 1 FROM events WHERE stream_id = $7)
        ELSE EXISTS (SELECT 1 FROM events
                     WHERE stream_id = $7 AND stream_version = $10 AND hash = $11)
    END AS holds
), stored AS (
    INSERT INTO events (id, stream_id, stream_version, type, envelope, prev_hash, hash)
    SELECT id, $7, version, type, document::jsonb, prev_hash, hash FROM batch
    WHERE (SELECT holds FROM guard) ORDER BY version
    RETURNING position
), queued AS (
    INSERT INTO outbox (event_id, topic, key, type, payload)
    SELECT id, $8, $9, type, document FROM batch
    WHERE $8::text IS NOT NULL AND (SELECT holds FROM guard) ORDER BY version
)
SELECT position FROM stored ORDER BY position
"""
HEADS_REMEMBERED = 10_000  # streams whose head this process remembers from its own appends

# Every event in commit order, a window at a time (see events/windows.py).
READ_ALL_SQL = window_sql("position, envelope", "events", "position")

HEAD_SQL = (
    "SELECT stream_version, hash FROM events WHERE stream_id = $1 "
    "ORDER BY stream_version DESC LIMIT 1"
)


@dataclass(frozen=True)
class Outbound:
    """Where a unit of work publishes the appended events: Kafka topic and message key."""

    topic: str
    key: str


class EventStore:
    def __init__(self, registry: Registry, cipher: FieldCipher, source: str) -> None:
        self.registry, self.cipher, self.source = registry, cipher, source
        self.appended = APPENDED.labels(source.rsplit("/", 1)[-1])  # looked up once
        self._heads: dict[str, tuple[int, str]] = {}  # stream -> (version, hash) last appended

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        expected_version: int | None,
        items: Sequence[EventData | NewEvent],
        meta: Metadata,
        key_scope: str | None = None,
        outbound: Outbound | None = None,
    ) -> Appended:
        """Append after `expected_version` (0 = new stream, None = any); refuse a stale one.
        With `outbound`, the events are queued in the outbox in the same statement."""
        batch = [_as_new(i) for i in items]
        if not batch:
            raise ValueError("nothing to append")
        if any(isinstance(i, NewEvent) and i.event_id for i in items):  # only given ids repeat
            stored = await self._already_stored(conn, stream_id, batch)
            if stored:
                return Appended(stored, new=False)
        for _ in range(2):  # a second pass only after a remembered head proved stale
            appended = await self._append_new(
                conn, stream_id, expected_version, batch, meta, key_scope, outbound
            )
            if appended is not None:
                return Appended(appended, new=True)
        version = await self.version(conn, stream_id)
        raise ConcurrencyError(stream_id, expected_version, version)

    async def _append_new(
        self,
        conn: AsyncConnection,
        stream_id: str,
        expected_version: int | None,
        batch: list[NewEvent],
        meta: Metadata,
        key_scope: str | None,
        outbound: Outbound | None,
    ) -> list[Envelope] | None:
        """Seal after the stream's head and write; None if that head was no longer current."""
        remembered = self._heads.pop(stream_id, None)
        if remembered and remembered[0] == expected_version:
            version, prev_hash = remembered  # saves a round trip; the guard checks it
        elif expected_version == 0:
            version, prev_hash = 0, GENESIS_HASH  # a new stream: the guard checks it is empty
        else:
            version, prev_hash = await self._head(conn, stream_id)
        if expected_version is not None and expected_version != version:
            raise ConcurrencyError(stream_id, expected_version, version)
        head, when = (version, prev_hash), iso_time(utcnow())  # one command, one time
        scope = key_scope or stream_id
        sealer = self.cipher.sealer(scope)
        sealed = []
        for offset, event in enumerate(batch, start=1):
            seal = await self._seal(
                stream_id, version + offset, event, meta, sealer, prev_hash, when
            )
            _refuse_oversized(seal)
            sealed.append(seal)
            prev_hash = seal.hash
        positions = await self._insert(conn, stream_id, expected_version, sealed, outbound, head)
        if not positions:
            return None
        self._remember(stream_id, version + len(sealed), prev_hash)
        return [s.envelope(p) for s, p in zip(sealed, positions, strict=True)]

    def _remember(self, stream_id: str, version: int, head_hash: str) -> None:
        self._heads[stream_id] = (version, head_hash)
        if len(self._heads) > HEADS_REMEMBERED:
            del self._heads[next(iter(self._heads))]  # the least recently appended

    async def _seal(
        self,
        stream_id: str,
        version: int,
        event: NewEvent,
        meta: Metadata,
        sealer: ScopeSealer,
        prev_hash: str,
        when: str,
    ) -> Sealed:
        info = self.registry.info_for(type(event.data))
        assert event.event_id is not None
        plain = event.data.model_dump(mode="json")
        data = await sealer.encrypt(plain, info.personal, event.event_id)
        return seal_document(
            source=self.source,
            event_type=info.type_string,
            dataschema=info.dataschema,
            stream_id=stream_id,
            version=version,
            meta=meta,
            key_scope=sealer.scope,
            data=data,
            prev_hash=prev_hash,
            event_id=event.event_id,
            time=when,
        )

    async def _insert(
        self,
        conn: AsyncConnection,
        stream_id: str,
        expected: int | None,
        sealed: list[Sealed],
        outbound: Outbound | None,
        head: tuple[int, str],
    ) -> list[int]:
        columns = (
            [s.document["id"] for s in sealed],
            [s.document["stream_version"] for s in sealed],
            [s.document["type"] for s in sealed],
            [s.text for s in sealed],
            [s.document["prev_hash"] for s in sealed],
            [s.hash for s in sealed],
            stream_id,
            outbound.topic if outbound else None,
            outbound.key if outbound else None,
            *head,
        )
        try:  # no savepoint: a refused append ends the unit of work anyway
            result = await conn.exec_driver_sql(APPEND_SQL, columns)
        except IntegrityError as exc:
            if "events_stream_version_key" in str(exc.orig):
                async with conn.engine.connect() as fresh:  # this transaction is aborted
                    actual = await self.version(fresh, stream_id)
                raise ConcurrencyError(stream_id, expected, actual) from None
            raise IdempotencyConflict(
                f"an event id of this batch is already stored: {exc.orig}"
            ) from None
        return [p for (p,) in result.all()]

    async def _already_stored(
        self, conn: AsyncConnection, stream_id: str, batch: list[NewEvent]
    ) -> list[Envelope]:
        ids = [e.event_id for e in batch]
        rows = (
            await conn.execute(
                select(events).where(events.c.id.in_(ids)).order_by(events.c.position)
            )
        ).all()
        if not rows:
            return []
        found = [_envelope(r) for r in rows]
        if len(found) != len(batch) or any(e.subject != stream_id for e in found):
            raise IdempotencyConflict(
                f"stream {stream_id!r}: some event ids of this batch are stored already, not all"
            )
        return found

    async def _head(self, conn: AsyncConnection, stream_id: str) -> tuple[int, str]:
        row: Any = (await conn.exec_driver_sql(HEAD_SQL, (stream_id,))).first()
        return (row[0], row[1]) if row else (0, GENESIS_HASH)

    async def version(self, conn: AsyncConnection, stream_id: str) -> int:
        return (await self._head(conn, stream_id))[0]

    async def read_stream(
        self, conn: AsyncConnection, stream_id: str, from_version: int = 1
    ) -> list[Envelope]:
        query = (
            select(events)
            .where(events.c.stream_id == stream_id, events.c.stream_version >= from_version)
            .order_by(events.c.stream_version)
        )
        return [_envelope(r) for r in (await conn.execute(query)).all()]

    async def read_all(
        self, conn: AsyncConnection, after: Window | None = None, limit: int = 1000
    ) -> tuple[list[Envelope], Window]:
        """The events committed after `after` (None: from the first), in commit order: a
        position that commits late is returned, and never after an event written in reaction
        to it. Hand the returned window back to read on; an empty list means caught up."""
        window = after or Window()
        found = (await conn.exec_driver_sql(READ_ALL_SQL, window.parameters(limit))).all()
        rows = [r for r in found if r.position is not None]
        following = window.after(found[0].high, [r.position for r in rows], limit)
        return [_envelope(r) for r in rows], following

    async def decode(self, envelope: Envelope) -> EventData:
        """The event's payload as its newest model, personal fields decrypted (or KeyShredded)."""
        plain = await self.cipher.decrypt(envelope.data, envelope.key_scope, envelope.id)
        return self.registry.load(envelope.type, plain)
