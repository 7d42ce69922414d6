"""Where a request's time goes: CPU per request and the share of each stage, for one command of
each built service, each a real process on a throwaway database of the local stack.

    python -m tests.bench.request_path [--requests 300] [--services intake,assessment,notify]

Commands: intake `POST /v1/reports` (a synthetic report, a new child), assessment
`POST /v1/cases/{id}/mental-health/risk-gradings` (a new case each time), notify
`POST /v1/subscriptions` (a webhook subscription, secret sealed). One client, one request at a
time, after a warm-up. Each service runs under `tests.bench.sampled` (pyinstrument sampling its
event loop thread every millisecond, stages attributed by frame); CPU per request is the
process's CPU (from /proc, the sampler's cost included: about twice the plain figure, which
`tests.bench.intake` prints) over the requests. The stage shares are of the loop thread's time
while the requests ran, so `waiting` is time the service spent on PostgreSQL, Kafka and the
client.
"""

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "libs"))

from events import devissuer  # noqa: E402
from tests.bench.intake import cpu_seconds, report_body, settle, stack_env  # noqa: E402
from tests.bench.own_topic import argv, drop_topic, topic_for  # noqa: E402
from tests.conftest import _asyncpg_url, _create_database, _drop_database  # noqa: E402
from tests.e2e.conftest import Running, start_service, wait_until  # noqa: E402

Request = Callable[[int], tuple[str, dict[str, Any]]]
Seed = Callable[[str, list[int]], Awaitable[None]]
ORG, WORKER = "org-bench", "w-bench"
WARM_UP, FIRST = 10**8, 10**7  # the request indices of the warm-up and of the measured run


def intake_request(i: int) -> tuple[str, dict[str, Any]]:
    return "/v1/reports", report_body(i)


def assessment_request(i: int) -> tuple[str, dict[str, Any]]:
    body = {"risk_level": "medium", "instrument": "SDQ"}
    return f"/v1/cases/case-bench-{i}/mental-health/risk-gradings", body


async def assessment_cases(url: str, indices: list[int]) -> None:
    """The cases the requests grade, as assessment learns them from intake (opened, the
    bench's worker on the team): a case intake never opened is a 404 (ARCHITECTURE, Security)."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        cases = [(f"case-bench-{i}", ORG, f"child-bench-{i}", f"opened-{i}") for i in indices]
        await conn.executemany(
            "INSERT INTO cases (case_id, organisation, child_id, opened_event_id)"
            " VALUES ($1, $2, $3, $4)",
            cases,
        )
        await conn.executemany(
            "INSERT INTO case_team (case_id, worker_id, organisation) VALUES ($1, $2, $3)",
            [(case_id, WORKER, ORG) for case_id, *_ in cases],
        )
    finally:
        await conn.close()


def notify_request(i: int) -> tuple[str, dict[str, Any]]:
    body = {
        "channel": "webhook",
        "target": f"https://hooks.synthetic-{i}.example/careledger",
        "event_types": ["intake.mandatory_report.filed"],
    }
    return "/v1/subscriptions", body


@dataclass(frozen=True)
class Command:
    service: str
    request: Request
    role: str
    seed: Seed | None = None  # what the service must hold before the requests


COMMANDS = {
    "intake": Command("intake", intake_request, "worker"),
    "assessment": Command("assessment", assessment_request, "worker", assessment_cases),
    "notify": Command("notify", notify_request, "supervisor"),
}


@dataclass
class Measured:
    service: str
    requests: int
    wall_ms: float
    cpu_ms: float
    shares: dict[str, float]


async def drive(service: Running, command: Command, requests: int, first: int) -> float:
    """`requests` sequential 201s; returns the wall seconds they took."""
    token = devissuer.issue_token(command.role, org=ORG, subject=WORKER)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=service.url, headers=headers, timeout=30) as http:
        started = time.perf_counter()
        for i in itertools.islice(itertools.count(first), requests):
            path, body = command.request(i)
            response = await http.post(path, json=body)
            if response.status_code != 201:
                raise SystemExit(f"{command.service}: {response.status_code} {response.text}")
        return time.perf_counter() - started


def measure(command: Command, admin: str, bootstrap: str, requests: int, logs: Path) -> Measured:
    database = asyncio.run(_create_database(admin))
    topic = asyncio.run(topic_for(bootstrap, command.service))  # its events: none stay
    out = logs / f"{command.service}.stages.json"
    if os.environ.get("STAGES_KEEP"):
        out = Path(os.environ["STAGES_KEEP"]) / out.name
    sampled = argv(command.service, topic, "tests.bench.sampled", command.service, str(out))
    url = _asyncpg_url(admin, database)
    service = start_service(command.service, url, logs, argv=sampled)
    try:
        wait_until(service, "/ready", 200, within=60)
        if command.seed is not None:
            indices = [*range(WARM_UP, WARM_UP + 30), *range(FIRST, FIRST + requests)]
            asyncio.run(command.seed(url, indices))
        pid = service.process.pid
        settle(pid)
        asyncio.run(drive(service, command, 30, WARM_UP))  # warm-up: pools, caches, imports
        cpu = cpu_seconds(pid)
        service.process.send_signal(10)  # SIGUSR1: sample
        wall = asyncio.run(drive(service, command, requests, FIRST))
        service.process.send_signal(12)  # SIGUSR2: write the counts
        cpu = cpu_seconds(pid) - cpu
        for _ in range(600):  # the profile of a few hundred requests takes seconds to walk
            if out.exists():
                break
            time.sleep(0.1)
        stages = json.loads(out.read_text())
    finally:
        service.stop()
        asyncio.run(_drop_database(admin, database))
        asyncio.run(drop_topic(bootstrap, topic))
    seconds: dict[str, float] = stages["seconds"]
    total = sum(seconds.values()) or 1.0
    shares = {stage: n / total for stage, n in seconds.items()}
    return Measured(
        command.service, requests, wall * 1000 / requests, cpu * 1000 / requests, shares
    )


def table(rows: list[Measured]) -> str:
    lines = []
    for row in rows:
        lines.append(
            f"{row.service}: {row.requests} requests, {row.wall_ms:.1f} ms each, "
            f"CPU {row.cpu_ms:.1f} ms per request"
        )
        for stage, share in sorted(row.shares.items(), key=lambda kv: -kv[1]):
            lines.append(f"    {share * 100:5.1f} %  {stage}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per service")
    parser.add_argument("--services", default=",".join(COMMANDS))
    args = parser.parse_args()
    env = stack_env()
    admin, bootstrap = env["CARELEDGER_PG_ADMIN_URL"], env["KAFKA_BOOTSTRAP_SERVERS"]
    rows = []
    with tempfile.TemporaryDirectory() as logs:
        for name in args.services.split(","):
            print(f"request path: {name} ...", file=sys.stderr, flush=True)
            rows.append(measure(COMMANDS[name], admin, bootstrap, args.requests, Path(logs)))
    print("request path, one client, sequential requests (stage = share of the loop thread)")
    print(table(rows))


if __name__ == "__main__":
    main()
