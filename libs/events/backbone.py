"""Composition root shared by the services: builds the store, key store, outbox relay and
consumer runner from settings. Nothing connects at import time; `start()` does."""

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from events import kafka, migrate
from events.consumer import ConsumerRunner, Handler
from events.crypto import FieldCipher
from events.database import make_engine
from events.keystore import KeyStore, decode_kek
from events.metrics import BACKLOG, RESTARTS
from events.outbox import OutboxRelay
from events.registry import Registry, registry
from events.runtime import tune_gc
from events.settings import ServiceSettings
from events.status import ComponentStatus
from events.store import EventStore
from events.uow import UnitOfWork

log = logging.getLogger(__name__)


class Component(Protocol):
    """A service's own long-running task (a scheduler, say): started after the migrations,
    cancelled before the engines close, and reported by /ready through its status."""

    status: ComponentStatus

    async def run(self) -> None: ...


class Backbone:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        name: str,
        handlers: Mapping[str, Handler] | None = None,
        subscribe: list[str] | None = None,
        event_registry: Registry = registry,
        migrations: Path | None = None,
    ) -> None:
        self.settings, self.name, self.migrations = settings, name, migrations
        self.topic = kafka.events_topic(name)
        self.engine: AsyncEngine = make_engine(settings.database_url, pool_size=10)
        self.keys_engine: AsyncEngine = make_engine(settings.keystore_database_url)
        kek = decode_kek(settings.kek.get_secret_value())
        previous = [decode_kek(k.get_secret_value()) for k in [settings.previous_kek] if k]
        self.keystore = KeyStore(self.keys_engine, kek, settings.key_cache_seconds, previous)
        self.store = EventStore(
            event_registry, FieldCipher(self.keystore), source=f"/careledger/{name}"
        )
        self.relay = OutboxRelay(
            self.engine,
            self._producer,
            name=name,
            keep_published=timedelta(days=settings.outbox_keep_published_days),
        )
        self.runner = self._runner(handlers or {}, subscribe or [])
        self.schema = ComponentStatus(f"migrations:{name}")
        self._tasks: list[asyncio.Task[None]] = []
        self.components: list[Component] = []

    def _producer(self) -> Any:
        return kafka.make_producer(self.settings.kafka_bootstrap_servers, f"{self.name}-relay")

    def _runner(self, handlers: Mapping[str, Handler], topics: list[str]) -> ConsumerRunner | None:
        if not topics or not handlers:
            # A group that handles nothing must not join: it would commit offsets past every
            # event, and once handlers came it would start at the end and miss the history.
            return None
        servers = self.settings.kafka_bootstrap_servers
        group = self.settings.consumer_group or self.name
        return ConsumerRunner(
            name=group,
            topics=topics,
            handlers=handlers,
            uow_factory=self.uow,
            consumer_factory=lambda t: kafka.make_consumer(servers, group, t, f"{group}-consumer"),
            producer_factory=lambda: kafka.make_producer(servers, f"{self.name}-dlq"),
            dlq_topic=kafka.dlq_topic(self.name),
            max_attempts=self.settings.consumer_max_attempts,
            stall_seconds=self.settings.consumer_stall_seconds,
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.store, self.topic)

    async def migrate(self) -> None:
        """As the tables' owner (the migration URLs, when set), granting the runtime roles."""
        s = self.settings
        store_role = migrate.runtime_role(s.database_url, s.migration_database_url)
        keys_role = migrate.runtime_role(s.keystore_database_url, s.keystore_migration_database_url)
        store = _owner(s.migration_database_url, self.engine)
        keys = _owner(s.keystore_migration_database_url, self.keys_engine)
        try:
            await migrate.upgrade(store, "store", store_role)
            await migrate.upgrade(keys, "keys", keys_role)
            if self.migrations is not None:  # the service's own read models
                table = f"alembic_version_{self.name}"
                await migrate.upgrade_tree(store, self.migrations, table, store_role)
        finally:
            for engine, runtime in ((store, self.engine), (keys, self.keys_engine)):
                if engine is not runtime:
                    await engine.dispose()

    async def start(self) -> None:
        """Returns at once: the service answers (and reports not ready) while it connects."""
        tune_gc(self.settings.gc_young_threshold)  # start-up is over: its objects stay
        self._tasks.append(asyncio.create_task(self._run(), name=f"{self.name}-backbone"))

    async def _run(self) -> None:
        while True:
            try:
                await self.migrate()
                break
            except Exception as exc:
                log.warning("%s: migrations failed, retrying: %r", self.name, exc)
                self.schema.set("reconnecting", exc)
                await asyncio.sleep(2)
        self.schema.set("running")
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.name}-relay"))
        if self.runner:
            self._tasks.append(asyncio.create_task(self.runner.run(), name=f"{self.name}-consumer"))
        for component in self.components:
            self._tasks.append(asyncio.create_task(component.run(), name=component.status.name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.engine.dispose()
        await self.keys_engine.dispose()

    async def observe(self) -> None:
        """Refresh the gauges that are read, not counted."""
        try:
            BACKLOG.labels(self.name).set(await self.relay.backlog())
        except Exception as exc:  # the scrape still answers with the counters
            log.debug("backlog unavailable: %r", exc)
        RESTARTS.labels(self.name, "outbox_relay").set(self.relay.status.restarts)
        if self.runner:
            RESTARTS.labels(self.name, "consumer").set(self.runner.status.restarts)

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {
            "database": await _ping(self.engine),
            "keystore": await _ping(self.keys_engine),
            "kafka": await _reach(self.settings.kafka_bootstrap_servers),
            "migrations": self.schema.report(),
            "outbox_relay": self.relay.status.report(),
        }
        ok = all(checks[k]["ok"] for k in ("database", "keystore", "kafka"))
        ok = ok and self.schema.healthy and self.relay.status.healthy
        if self.runner:
            checks["consumer"] = self.runner.status.report()
            ok = ok and self.runner.status.healthy
        for component in self.components:
            checks[component.status.name] = component.status.report()
            ok = ok and component.status.healthy
        return {"ready": ok, "checks": checks}


def _owner(migration_url: str | None, runtime: AsyncEngine) -> AsyncEngine:
    """An engine for one migration run (no pool kept), or the runtime one when no owner is set."""
    if migration_url is None:
        return runtime
    return create_async_engine(migration_url, poolclass=NullPool)


async def _ping(engine: AsyncEngine) -> dict[str, Any]:
    try:
        async with asyncio.timeout(2):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


async def _reach(bootstrap_servers: str) -> dict[str, Any]:
    """Can a TCP connection be opened to any bootstrap server? (The clients' own state is in
    the relay and consumer checks.)"""
    errors = []
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            async with asyncio.timeout(2):
                _, writer = await asyncio.open_connection(host.strip("[]"), int(port))
            writer.close()
            return {"ok": True}
        except (OSError, TimeoutError, ValueError) as exc:
            errors.append(f"{server}: {type(exc).__name__}")
    return {"ok": False, "error": "; ".join(errors)}
