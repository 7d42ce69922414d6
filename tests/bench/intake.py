"""Sustained report intake of a real intake process: reports/s and latency of `POST /v1/reports`.

    python -m tests.bench.intake [--seconds 8] [--concurrency 1,4,16]
                                 [--paced 30] [--paced-seconds 60]

Starts `python -m intake` (as tests/e2e/conftest.start_service does) on a new, throwaway
database of the local stack (deploy/stack.sh; its outbox relay publishes to a throwaway topic,
`tests.bench.own_topic`, so that nothing stays on the stack's topics), waits until the service
has caught up with the history its new consumer group reads, then for each concurrency level N
keeps N httpx clients posting synthetic reports for `--seconds`, and prints one row per level,
with the service's CPU time per request (from /proc). Then one client sends `--paced` reports a
second on a fixed schedule for `--paced-seconds` and the slowest request is printed. Targets
(issue 12): one client p50 < 15 ms; four clients >= 80 reports/s with p99 < 150 ms; no request
slower than 1 s in the paced run. Every request pays for the token check, validation, I-7
identity check, mandatory-report rules, field encryption, the event store, outbox and read
models in one PostgreSQL transaction. Bounded: at most two minutes with the defaults, once the
service has settled. Clients and service share the machine's cores, so the numbers are a floor,
not a capacity. Where the time of one request goes, stage by stage:
`python -m tests.bench.request_path`.
"""

import argparse
import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
# `python -m tests.bench.intake` from the repository root: the packages live in libs/ and
# services/ (pytest adds them from pyproject.toml; a plain interpreter does not).
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "libs"))

from events import devissuer  # noqa: E402
from intake.domain.identity import ADULT_AGE, age_on  # noqa: E402
from tests.bench.own_topic import argv, drop_topic, topic_for  # noqa: E402
from tests.conftest import _asyncpg_url, _create_database, _drop_database, _parse_exports  # noqa: E402
from tests.e2e.conftest import Running, start_service, wait_until  # noqa: E402
from tests.synthetic import fake_report  # noqa: E402

BUDGET_SECONDS = 120
# Idle connections are dropped before uvicorn's keep-alive timeout (5 s) closes them: with the
# same 5 s on both ends, a request could go out on a connection the server was closing just
# then and fail (httpx.ReadError), an artefact of the client, not the service.
LIMITS = httpx.Limits(keepalive_expiry=2.0)
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Level:
    clients: int
    done: int
    failed: int
    seconds: float
    latencies_ms: list[float]
    cpu_s: float = 0.0  # the service process's CPU time during the level

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_s * 1000 / self.done if self.done else 0.0

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report_body(seed: int) -> dict:
    """A synthetic report received an hour ago (tests/synthetic.py: nothing real), about a child
    who is still a minor tomorrow: one made 17 as of yesterday may turn 18 on the day intake
    checks, in China's time zone, and be refused as no longer a child (I-7)."""
    today = datetime.now(UTC).date()
    report = fake_report(random.Random(seed), on=today - timedelta(days=1))
    if age_on(report.child.birth_date, today + timedelta(days=1)) >= ADULT_AGE:
        return report_body(seed + 1_000_003)  # another child, as synthetic as this one
    child = report.child
    return {
        "source": "hotline",
        "received_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "reporter": {"name": report.reporter.name, "contact": report.reporter.phone},
        "child": {
            "name": child.name,
            "gender": child.gender.value,
            "birth_date": child.birth_date.isoformat(),
            "resident_id": child.resident_id,
            "address": child.address,
        },
        "what_happened": {
            "occurred_at": report.occurred_at.isoformat(),
            "place": report.place,
            "description": report.description,
        },
        "triggers": sorted(report.triggers),
        "emergency": report.emergency,
    }


async def client(url: str, token: str, seeds: Iterator[int], until: float, level: Level) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30, limits=LIMITS) as http:
        while time.monotonic() < until:
            body = report_body(next(seeds))
            started = time.perf_counter()
            response = await http.post("/v1/reports", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code == 201:
                level.done += 1
                level.latencies_ms.append(elapsed)
            else:
                level.failed += 1


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def settle(pid: int, within: float = 180.0) -> None:
    """Wait until the service is idle: a new consumer group reads its topics from the start,
    and the history the stack holds would otherwise count as the requests' CPU."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        if cpu_seconds(pid) - before < 0.05:  # under 5 % of a core
            return
    print(f"warning: service still busy after {within:.0f} s", file=sys.stderr)


async def run_level(
    url: str, token: str, clients: int, seconds: float, first: int, pid: int | None = None
) -> Level:
    seeds = itertools.count(first)
    level = Level(clients, 0, 0, seconds, [])
    cpu = cpu_seconds(pid) if pid else 0.0
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(*(client(url, token, seeds, until, level) for _ in range(clients)))
    level.seconds = time.monotonic() - started
    level.cpu_s = cpu_seconds(pid) - cpu if pid else 0.0
    return level


async def run_paced(url: str, token: str, rate: float, seconds: float, first: int) -> Level:
    """Report i leaves at start + i/rate (at once when behind), each on its own task."""
    level = Level(1, 0, 0, seconds, [])
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30, limits=LIMITS) as http:

        async def one(seed: int) -> None:
            started = time.perf_counter()
            try:
                response = await http.post("/v1/reports", json=report_body(seed))
            except httpx.TransportError:  # counted: the verdict wants none
                level.failed += 1
                return
            if response.status_code == 201:
                level.done += 1
                level.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                level.failed += 1

        t0, tasks = time.monotonic(), []
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(first + i)))
        await asyncio.gather(*tasks)
        level.seconds = time.monotonic() - t0
    return level


def table(levels: list[Level]) -> str:
    lines = [
        f"{'clients':>7} {'reports':>8} {'failed':>6} {'reports/s':>10} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'CPU ms/req':>10}",
    ]
    for lv in levels:
        mean = statistics.fmean(lv.latencies_ms) if lv.latencies_ms else 0.0
        lines.append(
            f"{lv.clients:>7} {lv.done:>8} {lv.failed:>6} {lv.rate:>10.1f} "
            f"{lv.percentile(0.50):>8.1f} {lv.percentile(0.99):>8.1f} {mean:>8.1f} "
            f"{lv.cpu_ms_per_request:>10.1f}"
        )
    return "\n".join(lines)


def verdicts(levels: list[Level], paced: Level | None) -> list[str]:
    """The issue's targets, each with what was measured."""
    by_clients = {lv.clients: lv for lv in levels}
    lines = []
    if one := by_clients.get(1):
        p50 = one.percentile(0.5)
        lines.append(f"{_mark(p50 < 15)} one client p50 {p50:.1f} ms (target < 15)")
    if four := by_clients.get(4):
        ok = four.rate >= 80 and four.percentile(0.99) < 150
        lines.append(
            f"{_mark(ok)} four clients {four.rate:.1f} reports/s (>= 80), "
            f"p99 {four.percentile(0.99):.1f} ms (< 150)"
        )
    if paced is not None:
        worst = max(paced.latencies_ms, default=0.0)
        ok = worst < 1000 and paced.failed == 0
        lines.append(
            f"{_mark(ok)} paced {paced.done} reports in {paced.seconds:.0f} s: slowest "
            f"{worst:.0f} ms (< 1000), p99 {paced.percentile(0.99):.1f} ms, {paced.failed} failed"
        )
    return lines


def _mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def stack_env() -> dict[str, str]:
    """Starts (or reuses) the local stack; its settings go into the environment."""
    subprocess.run(["bash", str(ROOT / "deploy/stack.sh"), "up"], check=True, capture_output=True)
    out = subprocess.run(
        ["bash", str(ROOT / "deploy/stack.sh"), "env"], check=True, capture_output=True, text=True
    )
    env = _parse_exports(out.stdout)
    os.environ.update(env)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per concurrency level")
    parser.add_argument("--concurrency", default="1,4,16", help="comma-separated client counts")
    parser.add_argument("--paced", type=float, default=30.0, help="reports/s; 0: no paced run")
    parser.add_argument("--paced-seconds", type=float, default=60.0)
    args = parser.parse_args()
    levels = [int(n) for n in args.concurrency.split(",")]
    paced_seconds = args.paced_seconds if args.paced else 0.0
    if args.seconds * (len(levels) + 1) + paced_seconds + 15 > BUDGET_SECONDS:
        parser.error(f"--seconds x levels must keep the run under {BUDGET_SECONDS} s")
    env = stack_env()
    admin, bootstrap = env["CARELEDGER_PG_ADMIN_URL"], env["KAFKA_BOOTSTRAP_SERVERS"]
    database = asyncio.run(_create_database(admin))
    topic = asyncio.run(topic_for(bootstrap, "intake"))
    service: Running | None = None
    try:
        with tempfile.TemporaryDirectory() as logs:
            url = _asyncpg_url(admin, database)
            service = start_service("intake", url, Path(logs), argv=argv("intake", topic))
            wait_until(service, "/ready", 200, within=30)
            settle(service.process.pid)
            token = devissuer.issue_token("worker", org="org-bench", subject="w-bench")
            asyncio.run(run_level(service.url, token, 2, min(2.0, args.seconds), 10**7))  # warm
            pid = service.process.pid
            results = [
                asyncio.run(run_level(service.url, token, n, args.seconds, i * 10**6, pid))
                for i, n in enumerate(levels)
            ]
            paced = None
            if args.paced:
                paced = asyncio.run(
                    run_paced(service.url, token, args.paced, args.paced_seconds, 9 * 10**6)
                )
            service.stop()
            service = None
    finally:
        if service is not None:
            service.stop()
        asyncio.run(_drop_database(admin, database))
        asyncio.run(drop_topic(bootstrap, topic))
    print(f"intake POST /v1/reports, {args.seconds:g} s per level, synthetic reports")
    print(table(results))
    print("\n".join(verdicts(results, paced)))


if __name__ == "__main__":
    main()
