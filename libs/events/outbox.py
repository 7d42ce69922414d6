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
from typing import TYPE_CHECKING, Any, NamedTuple

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from events.kafka import CLOUDEVENT_CONTENT_TYPE
from events.metrics import PARKED, PUBLISHED
from events.status import ComponentStatus
from events.store import MAX_EVENT_BYTES
from events.tables import outbox
from events.uow import OUTBOX_CHANNEL
from events.windows import Window, window_sql

if TYPE_CHECKING:  # the type `AIOKafkaProducer.create_batch()` returns, named for annotations
    from aiokafka.producer.message_accumulator import BatchBuilder

log = logging.getLogger(__name__)
ProducerFactory = Callable[[], AIOKafkaProducer]
FaultHook = Callable[[str, Sequence[Any]], Awaitable[None]]


# The next rows in commit order (see events/windows.py). Payloads leave as the text the store
# wrote: nothing is decoded and re-encoded.
NEXT_BATCH_SQL = window_sql(
    "id, event_id::text AS event_id, topic, key, payload, type",
    "outbox",
    "id",
    where="published_at IS NULL AND parked_reason IS NULL",
)
PARK_SQL = "UPDATE outbox SET parked_reason = $2 WHERE id = $1"
TRY_LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext($1))"
UNLOCK_SQL = "SELECT pg_advisory_unlock(hashtext($1))"
# The lock connection holds no other advisory lock: holding one at all is holding this one.
HOLDS_LOCK_SQL = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND pid = pg_backend_pid())"
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


Batch = tuple[tuple[str, int], "BatchBuilder"]  # (topic, partition), its record batch


class Row(NamedTuple):
    """An outbox row as the relay reads it (the columns of NEXT_BATCH_SQL after `high`)."""

    id: int
    event_id: str
    topic: str
    key: str
    payload: str
    type: str


class Lead(NamedTuple):
    """The connections of one lead, used straight through the driver: a batch's statements
    skip a pool checkout and SQLAlchemy's execution, which cost several times the statement's
    own CPU (about 0.5 ms against 0.1 ms here; at low load the relay runs a lock check, a read
    and a mark per commit). `session` holds the lock, listens for commits and reads; `marks`
    writes the marks, which run while the next batch is read and sent. A connection runs one
    statement at a time, hence a lock for each."""

    session: asyncpg.Connection
    reading: asyncio.Lock
    marks: asyncpg.Connection
    marking: asyncio.Lock


class LeadershipLost(Exception):
    """The relay's advisory lock is gone (its session ended): another relay may lead now."""


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
        standby_seconds: float = 5.0,
        linger_seconds: float = 0.005,
        unmarked_batches: int = 2,
        max_message_bytes: int = MAX_EVENT_BYTES,
        keep_published: timedelta = timedelta(days=7),
        prune_every_seconds: float = 3600.0,
        fault: FaultHook | None = None,
    ) -> None:
        self.engine, self.producer_factory, self.name = engine, producer_factory, name
        # Each read and each mark is one statement: autocommit spares a BEGIN and a COMMIT
        # (or ROLLBACK) round trip around every one of them (on the pool's connections, used
        # when not leading; a lead's own connections are outside any transaction anyway).
        self._statements = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.batch_size, self.idle_seconds = batch_size, idle_seconds
        self.retry_seconds, self.standby_seconds = retry_seconds, standby_seconds
        self.linger_seconds = linger_seconds
        # Batches acknowledged whose marks are still being written while the next batch goes.
        self.unmarked_batches = unmarked_batches
        self.max_message_bytes = max_message_bytes
        self.keep_published, self.prune_every_seconds = keep_published, prune_every_seconds
        self._pruned_at = 0.0  # monotonic time of the last prune; 0: prune on start
        self.fault = fault  # test hook: called at "after_publish" with the rows
        self.status = ComponentStatus(f"outbox-relay:{name}")
        self.published = 0
        self.parked = 0
        self._producer: AIOKafkaProducer | None = None
        self._wake = asyncio.Event()
        self._window: Window | None = None  # None: start again from every unpublished row
        self._sent: tuple[Sequence[Row], list[asyncio.Future[Any]]] | None = None  # not acked
        self._marking: deque[asyncio.Task[None]] = deque()
        self._prefetch: asyncio.Task[list[Row]] | None = None
        self._partitioner = DefaultPartitioner()  # as `send()` would place keyed messages
        self._lead_connections: Lead | None = None  # while leading

    async def run(self) -> None:
        """Relay until cancelled; recreates the producer after any Kafka failure."""
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.flush(), 5)
                await self._close_producer()
                self.status.set("stopped")
                raise
            except Exception as exc:  # recover by recreating clients, never by dropping rows
                log.warning("outbox relay %s failed; restarting: %s", self.name, type(exc).__name__)
                self.status.set("reconnecting", exc)
                self.status.restarts += 1
                with contextlib.suppress(Exception):
                    await self.flush()
                self._forget_in_flight()
                await self._close_producer()
                await asyncio.sleep(self.retry_seconds)

    async def _lead(self) -> None:
        """Wait for the lock, then relay while holding it. The lock's session is a connection
        of its own, outside any transaction: a lock taken inside one would hold it open for the
        relay's whole life, pinning the xmin horizon so that VACUUM could remove no dead row
        anywhere in the database. It also listens for commits and reads the batches."""
        key = f"outbox-relay:{self.name}"
        session = await asyncpg.connect(asyncpg_dsn(self.engine))
        try:
            while not await session.fetchval(TRY_LOCK_SQL, key):
                self.status.set("standby")
                await asyncio.sleep(self.standby_seconds)
            # Read under no lead (a direct `publish_batch`): forgotten, before this lead's
            # connections are in use, so that none is cut short in a statement.
            await self._drop_prefetch()
            marks = await asyncpg.connect(asyncpg_dsn(self.engine))
            try:
                self._lead_connections = Lead(session, asyncio.Lock(), marks, asyncio.Lock())
                await self._relay(session)
            finally:
                try:
                    await self._end_lead()
                finally:
                    await _close(marks)
            with contextlib.suppress(Exception):  # a lost session has released it already
                await session.fetchval(UNLOCK_SQL, key)
        finally:
            await _close(session)  # and with it the lock, if it is still held

    async def _relay(self, session: asyncpg.Connection) -> None:
        await session.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
        await self._ensure_producer()
        # A new lead starts from every unpublished row: another relay may have led
        # meanwhile. What this one still had in flight is settled first, not sent twice.
        await self.flush()
        self._window = None
        self.status.set("running")
        while True:
            await self._still_leading()
            if await self.publish_batch() < self.batch_size:  # drained: wait for a NOTIFY
                await self.flush()
                await self._prune_when_due()
                await self._idle()

    async def _end_lead(self) -> None:
        """Nothing read under this lead survives it (another relay may lead next), and nothing
        still runs on its connections once they close: the marks under way finish (a few
        seconds at most), the rest is forgotten and goes out again."""
        try:
            await self._drop_prefetch()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.flush(), 5)
        finally:
            self._forget_in_flight()
            self._lead_connections = None

    async def _still_leading(self) -> None:
        """The lock lives as long as its session: a killed session, a failover or a pooling
        proxy loses it without a word. Checked before every batch, so a relay that lost it
        stops before another one's rows overtake its own."""
        lead = self._lead_connections
        assert lead is not None
        async with lead.reading:
            held = await lead.session.fetchval(HOLDS_LOCK_SQL)
        if not held:
            raise LeadershipLost("the outbox relay's advisory lock is no longer held")

    async def _fetch(self, sql: str, *args: Any) -> Sequence[Any]:
        """A read's rows (tuples), on the lead's session; not leading (a test or a benchmark
        calling `publish_batch`), on a connection of the pool."""
        lead = self._lead_connections
        if lead is None:
            async with self._statements.connect() as conn:
                return (await conn.exec_driver_sql(sql, args)).all()
        async with lead.reading:
            return await lead.session.fetch(sql, *args)

    async def _write(self, sql: str, *args: Any) -> None:
        """A mark (or a park), on the lead's connection for marks, else on one of the pool."""
        lead = self._lead_connections
        if lead is None:
            async with self._statements.connect() as conn:
                await conn.exec_driver_sql(sql, args)
            return
        async with lead.marking:
            await lead.marks.execute(sql, *args)

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
        """Send the next rows in commit order; mark them once the broker acknowledged them.

        The batch sent before this one must be acknowledged before this one goes: with one
        unacknowledged batch per partition at most, a failed batch is never overtaken by a
        later one. Meanwhile this batch's records are built, the last one's marks are written
        (up to `unmarked_batches` wait so), and under a backlog (a full batch) the next rows
        are read. `flush()` waits for everything and raises a failure of any."""
        rows = await self._take_rows()
        rows = await self._park_oversized(rows)
        if not rows:
            await self.flush()
            return 0
        producer = await self._ensure_producer()
        if len(rows) == self.batch_size:
            self._prefetch = asyncio.create_task(self._read())
        try:
            batches = await self._build(producer, rows)
            await self._settle_sent()
            self._sent = (rows, await self._submit_all(producer, batches))
        except BaseException:
            await self._drop_prefetch()  # unmarked rows go first next time
            raise
        return len(rows)

    async def _build(self, producer: AIOKafkaProducer, rows: Sequence[Row]) -> list[Batch]:
        """The rows as record batches: per partition (the key's, as Kafka's default partitioner
        places it), in row order. A record batch costs the producer one future and one queue
        entry; `send()` would cost that for every message."""
        partitions: dict[str, list[int]] = {}
        filling: dict[tuple[str, int], BatchBuilder] = {}
        batches: list[Batch] = []
        for row in rows:
            if row.topic not in partitions:
                partitions[row.topic] = sorted(await producer.partitions_for(row.topic))
            key, value, headers = row.key.encode(), row.payload.encode(), self._headers(row)
            every = partitions[row.topic]
            target = (row.topic, self._partitioner(key, every, every))
            batch = filling.get(target)
            if batch is None or batch.append(**_record(key, value, headers)) is None:
                batch = filling[target] = producer.create_batch()
                batches.append((target, batch))
                batch.append(**_record(key, value, headers))  # parked if it would not fit
        return batches

    @staticmethod
    async def _submit_all(
        producer: AIOKafkaProducer, batches: list[Batch]
    ) -> list[asyncio.Future[Any]]:
        """Hand the record batches to the producer; a second one for a partition (the first
        filled up) waits for the first one's acknowledgement."""
        acks: dict[tuple[str, int], asyncio.Future[Any]] = {}
        every = []
        for target, batch in batches:
            if target in acks:
                await acks[target]
            batch.close()  # nothing else may join it
            topic, partition = target
            acks[target] = await producer.send_batch(batch, topic, partition=partition)
            every.append(acks[target])
        return every

    async def _park_oversized(self, rows: list[Row]) -> list[Row]:
        """Set aside, with an alert, a row the broker would refuse for its size: retried, it
        would block every row behind it for good. The store refuses such events at append;
        this catches rows written before that limit or under a larger one."""
        fits = [r for r in rows if not self._too_large(r.payload)]
        if len(fits) == len(rows):
            return rows
        for row in rows:
            if self._too_large(row.payload):
                size = len(row.payload.encode())
                await self._park(row, f"event of {size} bytes over the limit")
        return fits

    def _too_large(self, payload: str) -> bool:
        # A character is at most 4 bytes of UTF-8: most payloads are measured without encoding.
        limit = self.max_message_bytes
        return len(payload) * 4 > limit and len(payload.encode()) > limit

    async def _park(self, row: Row, reason: str) -> None:
        await self._write(PARK_SQL, row.id, reason)
        self.parked += 1
        PARKED.labels(self.name).inc()
        log.error(
            "outbox relay %s: parked outbox row %d (event %s, %s): %s",
            self.name,
            row.id,
            row.event_id,
            row.type,
            reason,
        )

    async def _settle_sent(self) -> None:
        """Wait for the acknowledgements of the batch last sent, then mark it in the
        background; a failure raises here and its rows stay unmarked."""
        sent, self._sent = self._sent, None
        if sent is None:
            return
        rows, acks = sent
        await asyncio.gather(*acks)
        if self.fault:
            await self.fault("after_publish", rows)
        self._marking.append(asyncio.create_task(self._mark([r.id for r in rows])))
        while len(self._marking) > self.unmarked_batches:
            await self._marking.popleft()

    async def _take_rows(self) -> list[Row]:
        """The rows read ahead while the last batch was sent, else the next ones."""
        prefetch, self._prefetch = self._prefetch, None
        if prefetch is not None:
            return await prefetch
        return await self._read()

    async def _read(self) -> list[Row]:
        """The next rows in commit order; moves the window on."""
        # One limit for the query and for judging the window drained: a window judged drained
        # by a larger limit than its read had would skip the rest of it until a restart.
        window, limit = self._window or Window(), self.batch_size
        found = await self._fetch(NEXT_BATCH_SQL, *window.parameters(limit))
        rows = [Row(*r[1:]) for r in found if r[1] is not None]  # after `high`
        self._window = window.after(found[0][0], [r.id for r in rows], limit)
        return rows

    async def _drop_prefetch(self) -> None:
        prefetch, self._prefetch = self._prefetch, None
        if prefetch is not None:
            prefetch.cancel()
            with contextlib.suppress(BaseException):
                await prefetch
            self._window = None  # what it read is forgotten: read from the unpublished again

    async def _mark(self, ids: list[int]) -> None:
        await self._write(MARK_SQL, ids)
        self.published += len(ids)
        PUBLISHED.labels(self.name).inc(len(ids))

    async def flush(self) -> None:
        """Wait until every batch sent is acknowledged and marked; a failure of any surfaces
        here (its rows stay unmarked and are published again: consumers dedupe)."""
        try:
            await self._settle_sent()
            while self._marking:
                await self._marking[0]
                self._marking.popleft()
        except BaseException:
            self._forget_in_flight()
            raise

    def _forget_in_flight(self) -> None:
        """After a failure: whatever was in flight goes again, from every unpublished row."""
        self._sent = None
        for task in self._marking:
            task.cancel()
        self._marking.clear()
        self._window = None

    @staticmethod
    def _headers(row: Row) -> list[tuple[str, bytes]]:
        return [
            ("content-type", CLOUDEVENT_CONTENT_TYPE),
            ("ce_id", row.event_id.encode()),
            ("ce_type", row.type.encode()),
        ]

    async def backlog(self) -> int:
        """Rows waiting to be published (parked rows are not waiting: they are alerted)."""
        async with self.engine.connect() as conn:
            count = await conn.scalar(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.published_at.is_(None), outbox.c.parked_reason.is_(None))
            )
        return int(count or 0)


async def _close(conn: asyncpg.Connection) -> None:
    """Close a lead's connection; one a statement cut short left busy is dropped."""
    try:
        await asyncio.wait_for(conn.close(), 5)
    except Exception:
        conn.terminate()
