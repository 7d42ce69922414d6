"""Across services, as real processes over Kafka: an emergency report filed at intake starts
the 24-hour first-visit and 72-hour investigation clocks at notify (I-2, I-3, SZ-6.2.1); the
first home visit stops the first and the initial case statement the second."""

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest

from tests.conftest import _asyncpg_url, _create_database, _drop_database
from tests.e2e.conftest import Running, start_service, wait_until
from tests.e2e.test_intake_api import (
    FINDINGS,
    auth,
    staffed_emergency_case,
    statement,
    visit_body,
)


@pytest.fixture(scope="module")
def intake_and_notify(stack, tmp_path_factory) -> Iterator[tuple[Running, Running]]:
    admin = stack["CARELEDGER_PG_ADMIN_URL"]
    names = [asyncio.run(_create_database(admin)) for _ in range(2)]
    logs = tmp_path_factory.mktemp("flow-logs")
    intake = start_service("intake", _asyncpg_url(admin, names[0]), logs)
    notify = start_service(
        "notify", _asyncpg_url(admin, names[1]), logs, NOTIFY_SCHEDULER_IDLE_SECONDS="1"
    )
    try:
        for service in (intake, notify):
            wait_until(service, "/ready", 200)
        yield intake, notify
    finally:
        for service in (intake, notify):
            service.stop()
        for name in names:
            asyncio.run(_drop_database(admin, name))


def clocks_of(notify: Running, org: str, report_id: str) -> dict[str, dict]:
    response = httpx.get(notify.url + "/v1/deadlines", headers=auth("supervisor", org))
    assert response.status_code == 200, response.text
    return {d["rule"]: d for d in response.json() if d["subject_id"] == report_id}


def wait_for_clocks(notify: Running, org: str, report_id: str, check, within: float = 90):
    deadline, seen = time.monotonic() + within, {}
    while time.monotonic() < deadline:
        seen = clocks_of(notify, org, report_id)
        if check(seen):
            return seen
        time.sleep(0.5)
    raise AssertionError(f"clocks of {report_id} never got there: {seen}")


def test_an_emergency_report_starts_both_clocks_and_the_visits_and_statement_stop_them(
    intake_and_notify,
):
    intake, notify = intake_and_notify
    org = f"org-{uuid4().hex[:8]}"
    case, (woman, man) = staffed_emergency_case(intake, org, 77, opener="w-opener-77")
    [report_id] = case["report_ids"]

    started = wait_for_clocks(
        notify, org, report_id, lambda c: {"intake.first_visit", "intake.investigation"} <= set(c)
    )
    first, investigation = started["intake.first_visit"], started["intake.investigation"]
    assert first["state"] == "open" and investigation["state"] == "open"
    received = datetime.fromisoformat(first["started_at"])
    assert datetime.fromisoformat(first["due_at"]) - received == timedelta(hours=24)
    assert datetime.fromisoformat(investigation["due_at"]) - received == timedelta(hours=72)
    assert first["clause"].startswith("SZ-6.2.1") or "I-3" in first["clause"]

    url = f"{intake.url}/v1/cases/{case['case_id']}"
    headers = auth("worker", org, woman)
    visit = httpx.post(url + "/visits", json=visit_body([woman, man], True), headers=headers)
    assert visit.status_code == 201, visit.text
    after_visit = wait_for_clocks(
        notify, org, report_id, lambda c: c["intake.first_visit"]["state"] == "met"
    )
    assert after_visit["intake.investigation"]["state"] == "open"

    body = {
        "investigated_at": datetime.now(UTC).isoformat(),
        "investigator_ids": [woman, man],
        "findings": FINDINGS,
    }
    assert httpx.post(url + "/investigations", json=body, headers=headers).status_code == 201
    stated = httpx.post(url + "/initial-statement", json=statement(), headers=headers)
    assert stated.status_code == 201, stated.text
    done = wait_for_clocks(
        notify, org, report_id, lambda c: c["intake.investigation"]["state"] == "met"
    )
    assert done["intake.first_visit"]["met_at"] <= done["intake.investigation"]["met_at"]
