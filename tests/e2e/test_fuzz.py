"""Schema fuzz of the five services' APIs (schemathesis), as real processes over HTTP.

Every operation of every service's OpenAPI document, with a valid token: no 5xx, every answer
matches its documented schema and media type, and a refused request (400 or more) appends no
event. Twice per service: as a member of staff holding worker, supervisor and org_admin of one
organisation (most routes let them in), and as a worker only. What is checked and how:
`tests/e2e/fuzz_support.py`; how to run it longer: docs/fuzzing.md (`make fuzz`).
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import uuid4

import pytest

from events.devissuer import issue_token
from tests.conftest import _asyncpg_url, _create_database, _drop_database
from tests.e2e.conftest import SERVICES, Running, start_service, wait_until
from tests.e2e.fuzz_support import (
    Caller,
    EventCounter,
    Outcome,
    examples_per_operation,
    fuzz,
    summary,
)

ORG = "org-fuzz"
IDENTITIES = {
    "staff": ["worker", "supervisor", "org_admin"],
    "worker": ["worker"],
}

# Operations left out of the fuzz, each for a finding reported and not fixed yet, per service:
# {"intake": {"METHOD /path": "why, and where it is reported"}}. Empty: every operation of every
# service is fuzzed.
KNOWN_FINDINGS: dict[str, dict[str, str]] = {}


@dataclass
class Fuzzed:
    service: Running
    dsn: str = field(repr=False)  # the service's own database, for asyncpg (holds a password)


@pytest.fixture(scope="module")
def fuzzed(stack, tmp_path_factory) -> Iterator[dict[str, Fuzzed]]:
    """The five services, each on its own new database, ready; and those databases."""
    admin = stack["CARELEDGER_PG_ADMIN_URL"]
    names = {s: asyncio.run(_create_database(admin)) for s in SERVICES}
    logs = tmp_path_factory.mktemp("fuzz-logs")
    running = {s: start_service(s, _asyncpg_url(admin, names[s]), logs) for s in SERVICES}
    base = admin.rsplit("/", 1)[0]
    try:
        for service in running.values():
            wait_until(service, "/ready", 200)
        yield {s: Fuzzed(running[s], f"{base}/{names[s]}") for s in SERVICES}
    finally:
        for service in running.values():
            service.stop()
        for db in names.values():
            asyncio.run(_drop_database(admin, db))


@pytest.mark.parametrize("name", SERVICES)
def test_fuzz_finds_no_server_error_no_schema_mismatch_and_no_event_from_a_refusal(
    fuzzed: dict[str, Fuzzed], name: str, request: pytest.FixtureRequest
) -> None:
    target = fuzzed[name]
    callers = []
    for identity, roles in IDENTITIES.items():
        actor = f"fuzz-{identity}-{uuid4().hex[:8]}"
        token = issue_token(roles, org=ORG, subject=actor, ttl_seconds=3600)
        callers.append(Caller(identity, actor, token))
    counter = EventCounter(target.dsn)
    try:
        outcomes = fuzz(name, target.service.url, callers, counter, KNOWN_FINDINGS.get(name))
    finally:
        counter.close()
    _report(request, outcomes)
    assert outcomes[0].operations > 0, f"{name}: no operation in its OpenAPI document"
    assert target.service.process.poll() is None, f"{name} exited during the fuzz"
    findings = [(o.identity, f) for o in outcomes for f in o.findings]
    if findings:
        pytest.fail(
            "\n\n".join(f"{f.operation} ({f.mode}, as {who}):\n{f.message}" for who, f in findings),
            pytrace=False,
        )


def _report(request: pytest.FixtureRequest, outcomes: list[Outcome]) -> None:
    """The summary of one service, on the terminal even while output is captured."""
    examples, long_run = examples_per_operation()
    drawn = f"{examples} per operation and mode" + (", random" if long_run else "")
    lines = summary(outcomes)
    lines[0] += f" [{drawn}]"
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(*lines, sep="\n")
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        for line in lines:
            reporter.write_line(line)
