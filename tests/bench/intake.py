"""Sustained report intake of a real intake process: reports/s and latency of `POST /v1/reports`.

    python -m tests.bench.intake [--seconds 8] [--concurrency 1,4,16]

Starts `python -m intake` (as tests/e2e/conftest.start_service does) on a new, throwaway
database of the local stack (deploy/stack.sh; Kafka is used by its outbox relay), then for each
concurrency level N keeps N httpx clients posting synthetic reports for `--seconds`, and prints
one row per level. Every request pays for the token check, validation, I-7 identity check,
mandatory-report rules, field encryption, the event store, outbox and read models in one
PostgreSQL transaction. Bounded: at most one minute with the defaults. Clients and service share
the machine's cores, so the numbers are a floor, not a capacity.
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
from tests.conftest import _asyncpg_url, _create_database, _drop_database, _parse_exports  # noqa: E402
from tests.e2e.conftest import Running, start_service, wait_until  # noqa: E402
from tests.synthetic import fake_report  # noqa: E402

BUDGET_SECONDS = 60


@dataclass
class Level:
    clients: int
    done: int
    failed: int
    seconds: float
    latencies_ms: list[float]

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
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
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


async def run_level(url: str, token: str, clients: int, seconds: float, first: int) -> Level:
    seeds = itertools.count(first)
    level = Level(clients, 0, 0, seconds, [])
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(*(client(url, token, seeds, until, level) for _ in range(clients)))
    level.seconds = time.monotonic() - started
    return level


def table(levels: list[Level]) -> str:
    lines = [
        f"{'clients':>7} {'reports':>8} {'failed':>6} {'reports/s':>10} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}",
    ]
    for lv in levels:
        mean = statistics.fmean(lv.latencies_ms) if lv.latencies_ms else 0.0
        lines.append(
            f"{lv.clients:>7} {lv.done:>8} {lv.failed:>6} {lv.rate:>10.1f} "
            f"{lv.percentile(0.50):>8.1f} {lv.percentile(0.99):>8.1f} {mean:>8.1f}"
        )
    return "\n".join(lines)


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
    args = parser.parse_args()
    levels = [int(n) for n in args.concurrency.split(",")]
    if args.seconds * (len(levels) + 1) + 15 > BUDGET_SECONDS:
        parser.error(f"--seconds x levels must keep the run under {BUDGET_SECONDS} s")
    admin = stack_env()["CARELEDGER_PG_ADMIN_URL"]
    database = asyncio.run(_create_database(admin))
    service: Running | None = None
    try:
        with tempfile.TemporaryDirectory() as logs:
            service = start_service("intake", _asyncpg_url(admin, database), Path(logs))
            wait_until(service, "/ready", 200, within=30)
            token = devissuer.issue_token("worker", org="org-bench", subject="w-bench")
            asyncio.run(run_level(service.url, token, 2, min(2.0, args.seconds), 10**7))  # warm
            results = [
                asyncio.run(run_level(service.url, token, n, args.seconds, i * 10**6))
                for i, n in enumerate(levels)
            ]
            service.stop()
            service = None
    finally:
        if service is not None:
            service.stop()
        asyncio.run(_drop_database(admin, database))
    print(f"intake POST /v1/reports, {args.seconds:g} s per level, synthetic reports")
    print(table(results))


if __name__ == "__main__":
    main()
