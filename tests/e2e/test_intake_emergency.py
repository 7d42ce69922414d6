"""Breaking the glass, as real processes (intake and notify over Kafka): a supervisor of another
organisation opens a case in an emergency only with a reason; the opening is registered as an
event of the case with its reason sealed, the case's organisation's admins are notified, and
the supervisor reads the case, no more, for four hours. All data synthetic."""

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import asyncpg
import httpx
import pytest

from tests.e2e.assessment_support import running
from tests.e2e.test_intake_api import auth, staffed_emergency_case

REASON = "合成：儿童深夜出现在本机构热线所在地，需核实其既往安全计划与监护人联系方式。"
HOOK = "https://hooks.example.org/careledger-admins"


@pytest.fixture(scope="module")
def pair(stack, tmp_path_factory) -> Iterator[dict]:
    with running(stack, tmp_path_factory.mktemp("glass-logs"), "intake", "notify") as up:
        yield up


@pytest.fixture(scope="module")
def case(pair) -> dict:
    intake, _ = pair["intake"]
    notify, _ = pair["notify"]
    org = f"org-{uuid4().hex[:8]}"
    subscription = {"channel": "webhook", "target": HOOK, "event_types": [GRANTED]}
    made = httpx.post(
        notify.url + "/v1/subscriptions", json=subscription, headers=auth("org_admin", org)
    )
    assert made.status_code == 201, made.text
    opened, _ = staffed_emergency_case(intake, org, 97, opener=f"w-{uuid4().hex[:6]}")
    return {"org": org, "case_id": opened["case_id"], "other": f"org-{uuid4().hex[:8]}"}


GRANTED = "intake.case.emergency_access_granted"


def fetch(db_url: str, query: str, *args: object) -> list:
    async def run() -> list:
        conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


def test_without_breaking_the_glass_another_organisations_supervisor_sees_nothing(pair, case):
    intake, _ = pair["intake"]
    who = auth("supervisor", case["other"], "s-glass-0")
    assert httpx.get(f"{intake.url}/v1/cases/{case['case_id']}", headers=who).status_code == 404


def test_the_glass_is_broken_only_by_a_supervisor_with_a_reason(pair, case):
    intake, _ = pair["intake"]
    url = f"{intake.url}/v1/cases/{case['case_id']}/emergency-access"
    short = httpx.post(url, json={"reason": "急"}, headers=auth("supervisor", case["other"]))
    assert short.status_code == 422, short.text
    worker = httpx.post(url, json={"reason": REASON}, headers=auth("worker", case["other"]))
    assert worker.status_code == 403
    assert httpx.post(url, json={"reason": REASON}).status_code == 401
    own = httpx.post(url, json={"reason": REASON}, headers=auth("supervisor", case["org"]))
    assert own.status_code == 409, own.text
    missing = f"{intake.url}/v1/cases/case-{uuid4()}/emergency-access"
    assert (
        httpx.post(
            missing, json={"reason": REASON}, headers=auth("supervisor", case["other"])
        ).status_code
        == 404
    )


def test_a_broken_glass_reads_the_case_for_four_hours_changes_nothing_and_is_registered(pair, case):
    intake, intake_db = pair["intake"]
    who = auth("supervisor", case["other"], "s-glass-1")
    url = f"{intake.url}/v1/cases/{case['case_id']}"
    opened = httpx.post(url + "/emergency-access", json={"reason": REASON}, headers=who)
    assert opened.status_code == 201, opened.text
    until = datetime.fromisoformat(opened.json()["until"])
    assert abs(until - datetime.now(UTC) - timedelta(hours=4)) < timedelta(minutes=1)

    assert httpx.get(url, headers=who).status_code == 200
    assert httpx.get(url + "/file", headers=who).status_code == 200
    household = httpx.put(url + "/household", json={}, headers=who)
    assert household.status_code == 403, household.text
    elsewhere = auth("supervisor", case["other"], "s-glass-2")  # the same organisation, not them
    assert httpx.get(url, headers=elsewhere).status_code == 404

    [row] = fetch(
        intake_db,
        "SELECT envelope::text AS e FROM events WHERE stream_id = $1 AND type = $2",
        case["case_id"],
        GRANTED + ".v1",
    )
    assert "s-glass-1" in row["e"] and case["other"] in row["e"]
    assert REASON not in row["e"]  # sealed under the case's key


def test_the_cases_organisation_admins_are_notified_of_the_opening(pair, case):
    intake, _ = pair["intake"]
    _, notify_db = pair["notify"]
    who = auth("supervisor", case["other"], "s-glass-3")
    url = f"{intake.url}/v1/cases/{case['case_id']}/emergency-access"
    assert httpx.post(url, json={"reason": REASON}, headers=who).status_code == 201
    # A new notify reads the shared topics from their start: allow for a long local backlog.
    deadline, queued = time.monotonic() + 240, []
    while time.monotonic() < deadline and not queued:
        queued = fetch(
            notify_db,
            "SELECT d.title, d.text, d.body FROM deliveries d JOIN subscriptions s "
            "USING (subscription_id) WHERE d.event_type = $1 AND s.organisation = $2",
            GRANTED,
            case["org"],
        )
        time.sleep(0.5)
    assert queued, "notify queued nothing for the organisation's admins"
    assert all(REASON not in str(dict(r)) for r in queued)
