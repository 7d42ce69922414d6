"""A case moves by what assessment publishes (ARCHITECTURE.md, contracts between services): two
real processes, intake and assessment, on their own databases and the local broker. A signed
mental-health service plan (`assessment.service_plan.agreement_signed`, SZ-6.4, M-3) moves
intake's case to `in_service`; an approved closure (`assessment.closure.recorded`, SZ-6.5) to
`follow_up`. Intake used to wait for `assessment.plan.opened`, which nothing publishes, so the
case stayed open. Issue 14 (items 1, 2): the case goes into service once its investigation is
recorded (SZ-6.2.1), and the approved closure takes it to closing, and on to follow-up once the
advance notice (SZ-6.5) and a follow-up plan (SZ-6.6) are recorded at intake; the closure
stands for the summary, closing record and service report (JX-7.5, `intake.domain.cases`).
All data synthetic."""

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
from tests.e2e.intake_people import register_supervisor
from tests.e2e.test_assessment_mental_health import (
    CONFIRMED,
    ORG,
    SECRET,
    approve,
    file_with_entrustor,
    grade,
    headers,
    plan,
    post,
    session,
    take_on,
)
from tests.e2e.test_case_lifecycle import investigate
from tests.e2e.test_intake_api import recent_report, report_body


def notice_and_plan(intake: Running, case_id: str, who: dict[str, str]) -> None:
    """The advance notice of the ending (SZ-6.5) and a follow-up scheduled (SZ-6.6)."""
    url, now = f"{intake.url}/v1/cases/{case_id}", datetime.now(UTC)
    notice = {
        "told": ["合成监护人"],
        "told_at": now.isoformat(),  # not before the case opened (SZ-6.5, issue 14 item 5)
        "ends_on": (now.date() + timedelta(days=2)).isoformat(),
        "contact": "合成：机构热线",
    }
    assert httpx.post(url + "/ending-notice", json=notice, headers=who).status_code == 201
    plan = {"planned_on": (now.date() + timedelta(days=30)).isoformat(), "method": "phone"}
    assert httpx.post(url + "/follow-up-plans", json=plan, headers=who).status_code == 201


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


def staffed(intake: Running, assessment_db: str, case_id: str) -> list[str]:
    """Two registered workers put on the case's team at intake, as assessment learns them; the
    first is the one who works on it."""
    first, second = person("female"), person("male")
    register_supervisor(intake.url, ORG, "s-move")  # who sets the team (SZ-7.1.5)
    register_staff(intake, assessment_db, ORG, first, second)
    team = {"worker_ids": [first["worker_id"], second["worker_id"]]}
    who = headers("supervisor", "s-move")
    assigned = httpx.put(f"{intake.url}/v1/cases/{case_id}/team", json=team, headers=who)
    assert assigned.status_code == 200, assigned.text
    wait_for_case(assessment_db, case_id)
    wait_for_team(assessment_db, case_id, 2)
    return [first["worker_id"], second["worker_id"]]


def agree(assessment: Running, case_id: str, worker: str) -> None:
    """Graded, taken on, feasibility approved, plan submitted and signed (M-3)."""
    grade(assessment, case_id, worker, "medium")
    taken = take_on(assessment, case_id, worker)
    assert taken.status_code == 201, taken.text
    assert approve(assessment, case_id, taken.json()["pending"]["item_id"]).status_code == 201
    file_with_entrustor(assessment, case_id)  # M-3, JX-7.1.3
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
    team = staffed(intake, assessment_db, case_id)
    worker = team[0]
    investigate(intake, case_id, team)  # SZ-6.2.1: before any service
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
    assert status_becomes(intake, case_id, "closing") == "closing"  # notice and plan to come
    notice_and_plan(intake, case_id, headers("worker", worker))
    assert status_becomes(intake, case_id, "follow_up") == "follow_up"
    file = httpx.get(
        f"{intake.url}/v1/cases/{case_id}/file", headers=headers("supervisor", "s-move")
    )
    causes = [(e["to_status"], e["cause"]) for e in file.json()["status_history"]]
    assert causes == [
        ("in_service", "assessment.service_plan.agreement_signed"),
        ("closing", "assessment.closure.recorded"),
        ("follow_up", "assessment.closure.recorded"),
    ]
