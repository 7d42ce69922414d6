"""Notify's throughput on the real PostgreSQL: clocks set and fired per second, and the fan-out
of one event to 100 webhook receivers on loopback.

    python -m tests.bench.notify [--clocks 1000] [--series 100] [--receivers 100]

In-process, on two throwaway databases of the local stack (deploy/stack.sh): notify's and a key
store. 1. `--clocks` synthetic reports go through the real reaction (one transaction each: inbox,
`notify.deadline.set`, outbox, read model): clocks set per second. 2. The scheduler, with its
clock moved past every due time, drains them in batches of 100 (each fires
`notify.deadline.missed` + `notify.escalated`): clocks fired per second. 3. `--series` weekly
follow-up series (SZ-5.8.2) started 200 days back: the scheduler fires each of their 13 missed
occurrences, every miss setting the next one in its transaction: occurrences per second.
4. `--receivers`
webhook subscriptions, each its own `asyncio.start_server` on 127.0.0.1, and one mandatory
report: time until every receiver got its signed POST and every delivery is recorded (loopback
targets allowed as in the tests, `TargetPolicy(allow_loopback=True)`). Bounded
by BUDGET_SECONDS; the machine's cores are shared, so the numbers are a floor.
"""

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "libs"))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from events import migrate  # noqa: E402
from events.canonical import GENESIS_HASH  # noqa: E402
from events.context import Context  # noqa: E402
from events.crypto import FieldCipher  # noqa: E402
from events.envelope import Envelope, Metadata, make_envelope  # noqa: E402
from events.keystore import KeyStore  # noqa: E402
from events.registry import registry  # noqa: E402
from events.store import EventStore  # noqa: E402
from events.uow import UnitOfWork  # noqa: E402
from notify.domain import WorkingCalendar  # noqa: E402
from notify.domain import events as _event_types  # noqa: E402, F401
from notify.domain.delivery import RetryPolicy  # noqa: E402
from notify.domain.subscriptions import Channel, CreateSubscription, Language  # noqa: E402
from notify.handlers import subscriptions as subscribing  # noqa: E402
from notify.handlers.targets import TargetPolicy  # noqa: E402
from notify.projections.tables import DELIVERED, deliveries  # noqa: E402
from notify.reactions import reactions  # noqa: E402
from notify.workers.dispatcher import Dispatcher  # noqa: E402
from notify.workers.scheduler import Scheduler  # noqa: E402
from notify.workers.senders import WebhookSender  # noqa: E402
from tests.conftest import _asyncpg_url, _create_database, _drop_database, _parse_exports  # noqa: E402

BUDGET_SECONDS = 55
LOOPBACK_ALLOWED = TargetPolicy(allow_loopback=True)  # the receivers listen on 127.0.0.1
ORG = "org-bench"
HANDLERS = reactions(WorkingCalendar())


def stack_env() -> dict[str, str]:
    subprocess.run(["bash", str(ROOT / "deploy/stack.sh"), "up"], check=True, capture_output=True)
    out = subprocess.run(
        ["bash", str(ROOT / "deploy/stack.sh"), "env"], check=True, capture_output=True, text=True
    )
    return _parse_exports(out.stdout)


def published(name: str, data: dict, at: datetime, stream: str) -> Envelope:
    return make_envelope(
        source=f"/careledger/{name.split('.', 1)[0]}",
        event_type=f"{name}.v1",
        dataschema=f"urn:careledger:schema:{name}.v1",
        stream_id=stream,
        version=1,
        meta=Metadata(actor="worker-bench"),
        key_scope=stream,
        data=data,
        prev_hash=GENESIS_HASH,
        time=at,
    )


def report_received(n: int, at: datetime) -> Envelope:
    report = f"report-bench-{n}"
    data = {
        "report_id": report,
        "organisation": ORG,
        "received_at": at.isoformat(),
        "received_by": "worker-bench",
        "emergency": False,
    }
    return published("intake.report.received", data, at, report)


def category_set(n: int, at: datetime) -> Envelope:
    child = f"child-bench-{n}"
    data = {"child_id": child, "organisation": ORG, "category": "serious_violence"}
    return published("intake.case.followup_category_set", data, at, f"case-bench-{n}")


def mandatory_report(at: datetime) -> Envelope:
    data = {
        "report_id": "report-bench-mandatory",
        "organisation": ORG,
        "child_id": "child-bench",
        "filed_at": at.isoformat(),
        "recipients": [{"key": "police"}, {"key": "civil_affairs"}],
        "triggers": [4],
        "emergency": True,
    }
    return published("intake.mandatory_report.filed", data, at, "report-bench-mandatory")


class Bench:
    def __init__(self, url: str, keys_url: str) -> None:
        self.engine, self.keys_engine = create_async_engine(url), create_async_engine(keys_url)
        self.keystore = KeyStore(self.keys_engine, os.urandom(32))
        self.store = EventStore(registry, FieldCipher(self.keystore), source="/careledger/notify")

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.store, "careledger.notify.events.v1")

    async def setup(self) -> None:
        await migrate.upgrade(self.engine, "store")
        await migrate.upgrade(self.keys_engine, "keys")
        await migrate.upgrade_tree(
            self.engine, ROOT / "services/notify/migrations", "alembic_version_notify"
        )

    async def handle(self, envelope: Envelope) -> None:
        async with self.uow() as uow:
            if await uow.claim("notify", envelope):
                await HANDLERS[envelope.event_name](envelope, uow)
            await uow.commit()

    async def clocks(self, n: int, budget: float) -> tuple[float, float, int]:
        """(clocks set per second, clocks fired per second, clocks fired)."""
        received = datetime.now(UTC) - timedelta(days=10)
        started, made = time.perf_counter(), 0
        while made < n and time.perf_counter() - started < budget / 2:
            await asyncio.gather(
                *(self.handle(report_received(made + i, received)) for i in range(4))
            )
            made += 4
        set_rate = made / (time.perf_counter() - started)
        scheduler = Scheduler(self.uow, SimpleNamespace(now=lambda: datetime.now(UTC)), batch=100)
        started, fired = time.perf_counter(), 0
        while time.perf_counter() - started < budget / 2:
            done = await scheduler.tick()
            fired += done
            if done == 0:
                break
        return set_rate, fired / (time.perf_counter() - started), fired

    async def series(self, n: int, budget: float) -> tuple[float, int]:
        """(occurrences of recurring clocks fired per second, occurrences fired)."""
        started_at = datetime.now(UTC) - timedelta(days=200)
        for i in range(0, n, 4):
            await asyncio.gather(*(self.handle(category_set(i + k, started_at)) for k in range(4)))
        scheduler = Scheduler(self.uow, SimpleNamespace(now=lambda: datetime.now(UTC)), batch=100)
        started, fired = time.perf_counter(), 0
        while time.perf_counter() - started < budget:
            done = await scheduler.tick()
            fired += done
            if done == 0:
                break
        return fired / (time.perf_counter() - started), fired

    async def fan_out(self, receivers: int, budget: float) -> tuple[float, float, int]:
        """(seconds until every receiver got its POST, until every delivery was recorded,
        deliveries recorded)."""
        got: list[float] = []

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            got.append(time.perf_counter())
            writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            await writer.drain()
            writer.close()

        servers = [await asyncio.start_server(answer, "127.0.0.1", 0) for _ in range(receivers)]
        for i, server in enumerate(servers):
            port = server.sockets[0].getsockname()[1]
            command = CreateSubscription(
                ORG,
                "police" if i % 2 else "civil_affairs",
                Channel.WEBHOOK,
                f"http://127.0.0.1:{port}/hook",
                ["intake.mandatory_report.filed"],
                Language.ZH,
            )
            async with self.uow() as uow:
                ctx = Context(Metadata(actor="bench"))
                await subscribing.create(command, uow, ctx, targets=LOOPBACK_ALLOWED)
        limits = httpx.Limits(max_connections=receivers, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=10, limits=limits, trust_env=False) as client:
            dispatcher = Dispatcher(
                self.uow,
                self.keystore,
                {"webhook": WebhookSender(client, LOOPBACK_ALLOWED)},
                RetryPolicy(0.1, 1, 30),
                idle_seconds=0.02,
            )
            task = asyncio.create_task(dispatcher.run())
            started = time.perf_counter()
            await self.handle(mandatory_report(datetime.now(UTC)))
            recorded = 0
            while time.perf_counter() - started < budget:
                recorded = await self._delivered()
                if recorded >= receivers:
                    break
                await asyncio.sleep(0.02)
            all_recorded = time.perf_counter() - started
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for server in servers:
            server.close()
        all_received = (max(got) - started) if len(got) >= receivers else float("nan")
        return all_received, all_recorded, recorded

    async def _delivered(self) -> int:
        query = select(func.count()).where(deliveries.c.state == DELIVERED)
        async with self.engine.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def close(self) -> None:
        await self.engine.dispose()
        await self.keys_engine.dispose()


async def run(url: str, keys_url: str, clocks: int, series: int, receivers: int) -> None:
    bench = Bench(url, keys_url)
    try:
        await bench.setup()
        set_rate, fire_rate, fired = await bench.clocks(clocks, BUDGET_SECONDS * 0.45)
        series_rate, occurrences = await bench.series(series, BUDGET_SECONDS * 0.15)
        received, recorded, delivered = await bench.fan_out(receivers, BUDGET_SECONDS * 0.3)
    finally:
        await bench.close()
    print(f"{'measure':<44}{'value':>12}")
    print(f"{'clocks set per second (reaction, 1 tx each)':<44}{set_rate:>12.0f}")
    print(f"{'clocks fired per second (scheduler, batch 100)':<44}{fire_rate:>12.0f}")
    print(f"{'clocks fired':<44}{fired:>12}")
    print(f"{'series occurrences fired per second':<44}{series_rate:>12.0f}")
    print(f"{'series occurrences fired':<44}{occurrences:>12}")
    print(f"{f'fan-out: all {receivers} receivers got the POST (s)':<44}{received:>12.3f}")
    print(f"{f'fan-out: all {receivers} deliveries recorded (s)':<44}{recorded:>12.3f}")
    print(f"{'fan-out: deliveries recorded':<44}{delivered:>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clocks", type=int, default=1000)
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--receivers", type=int, default=100)
    args = parser.parse_args()
    admin = stack_env()["CARELEDGER_PG_ADMIN_URL"]
    names = [asyncio.run(_create_database(admin)) for _ in range(2)]
    try:
        url, keys_url = (_asyncpg_url(admin, n) for n in names)
        asyncio.run(run(url, keys_url, args.clocks, args.series, args.receivers))
    finally:
        for name in names:
            asyncio.run(_drop_database(admin, name))


if __name__ == "__main__":
    main()
