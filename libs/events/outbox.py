"""The outbox relay: publishes stored events to Kafka in order and marks them only after the
broker acknowledged them. A crash between publish and mark re-publishes (consumers dedupe by
event id); nothing is ever lost. One relay per database holds an advisory lock; others wait.
"""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
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


# Payloads leave as the text the store wrote: nothing is decoded and re-encoded. Rows in
# flight (sent, not yet marked) are skipped as the range from the lowest to the highest of
# them ($1..$2): a range costs the index scan nothing, a list of ids costs a comparison with
# each of them for every row. An unpublished row inside that range that is not in flight (a
# transaction that committed late) is read once the range has moved past it.
NEXT_BATCH_SQL = (
    "SELECT id, event_id::text AS event_id, topic, key, payload, type FROM outbox "
    "WHERE published_at IS NULL AND (id < $1 OR id > $2) ORDER BY id LIMIT $3"
)
MARK_SQL = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])"
# Published rows are only a transport record (the event itself is in `events`): kept for a while
# to answer "when did it go out", then deleted in slices so that no statement runs long.
PRUNE_SQL = (
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
    "WHERE published_at < now() - $1::interval ORDER BY id LIMIT $2)"
)
PRUNE_SLICE = 5000


def _record(key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> dict[str, Any]:
    return {"key": key, "value": value, "headers": headers, "timestamp": None}  # None: now


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
        unconfirmed_batches: int = 2,
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
        # Batches sent whose acknowledgements and marks are still awaited: while they are, the
        # next batches go out. More of them keep the producer busy while PostgreSQL marks.
        self.unconfirmed_batches = unconfirmed_batches
        self.keep_published, self.prune_every_seconds = keep_published, prune_every_seconds
        self._pruned_at = 0.0  # monotonic time of the last prune; 0: prune on start
        self.fault = fault  # test hook: called at "after_publish" with the rows
        self.status = ComponentStatus(f"outbox-relay:{name}")
        self.published = 0
        self._producer: AIOKafkaProducer | None = None
        self._wake = asyncio.Event()
        self._unconfirmed: deque[tuple[range, asyncio.Task[None]]] = deque()  # ids, confirm
        self._prefetch: asyncio.Task[Sequence[Any]] | None = None
        self._partitioner = DefaultPartitioner()  # as `send()` would place keyed messages

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
                    await self.flush()
                    await self._prune_when_due()
                    await self._idle()
        finally:
            await self._drop_prefetch()  # read under this lead: stale once another may lead
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
        """Send the oldest unpublished rows; mark them once every one was acknowledged.

        A batch's acknowledgements are awaited, and its rows marked, while the next batches are
        sent: the producer's pipeline does not empty under a backlog. Up to
        `unconfirmed_batches` wait so, their rows skipped by the next reads; `flush()` waits for
        them all and raises a failure of any. Under a backlog (a full batch), the next batch is
        also read while this one is sent."""
        rows = await self._take_rows()
        if not rows:
            await self.flush()
            return 0
        producer = await self._ensure_producer()
        ids = range(rows[0].id, rows[-1].id + 1)  # the rows come in id order
        if len(rows) == self.batch_size:
            self._prefetch = asyncio.create_task(self._read(self._skipped(ids)))
        try:
            acks = await self._send(producer, rows)
            while len(self._unconfirmed) >= self.unconfirmed_batches:
                await self._confirm_oldest()
        except BaseException:
            await self._drop_prefetch()  # unmarked rows go first next time
            raise
        self._unconfirmed.append((ids, asyncio.create_task(self._confirm(rows, acks))))
        return len(rows)

    async def _send(
        self, producer: AIOKafkaProducer, rows: Sequence[Any]
    ) -> list[asyncio.Future[Any]]:
        """Queue the rows as record batches: per partition (the key's, as Kafka's default
        partitioner places it), in row order. A record batch costs the producer one future and
        one queue entry; `send()` would cost that for every message."""
        partitions: dict[str, list[int]] = {}
        filling: dict[tuple[str, int], BatchBuilder] = {}
        acks = []
        for row in rows:
            if row.topic not in partitions:
                partitions[row.topic] = sorted(await producer.partitions_for(row.topic))
            key, value, headers = row.key.encode(), row.payload.encode(), self._headers(row)
            every = partitions[row.topic]
            target = (row.topic, self._partitioner(key, every, every))
            batch = filling.get(target)
            if batch is None or batch.append(**_record(key, value, headers)) is None:
                if batch is not None:  # full: it goes, a new one starts with this row
                    acks.append(await self._submit(producer, batch, target))
                batch = filling[target] = producer.create_batch()
                batch.append(**_record(key, value, headers))  # a first record always fits
        for target, batch in filling.items():
            acks.append(await self._submit(producer, batch, target))
        return acks

    @staticmethod
    async def _submit(
        producer: AIOKafkaProducer, batch: BatchBuilder, target: tuple[str, int]
    ) -> asyncio.Future[Any]:
        batch.close()  # nothing else may join it
        topic, partition = target
        ack: asyncio.Future[Any] = await producer.send_batch(batch, topic, partition=partition)
        return ack

    async def _confirm(self, rows: Sequence[Any], acks: list[asyncio.Future[Any]]) -> None:
        """Mark the rows once the broker acknowledged every one of them."""
        await asyncio.gather(*acks)
        if self.fault:
            await self.fault("after_publish", rows)
        await self._mark([r.id for r in rows])

    async def _take_rows(self) -> Sequence[Any]:
        """The rows read ahead while the last batch was sent, else the oldest unpublished.
        Rows committed after a read-ahead are not lost: their NOTIFY wakes the next read."""
        prefetch, self._prefetch = self._prefetch, None
        if prefetch is not None:
            return await prefetch
        return await self._read(self._skipped())

    def _skipped(self, *more: range) -> tuple[int, int]:
        """The id range the next read skips: from the lowest to the highest id in flight."""
        spans = [ids for ids, _ in self._unconfirmed] + list(more)
        if not spans:
            return (0, 0)  # ids start at 1: nothing skipped
        return (min(s.start for s in spans), max(s.stop - 1 for s in spans))

    async def _read(self, skipped: tuple[int, int]) -> Sequence[Any]:
        async with self._statements.connect() as conn:
            result = await conn.exec_driver_sql(NEXT_BATCH_SQL, (*skipped, self.batch_size))
            return result.all()

    async def _drop_prefetch(self) -> None:
        prefetch, self._prefetch = self._prefetch, None
        if prefetch is not None:
            prefetch.cancel()
            with contextlib.suppress(BaseException):
                await prefetch

    async def _mark(self, ids: list[int]) -> None:
        async with self._statements.connect() as conn:
            await conn.exec_driver_sql(MARK_SQL, (ids,))
        self.published += len(ids)
        PUBLISHED.labels(self.name).inc(len(ids))

    async def flush(self) -> None:
        """Wait until every batch sent is acknowledged and marked; a failure of any surfaces
        here (its rows stay unmarked and are published again: consumers dedupe)."""
        while self._unconfirmed:
            await self._confirm_oldest()

    async def _confirm_oldest(self) -> None:
        _, confirming = self._unconfirmed[0]
        try:
            await confirming
        except BaseException:
            for _, task in self._unconfirmed:  # the rest go again with the failed ones
                task.cancel()
            self._unconfirmed.clear()
            raise
        self._unconfirmed.popleft()

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
