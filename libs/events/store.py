"""The event store: append-only, optimistic concurrency per stream, idempotent by event id,
hash-chained per stream. Works on the caller's connection so that a unit of work can write
events, outbox rows and projections in one transaction.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

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


# One round trip writes the batch, of one stream or several, and, for a unit of work, its
# outbox rows. Documents travel as text: the events table casts them to jsonb, the outbox keeps
# the text it will publish. Rows are inserted in the order given ($1..$9, one element per event:
# id, stream, version, type, document, prev_hash, hash, topic (NULL: no outbox row), key), so
# positions and outbox ids follow it. The guard makes the write conditional on the head each
# stream was sealed after (three parameters per stream from $10: stream, version, hash) still
# being its event at that version (version 0: the stream is empty): a head remembered from an
# earlier append may be stale (that transaction rolled back); a newer event is refused by the
# unique key anyway. One stale head and nothing of the batch is written.
APPEND_SQL = """
WITH batch AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[]) WITH ORDINALITY
        AS b(id, stream_id, version, type, document, prev_hash, hash, topic, key, n)
), guard AS (
    SELECT {heads} AS holds
), stored AS (
    INSERT INTO events (id, stream_id, stream_version, type, envelope, prev_hash, hash)
    SELECT id, stream_id, version, type, document::jsonb, prev_hash, hash FROM batch
    WHERE (SELECT holds FROM guard) ORDER BY n
    RETURNING position
), queued AS (
    INSERT INTO outbox (event_id, topic, key, type, payload)
    SELECT id, topic, key, type, document FROM batch
    WHERE topic IS NOT NULL AND (SELECT holds FROM guard) ORDER BY n
)
SELECT position FROM stored ORDER BY position
"""
# A stream's head as scalar parameters, one condition per stream (a statement per number of
# streams): a guard over arrays of heads made PostgreSQL plan the statement afresh on every
# execution, about 0.5 ms more per append.
HEAD_HOLDS = """(CASE WHEN ${version}::int = 0
        THEN NOT EXISTS (SELECT 1 FROM events WHERE stream_id = ${stream}::text)
        ELSE EXISTS (SELECT 1 FROM events WHERE stream_id = ${stream}::text
                     AND stream_version = ${version} AND hash = ${hash}::text)
    END)"""


@functools.cache
def append_sql(streams: int) -> str:
    """APPEND_SQL for a batch of `streams` streams."""
    heads = [
        HEAD_HOLDS.format(stream=10 + 3 * n, version=11 + 3 * n, hash=12 + 3 * n)
        for n in range(streams)
    ]
    return APPEND_SQL.format(heads="\n    AND ".join(heads))


HEADS_REMEMBERED = 10_000  # streams whose head this process remembers from its own appends

# Every event in commit order, a window at a time (see events/windows.py).
READ_ALL_SQL = window_sql("position, envelope", "events", "position")

HEAD_SQL = (
    "SELECT stream_version, hash FROM events WHERE stream_id = $1 "
    "ORDER BY stream_version DESC LIMIT 1"
)
# The stored events among these ids (a retried command's), in commit order.
STORED_SQL = "SELECT position, envelope FROM events WHERE id = ANY($1::uuid[]) ORDER BY position"


@dataclass(frozen=True)
class Outbound:
    """Where a unit of work publishes the appended events: Kafka topic and message key."""

    topic: str
    key: str


@dataclass(frozen=True)
class StreamAppend:
    """One stream's part of `EventStore.append_streams`: its events after `expected_version`
    (0 = new stream, None = any), sealed with `key_scope`'s data key (default: the stream id),
    published under Kafka key `key` (default: the stream id) when the append has a topic."""

    stream_id: str
    expected_version: int | None
    items: Sequence[EventData | NewEvent]
    key_scope: str | None = None
    key: str | None = None


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
        one = StreamAppend(
            stream_id, expected_version, items, key_scope, outbound.key if outbound else None
        )
        [appended] = await self.append_streams(
            conn, [one], meta, outbound.topic if outbound else None
        )
        return appended

    async def append_streams(
        self,
        conn: AsyncConnection,
        appends: Sequence[StreamAppend],
        meta: Metadata,
        topic: str | None = None,
    ) -> list[Appended]:
        """Append to several streams in one statement, as `append` would one after the other
        (each stream's versions, chain, idempotency and refusal), in the order given: positions
        and outbox rows follow it. With `topic`, every event is queued in the outbox for it."""
        if not appends or any(not a.items for a in appends):
            raise ValueError("nothing to append")
        if len({a.stream_id for a in appends}) != len(appends):
            raise ValueError("a stream may appear once per append")
        batches = [[_as_new(i) for i in a.items] for a in appends]
        results: list[Appended | None] = [None] * len(appends)
        given = [  # only given ids repeat: a retried command's events may be stored already
            n
            for n, a in enumerate(appends)
            if any(isinstance(i, NewEvent) and i.event_id for i in a.items)
        ]
        if given:
            stored = await self._already_stored(
                conn, [(appends[n].stream_id, batches[n]) for n in given]
            )
            for n, envelopes in zip(given, stored, strict=True):
                if envelopes:
                    results[n] = Appended(envelopes, new=False)
        todo = [n for n in range(len(appends)) if results[n] is None]
        if todo:
            parts = [(appends[n], batches[n]) for n in todo]
            appended = None
            for _ in range(2):  # a second pass only after a remembered head proved stale
                appended = await self._append_new(conn, parts, meta, topic)
                if appended is not None:
                    break
            if appended is None:
                raise await self._refusal(conn, [appends[n] for n in todo])
            for n, envelopes in zip(todo, appended, strict=True):
                results[n] = Appended(envelopes, new=True)
        return [r for r in results if r is not None]

    async def _append_new(
        self,
        conn: AsyncConnection,
        parts: list[tuple[StreamAppend, list[NewEvent]]],
        meta: Metadata,
        topic: str | None,
    ) -> list[list[Envelope]] | None:
        """Seal after each stream's head and write; None if a head was no longer current."""
        when = iso_time(utcnow())  # one command, one time
        sealers: dict[str, ScopeSealer] = {}  # one key lookup and AES-GCM object per scope
        heads, sealed = [], []
        for part, batch in parts:
            stream_id, expected_version = part.stream_id, part.expected_version
            remembered = self._heads.pop(stream_id, None)
            if remembered and remembered[0] == expected_version:
                version, prev_hash = remembered  # saves a round trip; the guard checks it
            elif expected_version == 0:
                version, prev_hash = 0, GENESIS_HASH  # a new stream: the guard checks it is empty
            else:
                version, prev_hash = await self._head(conn, stream_id)
            if expected_version is not None and expected_version != version:
                raise ConcurrencyError(stream_id, expected_version, version)
            heads.append((stream_id, version, prev_hash))
            scope = part.key_scope or stream_id
            if scope not in sealers:
                sealers[scope] = self.cipher.sealer(scope)
            sealer = sealers[scope]
            for offset, event in enumerate(batch, start=1):
                seal = await self._seal(
                    stream_id, version + offset, event, meta, sealer, prev_hash, when
                )
                _refuse_oversized(seal)
                sealed.append((part, seal))
                prev_hash = seal.hash
        positions = await self._insert(conn, parts, sealed, heads, topic)
        if not positions:
            return None
        appended: list[list[Envelope]] = [[] for _ in parts]
        at = {part.stream_id: n for n, (part, _) in enumerate(parts)}
        for (part, seal), position in zip(sealed, positions, strict=True):
            appended[at[part.stream_id]].append(seal.envelope(position))
        for envelopes in appended:
            last = envelopes[-1]
            self._remember(last.subject, last.stream_version, last.hash)
        return appended

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
        parts: list[tuple[StreamAppend, list[NewEvent]]],
        sealed: list[tuple[StreamAppend, Sealed]],
        heads: list[tuple[str, int, str]],
        topic: str | None,
    ) -> list[int]:
        documents = [s.document for _, s in sealed]
        columns = (
            [d["id"] for d in documents],
            [d["subject"] for d in documents],
            [d["stream_version"] for d in documents],
            [d["type"] for d in documents],
            [s.text for _, s in sealed],
            [d["prev_hash"] for d in documents],
            [s.hash for _, s in sealed],
            [topic] * len(sealed),
            [(part.key or part.stream_id) if topic else None for part, _ in sealed],
            *(value for head in heads for value in head),
        )
        try:  # no savepoint: a refused append ends the unit of work anyway
            result = await conn.exec_driver_sql(append_sql(len(heads)), columns)
        except IntegrityError as exc:
            if "events_stream_version_key" in str(exc.orig):
                async with conn.engine.connect() as fresh:  # this transaction is aborted
                    raise await self._refusal(fresh, [part for part, _ in parts]) from None
            raise IdempotencyConflict(
                f"an event id of this batch is already stored: {exc.orig}"
            ) from None
        return [p for (p,) in result.all()]

    async def _refusal(
        self, conn: AsyncConnection, appends: Sequence[StreamAppend]
    ) -> ConcurrencyError:
        """The refusal of an append that lost a race: for the first stream that is not at the
        version expected (else the first stream, written meanwhile by a writer expecting any)."""
        versions = [await self.version(conn, a.stream_id) for a in appends]
        for append, version in zip(appends, versions, strict=True):
            if append.expected_version is not None and append.expected_version != version:
                return ConcurrencyError(append.stream_id, append.expected_version, version)
        return ConcurrencyError(appends[0].stream_id, appends[0].expected_version, versions[0])

    async def _already_stored(
        self, conn: AsyncConnection, batches: list[tuple[str, list[NewEvent]]]
    ) -> list[list[Envelope]]:
        """For each (stream, batch): its events if every one is stored already (a retry), none
        if none is; a batch stored in part, or in another stream, is refused."""
        ids = [e.event_id for _, batch in batches for e in batch]
        rows = (await conn.exec_driver_sql(STORED_SQL, (ids,))).all()
        found = {UUID(e.id): e for e in (_envelope(r) for r in rows)}
        stored = []
        for stream_id, batch in batches:
            given = {UUID(e.event_id) for e in batch if e.event_id}
            mine = [found[i] for i in given if i in found]
            if mine and (len(mine) != len(batch) or any(e.subject != stream_id for e in mine)):
                raise IdempotencyConflict(
                    f"stream {stream_id!r}: some event ids of this batch are stored already, "
                    "not all"
                )
            stored.append(sorted(mine, key=lambda e: e.position or 0))
        return stored

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
