"""What the assessment e2e modules share: the service (with intake beside it when assessors must
come from intake's staff registry) on throwaway databases, tokens, staff registered through
intake's API and case teams published as intake publishes them, each waited for until
assessment has taken it in. All data synthetic."""

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import httpx

from events import devissuer, kafka
from events.canonical import GENESIS_HASH
from events.envelope import Envelope, Metadata, make_envelope
from tests.conftest import _asyncpg_url, _create_database, _drop_database
from tests.e2e.conftest import Running, start_service, wait_until


def auth(role: str = "worker", org: str = "org-synthetic-a", subject: str | None = None) -> dict:
    token = devissuer.issue_token(role, org=org, subject=subject)
    return {"Authorization": f"Bearer {token}"}


def person(gender: str, label: str = "w") -> dict[str, str]:
    """A worker id of this run only (no earlier run's suspension can reach it)."""
    return {"worker_id": f"{label}-synthetic-{uuid4().hex[:10]}", "gender": gender}


@contextmanager
def running(stack: dict, logs: Any, *names: str) -> Iterator[dict[str, tuple[Running, str]]]:
    """Each named service on a new database of its own, ready: name -> (service, its db url)."""
    admin = stack["CARELEDGER_PG_ADMIN_URL"]
    dbs = {name: asyncio.run(_create_database(admin)) for name in names}
    started = {
        name: (start_service(name, _asyncpg_url(admin, db), logs), _asyncpg_url(admin, db))
        for name, db in dbs.items()
    }
    try:
        for service, _ in started.values():
            wait_until(service, "/ready", 200)
        yield started
    finally:
        for service, _ in started.values():
            service.stop()
        for db in dbs.values():
            asyncio.run(_drop_database(admin, db))


def register_staff(
    intake: Running, assessment_db: str, org: str, *people: dict[str, str], clean: bool = True
) -> None:
    """Register each person (a qualified worker) and their check at intake; wait until
    assessment's consumer has recorded them."""
    manager = auth("org_admin", org=org, subject=f"admin-{org}")
    for p in people:
        body = {
            **p,
            "organisation": org,
            "role": "worker",
            "name": "合成社工",
            "qualifications": ["social_worker"],
            "years_in_child_services": 3,
        }
        response = httpx.post(f"{intake.url}/v1/staff", json=body, headers=manager, timeout=15)
        assert response.status_code == 201, response.text
        check = {"checked_on": datetime.now(UTC).date().isoformat(), "clean": clean}
        url = f"{intake.url}/v1/staff/{p['worker_id']}/background-checks"
        assert httpx.post(url, json=check, headers=manager, timeout=15).status_code == 201
    wait_for_staff(assessment_db, [p["worker_id"] for p in people], org, suspended=not clean)


def wait_for_staff(
    db_url: str, ids: list[str], org: str, suspended: bool = False, within: float = 90
) -> None:
    """Until assessment holds `org`'s people with these ids, checked (staff ids are per
    organisation: another organisation's person with the same id does not count)."""
    query = (
        "SELECT count(*) FROM staff WHERE worker_id = ANY($1) AND organisation = $3 "
        "AND background_check_on IS NOT NULL AND suspended = $2"
    )
    what = f"assessment never recorded staff {ids} of {org}"
    wait_for_count(db_url, query, (ids, suspended, org), len(ids), within, what)


def wait_for_count(
    db_url: str, query: str, args: tuple[Any, ...], count: int, within: float, what: str
) -> None:
    """Poll assessment's read model until `query` counts `count` rows (its consumer took the
    events in), failing with `what` after `within` seconds."""
    asyncio.run(_wait_for_count(db_url.replace("+asyncpg", ""), query, args, count, within, what))


async def _wait_for_count(
    url: str, query: str, args: tuple[Any, ...], count: int, within: float, what: str
) -> None:
    conn = await asyncpg.connect(url)
    try:
        deadline = time.monotonic() + within
        while await conn.fetchval(query, *args) != count:
            assert time.monotonic() < deadline, what
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


def intake_event(name: str, data: dict[str, Any], key_scope: str, **kw: Any) -> Envelope:
    """An intake event as intake publishes it (synthetic values)."""
    return make_envelope(
        source="/careledger/intake",
        event_type=f"{name}.v1",
        dataschema=f"urn:careledger:schema:{name}.v1",
        stream_id=key_scope,
        version=1,
        meta=Metadata(actor="dev-worker"),
        key_scope=key_scope,
        data=data,
        prev_hash=GENESIS_HASH,
        **kw,
    )


def team_assigned(case_id: str, org: str, worker_ids: list[str]) -> Envelope:
    data = {
        "case_id": case_id,
        "organisation": org,
        "child_id": f"child-{uuid4()}",
        "worker_ids": worker_ids,
        "assigned_on": date.today().isoformat(),
        "assigned_by": f"dev-supervisor-{org}",
        "rule": "MZ-6.2.2",
    }
    return intake_event("intake.case.team_assigned", data, case_id)


def case_opened(case_id: str, org: str, **extra: Any) -> Envelope:
    """`intake.case.opened` as intake publishes it (keyed by the child; synthetic values)."""
    data = {
        "case_id": case_id,
        "case_number": "SYN-2025-0001",
        "organisation": org,
        "child_id": f"child-{uuid4()}",
        "report_ids": [f"report-{uuid4()}"],
        "opened_at": "2025-06-01T01:00:00Z",
        "opened_by": "dev-worker",
        **extra,
    }
    return intake_event("intake.case.opened", data, data["child_id"])


def open_cases(db_url: str, org: str, teams: dict[str, list[str]]) -> None:
    """Intake opens each case and assigns its team, as intake publishes both; wait until
    assessment has taken them in (ARCHITECTURE, Security: the case's organisation and team)."""
    envelopes = [
        e for c, w in teams.items() for e in (case_opened(c, org), team_assigned(c, org, w))
    ]
    publish_intake(*envelopes)
    ids = list(teams)
    query = "SELECT count(*) FROM cases WHERE case_id = ANY($1)"
    wait_for_count(db_url, query, (ids,), len(ids), 60, f"assessment never opened {ids}")
    query = "SELECT count(*) FROM case_team WHERE case_id = ANY($1)"
    size = sum(len(set(w)) for w in teams.values())
    wait_for_count(db_url, query, (ids,), size, 60, f"assessment never took in the teams of {ids}")


def case_factory(db_url: str, org: str, *workers: str) -> Callable[[], str]:
    """`new_case()`: a case id of this run that intake opened in `org` and whose team
    (`dev-worker` and `workers`) it assigned, both taken in by assessment (ARCHITECTURE: a
    worker sees the cases assigned to them)."""

    def new_case() -> str:
        case_id = f"case-{uuid4()}"
        open_cases(db_url, org, {case_id: ["dev-worker", *workers]})
        return case_id

    return new_case


def publish_intake(*envelopes: Envelope) -> None:
    asyncio.run(_publish(kafka.events_topic("intake"), envelopes))


async def _publish(topic: str, envelopes: tuple[Envelope, ...]) -> None:
    producer = kafka.make_producer(os.environ["KAFKA_BOOTSTRAP_SERVERS"], "assessment-e2e")
    await producer.start()
    try:
        for envelope in envelopes:
            value = envelope.model_dump_json().encode()
            await producer.send_and_wait(topic, value, key=envelope.key_scope.encode())
    finally:
        await producer.stop()


def wait_for_team(db_url: str, case_id: str, size: int, within: float = 60) -> None:
    query = "SELECT count(*) FROM case_team WHERE case_id = $1"
    what = f"assessment never took in the team of {case_id}"
    wait_for_count(db_url, query, (case_id,), size, within, what)


def wait_for_case(db_url: str, case_id: str, within: float = 60) -> None:
    """Until assessment has taken in `intake.case.opened` of the case (its organisation): before
    that every case route answers 404 (ARCHITECTURE, Security)."""
    query = "SELECT count(*) FROM cases WHERE case_id = $1"
    wait_for_count(db_url, query, (case_id,), 1, within, f"assessment never opened {case_id}")
