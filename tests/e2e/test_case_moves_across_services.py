"""A case moves by what assessment publishes (ARCHITECTURE.md, contracts between services): two
real processes, intake and assessment, on their own databases and the local broker. A signed
mental-health service plan (`assessment.service_plan.agreement_signed`, SZ-6.4, M-3) moves
intake's case to `in_service`; an approved closure (`assessment.closure.recorded`, SZ-6.5) to
`follow_up`. Intake used to wait for `assessment.plan.opened`, which nothing publishes, so the
case stayed open. All data synthetic."""

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.assessment_support import (
    person,
    register_staff,
    running,
    wait_for_case,
    wait_for_team,
)
from tests.e2e.conftest import Running
from tests.e2e.test_assessment_mental_health import (
    CONFIRMED,
    ORG,
    SECRET,
    approve,
    grade,
    headers,
    plan,
    post,
    session,
    take_on,
)
from tests.e2e.test_intake_api import recent_report, report_body


@pytest.fixture(scope="module")
def pair(stack, tmp_path_factory) -> Iterator[tuple[Running, Running, str]]:
    with running(stack, tmp_path_factory.mktemp("move-logs"), "intake", "assessment") as up:
        yield up["intake"][0], up["assessment"][0], up["assessment"][1]


def opened_case(intake: Running) -> str:
    """A report received and a case opened on it at intake, by the organisation of the plan
    (ARCHITECTURE, Security: assessment works only on cases intake opened)."""
    report = report_body(recent_report(random.randrange(10**6), triggers=set()))
    received = httpx.post(
        f"{intake.url}/v1/reports", json=report, headers=headers("worker", "w-move"), timeout=15
    )
    assert received.status_code == 201, received.text
    body = {"report_ids": [received.json()["report_id"]]}
    who = headers("supervisor", "s-move")
    opened = httpx.post(f"{intake.url}/v1/cases", json=body, headers=who, timeout=15)
    assert opened.status_code == 201, opened.text
    return str(opened.json()["case_id"])


def staffed(intake: Running, assessment_db: str, case_id: str) -> str:
    """Two registered workers put on the case's team at intake, as assessment learns them; the
    first is the one who works on it."""
    first, second = person("female"), person("male")
    register_staff(intake, assessment_db, ORG, first, second)
    team = {"worker_ids": [first["worker_id"], second["worker_id"]]}
    who = headers("supervisor", "s-move")
    assigned = httpx.put(f"{intake.url}/v1/cases/{case_id}/team", json=team, headers=who)
    assert assigned.status_code == 200, assigned.text
    wait_for_case(assessment_db, case_id)
    wait_for_team(assessment_db, case_id, 2)
    return first["worker_id"]


def agree(assessment: Running, case_id: str, worker: str) -> None:
    """Graded, taken on, feasibility approved, plan submitted and signed (M-3)."""
    grade(assessment, case_id, worker, "medium")
    taken = take_on(assessment, case_id, worker)
    assert taken.status_code == 201, taken.text
    assert approve(assessment, case_id, taken.json()["pending"]["item_id"]).status_code == 201
    submitted = post(assessment, case_id, "/plan", plan(6), headers("worker", worker))
    assert submitted.status_code == 201, submitted.text
    signed = approve(assessment, case_id, submitted.json()["pending"]["item_id"])
    assert signed.status_code == 201, signed.text


def closure() -> dict:
    return {
        "form": {
            "reason": "goals_met",
            "final_measure": {"instrument": "SDQ", "measured_on": "2025-07-20"},
            "goals": [{"code": "sleep", "achieved": True}],
            "client_satisfaction": 4,
            "client_cooperation": "good",
            "client_confirmation": CONFIRMED,
            "text": {"summary": SECRET, "change": "合成改变", "reflection": "合成反思"},
        }
    }


def status_becomes(intake: Running, case_id: str, wanted: str, within: float = 60) -> str:
    who = headers("supervisor", "s-move")
    deadline, status = time.monotonic() + within, None
    while time.monotonic() < deadline:
        case = httpx.get(f"{intake.url}/v1/cases/{case_id}", headers=who, timeout=15)
        assert case.status_code == 200, case.text
        status = case.json()["status"]
        if status == wanted:
            return str(status)
        time.sleep(0.3)
    return str(status)


def test_a_signed_plan_then_an_approved_closure_move_the_case_at_intake(pair):
    intake, assessment, assessment_db = pair
    case_id = opened_case(intake)
    worker = staffed(intake, assessment_db, case_id)
    agree(assessment, case_id, worker)
    assert status_becomes(intake, case_id, "in_service") == "in_service"

    start = datetime(2025, 6, 9, 15, 0, tzinfo=UTC)
    for week in range(6):
        body = session(start + timedelta(days=7 * week), worker)
        recorded = post(assessment, case_id, "/sessions", body, headers("worker", worker))
        assert recorded.status_code == 201, recorded.text
    submitted = post(assessment, case_id, "/closure", closure(), headers("worker", worker))
    assert submitted.status_code == 201, submitted.text
    closed = approve(assessment, case_id, submitted.json()["pending"]["item_id"])
    assert closed.status_code == 201, closed.text
    assert status_becomes(intake, case_id, "follow_up") == "follow_up"
