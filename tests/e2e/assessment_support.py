"""What the assessment e2e modules share: the service (with intake beside it when assessors must
come from intake's staff registry) on throwaway databases, tokens, and staff registered through
intake's API until assessment has taken them in. All data synthetic."""

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import httpx

from events import devissuer
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
    wait_for_staff(assessment_db, [p["worker_id"] for p in people], suspended=not clean)


def wait_for_staff(
    db_url: str, ids: list[str], suspended: bool = False, within: float = 90
) -> None:
    asyncio.run(_wait_for_staff(db_url.replace("+asyncpg", ""), ids, suspended, within))


async def _wait_for_staff(url: str, ids: list[str], suspended: bool, within: float) -> None:
    query = (
        "SELECT count(*) FROM staff WHERE worker_id = ANY($1) "
        "AND background_check_on IS NOT NULL AND suspended = $2"
    )
    conn = await asyncpg.connect(url)
    try:
        deadline = time.monotonic() + within
        while await conn.fetchval(query, ids, suspended) < len(ids):
            assert time.monotonic() < deadline, f"assessment never recorded staff {ids}"
            await asyncio.sleep(0.3)
    finally:
        await conn.close()
