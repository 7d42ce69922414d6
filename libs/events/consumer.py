"""The consumer runner: at-least-once delivery, exactly-once effects.

Each message is handled in one database transaction together with an inbox row keyed by event
id; the offset is committed only after that transaction. A handler that keeps failing sends the
message to the dead-letter topic with the reason and its origin; a message that cannot even be
decoded goes there at once. Infrastructure failures never dead-letter: the runner recreates its
Kafka clients and resumes from the last committed offset. A consumer that stops making progress
while it has lag (stuck after a broker restart or rebalance) is recreated too.
"""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from events.envelope import Envelope
from events.metrics import DEAD_LETTERED, HANDLED
from events.status import ComponentStatus
from events.uow import UnitOfWork

log = logging.getLogger(__name__)
Handler = Callable[[Envelope, UnitOfWork], Awaitable[None]]
FaultHook = Callable[[str, Any], Awaitable[None]]


class ConsumerStalled(Exception):
    """The consumer has lag but made no progress for the stall timeout."""


def is_transient(exc: BaseException) -> bool:
    """Failures of the infrastructure, not of the message: retry forever, never dead-letter."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | OSError | KafkaError | TimeoutError)


def decode_record(record: ConsumerRecord) -> Envelope:
    return Envelope.model_validate(json.loads(record.value))


class ConsumerRunner:
    def __init__(
        self,
        *,
        name: str,
        topics: list[str],
        handlers: Mapping[str, Handler],
        uow_factory: Callable[[], UnitOfWork],
        consumer_factory: Callable[[list[str]], AIOKafkaConsumer],
        producer_factory: Callable[[], AIOKafkaProducer],
        dlq_topic: str,
        max_attempts: int = 5,
        backoff_seconds: float = 0.2,
        stall_seconds: float = 30.0,
        fault: FaultHook | None = None,
    ) -> None:
        self.name, self.topics, self.handlers = name, topics, dict(handlers)
        self.uow_factory, self.dlq_topic = uow_factory, dlq_topic
        self.consumer_factory, self.producer_factory = consumer_factory, producer_factory
        self.max_attempts, self.backoff_seconds = max_attempts, backoff_seconds
        self.stall_seconds, self.fault = stall_seconds, fault
        self.status = ComponentStatus(f"consumer:{name}")
        self.handled = 0
        self.dead_lettered = 0
        self._handling = ""  # id of the event a batch is handling (to count its attempts)

    async def run(self) -> None:
        while True:
            consumer = self.consumer_factory(self.topics)
            dlq = self.producer_factory()
            try:
                await consumer.start()
                await dlq.start()
                self.status.set("running")
                await self._consume(consumer, dlq)
            except asyncio.CancelledError:
                self.status.set("stopped")
                raise
            except Exception as exc:
                log.warning("consumer %s failed; recreating it: %r", self.name, exc)
                self.status.set("reconnecting", exc)
                self.status.restarts += 1
                await asyncio.sleep(self.backoff_seconds * 5)
            finally:
                await _quietly(consumer.stop())
                await _quietly(dlq.stop())

    async def _consume(self, consumer: AIOKafkaConsumer, dlq: AIOKafkaProducer) -> None:
        last_progress = time.monotonic()
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            if not batches:
                if time.monotonic() - last_progress > self.stall_seconds:
                    await self._check_stall(consumer)
                    last_progress = time.monotonic()
                continue
            polled = [record for records in batches.values() for record in records]
            await self._process_batch(polled, dlq)
            if self.fault:
                await self.fault("before_offset_commit", polled)
            # One commit request for every partition of the poll, after all their transactions.
            await consumer.commit({tp: records[-1].offset + 1 for tp, records in batches.items()})
            last_progress = time.monotonic()

    async def _check_stall(self, consumer: AIOKafkaConsumer) -> None:
        assigned = consumer.assignment()
        if not assigned:
            raise ConsumerStalled("no partitions assigned for the stall timeout")
        ends = await consumer.end_offsets(list(assigned))
        lag = 0
        for tp in assigned:
            lag += ends[tp] - await consumer.position(tp)
        if lag > 0:
            raise ConsumerStalled(f"{lag} messages waiting but none received")

    async def _process_batch(self, records: list[ConsumerRecord], dlq: AIOKafkaProducer) -> None:
        """A poll's records (each partition's in order) in one transaction, an inbox row each:
        a busy consumer pays one commit per poll, not one per event. If a handler fails, the
        batch is rolled back and its records are handled one by one, where retries and the
        dead-letter topic apply."""
        work = []
        for record in records:
            envelope = await self._decode(record, dlq)
            if envelope is not None and envelope.event_name in self.handlers:
                work.append((record, envelope))
        failure: tuple[str, Exception] | None = None  # (event id, error) of a failed batch
        if len(work) > 1:
            try:
                await self._handle_together([envelope for _, envelope in work])
                return
            except Exception as exc:
                if is_transient(exc):
                    raise
                failure = (self._handling, exc)
                log.info("%s: a batch failed (%r); handling its events one by one", self.name, exc)
                await asyncio.sleep(self.backoff_seconds)
        for record, envelope in work:
            failed = failure if failure and failure[0] == envelope.id else None
            await self._process(record, envelope, dlq, failed[1] if failed else None)

    async def _decode(self, record: ConsumerRecord, dlq: AIOKafkaProducer) -> Envelope | None:
        try:
            return decode_record(record)
        except Exception as exc:
            await self._dead_letter(dlq, record, f"undecodable event: {exc}", attempts=1)
            return None

    async def _process(
        self,
        record: ConsumerRecord,
        envelope: Envelope,
        dlq: AIOKafkaProducer,
        failed_in_batch: Exception | None = None,
    ) -> None:
        """Handle one event with retries; its failure in a batch counts as the first attempt."""
        handler = self.handlers[envelope.event_name]
        error: BaseException | None = failed_in_batch
        for attempt in range(2 if error else 1, self.max_attempts + 1):
            try:
                await self._handle_once(envelope, handler)
                return
            except Exception as exc:
                if is_transient(exc):
                    raise
                error = exc
                log.warning(
                    "%s: %s failed (attempt %d): %r", self.name, envelope.type, attempt, exc
                )
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        await self._dead_letter(dlq, record, f"{type(error).__name__}: {error}", self.max_attempts)

    async def _handle_together(self, envelopes: list[Envelope]) -> None:
        async with self.uow_factory() as uow:
            fresh = await uow.claim_many(self.name, envelopes)
            for envelope in envelopes:
                if envelope.id in fresh:  # a redelivered event, even twice in one batch, once
                    fresh.discard(envelope.id)
                    self._handling = envelope.id
                    await self.handlers[envelope.event_name](envelope, uow)
                    if self.fault:
                        await self.fault("before_db_commit", envelope)
            await uow.commit()
        self.handled += len(envelopes)
        HANDLED.labels(self.name).inc(len(envelopes))

    async def _handle_once(self, envelope: Envelope, handler: Handler) -> None:
        async with self.uow_factory() as uow:
            if await uow.claim(self.name, envelope):
                await handler(envelope, uow)
                if self.fault:
                    await self.fault("before_db_commit", envelope)
            await uow.commit()
        self.handled += 1
        HANDLED.labels(self.name).inc()

    async def _dead_letter(
        self, dlq: AIOKafkaProducer, record: ConsumerRecord, reason: str, attempts: int
    ) -> None:
        headers = [
            *(record.headers or ()),
            ("dlq.reason", reason[:2000].encode()),
            ("dlq.original_topic", record.topic.encode()),
            ("dlq.original_partition", str(record.partition).encode()),
            ("dlq.original_offset", str(record.offset).encode()),
            ("dlq.consumer", self.name.encode()),
            ("dlq.attempts", str(attempts).encode()),
        ]
        await dlq.send_and_wait(self.dlq_topic, record.value, key=record.key, headers=headers)
        self.dead_lettered += 1
        DEAD_LETTERED.labels(self.name).inc()
        log.error(
            "%s: dead-lettered %s[%d]@%d: %s",
            self.name,
            record.topic,
            record.partition,
            record.offset,
            reason,
        )


async def _quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await asyncio.wait_for(awaitable, 10)
    except Exception as exc:
        log.debug("stopping a Kafka client failed: %r", exc)


__all__ = ["ConsumerRunner", "ConsumerStalled", "Handler", "TopicPartition", "is_transient"]
