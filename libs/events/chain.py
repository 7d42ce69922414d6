"""Verification of the per-stream hash chains: finds the first broken link.

`python -m events.chain DATABASE_URL [STREAM_ID]` checks a store; exit code 1 when broken.
"""

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from events.canonical import GENESIS_HASH
from events.envelope import Envelope
from events.tables import events


@dataclass(frozen=True)
class BrokenLink:
    stream_id: str
    stream_version: int
    field: str  # "hash" (content), "prev_hash" (link), "stream_version" (gap), "envelope"
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


async def _rows(conn: AsyncConnection, stream_id: str | None) -> AsyncIterator[Any]:
    query = select(
        events.c.position,
        events.c.stream_id,
        events.c.stream_version,
        events.c.envelope,
        events.c.hash,
    ).order_by(events.c.stream_id, events.c.stream_version)
    if stream_id is not None:
        query = query.where(events.c.stream_id == stream_id)
    result = await conn.stream(query.execution_options(yield_per=1000))
    async for row in result:
        yield row


def _parse(row: Any) -> Envelope | BrokenLink:
    try:
        return Envelope.model_validate({**row.envelope, "position": row.position})
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        return BrokenLink(row.stream_id, row.stream_version, "envelope", "a valid envelope", where)


async def verify(conn: AsyncConnection, stream_id: str | None = None) -> BrokenLink | None:
    """Walk one stream (or every stream) and return the first broken link, or None."""
    current, prev_hash, version = None, GENESIS_HASH, 0
    async for row in _rows(conn, stream_id):
        if row.stream_id != current:
            current, prev_hash, version = row.stream_id, GENESIS_HASH, 0
        version += 1
        envelope = _parse(row)
        if isinstance(envelope, BrokenLink):
            return envelope
        broken = check_link(envelope, row.hash, prev_hash, version)
        if broken:
            return broken
        prev_hash = envelope.hash
    return None


async def _main(url: str, stream_id: str | None) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            broken = await verify(conn, stream_id)
    finally:
        await engine.dispose()
    print(f"broken: {broken}" if broken else "chain intact")
    return 1 if broken else 0


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python -m events.chain DATABASE_URL [STREAM_ID]")
    sys.exit(asyncio.run(_main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else None)))
