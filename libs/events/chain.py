"""Verification of the per-stream hash chains: finds the first broken link."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from events.canonical import GENESIS_HASH
from events.envelope import Envelope
from events.tables import events


@dataclass(frozen=True)
class BrokenLink:
    stream_id: str
    stream_version: int
    field: str  # "hash" (content changed), "prev_hash" (link changed), "stream_version" (gap)
    expected: str
    found: str

    def __str__(self) -> str:
        return (
            f"stream {self.stream_id!r} version {self.stream_version}: {self.field} "
            f"expected {self.expected}, found {self.found}"
        )


def check_link(
    envelope: Envelope, stored_hash: str, prev_hash: str, version: int
) -> BrokenLink | None:
    sid, v = envelope.subject, envelope.stream_version
    if v != version:
        return BrokenLink(sid, version, "stream_version", str(version), str(v))
    if envelope.prev_hash != prev_hash:
        return BrokenLink(sid, v, "prev_hash", prev_hash, envelope.prev_hash)
    if envelope.hash != stored_hash:
        return BrokenLink(sid, v, "hash", stored_hash, envelope.hash)
    recomputed = envelope.compute_hash()
    if recomputed != envelope.hash:
        return BrokenLink(sid, v, "hash", recomputed, envelope.hash)
    return None


async def _rows(
    conn: AsyncConnection, stream_id: str | None
) -> AsyncIterator[tuple[Envelope, str]]:
    query = select(events.c.position, events.c.envelope, events.c.hash).order_by(
        events.c.stream_id, events.c.stream_version
    )
    if stream_id is not None:
        query = query.where(events.c.stream_id == stream_id)
    result = await conn.stream(query.execution_options(yield_per=1000))
    async for row in result:
        yield Envelope.model_validate({**row.envelope, "position": row.position}), row.hash


async def verify(conn: AsyncConnection, stream_id: str | None = None) -> BrokenLink | None:
    """Walk one stream (or every stream) and return the first broken link, or None."""
    current, prev_hash, version = None, GENESIS_HASH, 0
    async for envelope, stored_hash in _rows(conn, stream_id):
        if envelope.subject != current:
            current, prev_hash, version = envelope.subject, GENESIS_HASH, 0
        version += 1
        broken = check_link(envelope, stored_hash, prev_hash, version)
        if broken:
            return broken
        prev_hash = envelope.hash
    return None
