"""Verification of the per-stream hash chains: finds the first broken link, then the first
stream whose last stored event is not the head recorded for it (`stream_heads`, kept by a
trigger on append: a removed tail leaves the chain intact but the head behind).

`python -m events.chain DATABASE_URL [STREAM_ID]` checks a store; exit code 1 when broken.
"""

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from events.canonical import GENESIS_HASH
from events.envelope import Envelope
from events.tables import events


@dataclass(frozen=True)
class BrokenLink:
    stream_id: str
    stream_version: int
    # "hash" (content), "prev_hash" (link), "stream_version" (gap), "envelope",
    # "prev_hash_column" (the column disagrees with the envelope), "head" (recorded head)
    field: str
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
        events.c.prev_hash,
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
    """Walk one stream (or every stream) and return the first broken link; if there is none,
    the first stream whose last stored event is not its recorded head; or None."""
    current, prev_hash, version = None, GENESIS_HASH, 0
    async for row in _rows(conn, stream_id):
        if row.stream_id != current:
            current, prev_hash, version = row.stream_id, GENESIS_HASH, 0
        version += 1
        envelope = _parse(row)
        if isinstance(envelope, BrokenLink):
            return envelope
        broken = check_link(envelope, row.hash, prev_hash, version) or _check_column(row, envelope)
        if broken:
            return broken
        prev_hash = envelope.hash
    return await _check_heads(conn, stream_id)


def _check_column(row: Any, envelope: Envelope) -> BrokenLink | None:
    """The prev_hash column is read without parsing the envelope: it must say the same."""
    if row.prev_hash == envelope.prev_hash:
        return None
    sid, v = row.stream_id, row.stream_version
    return BrokenLink(sid, v, "prev_hash_column", envelope.prev_hash, row.prev_hash)


# Every stream whose recorded head is not its last stored event (or that has only one of them).
HEADS_SQL = """
WITH last AS (
    SELECT DISTINCT ON (stream_id) stream_id, stream_version, hash FROM events
     WHERE CAST(:stream AS text) IS NULL OR stream_id = :stream
     ORDER BY stream_id, stream_version DESC
), head AS (
    SELECT stream_id, version, hash FROM stream_heads
     WHERE CAST(:stream AS text) IS NULL OR stream_id = :stream
)
SELECT stream_id, head.version AS head_version, head.hash AS head_hash,
       last.stream_version AS last_version, last.hash AS last_hash
  FROM head FULL JOIN last USING (stream_id)
 WHERE head.version IS DISTINCT FROM last.stream_version OR head.hash IS DISTINCT FROM last.hash
 ORDER BY stream_id LIMIT 1
"""


def _described(version: int | None, hash_: str | None, missing: str) -> str:
    return missing if version is None else f"version {version} ({hash_})"


async def _check_heads(conn: AsyncConnection, stream_id: str | None) -> BrokenLink | None:
    row = (await conn.execute(text(HEADS_SQL), {"stream": stream_id})).first()
    if row is None:
        return None
    return BrokenLink(
        row.stream_id,
        row.head_version or row.last_version,
        "head",
        _described(row.head_version, row.head_hash, "no recorded head"),
        _described(row.last_version, row.last_hash, "no stored event"),
    )


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
