"""The outbox relay: publishes stored events to Kafka in order and marks them only after the
broker acknowledged them. A crash between publish and mark re-publishes (consumers dedupe by
event id); nothing is ever lost. One relay per database holds an advisory lock; others wait.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from events.kafka import CLOUDEVENT_CONTENT_TYPE
from events.metrics import PUBLISHED
from events.status import ComponentStatus
from events.tables import outbox
from events.uow import OUTBOX_CHANNEL

log = logging.getLogger(__name__)
ProducerFactory = Callable[[], AIOKafkaProducer]
FaultHook = Callable[[str, Sequence[Any]], Awaitable[None]]


# Payloads leave as PostgreSQL's text of the stored JSON: nothing is decoded and re-encoded.
NEXT_BATCH_SQL = (
    "SELECT id, event_id::text AS event_id, topic, key, payload::text AS payload, "
    "payload->>'type' AS type FROM outbox "
    "WHERE published_at IS NULL AND id <> ALL($1::bigint[]) ORDER BY id LIMIT $2"
)
MARK_SQL = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])"
# Published rows are only a transport record (the event itself is in `events`): kept for a while
# to answer "when did it go out", then deleted in slices so that no statement runs long.
PRUNE_SQL = (
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
    "WHERE published_at < now() - $1::interval ORDER BY id LIMIT $2)"
)
PRUNE_SLICE = 5000


def asyncpg_dsn(engine: AsyncEngine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        producer_factory: ProducerFactory,
        *,
        name: str,
        batch_size: int = 500,
        idle_seconds: float = 1.0,
        retry_seconds: float = 1.0,
        linger_seconds: float = 0.005,
        keep_published: timedelta = timedelta(days=7),
        prune_every_seconds: float = 3600.0,
        fault: FaultHook | None = None,
    ) -> None:
        self.engine, self.producer_factory, self.name = engine, producer_factory, name
        # Each read and each mark is one statement: autocommit spares a BEGIN and a COMMIT
        # (or ROLLBACK) round trip around every one of them.
        self._statements = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.batch_size, self.idle_seconds, self.retry_seconds = (
            batch_size,
            idle_seconds,
            retry_seconds,
        )
        self.linger_seconds = linger_seconds
        self.keep_published, self.prune_every_seconds = keep_published, prune_every_seconds
        self._pruned_at = 0.0  # monotonic time of the last prune; 0: prune on start
        self.fault = fault  # test hook: called at "after_publish" with the rows
        self.status = ComponentStatus(f"outbox-relay:{name}")
        self.published = 0
        self._producer: AIOKafkaProducer | None = None
        self._wake = asyncio.Event()
        self._marking: asyncio.Task[None] | None = None
        self._marking_ids: list[int] = []

    async def run(self) -> None:
        """Relay until cancelled; recreates the producer after any Kafka failure."""
        while True:
            try:
                async with self.engine.connect() as lock_conn:
                    await self._lead(lock_conn)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.flush(), 5)
                await self._close_producer()
                self.status.set("stopped")
                raise
            except Exception as exc:  # recover by recreating clients, never by dropping rows
                log.warning("outbox relay %s failed; restarting: %r", self.name, exc)
                self.status.set("reconnecting", exc)
                self.status.restarts += 1
                with contextlib.suppress(Exception):
                    await self.flush()
                await self._close_producer()
                await asyncio.sleep(self.retry_seconds)

    async def _lead(self, lock_conn: AsyncConnection) -> None:
        key = f"outbox-relay:{self.name}"
        while not await lock_conn.scalar(
            text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": key}
        ):
            self.status.set("standby")
            await asyncio.sleep(5)
        listener = await asyncpg.connect(asyncpg_dsn(self.engine))
        try:
            await listener.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
            await self._ensure_producer()
            self.status.set("running")
            while True:
                if await self.publish_batch() < self.batch_size:  # drained: wait for a NOTIFY
                    await self._prune_when_due()
                    await self._idle()
        finally:
            await listener.close()
            await lock_conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": key})

    async def _prune_when_due(self) -> None:
        if time.monotonic() - self._pruned_at >= self.prune_every_seconds:
            self._pruned_at = time.monotonic()
            deleted = await self.prune()
            if deleted:
                log.info("outbox relay %s: pruned %d published rows", self.name, deleted)

    async def prune(self) -> int:
        """Delete rows published longer than `keep_published` ago; never an unpublished one."""
        deleted = 0
        while True:
            async with self._statements.connect() as conn:
                result = await conn.exec_driver_sql(PRUNE_SQL, (self.keep_published, PRUNE_SLICE))
            deleted += result.rowcount
            if result.rowcount < PRUNE_SLICE:
                return deleted

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.idle_seconds)
            # Woken by a commit: let the commits right behind it join the batch. Under load
            # this turns one read, one send and one mark per event into one per few events.
            await asyncio.sleep(self.linger_seconds)
        self._wake.clear()

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = self.producer_factory()
            try:
                await producer.start()
            except BaseException:
                await producer.stop()  # releases what start() opened before failing
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 10)
            except Exception as exc:
                log.debug("producer stop failed: %r", exc)

    async def publish_batch(self) -> int:
        """Publish the oldest unpublished rows; mark them once every one was acknowledged.

        The mark is written while the next batch is read and sent (at most one mark in
        flight, its rows excluded from that read); `flush()` waits for it."""
        in_flight = self._marking_ids
        async with self._statements.connect() as conn:
            rows = (await conn.exec_driver_sql(NEXT_BATCH_SQL, (in_flight, self.batch_size))).all()
        if not rows:
            await self.flush()
            return 0
        producer = await self._ensure_producer()
        pending = [
            await producer.send(
                r.topic, r.payload.encode(), key=r.key.encode(), headers=self._headers(r)
            )
            for r in rows
        ]
        await asyncio.gather(*pending)
        if self.fault:
            await self.fault("after_publish", rows)
        await self.flush()
        self._marking_ids = [r.id for r in rows]
        self._marking = asyncio.create_task(self._mark(self._marking_ids))
        return len(rows)

    async def _mark(self, ids: list[int]) -> None:
        async with self._statements.connect() as conn:
            await conn.exec_driver_sql(MARK_SQL, (ids,))
        self.published += len(ids)
        PUBLISHED.labels(self.name).inc(len(ids))

    async def flush(self) -> None:
        """Wait for the mark in flight; its failure surfaces here (the rows stay unmarked and
        are published again: consumers dedupe)."""
        marking, self._marking = self._marking, None
        try:
            if marking is not None:
                await marking
        finally:
            self._marking_ids = []

    @staticmethod
    def _headers(row: Any) -> list[tuple[str, bytes]]:
        return [
            ("content-type", CLOUDEVENT_CONTENT_TYPE),
            ("ce_id", row.event_id.encode()),
            ("ce_type", row.type.encode()),
        ]

    async def backlog(self) -> int:
        async with self.engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        return int(count or 0)
