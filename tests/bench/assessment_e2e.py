"""`RiskGraded` end to end: `POST /v1/cases/{id}/safety-assessments` to a real assessment
process -> event, tasks and read models in PostgreSQL -> outbox relayed to Kafka -> read by a
consumer (this process, its own group, reading from the topic's end when the run starts).

Part of `python -m tests.bench.assessment` (`--e2e-requests`, `--e2e-concurrency`). Starts
`python -m assessment` on a throwaway database of the local stack, as tests/e2e does. The two
assessors, the cases and their team are seeded into its `staff`, `cases` and `case_team` read
models directly (in production intake's events put them there; that path is tested in
tests/e2e). Each request
grades a new synthetic case (B.1
true, so grade D: 8 tasks are set in the same transaction). Columns: HTTP = request until 201;
consumed = request start until the consumer has the `risk_graded` record; relay = event time
until the Kafka record timestamp (the producer's send time).
"""

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from uuid import uuid4

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from events import devissuer
from events.kafka import events_topic
from tests.bench.intake import stack_env
from tests.conftest import _asyncpg_url, _create_database, _drop_database
from tests.e2e.conftest import start_service, wait_until

ORG = "org-bench"
TEAM = [
    {"worker_id": "w-bench-f", "gender": "female"},
    {"worker_id": "w-bench-m", "gender": "male"},
]
BODY = {"assessors": TEAM, "child_gender": "female", "inputs": {"b1": {"abetting_crime": True}}}
GRADED = "assessment.safety.risk_graded.v2"
CALLER = "w-bench-f"
WARM_UP = 10


@dataclass
class E2eRow:
    concurrency: int
    seconds: float = 0.0
    http_ms: list[float] = field(default_factory=list)
    consumed_ms: list[float] = field(default_factory=list)
    relay_ms: list[float] = field(default_factory=list)

    def cells(self) -> list[str]:
        rate = len(self.consumed_ms) / self.seconds if self.seconds else 0.0
        cells = [f"{self.concurrency}", f"{len(self.consumed_ms)}", f"{rate:,.1f}"]
        for values in (self.http_ms, self.consumed_ms, self.relay_ms):
            cells += [f"{_pct(values, 0.5):,.1f}", f"{_pct(values, 0.99):,.1f}"]
        return cells


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _seed(db_url: str, case_ids: list[str]) -> None:
    """The assessors, and each case opened in ORG and assigned to the one who calls
    (ARCHITECTURE, Security)."""
    conn = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    try:
        for who in TEAM:
            await conn.execute(
                "INSERT INTO staff VALUES ($1, $2, $3, true, $4, true, false)",
                who["worker_id"],
                ORG,
                who["gender"],
                datetime.now(UTC).date(),
            )
        opened = [(case_id, ORG, f"opened-{case_id}") for case_id in case_ids]
        await conn.executemany(
            "INSERT INTO cases (case_id, organisation, opened_event_id) VALUES ($1, $2, $3)", opened
        )
        team = [(case_id, CALLER, ORG) for case_id in case_ids]
        await conn.executemany("INSERT INTO case_team VALUES ($1, $2, $3)", team)
    finally:
        await conn.close()


class Arrivals:
    """A consumer of the assessment topic from its end; the time each graded event arrives."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self.seen: dict[str, tuple[float, float]] = {}  # event id -> (arrival, record timestamp)
        self.events: dict[str, asyncio.Event] = {}

    async def start(self) -> None:
        await self.consumer.start()
        await self.consumer._client.force_metadata_update()
        topic = events_topic("assessment")
        parts = [TopicPartition(topic, p) for p in self.consumer.partitions_for_topic(topic) or []]
        self.consumer.assign(parts)
        await self.consumer.seek_to_end(*parts)
        for part in parts:
            await self.consumer.position(part)
        self.task = asyncio.create_task(self._run())

    def waiter(self, event_id: str) -> asyncio.Event:
        return self.events.setdefault(event_id, asyncio.Event())

    async def _run(self) -> None:
        async for record in self.consumer:
            event = json.loads(record.value)
            if event["type"] == GRADED:
                self.seen[event["id"]] = (time.perf_counter(), record.timestamp / 1000)
                self.waiter(event["id"]).set()

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.consumer.stop()


async def _one(client: httpx.AsyncClient, arrivals: Arrivals, row: E2eRow, case_id: str) -> None:
    began = time.perf_counter()
    response = await client.post(f"/v1/cases/{case_id}/safety-assessments", json=BODY)
    row.http_ms.append((time.perf_counter() - began) * 1000)
    assert response.status_code == 201, response.text
    recorded = response.json()
    await asyncio.wait_for(arrivals.waiter(recorded["event_id"]).wait(), 30)
    arrived, stamped = arrivals.seen[recorded["event_id"]]
    row.consumed_ms.append((arrived - began) * 1000)
    row.relay_ms.append(
        (stamped - datetime.fromisoformat(recorded["recorded_at"]).timestamp()) * 1000
    )


async def _level(
    url: str, arrivals: Arrivals, cases: Iterator[str], requests: int, concurrency: int
) -> E2eRow:
    token = devissuer.issue_token("worker", org=ORG, subject=CALLER)
    row = E2eRow(concurrency)
    queue = iter([next(cases) for _ in range(requests)])
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:

        async def caller() -> None:
            for case_id in queue:
                await _one(client, arrivals, row, case_id)

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(concurrency)))
        row.seconds = time.perf_counter() - started
    return row


async def _measure(
    url: str, bootstrap: str, cases: Iterator[str], requests: int, levels: list[int]
) -> list[E2eRow]:
    arrivals = Arrivals(bootstrap)
    await arrivals.start()
    try:
        await _level(url, arrivals, cases, WARM_UP, 1)  # not reported
        return [await _level(url, arrivals, cases, requests, n) for n in levels]
    finally:
        await arrivals.stop()


def e2e_rows(requests: int, levels: list[int]) -> list[E2eRow]:
    env = stack_env()
    admin = env["CARELEDGER_PG_ADMIN_URL"]
    database = asyncio.run(_create_database(admin))
    db_url = _asyncpg_url(admin, database)
    try:
        with TemporaryDirectory() as logs:
            service = start_service("assessment", db_url, Path(logs))
            try:
                wait_until(service, "/ready", 200, within=60)
                case_ids = [
                    f"case-bench-{uuid4()}" for _ in range(WARM_UP + requests * len(levels))
                ]
                asyncio.run(_seed(db_url, case_ids))
                bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
                cases = iter(case_ids)
                return asyncio.run(_measure(service.url, bootstrap, cases, requests, levels))
            finally:
                service.stop()
    finally:
        asyncio.run(_drop_database(admin, database))


def e2e_table(rows: list[E2eRow]) -> str:
    header = ["callers", "grades", "grades/s", "HTTP p50", "p99", "consumed p50", "p99"]
    header += ["relay p50", "p99"]
    cells = [header, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    lines = [" | ".join(v.rjust(w) for v, w in zip(c, widths, strict=True)) for c in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
