"""The consumer runner: at-least-once delivery, exactly-once effects.

Each message is handled in one database transaction together with an inbox row keyed by event
id; the offset is committed only after that transaction. A handler that keeps failing sends the
message to the dead-letter topic with the reason and its origin; a message that cannot even be
decoded, or whose content does not match its hash, goes there at once. Reasons and log lines name
the error's type and code, never its text: exception messages (pydantic's above all) can echo
decrypted personal data.

Infrastructure failures never dead-letter. A database outage is waited out in place (capped
backoff, no limit on the wait); a Kafka failure makes the runner recreate its clients and resume
from the last committed offset. A consumer that stops making progress while it has lag (stuck
after a broker restart or rebalance) is recreated too; one with no partitions is a standby.
"""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from events.envelope import Envelope
from events.metrics import DEAD_LETTERED, HANDLED
from events.status import ComponentStatus
from events.uow import UnitOfWork

log = logging.getLogger(__name__)
Handler = Callable[[Envelope, UnitOfWork], Awaitable[None]]
FaultHook = Callable[[str, Any], Awaitable[None]]

# SQLSTATEs of an unavailable database rather than a bad message (PostgreSQL, appendix A):
# 08 connection exception, 40 transaction rollback (serialization failure, deadlock),
# 53 insufficient resources (too many connections, disk full, out of memory), 57 operator
# intervention (shutdown, cannot connect now), 58 system error (I/O).
TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})
# 55P03 lock not available; 25006 read-only transaction (a failover left us on a standby).
TRANSIENT_SQLSTATES = frozenset({"55P03", "25006"})
# 40002 is a constraint violated at commit: the data's fault, retrying would never end.
PERMANENT_SQLSTATES = frozenset({"40002"})


class ConsumerStalled(Exception):
    """The consumer has lag but made no progress for the stall timeout."""


class HashMismatch(ValueError):
    """A record's envelope does not hash to its `hash`: changed after it was sealed."""


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error: on asyncpg's exception itself, or on SQLAlchemy's
    `.orig` (its asyncpg dialect copies it there as `sqlstate` and `pgcode`) or that one's
    cause (the asyncpg exception)."""
    orig = getattr(exc, "orig", None)
    for candidate in (exc, orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str) and len(code) == 5:
            return code
    return None


def is_transient_sqlstate(code: str) -> bool:
    if code in PERMANENT_SQLSTATES:
        return False
    return code[:2] in TRANSIENT_SQLSTATE_CLASSES or code in TRANSIENT_SQLSTATES


def is_transient(exc: BaseException) -> bool:
    """Failures of the infrastructure, not of the message: retry forever, never dead-letter."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    code = sqlstate(exc)
    if code is not None:  # the database said what it was; the wrapper's class says less
        return is_transient_sqlstate(code)
    transient = (OperationalError, InterfaceError, PoolTimeout, OSError, KafkaError, TimeoutError)
    return isinstance(exc, transient)


def error_code(exc: BaseException) -> str:
    """The error's type and SQLSTATE, never its text: messages can carry decrypted values."""
    code = sqlstate(exc)
    return f"{type(exc).__name__}:{code}" if code else type(exc).__name__


def decode_record(record: ConsumerRecord) -> Envelope:
    """The record's envelope, whose hash must cover its content (unknown attributes of a newer
    envelope included): a consumer acts on nothing changed after it was sealed."""
    envelope = Envelope.model_validate(json.loads(record.value))
    if envelope.compute_hash() != envelope.hash:
        raise HashMismatch("the envelope's content does not match its hash")
    return envelope


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
        max_backoff_seconds: float = 5.0,
        stall_seconds: float = 30.0,
        fault: FaultHook | None = None,
    ) -> None:
        if not handlers:
            # It would commit offsets past every event it skips: once handlers were added, the
            # group would start at the end of each topic and never see the history.
            raise ValueError(f"consumer {name!r} has no handlers; do not subscribe it")
        self.name, self.topics, self.handlers = name, topics, dict(handlers)
        self.uow_factory, self.dlq_topic = uow_factory, dlq_topic
        self.consumer_factory, self.producer_factory = consumer_factory, producer_factory
        self.max_attempts, self.backoff_seconds = max_attempts, backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
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
                log.warning("consumer %s failed; recreating it: %s", self.name, error_code(exc))
                self.status.set("reconnecting", error_code(exc))
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
            self.status.set("running")
            last_progress = time.monotonic()

    async def _check_stall(self, consumer: AIOKafkaConsumer) -> None:
        assigned = consumer.assignment()
        if not assigned:
            # More replicas than partitions: this one stands by. Restarting it would only make
            # the whole group rebalance again, every stall period.
            self.status.set("standby")
            return
        try:
            ends = await consumer.end_offsets(list(assigned))
            lag = sum([ends[tp] - await consumer.position(tp) for tp in assigned])
        except IllegalStateError:  # a rebalance took a partition meanwhile: not a stall
            return
        if lag > 0:
            raise ConsumerStalled(f"{lag} messages waiting but none received")
        self.status.set("running")

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
            batch = [envelope for _, envelope in work]
            try:
                await self._while_database_is_out(lambda: self._handle_together(batch))
                return
            except Exception as exc:
                if is_transient(exc):
                    raise
                failure = (self._handling, exc)
                log.info(
                    "%s: a batch failed (%s); handling its events one by one",
                    self.name,
                    error_code(exc),
                )
                await asyncio.sleep(self.backoff_seconds)
        for record, envelope in work:
            failed = failure if failure and failure[0] == envelope.id else None
            await self._process(record, envelope, dlq, failed[1] if failed else None)

    async def _decode(self, record: ConsumerRecord, dlq: AIOKafkaProducer) -> Envelope | None:
        try:
            return decode_record(record)
        except HashMismatch:
            await self._dead_letter(dlq, record, "hash-mismatch", attempts=1)
        except Exception as exc:
            await self._dead_letter(dlq, record, f"undecodable:{error_code(exc)}", attempts=1)
        return None

    async def _process(
        self,
        record: ConsumerRecord,
        envelope: Envelope,
        dlq: AIOKafkaProducer,
        failed_in_batch: Exception | None = None,
    ) -> None:
        """Handle one event with retries; its failure in a batch counts as the first attempt.
        A database outage counts as no attempt: it is waited out."""
        handler = self.handlers[envelope.event_name]
        error: BaseException | None = failed_in_batch
        for attempt in range(2 if error else 1, self.max_attempts + 1):
            try:
                await self._while_database_is_out(lambda: self._handle_once(envelope, handler))
                return
            except Exception as exc:
                if is_transient(exc):
                    raise
                error = exc
                log.warning(
                    "%s: %s failed (attempt %d): %s",
                    self.name,
                    envelope.type,
                    attempt,
                    error_code(exc),
                )
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        reason = f"handler-failed:{error_code(error) if error else 'unknown'}"
        await self._dead_letter(dlq, record, reason, self.max_attempts)

    async def _while_database_is_out(self, work: Callable[[], Awaitable[None]]) -> None:
        """Runs `work` until it gets past a database outage, however long: the partitions stay
        assigned (no rebalance, no redelivery). Kafka failures go up to `run`, which recreates
        the clients; anything else is the message's failure, for the caller to count."""
        delay = self.backoff_seconds
        while True:
            try:
                return await work()
            except Exception as exc:
                if isinstance(exc, KafkaError) or not is_transient(exc):
                    raise
                if self.status.state != "reconnecting":
                    log.warning("%s: database unavailable, waiting: %s", self.name, error_code(exc))
                self.status.set("reconnecting", error_code(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff_seconds)

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
        """`reason` is a code (`hash-mismatch`, `handler-failed:KeyError`), never a message."""
        headers = [
            *(record.headers or ()),
            ("dlq.reason", reason.encode()),
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
        log.debug("stopping a Kafka client failed: %s", error_code(exc))


__all__ = [
    "ConsumerRunner",
    "ConsumerStalled",
    "Handler",
    "HashMismatch",
    "TopicPartition",
    "error_code",
    "is_transient",
]
