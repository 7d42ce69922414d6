"""Throughput of the assessment rule evaluators, called directly and over HTTP in-process, then
`RiskGraded` end to end through a real service, PostgreSQL and Kafka (see `assessment_e2e`).

    python -m tests.bench.assessment [--seconds 1.0] [--concurrency 16]
                                     [--e2e-requests 200] [--e2e-concurrency 1,8] [--no-e2e]

The HTTP rows drive the `/v1/rules/...:evaluate` router through httpx.ASGITransport (no
socket, no server): an app holding only that router, the problem handlers and a development
token verifier, so each call pays for routing, JSON, validation and an RS256 token check, but
not for the network. Nothing touches PostgreSQL or Kafka. All inputs are synthetic.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

# `python -m tests.bench.assessment` from the repository root: the packages live in libs/ and
# services/ (pytest adds them from pyproject.toml; a plain interpreter does not).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "libs"))

from assessment.api import rules
from assessment.domain import (
    FamilyEducationInput,
    SafetyRiskInput,
    evaluate_family_education,
    evaluate_safety_risk,
)
from events import devissuer
from events.auth import TokenVerifier
from events.problems import install_problem_handlers
from tests.bench.assessment_e2e import e2e_rows, e2e_table

SAFETY = "/v1/rules/safety-risk:evaluate"
HOURS = "/v1/rules/family-education-hours:evaluate"

SAFETY_CASES: dict[str, dict[str, Any]] = {
    "nothing rated (A)": {},
    "B.1 item true (D)": {"b1": {"abandonment_6_months": True}},
    "B.2 C + life threat (D)": {"b2": {"neglect": "C"}, "life_threatening_event": True},
    "B.2 and full B.3 (B)": {
        "b2": {"physical_or_sexual_abuse": "B", "neglect": "A", "motive": "B"},
        "b3": {
            "guardian_capacity": "C",
            "cooperation": "B",
            "parenting_skills": "C",
            "substitute_parent": "A",
            "support_system": "B",
            "stress_crisis": "C",
            "parent_child_relationship": "A",
        },
    },
}
HOURS_INPUT: dict[str, Any] = {
    "scores": {
        "personal_traits": [5, 6, 4, 7, 5],
        "motivation": [6, 6, 5, 4, 7],
        "stress_coping": [3, 4, 5, 6, 5, 4, 3],
        "family_function": [5, 5, 6, 4, 5],
        "social_resources": [4, 6],
        "parenting": [5, 4, 6, 5],
    }
}
BAD_SAFETY_INPUT: dict[str, Any] = {"b2": {"neglect": "D"}, "b1": {"abetting_crime": "yes"}}


@dataclass(frozen=True)
class Row:
    what: str
    calls: int
    seconds: float
    latencies: list[float]
    status: int | None = None  # the HTTP status every measured call answered

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def cells(self) -> list[str]:
        p50 = statistics.median(self.latencies) * 1e6
        p99 = _percentile(self.latencies, 0.99) * 1e6
        status = str(self.status) if self.status is not None else "-"
        rate = f"{self.rate:,.0f}"
        return [self.what, status, f"{self.calls:,}", rate, f"{p50:,.1f}", f"{p99:,.1f}"]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_direct(what: str, call: Callable[[], object], seconds: float) -> Row:
    """Call `call` back to back for about `seconds`; latency of each call."""
    for _ in range(200):  # warm-up
        call()
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    while (now := time.perf_counter()) < deadline:
        call()
        latencies.append(time.perf_counter() - now)
    return Row(what, len(latencies), time.perf_counter() - started, latencies)


async def bench_http(
    what: str, send: Callable[[], Awaitable[httpx.Response]], seconds: float, concurrency: int
) -> Row:
    """`concurrency` callers, each sending requests back to back for about `seconds`."""
    for _ in range(20):  # warm-up, and a check that the request is what we think it is
        response = await send()
    expected = response.status_code
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            reply = await send()
            latencies.append(time.perf_counter() - began)
            if reply.status_code != expected:
                raise AssertionError(f"{what}: {reply.status_code} {reply.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return Row(what, len(latencies), time.perf_counter() - started, latencies, expected)


def rules_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.verifier = TokenVerifier(devissuer.dev_auth_config())
    app.include_router(rules.router)
    return app


def direct_rows(seconds: float) -> list[Row]:
    rows = [
        bench_direct(f"evaluate_safety_risk: {name}", _graded(payload), seconds)
        for name, payload in SAFETY_CASES.items()
    ]
    full = SAFETY_CASES["B.2 and full B.3 (B)"]
    rows.append(
        bench_direct(
            "validate + evaluate_safety_risk (B.2, B.3)",
            lambda: evaluate_safety_risk(SafetyRiskInput.model_validate(full)),
            seconds,
        )
    )
    hours = FamilyEducationInput.model_validate(HOURS_INPUT)
    rows.append(
        bench_direct("evaluate_family_education", lambda: evaluate_family_education(hours), seconds)
    )
    return rows


def _graded(payload: dict[str, Any]) -> Callable[[], object]:
    inp = SafetyRiskInput.model_validate(payload)
    return lambda: evaluate_safety_risk(inp)


HTTP_PLANS: list[tuple[str, str, dict[str, Any]]] = [
    ("HTTP safety-risk: nothing rated (A)", SAFETY, SAFETY_CASES["nothing rated (A)"]),
    ("HTTP safety-risk: B.2, B.3 (B)", SAFETY, SAFETY_CASES["B.2 and full B.3 (B)"]),
    ("HTTP safety-risk: 422 problem", SAFETY, BAD_SAFETY_INPUT),
    ("HTTP family-education-hours", HOURS, HOURS_INPUT),
]


async def http_rows(seconds: float, concurrency: int) -> list[Row]:
    token = devissuer.issue_token("worker", org="org-synthetic")
    transport = httpx.ASGITransport(app=rules_app())
    headers = {"Authorization": f"Bearer {token}"}
    rows = []
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers=headers
    ) as client:
        for what, path, body in HTTP_PLANS:

            def send(path: str = path, body: dict[str, Any] = body) -> Awaitable[httpx.Response]:
                return client.post(path, json=body)

            for callers in (1, concurrency):
                label = f"{what}, {callers} caller{'s' if callers > 1 else ''}"
                rows.append(await bench_http(label, send, seconds, callers))
    return rows


def table(rows: list[Row]) -> str:
    header = ["what", "status", "calls", "calls/s", "p50 µs", "p99 µs"]
    cells = [header, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def line(values: list[str]) -> str:
        rest = (value.rjust(width) for value, width in zip(values[1:], widths[1:], strict=True))
        return " | ".join([values[0].ljust(widths[0]), *rest])

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(c) for c in cells[1:])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per row (default 1.0)")
    parser.add_argument("--concurrency", type=int, default=16, help="HTTP callers (default 16)")
    parser.add_argument("--e2e-requests", type=int, default=200, help="grades per e2e level")
    parser.add_argument("--e2e-concurrency", default="1,8", help="comma-separated callers")
    parser.add_argument("--no-e2e", action="store_true", help="evaluators only (no stack)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dev-issuer-") as keys:
        os.environ[devissuer.DIR_ENV] = keys  # a throwaway key pair, not the developer's
        rows = direct_rows(args.seconds)
        rows += asyncio.run(http_rows(args.seconds, args.concurrency))
    print(f"assessment rule evaluators, {args.seconds:g} s per row, in-process (no network)")
    print(table(rows))
    if not args.no_e2e:
        levels = [int(n) for n in args.e2e_concurrency.split(",")]
        graded = e2e_rows(args.e2e_requests, levels)
        print(f"\nRiskGraded end to end, {args.e2e_requests} grades per level, times in ms")
        print(e2e_table(graded))


if __name__ == "__main__":
    main()
