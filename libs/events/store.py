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
from events.crypto import FieldCipher
from events.envelope import Envelope, Metadata, make_envelope, new_id
from events.errors import ConcurrencyError, IdempotencyConflict
from events.registry import EventData, Registry
from events.tables import events

ANY_VERSION = None


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


def _as_new(item: EventData | NewEvent) -> NewEvent:
    event = item if isinstance(item, NewEvent) else NewEvent(item)
    return NewEvent(event.data, event.event_id or new_id())


class EventStore:
    def __init__(self, registry: Registry, cipher: FieldCipher, source: str) -> None:
        self.registry, self.cipher, self.source = registry, cipher, source

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        expected_version: int | None,
        items: Sequence[EventData | NewEvent],
        meta: Metadata,
        key_scope: str | None = None,
    ) -> Appended:
        """Append after `expected_version` (0 = new stream, None = any); refuse a stale one."""
        batch = [_as_new(i) for i in items]
        if not batch:
            raise ValueError("nothing to append")
        if any(isinstance(i, NewEvent) and i.event_id for i in items):  # only given ids repeat
            stored = await self._already_stored(conn, stream_id, batch)
            if stored:
                return Appended(stored, new=False)
        version, prev_hash = await self._head(conn, stream_id)
        if expected_version is not None and expected_version != version:
            raise ConcurrencyError(stream_id, expected_version, version)
        envelopes = []
        for offset, event in enumerate(batch, start=1):
            envelope = await self._seal(
                stream_id, version + offset, event, meta, key_scope, prev_hash
            )
            envelopes.append(envelope)
            prev_hash = envelope.hash
        return Appended(await self._insert(conn, stream_id, expected_version, envelopes), new=True)

    async def _seal(
        self,
        stream_id: str,
        version: int,
        event: NewEvent,
        meta: Metadata,
        key_scope: str | None,
        prev_hash: str,
    ) -> Envelope:
        info = self.registry.info_for(type(event.data))
        scope = key_scope or stream_id
        assert event.event_id is not None
        data = await self.cipher.encrypt(
            event.data.model_dump(mode="json"), info.personal, scope, event.event_id
        )
        return make_envelope(
            source=self.source,
            event_type=info.type_string,
            dataschema=info.dataschema,
            stream_id=stream_id,
            version=version,
            meta=meta,
            key_scope=scope,
            data=data,
            prev_hash=prev_hash,
            event_id=event.event_id,
        )

    async def _insert(
        self,
        conn: AsyncConnection,
        stream_id: str,
        expected: int | None,
        envelopes: list[Envelope],
    ) -> list[Envelope]:
        rows = [
            {
                "id": e.id,
                "stream_id": e.subject,
                "stream_version": e.stream_version,
                "type": e.type,
                "envelope": e.model_dump(mode="json", exclude={"position"}),
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in envelopes
        ]
        try:  # no savepoint: a refused append ends the unit of work anyway
            result = await conn.execute(events.insert().returning(events.c.position), rows)
        except IntegrityError as exc:
            if "events_stream_version_key" in str(exc.orig):
                async with conn.engine.connect() as fresh:  # this transaction is aborted
                    actual = await self.version(fresh, stream_id)
                raise ConcurrencyError(stream_id, expected, actual) from None
            raise IdempotencyConflict(
                f"an event id of this batch is already stored: {exc.orig}"
            ) from None
        positions = [p for (p,) in result.all()]
        return [
            e.model_copy(update={"position": p}) for e, p in zip(envelopes, positions, strict=True)
        ]

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
        row = (
            await conn.execute(
                select(events.c.stream_version, events.c.hash)
                .where(events.c.stream_id == stream_id)
                .order_by(events.c.stream_version.desc())
                .limit(1)
            )
        ).one_or_none()
        return (row.stream_version, row.hash) if row else (0, GENESIS_HASH)

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
        self, conn: AsyncConnection, from_position: int = 0, limit: int = 1000
    ) -> list[Envelope]:
        """Events with a position greater than `from_position`, in commit-independent order."""
        query = (
            select(events)
            .where(events.c.position > from_position)
            .order_by(events.c.position)
            .limit(limit)
        )
        return [_envelope(r) for r in (await conn.execute(query)).all()]

    async def decode(self, envelope: Envelope) -> EventData:
        """The event's payload as its newest model, personal fields decrypted (or KeyShredded)."""
        plain = await self.cipher.decrypt(envelope.data, envelope.key_scope, envelope.id)
        return self.registry.load(envelope.type, plain)
