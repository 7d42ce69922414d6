"""The outbox relay: publishes stored events to Kafka in order and marks them only after the
broker acknowledged them. A crash between publish and mark re-publishes (consumers dedupe by
event id); nothing is ever lost. One relay per database holds an advisory lock; others wait.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from events.kafka import CLOUDEVENT_CONTENT_TYPE, encode
from events.metrics import PUBLISHED
from events.status import ComponentStatus
from events.tables import outbox
from events.uow import OUTBOX_CHANNEL

log = logging.getLogger(__name__)
ProducerFactory = Callable[[], AIOKafkaProducer]
FaultHook = Callable[[str, Sequence[Any]], Awaitable[None]]


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
        fault: FaultHook | None = None,
    ) -> None:
        self.engine, self.producer_factory, self.name = engine, producer_factory, name
        self.batch_size, self.idle_seconds, self.retry_seconds = (
            batch_size,
            idle_seconds,
            retry_seconds,
        )
        self.fault = fault  # test hook: called at "after_publish" with the rows
        self.status = ComponentStatus(f"outbox-relay:{name}")
        self.published = 0
        self._producer: AIOKafkaProducer | None = None
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Relay until cancelled; recreates the producer after any Kafka failure."""
        while True:
            try:
                async with self.engine.connect() as lock_conn:
                    await self._lead(lock_conn)
            except asyncio.CancelledError:
                await self._close_producer()
                self.status.set("stopped")
                raise
            except Exception as exc:  # recover by recreating clients, never by dropping rows
                log.warning("outbox relay %s failed; restarting: %r", self.name, exc)
                self.status.set("reconnecting", exc)
                self.status.restarts += 1
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
                if await self.publish_batch() == 0:
                    await self._idle()
        finally:
            await listener.close()
            await lock_conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": key})

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.idle_seconds)
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
        """Publish the oldest unpublished rows; mark them once every one was acknowledged."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(outbox)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            return 0
        producer = await self._ensure_producer()
        pending = [
            await producer.send(
                r.topic, encode(r.payload), key=r.key.encode(), headers=self._headers(r)
            )
            for r in rows
        ]
        await asyncio.gather(*pending)
        if self.fault:
            await self.fault("after_publish", rows)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_([r.id for r in rows]))
                .values(published_at=func.now())
            )
        self.published += len(rows)
        PUBLISHED.labels(self.name).inc(len(rows))
        return len(rows)

    @staticmethod
    def _headers(row: Any) -> list[tuple[str, bytes]]:
        return [
            ("content-type", CLOUDEVENT_CONTENT_TYPE),
            ("ce_id", str(row.event_id).encode()),
            ("ce_type", str(row.payload["type"]).encode()),
        ]

    async def backlog(self) -> int:
        async with self.engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        return int(count or 0)
