"""The case lifecycle across services (issue 14, items 1 and 2), with real processes: intake,
assessment and notify on their own databases and the local broker. All data synthetic.

- Item 2 (SZ-6.2.1, SZ-6.5, MZ-6.4.2, SZ-6.6): a supervisor moves a case into service,
  closing, follow-up and closed only when its team, first visit, initial statement, closing
  work and follow-ups are recorded; otherwise a 422 problem names the clause.
- Item 1 (SZ-6.3, SZ-6.4.1): a safety grade with interventions moves the case into service
  as soon as the investigation is done (recorded later, it moves then), each move naming the
  grade as its cause; the case view shows the grade, the open tasks and notify's clocks,
  learnt from events only.
"""

import asyncio
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from intake.domain.clock import local_date
from tests.e2e.assessment_support import (
    person,
    register_staff,
    running,
    wait_for_case,
    wait_for_team,
)
from tests.e2e.conftest import Running
from tests.e2e.intake_people import register_supervisor
from tests.e2e.test_assessment_mental_health import ORG, headers
from tests.e2e.test_intake_api import (
    FINDINGS,
    STATEMENT,
    recent_report,
    report_body,
    visit_body,
)

SUPERVISOR = headers("supervisor", "s-lifecycle")
SECRET = "合成测试：结案总结，儿童已返校，监护人配合良好。"  # synthetic free text, sealed


@pytest.fixture(scope="module")
def trio(stack, tmp_path_factory) -> Iterator[dict[str, tuple[Running, str]]]:
    with running(
        stack, tmp_path_factory.mktemp("lifecycle-logs"), "intake", "assessment", "notify"
    ) as up:
        yield up


def opened_case(intake: Running) -> dict[str, Any]:
    """A report received (its 72 h clock starts at notify, SZ-6.2.1) and a case opened on it."""
    report = report_body(recent_report(random.randrange(10**6), triggers=set()))
    who = headers("worker", "w-lifecycle")
    received = httpx.post(f"{intake.url}/v1/reports", json=report, headers=who, timeout=15)
    assert received.status_code == 201, received.text
    body = {"report_ids": [received.json()["report_id"]]}
    opened = httpx.post(f"{intake.url}/v1/cases", json=body, headers=SUPERVISOR, timeout=15)
    assert opened.status_code == 201, opened.text
    return dict(opened.json())


def staffed(intake: Running, assessment_db: str, case_id: str) -> list[dict[str, str]]:
    """A woman and a man, registered and cleared at intake, the case's team (MZ-6.2.2)."""
    team = [person("female"), person("male")]
    register_supervisor(intake.url, ORG, "s-lifecycle")  # who sets the team (SZ-7.1.5)
    register_staff(intake, assessment_db, ORG, *team)
    body = {"worker_ids": [p["worker_id"] for p in team]}
    url = f"{intake.url}/v1/cases/{case_id}/team"
    assert httpx.put(url, json=body, headers=SUPERVISOR, timeout=15).status_code == 200
    wait_for_case(assessment_db, case_id)
    wait_for_team(assessment_db, case_id, 2)
    return team


def case_url(intake: Running, case_id: str) -> str:
    return f"{intake.url}/v1/cases/{case_id}"


def post(url: str, body: dict[str, Any], who: dict[str, str] = SUPERVISOR) -> httpx.Response:
    return httpx.post(url, json=body, headers=who, timeout=15)


def move(intake: Running, case_id: str, to: str) -> httpx.Response:
    return post(case_url(intake, case_id) + "/status", {"to": to})


def investigate(intake: Running, case_id: str, workers: list[str]) -> httpx.Response:
    """The first visit, the investigation and the initial statement (SZ-6.2.1, SZ-6.2.2)."""
    url, who = case_url(intake, case_id), headers("worker", workers[0])
    assert post(url + "/visits", visit_body(workers, True), who).status_code == 201
    now = datetime.now(UTC).isoformat()
    body = {"investigated_at": now, "investigator_ids": workers, "findings": FINDINGS}
    assert post(url + "/investigations", body, who).status_code == 201
    stated = post(url + "/initial-statement", {"stated_at": now, "statement": STATEMENT}, who)
    assert stated.status_code == 201, stated.text
    return stated


def violations(response: httpx.Response) -> list[tuple[str, str]]:
    return [(v["code"], v["rule"]) for v in response.json()["violations"]]


def closing_work(intake: Running, case_id: str, who: dict[str, str]) -> None:
    """What SZ-6.5, MZ-6.4.2 and SZ-6.6 ask before follow-up, each once."""
    url, now = case_url(intake, case_id), datetime.now(UTC)
    for step in ("effect_summary", "closing_record"):
        body = {"step": step, "done_at": now.isoformat(), "text": SECRET}
        assert post(url + "/closing-steps", body, who).status_code == 201
    notice = {
        "told": ["合成儿童", "合成监护人"],
        "told_at": now.isoformat(),  # not before the case opened (SZ-6.5, issue 14 item 5)
        "ends_on": (now.date() + timedelta(days=2)).isoformat(),
        "contact": "合成：机构热线",
    }
    assert post(url + "/ending-notice", notice, who).status_code == 201
    report = dict.fromkeys(
        ("goals_achieved", "plan_implementation", "effect_evaluation", "reflection"), "合成"
    )
    body = {"reported_at": now.isoformat(), "report": {**report, "opinions_heard": "合成"}}
    assert post(url + "/service-report", body, who).status_code == 201
    plan = {"planned_on": (now.date() + timedelta(days=60)).isoformat(), "method": "home_visit"}
    assert post(url + "/follow-up-plans", plan, who).status_code == 201


def until(probe: Callable[[], Any], within: float = 60) -> Any:
    deadline, seen = time.monotonic() + within, None
    while time.monotonic() < deadline:
        seen = probe()
        if seen:
            return seen
        time.sleep(0.3)
    return seen


def stored_text(db_url: str, stream_id: str) -> str:
    async def read() -> str:
        conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            query = "SELECT envelope::text FROM events WHERE stream_id = $1"
            rows = await conn.fetch(query, stream_id)
            return " ".join(r[0] for r in rows)
        finally:
            await conn.close()

    return asyncio.run(read())


def test_a_supervisor_moves_a_case_only_with_what_each_step_asks_sz_6_2_1_sz_6_5_sz_6_6(trio):
    intake, intake_db = trio["intake"]
    case = opened_case(intake)
    case_id = case["case_id"]
    bare = move(intake, case_id, "in_service")
    assert bare.status_code == 422 and bare.json()["rule"] == "MZ-6.2.2"
    assert ("initial_statement_missing", "SZ-6.2.1") in violations(bare)

    team = [p["worker_id"] for p in staffed(intake, trio["assessment"][1], case_id)]
    no_visit = move(intake, case_id, "closing")
    assert no_visit.status_code == 422 and no_visit.json()["rule"] == "SZ-6.2.1"
    investigate(intake, case_id, team)
    assert move(intake, case_id, "in_service").json()["status"] == "in_service"
    assert move(intake, case_id, "closing").json()["status"] == "closing"

    early = move(intake, case_id, "follow_up")
    assert early.status_code == 422 and early.json()["rule"] == "SZ-6.5"
    assert violations(early) == [
        ("effect_summary_missing", "SZ-6.5"),
        ("ending_notice_missing", "SZ-6.5"),
        ("closing_record_missing", "SZ-6.5"),
        ("service_report_missing", "MZ-6.4.2"),
        ("followup_missing", "SZ-6.6"),
    ]
    worker = headers("worker", team[0])
    late_notice = {
        "told": ["合成监护人"],
        "told_at": datetime.now(UTC).isoformat(),
        "contact": "合成：机构热线",
    }
    same_day = post(
        case_url(intake, case_id) + "/ending-notice",
        {**late_notice, "ends_on": local_date(datetime.now(UTC)).isoformat()},
        worker,
    )
    assert same_day.status_code == 422 and same_day.json()["rule"] == "SZ-6.5"
    closing_work(intake, case_id, worker)
    assert move(intake, case_id, "follow_up").json()["status"] == "follow_up"

    unassessed = move(intake, case_id, "closed")
    assert unassessed.status_code == 422 and unassessed.json()["rule"] == "SZ-6.6"
    url = case_url(intake, case_id)
    assessed_early = post(
        url + "/full-closure-assessments",
        {"assessed_at": datetime.now(UTC).isoformat(), "conditions_met": True},
        worker,
    )
    assert assessed_early.status_code == 409 and assessed_early.json()["rule"] == "SZ-6.6"
    followup = {"followed_up_at": datetime.now(UTC).isoformat(), "method": "phone", "notes": SECRET}
    keyed = {**worker, "Idempotency-Key": f"key-{uuid4()}"}
    twice = [post(url + "/follow-ups", followup, keyed) for _ in range(2)]
    assert [r.status_code for r in twice] == [201, 201]
    assessment = {"assessed_at": datetime.now(UTC).isoformat(), "conditions_met": True}
    assert post(url + "/full-closure-assessments", assessment, worker).status_code == 201
    closed = move(intake, case_id, "closed")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    file = httpx.get(url + "/file", headers=SUPERVISOR, timeout=15).json()
    kinds = [entry["kind"] for entry in file["closing"]]
    assert kinds.count("intake.case.followup_done") == 1  # the retry with its key: once
    assert {
        e["text"] for e in file["closing"] if e["kind"] == "intake.case.closing_step_recorded"
    } == {SECRET}
    moves = [(e["to_status"], e["rule"]) for e in file["status_history"]]
    assert moves == [
        ("in_service", "SZ-6.4"),
        ("closing", "SZ-6.5"),
        ("follow_up", "SZ-6.6"),
        ("closed", "SZ-6.6"),
    ]
    stored = stored_text(intake_db, case_id)
    assert "intake.case.closing_step_recorded" in stored and "合成：机构热线" not in stored
    assert SECRET not in stored  # sealed under the child's key


def test_a_safety_grade_moves_the_case_into_service_once_investigated_and_shows_on_it(trio):
    """SZ-6.3, SZ-6.4.1: the grade's interventions are the service; SZ-6.2.1 first."""
    intake, assessment = trio["intake"][0], trio["assessment"][0]
    case = opened_case(intake)
    case_id = case["case_id"]
    team = staffed(intake, trio["assessment"][1], case_id)
    body = {
        "assessors": team,
        "child_gender": case_gender(intake, case),
        "inputs": {"b2": {"neglect": "B"}, "b3": {"cooperation": "C"}},
    }
    graded = httpx.post(
        f"{assessment.url}/v1/cases/{case_id}/safety-assessments",
        json=body,
        headers=headers("worker", team[0]["worker_id"]),
        timeout=15,
    )
    assert graded.status_code == 201, graded.text

    def seen() -> dict[str, Any] | None:
        view = httpx.get(case_url(intake, case_id), headers=SUPERVISOR, timeout=15).json()
        return view if view["safety"] and view["open_tasks"] and view["moving_to"] else None

    view = until(seen)
    assert view, "intake never learnt the grade and its tasks"
    assert view["safety"]["grade"] == "B" and view["status"] == "open"
    assert view["moving_to"] == "in_service"
    assert [v["code"] for v in view["waiting_for"]] == [
        "first_visit_missing",
        "initial_statement_missing",
    ]
    assert all(t["clause"].startswith("SZ-") for t in view["open_tasks"])

    stated = investigate(intake, case_id, [p["worker_id"] for p in team])
    assert stated.json()["status"] == "in_service"  # moved in the statement's transaction
    file = httpx.get(case_url(intake, case_id) + "/file", headers=SUPERVISOR, timeout=15).json()
    [moved] = file["status_history"]
    assert (
        moved["cause"] == "assessment.safety.risk_graded"
        and moved["changed_by"] == "service:intake"
    )

    def clocks() -> list[dict[str, Any]]:
        view = httpx.get(case_url(intake, case_id), headers=SUPERVISOR, timeout=15).json()
        return [d for d in view["next_deadlines"] if d["subject"] == "task"]

    task_clocks = until(clocks)
    assert task_clocks, "notify's task clocks never showed on the case"
    task_ids = {t["task_id"] for t in view["open_tasks"]}
    assert {d["subject_id"] for d in task_clocks} <= task_ids


def case_gender(intake: Running, case: dict[str, Any]) -> str:
    child = httpx.get(
        f"{intake.url}/v1/children/{case['child_id']}", headers=SUPERVISOR, timeout=15
    )
    assert child.status_code == 200, child.text
    return str(child.json()["child"]["gender"])
