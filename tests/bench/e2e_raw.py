"""The end-to-end baseline: the same pipeline as the e2e phase of `backbone.py`, with bare drivers
and nothing else. Used by `backbone.py`; not run on its own.

- sender: one asyncpg transaction per event inserting the events row and the outbox row (the
  same tables, migrations and NOTIFY trigger as the store), the envelope as prepared JSON text;
- relay: LISTEN, then SELECT unpublished rows, send them with aiokafka, await the acks, UPDATE;
- consumer (its own process): aiokafka `getmany`, one asyncpg transaction per poll inserting the
  inbox rows, then one offset commit.

No hashing, encryption, validation or SQLAlchemy: what is left is what any pipeline with these
guarantees (transactional outbox, acks=all, inbox dedupe) costs on this machine.
"""

import asyncio
import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg

from events import kafka

OUTBOX_SELECT = (
    "SELECT id, event_id::text, topic, key, payload FROM outbox WHERE published_at IS NULL "
    "ORDER BY id LIMIT 500"
)
OUTBOX_MARK = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])"
INBOX = (
    "INSERT INTO inbox (consumer, event_id, event_type) SELECT 'raw', id, 'bench.noted.v1' "
    "FROM unnest($1::uuid[]) AS id ON CONFLICT DO NOTHING"
)
RAW_EVENT = (
    "INSERT INTO events (id, stream_id, stream_version, type, envelope, prev_hash, hash) "
    "VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)"
)
RAW_OUTBOX = "INSERT INTO outbox (event_id, topic, key, type, payload) VALUES ($1, $2, $3, $4, $5)"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class RawSender:
    """Writes one event per transaction, shaped like the store's (`template` is a stored
    envelope as JSON): its own id, stream, version, time, tag and sequence number."""

    def __init__(self, pool: asyncpg.Pool, topic: str, template: dict[str, Any]) -> None:
        self.pool, self.topic, self.template = pool, topic, template
        self.versions: dict[str, int] = {}

    async def send(self, stream: str, tag: str, seq: int) -> None:
        version = self.versions.get(stream, 0) + 1
        event_id = str(uuid4())
        doc = {
            **self.template,
            "id": event_id,
            "subject": stream,
            "stream_version": version,
            "time": _now_iso(),
            "data": {**self.template["data"], "tag": tag, "seq": seq},
        }
        text = json.dumps(doc, separators=(",", ":"))
        digest = uuid4().hex * 2
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                RAW_EVENT, event_id, stream, version, doc["type"], text, doc["prev_hash"], digest
            )
            await conn.execute(RAW_OUTBOX, event_id, self.topic, stream, doc["type"], text)
        self.versions[stream] = version


async def raw_relay(dsn: str, bootstrap: str, ready: asyncio.Event) -> None:
    """Until cancelled: drain the outbox to Kafka, marking after the acks; wait for NOTIFY."""
    wake = asyncio.Event()
    listener = await asyncpg.connect(dsn)
    conn = await asyncpg.connect(dsn)
    producer = kafka.make_producer(bootstrap, "bench-raw-relay")
    await producer.start()
    try:
        await listener.add_listener("careledger_outbox", lambda *_: wake.set())
        ready.set()
        while True:
            rows = await conn.fetch(OUTBOX_SELECT)
            if rows:
                pending = [
                    await producer.send(
                        topic,
                        payload.encode(),
                        key=key.encode(),
                        headers=[("ce_id", event_id.encode())],
                    )
                    for _, event_id, topic, key, payload in rows
                ]
                await asyncio.gather(*pending)
                await conn.execute(OUTBOX_MARK, [row[0] for row in rows])
            if len(rows) < 500:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), 1.0)
                wake.clear()
    finally:
        with contextlib.suppress(Exception):
            await producer.stop()
        await listener.close()
        await conn.close()


async def raw_consume(
    cfg: dict[str, Any], stop: asyncio.Event, seen: Callable[[dict[str, Any], float], None]
) -> dict[str, Any]:
    """The consumer child's loop in baseline mode; `seen(envelope_json, record_ms)` per event."""
    consumer = kafka.make_consumer(
        cfg["bootstrap"], cfg["group"], [cfg["topic"]], f"{cfg['group']}-consumer"
    )
    conn = await asyncpg.connect(cfg["libpq_url"])
    await consumer.start()
    handled = 0
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100)
            records = [r for rs in batches.values() for r in rs]
            if not records:
                continue
            docs = [json.loads(r.value) for r in records]
            async with conn.transaction():
                await conn.execute(INBOX, [d["id"] for d in docs])
                for doc, record in zip(docs, records, strict=True):
                    seen(doc, float(record.timestamp))
            await consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batches.items()})
            handled += len(records)
    finally:
        await consumer.stop()
        await conn.close()
    return {"handled": handled}


def event_ms(doc: dict[str, Any]) -> float:
    return datetime.fromisoformat(doc["time"]).timestamp() * 1000
