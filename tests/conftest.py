"""Fixtures shared by the suites. Integration tests use the real local stack (PostgreSQL and
Kafka on loopback, started by deploy/stack.sh); each test gets throwaway databases and topics."""

import asyncio
import base64
import os
import shlex
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from events import migrate
from events.crypto import FieldCipher
from events.keystore import KeyStore
from events.store import EventStore
from tests.sample_events import sample_registry

ROOT = Path(__file__).resolve().parents[1]


def _parse_exports(text: str) -> dict[str, str]:
    env = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, _, value = words[1].partition("=")
            env[key] = value
    return env


@pytest.fixture(scope="session")
def stack() -> dict[str, str]:
    """Starts (or reuses) the local stack and puts its settings into the environment."""
    subprocess.run(["bash", str(ROOT / "deploy/stack.sh"), "up"], check=True)
    out = subprocess.run(
        ["bash", str(ROOT / "deploy/stack.sh"), "env"], check=True, capture_output=True, text=True
    )
    env = _parse_exports(out.stdout)
    os.environ.update(env)
    return env


@pytest.fixture(scope="session")
def bootstrap(stack: dict[str, str]) -> str:
    return stack["KAFKA_BOOTSTRAP_SERVERS"]


async def _create_database(admin_url: str) -> str:
    name = f"cl_test_{uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        for attempt in range(5):  # an autovacuum worker may be starting in it right then
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except (asyncpg.InsufficientPrivilegeError, asyncpg.ObjectInUseError):
                if attempt == 4:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await conn.close()


def _asyncpg_url(admin_url: str, name: str) -> str:
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


@pytest.fixture
async def database_url(stack: dict[str, str]) -> AsyncIterator[str]:
    """A new, empty database (dropped afterwards), as an asyncpg SQLAlchemy URL."""
    admin = stack["CARELEDGER_PG_ADMIN_URL"]
    name = await _create_database(admin)
    yield _asyncpg_url(admin, name)
    await _drop_database(admin, name)


@pytest.fixture
async def make_database(stack: dict[str, str]) -> AsyncIterator[object]:
    """Factory for more throwaway databases in one test (one per simulated service)."""
    admin, made = stack["CARELEDGER_PG_ADMIN_URL"], []

    async def make() -> str:
        made.append(await _create_database(admin))
        return _asyncpg_url(admin, made[-1])

    yield make
    for name in made:
        await _drop_database(admin, name)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    await migrate.upgrade(engine, "store")
    yield engine
    await engine.dispose()


@pytest.fixture
def kek() -> bytes:
    return os.urandom(32)


@pytest.fixture
def kek_b64(kek: bytes) -> str:
    return base64.b64encode(kek).decode()


@pytest.fixture
async def keystore(make_database: object, kek: bytes) -> AsyncIterator[KeyStore]:
    url = await make_database()  # type: ignore[operator]
    keys_engine = create_async_engine(url)
    await migrate.upgrade(keys_engine, "keys")
    yield KeyStore(keys_engine, kek, cache_seconds=30)
    await keys_engine.dispose()


@pytest.fixture
def store(keystore: KeyStore) -> EventStore:
    return EventStore(sample_registry, FieldCipher(keystore), source="/careledger/test")


@pytest.fixture
async def new_topic(bootstrap: str) -> AsyncIterator[object]:
    """Factory of fresh topics (3 partitions) for one test."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    made: list[str] = []

    async def make(partitions: int = 3, configs: dict[str, str] | None = None) -> str:
        name = f"test.{uuid4().hex[:12]}"
        await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or {})])
        made.append(name)
        return name

    yield make
    if made:
        await admin.delete_topics(made)
    await admin.close()


@pytest.fixture
async def pair(make_database, keystore, new_topic, bootstrap):
    """Two simulated services (tests/integration/harness.py): `intake` publishes to its
    topic, `assessment` consumes it; and a dead-letter topic."""
    from tests.integration.harness import Service  # the integration harness, where used

    topic, dlq = await new_topic(3), await new_topic(1)
    a = await Service.create("intake", await make_database(), keystore, topic, bootstrap)
    b = await Service.create("assessment", await make_database(), keystore, topic, bootstrap)
    yield a, b, dlq
    await a.close()
    await b.close()
