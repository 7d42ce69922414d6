"""The schema fuzz of tests/e2e/test_fuzz.py, apart from the services it runs against.

`fuzz` loads one service's OpenAPI document (fetched with a bearer token: only `/health` and
`/ready` answer without one) and sends schemathesis' generated requests to every operation,
positive (fits the schema) and negative (does not), one at a time. Each answer must pass
three checks, and a refused request must leave the event store as it was:

- `not_a_server_error`: no 5xx;
- `response_schema_conformance`: a body matches the schema its status documents;
- `content_type_conformance`: the media type is one its status documents;
- events: for an answer of 400 or more, the number of events whose `actor` is the caller is
  the same after the request as before it (counted in the service's own database). Counting
  the caller's events only keeps the check exact while the service's consumers append
  reactions to what other tests publish on the shared topics.

Every error is a problem: the documents name `application/problem+json` and the Problem schema
for each operation's 422 and for every other status (`default`; `events.problems`), so an error
answer is checked against that schema like any other.

Cases per operation and mode: `CARELEDGER_FUZZ_EXAMPLES` (`make fuzz` sets it), else a small
bound that keeps `make test` fast. The bounded run is derandomized (the same cases every run);
a run with `CARELEDGER_FUZZ_EXAMPLES` set draws new ones each time.
"""

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

EXAMPLES_ENV = "CARELEDGER_FUZZ_EXAMPLES"
BOUNDED_EXAMPLES = 4  # per operation and mode under `make test`
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
REQUEST_TIMEOUT = 30.0
COUNT_CALLERS_EVENTS = "SELECT count(*) FROM events WHERE envelope->>'actor' = $1"


def examples_per_operation() -> tuple[int, bool]:
    """(cases per operation and mode, whether the run is the long, random one)."""
    configured = os.environ.get(EXAMPLES_ENV, "").strip()
    if not configured:
        return BOUNDED_EXAMPLES, False
    value = int(configured)
    if value <= 0:
        raise ValueError(f"{EXAMPLES_ENV} must be positive, got {value}")
    return value, True


class EventCounter:
    """Counts one caller's events in a service's database, from synchronous test code."""

    def __init__(self, dsn: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._conn: asyncpg.Connection = self._loop.run_until_complete(asyncpg.connect(dsn))

    def count(self, actor: str) -> int:
        return int(self._loop.run_until_complete(self._conn.fetchval(COUNT_CALLERS_EVENTS, actor)))

    def close(self) -> None:
        self._loop.run_until_complete(self._conn.close())
        self._loop.close()


@dataclass
class Finding:
    operation: str
    mode: str
    message: str


@dataclass
class Outcome:
    """What one caller's requests to one service met."""

    service: str
    identity: str
    operations: int = 0
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    not_generated: list[str] = field(default_factory=list)
    appended: int = 0  # the caller's events its accepted requests appended
    seconds: float = 0.0  # the whole fuzz of the service, every caller
    loading: float = 0.0  # of which fetching and loading the OpenAPI document
    waiting: float = 0.0  # this caller's requests: waiting for the service's answers
    checking: float = 0.0  # this caller's requests: sending, counting, checking (waiting too)

    def line(self) -> str:
        classes = Counter(f"{status // 100}xx" for status in self.statuses.elements())
        answers = ", ".join(f"{n} {c}" for c, n in sorted(classes.items()))
        return (
            f"    as {self.identity:<6}: {self.cases:5d} cases ({answers or 'none'}), "
            f"{len(self.findings)} failure(s), {self.appended} event(s) appended"
        )


def summary(outcomes: list[Outcome]) -> list[str]:
    """Lines for the terminal: the service's totals, then one line per caller."""
    first = outcomes[0]
    checking = sum(o.checking for o in outcomes)
    waiting = sum(o.waiting for o in outcomes)
    lines = [
        f"fuzz {first.service}: {first.operations} operations, "
        f"{sum(o.cases for o in outcomes)} cases, {first.seconds:.1f} s ("
        f"{first.loading:.1f} loading the document, {waiting:.1f} answering, "
        f"{checking - waiting:.1f} counting and checking, "
        f"{first.seconds - first.loading - checking:.1f} generating)"
    ]
    lines += [f"    skipped {op}: {why}" for op, why in first.skipped.items()]
    for outcome in outcomes:
        lines.append(outcome.line())
        lines += [f"      FAILED {f.operation} ({f.mode})" for f in outcome.findings]
    return lines


@dataclass(frozen=True)
class Caller:
    """Who the fuzz sends requests as (`identity`, for the summary; `actor`, the token's subject,
    whose events are counted), with which token."""

    identity: str
    actor: str
    token: str = field(repr=False)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def fuzz(
    service: str,
    base_url: str,
    callers: list[Caller],
    counter: EventCounter,
    skip: dict[str, str] | None = None,
) -> list[Outcome]:
    """Fuzz every operation of the service at `base_url`: each generated case is sent once as
    each caller, in turn. `skip` names operations left out ("METHOD /path" -> why)."""
    examples, long_run = examples_per_operation()
    outcomes = [Outcome(service, caller.identity) for caller in callers]
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(
        f"{base_url}/openapi.json", headers=callers[0].auth, timeout=REQUEST_TIMEOUT
    )
    loading = time.monotonic() - started
    before = [counter.count(caller.actor) for caller in callers]
    run = _Run(base_url, callers, counter, outcomes, examples, long_run)
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # an operation the document describes wrongly
            outcomes[0].findings.append(Finding("(document)", "-", str(result.err())))
            continue
        operation = result.ok()
        if skip and operation.label in skip:
            for outcome in outcomes:
                outcome.skipped[operation.label] = skip[operation.label]
            continue
        for outcome in outcomes:
            outcome.operations += 1
        for mode in MODES:
            run.operation(operation, mode)
    seconds = time.monotonic() - started
    for caller, outcome, count in zip(callers, outcomes, before, strict=True):
        outcome.appended = counter.count(caller.actor) - count
        outcome.loading, outcome.seconds = loading, seconds
    return outcomes


@dataclass
class _Run:
    base_url: str
    callers: list[Caller]
    counter: EventCounter
    outcomes: list[Outcome]
    examples: int
    long_run: bool

    def operation(self, operation: Any, mode: GenerationMode) -> None:
        """`examples` cases of one operation in one mode; the first failure is noted, shrunk to
        a smaller request in the long run only (shrinking sends many more requests)."""
        phases = [Phase.explicit, Phase.generate, *([Phase.shrink] if self.long_run else [])]
        failed: list[int] = []  # which caller's request failed last

        @settings(
            max_examples=self.examples,
            deadline=None,
            derandomize=not self.long_run,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=phases,
            print_blob=False,
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def one(case: Any) -> None:
            for index, caller in enumerate(self.callers):
                outcome = self.outcomes[index]
                began = time.monotonic()
                try:
                    self.send_and_check(case, caller, outcome)
                except BaseException:
                    failed[:] = [index]
                    raise
                finally:
                    outcome.checking += time.monotonic() - began

        try:
            one()
        except Unsatisfiable:  # a negative case of an operation that takes no input
            for outcome in self.outcomes:
                outcome.not_generated.append(f"{operation.label} ({mode.value})")
        except (Exception, BaseExceptionGroup) as exc:  # a failure: note it, go on
            index = failed[0] if failed else 0
            message = str(exc).replace(self.callers[index].token, "$TOKEN")
            self.outcomes[index].findings.append(Finding(operation.label, mode.value, message))

    def send_and_check(self, case: Any, caller: Caller, outcome: Outcome) -> None:
        before = self.counter.count(caller.actor)
        sent = time.monotonic()
        response = case.call(base_url=self.base_url, headers=caller.auth, timeout=REQUEST_TIMEOUT)
        outcome.waiting += time.monotonic() - sent
        outcome.cases += 1
        outcome.statuses[response.status_code] += 1
        if response.status_code >= 400:
            after = self.counter.count(caller.actor)
            if after != before:
                raise AssertionError(
                    f"{case.operation.label} answered {response.status_code} but appended "
                    f"{after - before} event(s) as {caller.actor}\n"
                    f"Response: {response.text[:500]}\nReproduce with:\n    {_curl(case)}"
                )
        case.validate_response(response, checks=CHECKS, headers=caller.auth)


def _curl(case: Any) -> str:
    return str(case.as_curl_command(headers={"Authorization": "Bearer $TOKEN"}))
