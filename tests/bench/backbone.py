"""Throughput and latency of the event backbone (store, outbox relay, consumer runner) against
raw asyncpg / aiokafka baselines, and the memory of one idle service process.

    python -m tests.bench.backbone [--quick] [--only append,relay,e2e,memory] [--json PATH]

Everything runs against the local stack (started with `deploy/stack.sh up` if it is down) on
throwaway databases and topics, which are dropped and deleted at the end. Progress goes to
stderr; the result table to stdout; the results as JSON to `.local/bench/backbone.json`.
See tests/bench/README.md for what each number means.
"""

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

# `python -m tests.bench.backbone` from the repository root: the packages live in libs/ and
# services/ (`make bench` puts them on PYTHONPATH; a plain interpreter does not).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "libs"))

import asyncpg
import httpx
import psutil
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.protocol.admin import DeleteGroupsRequest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from events import kafka, migrate
from events.consumer import ConsumerRunner
from events.crypto import FieldCipher
from events.database import make_engine
from events.envelope import Envelope, Metadata
from events.keystore import KeyStore, decode_kek
from events.outbox import OutboxRelay
from events.registry import EventData, Registry
from events.runtime import tune_gc
from events.store import EventStore
from events.uow import UnitOfWork
from tests.bench import e2e_raw

ROOT = Path(__file__).resolve().parents[2]
JSON_OUT = ROOT / ".local" / "bench" / "backbone.json"
PARTITIONS = 6  # as the services' events topics (deploy/topics.py)
MB = 1024 * 1024

# --- the event appended throughout: one personal (encrypted) field, about 1 KB stored ---------

bench_registry = Registry()


@bench_registry.register("bench.noted", 1, personal={"child_name"})
class BenchNoted(EventData):
    child_name: str  # personal: stored as an AES-GCM token
    tag: str  # "warm" | "measure": lets the e2e consumer tell warm-up events apart
    seq: int
    note: str


NOTE = "Home visit done; family cooperative, follow-up agreed with the school social worker. " * 3


def new_event(tag: str, seq: int) -> BenchNoted:
    return BenchNoted(child_name=f"Child {seq % 997}", tag=tag, seq=seq, note=NOTE)


# --- small helpers --------------------------------------------------------------------------

T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - T0:6.1f}s] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _quantiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {f"p{q}": percentile(values, q / 100) for q in (50, 95, 99)} | {"max": max(values)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Meter:
    """Over one or more `with` blocks (the turns of a measurement): wall seconds, this process's
    CPU (% of one core) and how busy the whole machine was (% of all cores; on a shared
    machine, others' load shows here)."""

    def __init__(self) -> None:
        self.seconds = self._cpu_seconds = self._busy = self._total = 0.0

    def __enter__(self) -> "Meter":
        self._wall, self._cpu, self._machine = time.perf_counter(), time.process_time(), _busy()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._wall
        self._cpu_seconds += time.process_time() - self._cpu
        busy, total = (b - a for a, b in zip(self._machine, _busy(), strict=True))
        self._busy, self._total = self._busy + busy, self._total + total

    @property
    def process_cpu_pct(self) -> float:
        return 100 * self._cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def machine_busy_pct(self) -> float:
        return 100 * self._busy / self._total if self._total else 0.0

    def report(self) -> dict[str, float]:
        return {
            "seconds": round(self.seconds, 3),
            "process_cpu_pct": round(self.process_cpu_pct, 1),
            "machine_busy_pct": round(self.machine_busy_pct, 1),
        }


def _busy() -> tuple[float, float]:
    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    total = sum(getattr(t, f) for f in ("user", "nice", "system", "idle") if hasattr(t, f))
    total += sum(getattr(t, f, 0.0) for f in ("iowait", "irq", "softirq", "steal"))
    return total - idle, total


def parse_exports(text: str) -> dict[str, str]:
    env = {}
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, _, value = words[1].partition("=")
            env[key] = value
    return env


def stack_env() -> dict[str, str]:
    """Start the local stack if it is not running; its settings (`deploy/stack.sh env`)."""
    stack = ["bash", str(ROOT / "deploy" / "stack.sh")]
    status = subprocess.run([*stack, "status"], capture_output=True, text=True, check=False)
    if status.returncode != 0:
        say("stack is not (fully) up: running deploy/stack.sh up")
        subprocess.run([*stack, "up"], check=True, stdout=sys.stderr)
    out = subprocess.run([*stack, "env"], check=True, capture_output=True, text=True)
    env = parse_exports(out.stdout)
    missing = {"KAFKA_BOOTSTRAP_SERVERS", "CARELEDGER_PG_ADMIN_URL", "KEYSTORE_DATABASE_URL"}
    missing -= set(env)
    if missing:
        raise SystemExit(f"deploy/stack.sh env did not give {sorted(missing)}")
    return env


# --- throwaway resources --------------------------------------------------------------------


@dataclass
class Resources:
    """Databases, topics and consumer groups this run made; `cleanup()` removes them all."""

    admin_url: str
    bootstrap: str
    run_id: str = field(default_factory=lambda: uuid4().hex[:10])
    databases: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    _admin: AIOKafkaAdminClient | None = None

    def sqlalchemy_url(self, name: str) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        return base.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"

    def libpq_url(self, name: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    async def database(self, what: str) -> str:
        """A new empty database; returns its name."""
        name = f"cl_bench_{self.run_id}_{what}"
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.databases.append(name)
        return name

    async def admin(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
            await self._admin.start()
        return self._admin

    async def topic(self, what: str, partitions: int = PARTITIONS) -> str:
        name = f"bench.{self.run_id}.{what}"
        await (await self.admin()).create_topics([NewTopic(name, partitions, 1)])
        self.topics.append(name)
        return name

    def group(self, what: str) -> str:
        name = f"bench-{self.run_id}-{what}"
        self.groups.append(name)
        return name

    async def cleanup(self) -> None:
        """Best effort, each step on its own: one failure does not leave the rest behind."""
        try:
            conn = await asyncpg.connect(self.admin_url)
            try:
                for name in self.databases:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()
            say(f"dropped {len(self.databases)} databases")
        except Exception as exc:
            say(f"cleanup: could not drop databases {self.databases}: {exc!r}")
        try:
            if self.topics or self.groups:
                admin = await self.admin()
                if self.topics:
                    await admin.delete_topics(self.topics)
                    say(f"deleted {len(self.topics)} topics")
                for group in self.groups:  # aiokafka's admin has no delete_consumer_groups
                    node = await admin.find_coordinator(group)
                    await admin._send_request(DeleteGroupsRequest([group]), node)
        except Exception as exc:
            say(f"cleanup: could not delete topics {self.topics} / groups {self.groups}: {exc!r}")
        finally:
            if self._admin is not None:
                await self._admin.close()


# --- one simulated service: the real parts on a throwaway database --------------------------


@dataclass
class Service:
    name: str
    engine: AsyncEngine
    keys_engine: AsyncEngine
    store: EventStore

    @classmethod
    async def create(cls, name: str, url: str, keys_url: str, kek: bytes) -> "Service":
        # As events.backbone.Backbone configures them for every service, collector included.
        tune_gc()
        engine = make_engine(url, pool_size=10)
        await migrate.upgrade(engine, "store")
        keys_engine = make_engine(keys_url)
        keystore = KeyStore(keys_engine, kek, cache_seconds=30)
        store = EventStore(bench_registry, FieldCipher(keystore), source=f"/careledger/{name}")
        return cls(name, engine, keys_engine, store)

    def uow(self, topic: str) -> UnitOfWork:
        return UnitOfWork(self.engine, self.store, topic)

    async def close(self) -> None:
        await self.engine.dispose()
        await self.keys_engine.dispose()


# --- 1. append throughput -------------------------------------------------------------------


@dataclass
class Streams:
    """Each writer owns its streams (no two writers touch one stream) and tracks versions."""

    prefix: str
    writer: int
    count: int
    versions: dict[str, int] = field(default_factory=dict)
    turn: int = 0

    def next(self) -> str:
        stream = f"{self.prefix}-w{self.writer}-s{self.turn % self.count}"
        self.turn += 1
        return stream


async def append_store(
    svc: Service,
    topic: str,
    streams: list[Streams],
    txs_per_writer: int,
    batch: int,
    meter: Meter | None = None,
) -> tuple[int, Meter, Envelope]:
    """Writers append `batch` events per transaction through UnitOfWork (events + outbox rows +
    NOTIFY, personal field encrypted), one transaction after another each. The event models are
    made before the clock starts, as the baseline's rows are: making them is the caller's work.
    Timed into `meter` (a new one if none is given)."""
    last: list[Envelope] = []
    meta = Metadata(actor="bench-writer")
    planned = [
        [
            [new_event("measure", tx * batch + i) for i in range(batch)]
            for tx in range(txs_per_writer)
        ]
        for _ in streams
    ]

    async def writer(own: Streams, txs: list[list[BenchNoted]]) -> None:
        for items in txs:
            stream = own.next()
            expected = own.versions.get(stream, 0)
            async with svc.uow(topic) as uow:
                envs = await uow.append(stream, expected, items, meta)
                await uow.commit()
            own.versions[stream] = expected + batch
            last[:] = envs[-1:]

    meter = meter or Meter()
    with meter:
        await asyncio.gather(*(writer(s, txs) for s, txs in zip(streams, planned, strict=True)))
    return len(streams) * txs_per_writer * batch, meter, last[0]


RAW_EVENT = (
    "INSERT INTO events (id, stream_id, stream_version, type, envelope, prev_hash, hash) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)"
)
RAW_OUTBOX = "INSERT INTO outbox (event_id, topic, key, type, payload) VALUES ($1, $2, $3, $4, $5)"


def raw_rows(
    template: Envelope, topic: str, streams: list[Streams], txs_per_writer: int, batch: int
) -> list[list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]]:
    """Per writer, per transaction: (events rows, outbox rows), shaped like the store's rows:
    the same envelope (same JSONB size), with its own id, stream, version and hash."""
    wire = template.to_wire()
    plan = []
    for own in streams:
        txs = []
        for _ in range(txs_per_writer):
            stream = own.next()
            version = own.versions.get(stream, 0)
            ev_rows, ob_rows = [], []
            for _ in range(batch):
                version += 1
                event_id = str(uuid4())
                digest = uuid4().hex * 2
                doc = json.dumps(
                    {**wire, "id": event_id, "subject": stream, "stream_version": version}
                    | {"hash": digest},
                    separators=(",", ":"),
                )
                ev_rows.append(
                    (event_id, stream, version, template.type, doc, wire["prev_hash"], digest)
                )
                ob_rows.append((event_id, topic, stream, template.type, doc))
            own.versions[stream] = version
            txs.append((ev_rows, ob_rows))
        plan.append(txs)
    return plan


async def append_raw(
    pool: asyncpg.Pool,
    plan: list[list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]],
    meter: Meter | None = None,
) -> tuple[int, Meter]:
    """The same writers doing only the two INSERTs per transaction (executemany for batches)."""

    async def writer(txs: list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]) -> None:
        for ev_rows, ob_rows in txs:
            async with pool.acquire() as conn, conn.transaction():
                if len(ev_rows) == 1:
                    await conn.execute(RAW_EVENT, *ev_rows[0])
                    await conn.execute(RAW_OUTBOX, *ob_rows[0])
                else:
                    await conn.executemany(RAW_EVENT, ev_rows)
                    await conn.executemany(RAW_OUTBOX, ob_rows)

    meter = meter or Meter()
    with meter:
        await asyncio.gather(*(writer(txs) for txs in plan))
    return sum(len(ev) for txs in plan for ev, _ in txs), meter


async def bench_append(
    res: Resources, svc: Service, relay_topic: str, sizes: "Sizes"
) -> dict[str, Any]:
    raw_db = await res.database("raw")
    raw_engine = create_async_engine(res.sqlalchemy_url(raw_db))
    await migrate.upgrade(raw_engine, "store")  # the very same events and outbox tables
    await raw_engine.dispose()
    pool = await asyncpg.create_pool(
        res.libpq_url(raw_db), min_size=sizes.writers, max_size=sizes.writers
    )
    results: dict[str, Any] = {}
    try:
        for label, total, batch in (
            ("single", sizes.single, 1),
            ("batched", sizes.batched, sizes.batch),
        ):
            rounds = sizes.rounds
            txs = max(1, total // (sizes.writers * batch * rounds))  # per writer and round
            store_streams = [Streams(f"{label}", w, sizes.streams) for w in range(sizes.writers)]
            raw_streams = [Streams(f"raw-{label}", w, sizes.streams) for w in range(sizes.writers)]
            # warm-up (untimed): a data key per stream, pooled connections, prepared statements
            _, _, template = await append_store(svc, relay_topic, store_streams, sizes.streams, 1)
            await append_raw(pool, raw_rows(template, relay_topic, raw_streams, 2, batch))
            say(
                f"append {label}: store and raw asyncpg, {txs * batch * sizes.writers:,} "
                f"events each, {rounds} turns each ..."
            )
            meter, raw_meter, n, raw_n = Meter(), Meter(), 0, 0
            for _ in range(rounds):  # turns: drift on the machine falls on both sides alike
                done, _, _ = await append_store(svc, relay_topic, store_streams, txs, batch, meter)
                plan = raw_rows(template, relay_topic, raw_streams, txs, batch)
                raw_done, _ = await append_raw(pool, plan, raw_meter)
                n, raw_n = n + done, raw_n + raw_done
            store_rate, raw_rate = n / meter.seconds, raw_n / raw_meter.seconds
            say(f"append {label}: store {store_rate:,.0f} events/s, raw {raw_rate:,.0f} events/s")
            results[label] = {
                "events": n,
                "events_per_tx": batch,
                "writers": sizes.writers,
                "store_events_per_s": store_rate,
                "store": meter.report(),
                "raw_events": raw_n,
                "raw_events_per_s": raw_rate,
                "raw": raw_meter.report(),
                "ratio": store_rate / raw_rate,
                "envelope_bytes": len(json.dumps(template.to_wire(), separators=(",", ":"))),
            }
    finally:
        await pool.close()
    return results


# --- 2. relay throughput --------------------------------------------------------------------


async def fill_outbox(svc: Service, topic: str, n: int, sizes: "Sizes") -> None:
    streams = [Streams(f"fill-{uuid4().hex[:6]}", w, sizes.streams) for w in range(sizes.writers)]
    txs = max(1, n // (sizes.writers * sizes.batch))
    await append_store(svc, topic, streams, txs, sizes.batch)


async def bench_relay(
    res: Resources, svc: Service, relay_topic: str, sizes: "Sizes"
) -> dict[str, Any]:
    async with svc.engine.connect() as conn:
        rows: list[Any] = list(
            (
                await conn.exec_driver_sql(
                    "SELECT event_id::text, key, payload, type FROM outbox "
                    "WHERE published_at IS NULL ORDER BY id"
                )
            ).all()
        )
    if len(rows) < sizes.relay // 2:  # e.g. `--only relay`: nothing appended before
        say(f"relay: filling the outbox with {sizes.relay:,} events (untimed)")
        await fill_outbox(svc, relay_topic, sizes.relay, sizes)
        return await bench_relay(res, svc, relay_topic, sizes)

    relay = OutboxRelay(
        svc.engine, lambda: kafka.make_producer(res.bootstrap, "bench-relay"), name="bench"
    )
    default_batch, relay.batch_size = relay.batch_size, 1
    await relay.publish_batch()  # warm-up: producer started, topic metadata known (untimed)
    relay.batch_size = default_batch  # as every service runs it

    # Baseline: the same payloads (bytes prepared beforehand), the same producer settings.
    raw_topic = await res.topic("raw")
    messages = [
        (
            str(row[1]).encode(),
            str(row[2]).encode(),  # the very bytes the relay sends
            [
                ("content-type", kafka.CLOUDEVENT_CONTENT_TYPE),
                ("ce_id", str(row[0]).encode()),
                ("ce_type", BenchNoted.type_string().encode()),
            ],
        )
        for row in rows[1:]
    ]
    producer = kafka.make_producer(res.bootstrap, "bench-raw")
    await producer.start()
    key, value, headers = messages[0]
    await producer.send_and_wait(raw_topic, value, key=key, headers=headers)  # warm-up

    turn = math.ceil(len(messages) / sizes.rounds)
    say(
        f"relay: draining {len(messages):,} outbox rows with publish_batch(), and raw aiokafka "
        f"sending them, {sizes.rounds} turns each ..."
    )
    meter, raw_meter, published = Meter(), Meter(), 0
    try:
        for start in range(0, len(messages), turn):  # turns, as for the appends
            with meter:
                while published < start + turn and (n := await relay.publish_batch()):
                    published += n
                await relay.flush()  # the turn's last batch acknowledged and marked
            with raw_meter:
                pending = [
                    await producer.send(raw_topic, value, key=key, headers=headers)
                    for key, value, headers in messages[start : start + turn]
                ]
                await asyncio.gather(*pending)
        with meter:  # what the relay has left, if anything (rows it read ahead)
            while n := await relay.publish_batch():
                published += n
    finally:
        await producer.stop()
        await relay._close_producer()
    relay_rate = published / meter.seconds
    raw_rate = len(messages) / raw_meter.seconds
    say(f"relay: {relay_rate:,.0f} events/s, raw {raw_rate:,.0f} events/s")
    batches_rate = await _raw_batches(res, relay, rows[1:])
    return {
        "events": published,
        "batch_size": relay.batch_size,
        "events_per_s": relay_rate,
        "relay": meter.report(),
        "raw_events": len(messages),
        "raw_events_per_s": raw_rate,
        "raw": raw_meter.report(),
        "ratio": relay_rate / raw_rate,
        "message_bytes": len(messages[0][1]),
        "raw_batches_events_per_s": batches_rate,
    }


async def _as_relay_sends(relay: OutboxRelay, producer: Any, rows: Any) -> list[Any]:
    """The relay's own record batches for `rows`, handed to the producer: its acks."""
    return await relay._submit_all(producer, await relay._build(producer, rows))


async def _raw_batches(res: Resources, relay: OutboxRelay, rows: list[Any]) -> float:
    """Context, not the baseline: the same messages produced as the relay produces them, in
    record batches per partition (`send_batch`), with no database work. The relay's rate over
    this one is what reading and marking rows costs it."""
    topic = await res.topic("raw-batches")
    messages = [
        SimpleNamespace(topic=topic, event_id=r[0], key=r[1], payload=r[2], type=r[3]) for r in rows
    ]
    producer = kafka.make_producer(res.bootstrap, "bench-raw-batches")
    await producer.start()
    try:
        await asyncio.gather(*await _as_relay_sends(relay, producer, messages[:1]))  # warm-up
        with Meter() as meter:  # all sent, then all acks awaited, as for the baseline
            acks = []
            for start in range(0, len(messages), relay.batch_size):
                acks += await _as_relay_sends(
                    relay, producer, messages[start : start + relay.batch_size]
                )
            await asyncio.gather(*acks)
    finally:
        await producer.stop()
    rate = len(messages) / meter.seconds
    say(f"relay: raw send_batch() {rate:,.0f} events/s (context)")
    return rate


# --- 3. end-to-end latency ------------------------------------------------------------------


class TimedRunner(ConsumerRunner):
    """ConsumerRunner that remembers the Kafka timestamps of the records it is handling (set by
    the relay's producer at send time), by event id, to split a latency into publish and
    consume legs."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.record_ms: dict[str, float] = {}

    async def _process_batch(self, records: list[Any], dlq: Any) -> None:
        self.record_ms = {_ce_id(r): float(r.timestamp) for r in records}
        await super()._process_batch(records, dlq)


def _ce_id(record: Any) -> str:
    return next((v.decode() for k, v in record.headers or () if k == "ce_id"), "")


class Seen:
    """The consumer child's record of handled events: latency by tag, and the first warm-up."""

    def __init__(self) -> None:
        self.fresh: dict[str, list[tuple[float, float]]] = {}
        self.warm = False

    def event(self, tag: str, event_ms: float, record_ms: float) -> None:
        lag_ms = time.time() * 1000 - event_ms
        if tag == "warm":
            if not self.warm:
                self.warm = True
                print(json.dumps({"warm": True}), flush=True)
            return
        self.fresh.setdefault(tag, []).append((lag_ms, record_ms - event_ms))

    def flush(self) -> None:
        if self.fresh:
            print(json.dumps({"ms": self.fresh}), flush=True)
            self.fresh.clear()


async def consumer_child() -> None:
    """`--e2e-consumer`: the receiving service, in its own process as a real one would be.

    Reads its settings as one JSON line on stdin. Prints JSON lines on stdout: `{"warm": true}`
    when the first warm-up event arrived, `{"ms": {tag: [[total, publish], ...]}}` about every
    100 ms for the events handled since (publish = event time to the Kafka record's timestamp),
    and `{"final": {...}}` when it gets SIGTERM, then exits. With `"raw": true` in the settings
    it is the bare-driver baseline consumer (`e2e_raw.raw_consume`)."""
    cfg = json.loads(sys.stdin.readline())
    seen, stop = Seen(), asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    if cfg.get("raw"):
        raw = asyncio.create_task(
            e2e_raw.raw_consume(
                cfg, stop, lambda doc, ms: seen.event(doc["data"]["tag"], e2e_raw.event_ms(doc), ms)
            )
        )
        await _flush_until(seen, stop, raw)
        final = await raw
    else:
        final = await _runner_child(cfg, seen, stop)
    seen.flush()
    final["rss_mb"] = psutil.Process().memory_info().rss / MB
    print(json.dumps({"final": final}), flush=True)


async def _flush_until(seen: Seen, stop: asyncio.Event, task: asyncio.Task[Any]) -> None:
    """Report latencies about every 100 ms until SIGTERM (or the consumer task ended)."""
    while not stop.is_set() and not task.done():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)
        seen.flush()


async def _runner_child(cfg: dict[str, Any], seen: Seen, stop: asyncio.Event) -> dict[str, Any]:
    tune_gc()  # as Backbone.start does
    engine = make_engine(cfg["database_url"], pool_size=10)
    keys_engine = make_engine(cfg["keys_url"])
    keystore = KeyStore(keys_engine, decode_kek(cfg["kek"]), cache_seconds=30)
    store = EventStore(bench_registry, FieldCipher(keystore), source="/careledger/bench-consumer")

    async def handler(envelope: Envelope, uow: UnitOfWork) -> None:
        event_ms = envelope.time.timestamp() * 1000
        record_ms = runner.record_ms.get(envelope.id, event_ms)
        seen.event(str(envelope.data.get("tag")), event_ms, record_ms)

    bootstrap, group = cfg["bootstrap"], cfg["group"]
    runner = TimedRunner(
        name=group,
        topics=[cfg["topic"]],
        handlers={"bench.noted": handler},
        uow_factory=lambda: UnitOfWork(engine, store, cfg["own_topic"]),
        consumer_factory=lambda t: kafka.make_consumer(bootstrap, group, t, f"{group}-consumer"),
        producer_factory=lambda: kafka.make_producer(bootstrap, f"{group}-dlq"),
        dlq_topic=cfg["dlq"],
    )
    task = asyncio.create_task(runner.run())
    await _flush_until(seen, stop, task)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await engine.dispose()
    await keys_engine.dispose()
    return {
        "handled": runner.handled,
        "dead_lettered": runner.dead_lettered,
        "restarts": runner.status.restarts,
    }


@dataclass
class ConsumerProcess:
    """The parent's side of `consumer_child`: latencies by tag as they arrive."""

    process: asyncio.subprocess.Process
    latencies: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    warm: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    final: dict[str, Any] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, cfg: dict[str, Any]) -> "ConsumerProcess":
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bench.backbone",
            "--e2e-consumer",
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": f"{ROOT / 'libs'}:{ROOT / 'services'}:{ROOT}"},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None
        process.stdin.write(json.dumps(cfg).encode() + b"\n")
        await process.stdin.drain()
        process.stdin.close()
        child = cls(process)
        child.reader = asyncio.create_task(child._read())
        return child

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message = json.loads(line)
            if message.get("warm"):
                self.warm.set()
            for tag, values in message.get("ms", {}).items():
                self.latencies.setdefault(tag, []).extend(map(tuple, values))
            self.final.update(message.get("final", {}))
            self.arrived.set()
        self.arrived.set()

    async def wait_for(self, tag: str, count: int, within: float) -> None:
        """Until `count` latencies of `tag` arrived, the child ended, or `within` s passed."""
        deadline = time.monotonic() + within
        while self.received(tag) < count and self.alive:
            self.arrived.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), left)

    def received(self, tag: str) -> int:
        return len(self.latencies.get(tag, ()))

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def stop(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self.reader is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.reader, 5)


Send = Callable[[Streams, str, int], Awaitable[None]]


def store_sender(svc: Service, topic: str) -> Send:
    """One event per transaction through the unit of work, at the stream's expected version."""

    async def send(own: Streams, tag: str, seq: int) -> None:
        stream = own.next()
        expected = own.versions.get(stream, 0)
        async with svc.uow(topic) as uow:
            await uow.append(stream, expected, [new_event(tag, seq)], Metadata(actor="bench"))
            await uow.commit()
        own.versions[stream] = expected + 1

    return send


async def paced_appends(
    send: Send, streams: list[Streams], tag: str, rate: float, seconds: float
) -> dict[str, Any]:
    """One event per transaction at `rate`/s for `seconds`: the writers (one per `streams`) share
    a schedule (event i is due at t0 + i/rate) and each waits for its next due time. A writer
    that falls behind sends at once; nothing is sent after the time is up."""
    loop = asyncio.get_running_loop()
    planned = int(rate * seconds)
    late: list[float] = []
    sent = 0
    per_second: dict[int, int] = {}
    t0 = loop.time() + 0.05
    end = t0 + seconds

    async def writer(w: int) -> None:
        nonlocal sent
        own = streams[w]
        for i in range(w, planned, len(streams)):
            now = loop.time()
            if now >= end:
                return
            due = t0 + i / rate
            if due > now:
                await asyncio.sleep(due - now)
            else:
                late.append(now - due)
            await send(own, tag, i)
            sent += 1
            second = int(loop.time() - t0)
            per_second[second] = per_second.get(second, 0) + 1

    with Meter() as meter:
        await asyncio.gather(*(writer(w) for w in range(len(streams))))
    elapsed = loop.time() - t0
    return {
        "target_rate": rate,
        "planned": planned,
        "sent": sent,
        "send_seconds": elapsed,
        "achieved_rate": sent / elapsed,
        "late_sends": len(late),
        "max_send_lag_ms": max(late, default=0.0) * 1000,
        "producer_process": meter.report(),
        "sent_per_second": [per_second.get(i, 0) for i in range(math.ceil(elapsed))],
    }


async def bench_e2e(
    res: Resources, svc: Service, keys_url: str, kek: str, sizes: "Sizes"
) -> dict[str, Any]:
    topic, dlq = await res.topic("e2e"), await res.topic("e2e-dlq", 1)
    consumer_url = res.sqlalchemy_url(await res.database("consumer"))
    await _migrated(consumer_url)
    child = await ConsumerProcess.start(
        {
            "database_url": consumer_url,
            "keys_url": keys_url,
            "kek": kek,
            "bootstrap": res.bootstrap,
            "group": res.group("e2e"),
            "topic": topic,
            "own_topic": await res.topic("e2e-consumer-own", 1),
            "dlq": dlq,
        }
    )
    # The relay as every service runs it (batch 500, 1 s idle poll, woken by NOTIFY).
    relay = OutboxRelay(
        svc.engine, lambda: kafka.make_producer(res.bootstrap, "bench-e2e-relay"), name="e2e"
    )
    relay_task = asyncio.create_task(relay.run())
    streams = [Streams("e2e", w, sizes.streams) for w in range(sizes.writers)]
    try:
        send = store_sender(svc, topic)
        runs = await _measure(child, send, streams, sizes.e2e_rates, sizes.e2e_seconds)
    finally:
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await child.stop()
    baseline = await _raw_e2e(res, svc, sizes)
    return {
        "runs": runs,
        "baseline": baseline,
        "consumer": child.final,
        "relay_restarts": relay.status.restarts,
    }


async def _migrated(url: str) -> None:
    engine = create_async_engine(url)
    await migrate.upgrade(engine, "store")
    await engine.dispose()


async def _raw_e2e(res: Resources, svc: Service, sizes: "Sizes") -> list[dict[str, Any]]:
    """The baseline (`e2e_raw`) at the first rate only: same schema, broker and process split."""
    async with svc.engine.begin() as conn:  # a stored envelope to shape the raw rows like
        stored = await svc.store.append(
            conn, "e2e-template", 0, [new_event("template", 0)], Metadata(actor="bench")
        )
    template = stored.envelopes[0].to_wire()
    db, consumer_db = await res.database("raw_e2e"), await res.database("raw_consumer")
    for name in (db, consumer_db):
        await _migrated(res.sqlalchemy_url(name))
    topic = await res.topic("raw-e2e")
    child = await ConsumerProcess.start(
        {
            "raw": True,
            "libpq_url": res.libpq_url(consumer_db),
            "bootstrap": res.bootstrap,
            "group": res.group("raw-e2e"),
            "topic": topic,
        }
    )
    pool = await asyncpg.create_pool(
        res.libpq_url(db), min_size=sizes.writers, max_size=sizes.writers
    )
    ready = asyncio.Event()
    relay_task = asyncio.create_task(e2e_raw.raw_relay(res.libpq_url(db), res.bootstrap, ready))
    raw = e2e_raw.RawSender(pool, topic, template)

    async def send(own: Streams, tag: str, seq: int) -> None:
        await raw.send(own.next(), tag, seq)

    streams = [Streams("raw", w, sizes.streams) for w in range(sizes.writers)]
    try:
        await asyncio.wait_for(ready.wait(), 30)
        rates = sizes.e2e_rates[:1]
        return await _measure(child, send, streams, rates, sizes.e2e_seconds, "e2e raw")
    finally:
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await child.stop()
        await pool.close()


async def _measure(
    child: "ConsumerProcess",
    send: Send,
    streams: list[Streams],
    rates: tuple[int, ...],
    seconds: float,
    label: str = "e2e",
) -> list[dict[str, Any]]:
    say(f"{label}: consumer process starting; warm-up events until it receives one ...")
    deadline = time.monotonic() + 60
    while not child.warm.is_set():
        if time.monotonic() > deadline or not child.alive:
            raise RuntimeError(f"{label}: the consumer process never received a warm-up event")
        await paced_appends(send, streams[:1], "warm", 10, 0.2)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(child.warm.wait(), 0.3)
    await asyncio.sleep(1.0)  # the warm-up tail
    runs = []
    for rate in rates:
        tag = f"r{rate}"
        say(f"{label}: one event per transaction at {rate}/s for {seconds:g} s ...")
        run = await paced_appends(send, streams, tag, rate, seconds)
        say(f"{label}: sent {run['sent']:,} at {run['achieved_rate']:,.1f}/s; draining ...")
        await child.wait_for(tag, run["sent"], within=20)
        pairs = child.latencies.get(tag, [])
        lat = [total for total, _ in pairs]
        run |= {
            "received": len(lat),
            "p50_ms": percentile(lat, 0.50) if lat else None,
            "p95_ms": percentile(lat, 0.95) if lat else None,
            "p99_ms": percentile(lat, 0.99) if lat else None,
            "max_ms": max(lat) if lat else None,
            # publish leg: event time (set while appending) to the Kafka record timestamp
            # (set when the relay's producer sent it); consume leg: from there to the handler
            "publish_leg_ms": _quantiles([pub for _, pub in pairs]),
            "consume_leg_ms": _quantiles([total - pub for total, pub in pairs]),
        }
        say(f"{label}: {len(lat):,}/{run['sent']:,} received, p99 {run['p99_ms'] or 0:,.0f} ms")
        runs.append(run)
    return runs


# --- 4. memory of one idle service ----------------------------------------------------------


async def bench_memory(res: Resources, env: dict[str, str], sizes: "Sizes") -> dict[str, Any]:
    db = await res.database("intake")
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        port = free_port()
        child_env = {
            **os.environ,
            **env,
            "PYTHONPATH": f"{ROOT / 'libs'}:{ROOT / 'services'}",
            "CARELEDGER_DEV_AUTH": "true",
            "CARELEDGER_DEV_ISSUER_DIR": tmp,  # a throwaway key pair, not the developer's
            "INTAKE_PORT": str(port),
            # A throwaway database and its own consumer group, as tests/e2e does: never takes
            # partitions from, or writes into, an intake someone runs on this machine.
            "INTAKE_DATABASE_URL": res.sqlalchemy_url(db),
            "INTAKE_CONSUMER_GROUP": res.group("intake"),
        }
        log_path = Path(tmp) / "intake.log"
        say(f"memory: starting python -m intake on port {port} ...")
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "intake", cwd=ROOT, env=child_env, stdout=log, stderr=log
            )
        try:
            return await _idle_rss(process, port, log_path, sizes.idle_seconds)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 15)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _idle_rss(
    process: asyncio.subprocess.Process, port: int, log_path: Path, idle_seconds: float
) -> dict[str, Any]:
    """Wait (up to 60 s) until /ready answers 200, then `idle_seconds`; the process's memory."""
    started = time.monotonic()
    last = ""
    ready_after = None
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as client:
        while time.monotonic() - started < 60 and process.returncode is None:
            try:
                response = await client.get("/ready")
                if response.status_code == 200:
                    ready_after = time.monotonic() - started
                    break
                last = f"{response.status_code} {response.text}"
            except httpx.TransportError as exc:
                last = repr(exc)
            await asyncio.sleep(0.25)
    if ready_after is None:
        tail = (await asyncio.to_thread(log_path.read_bytes))[-4000:].decode(errors="replace")
        say(f"memory: /ready never answered 200; last answer: {last[:2000]}\nlog tail:\n{tail}")
        return {
            "ready": False,
            "exit_code": process.returncode,
            "last_ready_answer": last[:3000],
            "log_tail": tail,
        }
    say(f"memory: ready after {ready_after:.1f} s; idle {idle_seconds:g} s ...")
    await asyncio.sleep(idle_seconds)
    proc = psutil.Process(process.pid)
    family = [proc, *proc.children(recursive=True)]
    rss = sum(p.memory_info().rss for p in family)
    uss = sum(p.memory_full_info().uss for p in family)
    say(f"memory: RSS {rss / MB:.1f} MB (USS {uss / MB:.1f} MB)")
    return {
        "ready": True,
        "ready_after_s": ready_after,
        "idle_s": idle_seconds,
        "processes": len(family),
        "rss_mb": rss / MB,
        "uss_mb": uss / MB,
    }


# --- the run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    single: int  # events, one per transaction
    batched: int  # events, `batch` per transaction
    relay: int  # outbox rows drained (if the append phase did not leave enough)
    e2e_seconds: float
    idle_seconds: float
    batch: int = 100
    rounds: int = 4  # turns the measured side and its baseline take, one after the other
    writers: int = 4
    streams: int = 4  # per writer
    # events/s; the first (the brief's 500/s) has the target, the second shows the latency at a
    # load this machine sustains (see README)
    e2e_rates: tuple[int, ...] = (500, 200, 50)


FULL = Sizes(single=2_000, batched=20_000, relay=20_000, e2e_seconds=10, idle_seconds=5)
QUICK = Sizes(single=400, batched=4_000, relay=4_000, e2e_seconds=3, idle_seconds=2)
PHASES = ("append", "relay", "e2e", "memory")


@dataclass
class Row:
    metric: str
    unit: str
    value: float | None
    baseline: float | None = None
    target: str = ""
    ok: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    def cells(self) -> list[str]:
        def num(v: float | None) -> str:
            if v is None:
                return "-"
            return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"

        ratio = self.ratio
        return [
            f"{self.metric} ({self.unit})",
            num(self.value),
            num(self.baseline),
            f"{ratio:.2f}" if ratio is not None else "-",
            self.target or "-",
            {True: "PASS", False: "FAIL", None: "-"}[self.ok],
        ]


def rows_of(results: dict[str, Any]) -> list[Row]:
    rows = []
    append = results.get("append", {})
    for key, label in (("single", "append, 1 event/tx"), ("batched", "append, 100 events/tx")):
        if key in append:
            r = append[key]
            ratio = r["ratio"]
            rows.append(
                Row(
                    label,
                    "events/s",
                    r["store_events_per_s"],
                    r["raw_events_per_s"],
                    "ratio >= 0.5",
                    ratio >= 0.5,
                )
            )
    if "relay" in results:
        r = results["relay"]
        rows.append(
            Row(
                "relay publish",
                "events/s",
                r["events_per_s"],
                r["raw_events_per_s"],
                "ratio >= 0.7",
                r["ratio"] >= 0.7,
            )
        )
    for i, r in enumerate(results.get("e2e", {}).get("runs", [])):
        at = f"e2e @{r['target_rate']:g}/s"
        targeted = i == 0  # the brief's load (500/s); later rates are for comparison
        rate_ok = r["achieved_rate"] >= 0.98 * r["target_rate"]
        rows.append(
            Row(
                f"{at} send rate",
                "events/s",
                r["achieved_rate"],
                r["target_rate"],
                ">= 98%",
                rate_ok,
            )
        )
        complete = r["received"] == r["sent"]
        rows.append(Row(f"{at} received", "events", r["received"], r["sent"], "all", complete))
        for q in ("p50", "p95"):
            rows.append(Row(f"{at} latency {q}", "ms", r[f"{q}_ms"]))
        p99 = r["p99_ms"]
        p99_ok = p99 is not None and p99 < 100
        raw = _baseline_of(results, r["target_rate"])
        raw_p99 = raw["p99_ms"] if raw else None
        rows.append(
            Row(f"{at} latency p99", "ms", p99, raw_p99, "< 100 ms", p99_ok if targeted else None)
        )
        rows.append(Row(f"{at} latency max", "ms", r["max_ms"]))
        if raw:
            rows.append(
                Row(
                    f"{at} raw drivers send rate",
                    "events/s",
                    raw["achieved_rate"],
                    r["target_rate"],
                )
            )
            for q in ("p50", "p99"):
                rows.append(Row(f"{at} raw drivers latency {q}", "ms", raw[f"{q}_ms"]))
    if "memory" in results:
        r = results["memory"]
        rss = r.get("rss_mb")
        rows.append(
            Row("idle intake RSS", "MB", rss, None, "< 120 MB", rss is not None and rss < 120)
        )
    return rows


def _baseline_of(results: dict[str, Any], rate: float) -> dict[str, Any] | None:
    """The bare-driver e2e run at `rate`, if there was one."""
    runs = results.get("e2e", {}).get("baseline", [])
    return next((b for b in runs if b["target_rate"] == rate), None)


def context(results: dict[str, Any]) -> list[str]:
    """Lines under the table: how loaded the machine was, who used the CPU in each timing."""
    lines = []
    before = results.get("machine_before")
    if before:
        load = " ".join(f"{x:.1f}" for x in before["loadavg"])
        lines.append(f"machine busy {before['busy_pct']:.0f}% just before the run (load {load})")

    def cpu(m: dict[str, float]) -> str:
        return f"{m['process_cpu_pct']:.0f}% of a core (machine {m['machine_busy_pct']:.0f}%)"

    append = results.get("append", {})
    for key in ("single", "batched"):
        if key in append:
            r = append[key]
            lines.append(
                f"append {key}: bench process store {cpu(r['store'])}, raw {cpu(r['raw'])}"
            )
    if "relay" in results:
        r = results["relay"]
        lines.append(f"relay: relay {cpu(r['relay'])}, raw {cpu(r['raw'])}")
        lines.append(
            f"relay: raw send_batch() of the same messages, as the relay produces them but "
            f"without its database work: {r['raw_batches_events_per_s']:,.0f} events/s"
        )
    e2e = results.get("e2e", {})
    labelled = [("", r) for r in e2e.get("runs", [])]
    labelled += [(" raw drivers", r) for r in e2e.get("baseline", [])]
    for label, r in labelled:
        at = f"e2e @{r['target_rate']:g}/s{label}"
        lines.append(
            f"{at}: producer process {cpu(r['producer_process'])}, "
            f"{r['late_sends']:,} sends behind schedule (max {r['max_send_lag_ms']:,.0f} ms)"
        )
        pub, con = r.get("publish_leg_ms"), r.get("consume_leg_ms")
        if pub and con:
            lines.append(
                f"{at} legs p50/p99: event time -> Kafka record "
                f"{pub['p50']:,.0f}/{pub['p99']:,.0f} ms, Kafka record -> handler "
                f"{con['p50']:,.0f}/{con['p99']:,.0f} ms"
            )
    return lines


def table(rows: list[Row]) -> str:
    header = ["metric", "value", "baseline", "ratio", "target", "result"]
    cells = [header, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def line(values: list[str]) -> str:
        rest = (value.rjust(width) for value, width in zip(values[1:], widths[1:], strict=True))
        return " | ".join([values[0].ljust(widths[0]), *rest])

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(c) for c in cells[1:])])


async def run(phases: list[str], sizes: Sizes) -> dict[str, Any]:
    stack = stack_env()
    res = Resources(stack["CARELEDGER_PG_ADMIN_URL"], stack["KAFKA_BOOTSTRAP_SERVERS"])
    kek = stack["CARELEDGER_KEK"]
    main_task = asyncio.current_task()
    assert main_task is not None  # SIGTERM: cancel, so the `finally` below still cleans up
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    results: dict[str, Any] = {}
    say(f"run {res.run_id}: phases {', '.join(phases)}")
    busy = psutil.cpu_percent(interval=1.0)
    results["machine_before"] = {"busy_pct": busy, "loadavg": os.getloadavg()}
    if busy > 25:
        say(f"warning: the machine is {busy:.0f}% busy before the run; numbers will be low/noisy")
    svc: Service | None = None
    try:
        if {"append", "relay", "e2e"} & set(phases):
            keys_db = await res.database("keys")  # a throwaway key store too
            keys_url = res.sqlalchemy_url(keys_db)
            keys_engine = create_async_engine(keys_url)
            await migrate.upgrade(keys_engine, "keys")
            await keys_engine.dispose()
            store_url = res.sqlalchemy_url(await res.database("store"))
            svc = await Service.create("bench", store_url, keys_url, decode_kek(kek))
            relay_topic = await res.topic("relay")
            say("databases migrated, topics created")
        for phase in phases:
            if phase == "memory":
                results[phase] = await bench_memory(res, stack, sizes)
                continue
            assert svc is not None
            if phase == "append":
                results[phase] = await bench_append(res, svc, relay_topic, sizes)
            elif phase == "relay":
                results[phase] = await bench_relay(res, svc, relay_topic, sizes)
            elif phase == "e2e":
                results[phase] = await bench_e2e(res, svc, keys_url, kek, sizes)
    finally:
        if svc is not None:
            await svc.close()
        await res.cleanup()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (< 40 s)")
    parser.add_argument("--only", default=",".join(PHASES), help=f"comma list of {PHASES}")
    parser.add_argument(
        "--e2e-rates",
        default=None,
        help="comma list of events/s for the e2e phase (default 500,200,50; the first has "
        "the target)",
    )
    parser.add_argument("--json", type=Path, default=JSON_OUT, help="where to write the results")
    parser.add_argument("--e2e-consumer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.e2e_consumer:
        asyncio.run(consumer_child())
        return
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases {sorted(unknown)}; choose from {PHASES}")
    sizes = QUICK if args.quick else FULL
    if args.e2e_rates:
        rates = tuple(int(r) for r in args.e2e_rates.split(",") if r.strip())
        sizes = dataclasses.replace(sizes, e2e_rates=rates)
    began = time.monotonic()
    try:
        results = asyncio.run(run(phases, sizes))
    except (asyncio.CancelledError, KeyboardInterrupt):
        say("interrupted; what this run made was removed")
        sys.exit(130)
    wall = time.monotonic() - began
    rows = rows_of(results)
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "wall_seconds": round(wall, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "sizes": dataclasses.asdict(sizes),
        "table": [
            {
                "metric": r.metric,
                "unit": r.unit,
                "value": r.value,
                "baseline": r.baseline,
                "ratio": r.ratio,
                "target": r.target or None,
                "pass": r.ok,
            }
            for r in rows
        ],
        "results": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n")
    mode = "quick" if args.quick else "full"
    print(f"event backbone benchmark ({mode}, {wall:.0f} s, {os.cpu_count()} CPUs)")
    print(table(rows))
    for line in context(results):
        print(f"  {line}")
    say(f"results written to {args.json}")


if __name__ == "__main__":
    main()
