"""Small in-process stand-ins for two services built from the real backbone parts, helpers to
read a Kafka topic directly, and one router served in-process with development tokens.
Everything talks to the real PostgreSQL and Kafka."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from events import devissuer, kafka, migrate
from events.auth import TokenVerifier
from events.consumer import ConsumerRunner, Handler
from events.crypto import FieldCipher
from events.envelope import Envelope, Metadata
from events.keystore import KeyStore
from events.outbox import OutboxRelay
from events.problems import install_problem_handlers
from events.store import EventStore
from events.uow import UnitOfWork
from tests.sample_events import sample_registry

EFFECTS_DDL = "CREATE TABLE effects (event_id uuid PRIMARY KEY, type text NOT NULL, n int NOT NULL)"


@dataclass
class Service:
    """One simulated service: its own database, the shared key store, one events topic."""

    name: str
    engine: AsyncEngine
    store: EventStore
    topic: str
    bootstrap: str
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def create(
        cls, name: str, url: str, keystore: KeyStore, topic: str, bootstrap: str
    ) -> "Service":
        engine = create_async_engine(url)
        await migrate.upgrade(engine, "store")
        async with engine.begin() as conn:
            await conn.execute(text(EFFECTS_DDL))
        store = EventStore(sample_registry, FieldCipher(keystore), source=f"/careledger/{name}")
        return cls(name, engine, store, topic, bootstrap)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.store, self.topic)

    async def append(
        self, stream: str, expected: int | None, events: list, **kw: Any
    ) -> list[Envelope]:
        async with self.uow() as uow:
            envs = await uow.append(stream, expected, events, Metadata(actor="worker-1"), **kw)
            await uow.commit()
        return envs

    def relay(self, **kw: Any) -> OutboxRelay:
        return OutboxRelay(
            self.engine,
            lambda: kafka.make_producer(self.bootstrap, f"{self.name}-relay"),
            name=self.name,
            idle_seconds=0.2,
            retry_seconds=0.2,
            **kw,
        )

    def runner(
        self, topics: list[str], handlers: Mapping[str, Handler], dlq: str, **kw: Any
    ) -> ConsumerRunner:
        return ConsumerRunner(
            name=self.name,
            topics=topics,
            handlers=handlers,
            uow_factory=self.uow,
            consumer_factory=lambda t: kafka.make_consumer(self.bootstrap, self.name, t, self.name),
            producer_factory=lambda: kafka.make_producer(self.bootstrap, f"{self.name}-dlq"),
            dlq_topic=dlq,
            **{"backoff_seconds": 0.05, **kw},
        )

    def start(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self.tasks.append(task)
        return task

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.engine.dispose()

    async def effects(self) -> dict[str, int]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT event_id::text, n FROM effects"))).all()
        return {r[0]: r[1] for r in rows}


async def record_effect(envelope: Envelope, uow: UnitOfWork) -> None:
    """A handler whose effect is a row: a second effect for one event would show as n = 2."""
    await uow.conn.execute(
        text(
            "INSERT INTO effects (event_id, type, n) VALUES (:id, :t, 1) "
            "ON CONFLICT (event_id) DO UPDATE SET n = effects.n + 1"
        ),
        {"id": envelope.id, "t": envelope.type},
    )


async def read_topic(
    bootstrap: str, topic: str, expect: int, within: float = 20
) -> list[ConsumerRecord]:
    """Every record of a topic from the beginning, waiting until at least `expect` arrived."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or ())]
        if not parts:
            await consumer._client.force_metadata_update()
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            records += [r for rs in batch.values() for r in rs]
            if len(records) >= expect and not batch:
                break
        return records
    finally:
        await consumer.stop()


def envelopes(records: list[ConsumerRecord]) -> list[Envelope]:
    return [Envelope.model_validate(json.loads(r.value)) for r in records]


async def eventually(
    check: Callable[[], Awaitable[bool]], within: float = 30, every: float = 0.1
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(every)
    raise AssertionError(f"condition not met within {within} s")


@asynccontextmanager
async def served(
    tmp_path_factory: pytest.TempPathFactory, router: APIRouter, **state: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `router` alone in an app over ASGI that verifies development tokens; `state`
    goes on `app.state` (the backbone and whatever else the router reads); `client.app`."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(devissuer.DIR_ENV, str(tmp_path_factory.mktemp("dev-issuer")))
        app = FastAPI()
        install_problem_handlers(app)
        app.state.verifier = TokenVerifier(devissuer.dev_auth_config())
        for name, value in state.items():
            setattr(app.state, name, value)
        app.include_router(router)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
