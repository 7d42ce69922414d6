"""The mental-health service of a case over HTTP against the real assessment process (DOMAIN §6,
JX 7.1-7.5): the caseload cap, plan minimums, the agreement reaching Kafka keyed by the case id
with the fields notify's clocks read, worker changes, and the supervisor's approval queue.
All data synthetic."""

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from events import devissuer
from tests.e2e.assessment_support import open_cases, running
from tests.e2e.conftest import Running
from tests.e2e.test_assessment_safety import published

ORG = "org-synthetic-mh"
SUPERVISOR = "s-synthetic-mh-1"
OTHER_SUPERVISOR = "s-synthetic-mh-2"
CONFIRMED = {"by": "guardian", "signed_on": "2025-06-02"}
SECRET = "合成测试：儿童在学校被同学孤立，晚上难以入睡。"  # synthetic free text


@pytest.fixture(scope="module")
def service(stack, tmp_path_factory) -> Iterator[tuple[Running, str]]:
    """The assessment service on a new database of its own, ready."""
    with running(stack, tmp_path_factory.mktemp("mh-logs"), "assessment") as up:
        yield up["assessment"]


@pytest.fixture(scope="module")
def assessment(service) -> Running:
    return service[0]


NewCase = Callable[..., str]


@pytest.fixture(scope="module")
def new_case(service) -> NewCase:
    """`new_case(*workers)`: a case intake opened in ORG with `workers` on its team, as
    assessment learns of it (ARCHITECTURE, Security: a worker works on their team's cases)."""

    def opened(*workers: str) -> str:
        [case_id] = new_cases(service, 1, *workers)
        return case_id

    return opened


def new_cases(service: tuple[Running, str], count: int, *workers: str) -> list[str]:
    """`count` cases opened at once with the same team."""
    ids = [f"case-{uuid4()}" for _ in range(count)]
    open_cases(service[1], ORG, {case_id: list(workers) for case_id in ids})
    return ids


def headers(role: str, subject: str, org: str = ORG) -> dict[str, str]:
    return {"Authorization": f"Bearer {devissuer.issue_token(role, org=org, subject=subject)}"}


def new_worker() -> str:
    return f"w-synthetic-{uuid4().hex[:8]}"


def post(
    service: Running, case_id: str, path: str, body: dict[str, Any], who: dict[str, str]
) -> httpx.Response:
    url = f"{service.url}/v1/cases/{case_id}/mental-health{path}"
    return httpx.post(url, json=body, headers=who, timeout=15)


def get(service: Running, path: str, who: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{service.url}{path}", headers=who, timeout=15)


def feasibility(**form: Any) -> dict[str, Any]:
    body = {
        "accepted_on": "2025-06-02",
        "intake_measure": {"instrument": "SDQ", "measured_on": "2025-05-30"},
        "problem_type": "anxiety",
        "client_confirmation": CONFIRMED,
        "text": {
            "family_situation": SECRET,
            "individual_overview": "合成：身体健康。",
            "interview_findings": "合成：情绪低落。",
            "main_problems": "合成：焦虑。",
            "problems_to_solve": "合成：改善睡眠。",
        },
    }
    return {"form": {**body, **form}}


def plan(sessions: int, **form: Any) -> dict[str, Any]:
    body = {
        "problem_type": "anxiety",
        "planned_sessions": sessions,
        "starts_on": "2025-06-09",
        "ends_on": "2025-09-30",
        "consent": CONFIRMED,
        "text": {"background": SECRET, "cause_analysis": "合成分析", "solution": "合成方案"},
    }
    return {"form": {**body, **form}}


def session(start: datetime, worker: str, minutes: int = 90) -> dict[str, Any]:
    return {
        "form": {
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(minutes=minutes)).isoformat(),
            "worker_ids": [worker],
            "text": {
                "place": "合成：社区服务站",
                "goal": "合成目标",
                "theory": "认知行为疗法",
                "process": SECRET,
                "effect": "合成效果",
                "reflection": "合成反思",
            },
        }
    }


def grade(service: Running, case_id: str, worker: str, level: str) -> None:
    body = {"risk_level": level, "instrument": "SDQ"}
    response = post(service, case_id, "/risk-gradings", body, headers("worker", worker))
    assert response.status_code == 201, response.text


def take_on(service: Running, case_id: str, worker: str) -> httpx.Response:
    return post(service, case_id, "/feasibility", feasibility(), headers("worker", worker))


def approve(service: Running, case_id: str, item_id: str, **extra: Any) -> httpx.Response:
    body = {"item_id": item_id, "decision": "approve", **extra}
    return post(service, case_id, "/reviews", body, headers("supervisor", SUPERVISOR))


def assessed(
    service: Running, new_case: NewCase, level: str = "medium", *others: str
) -> tuple[str, str]:
    """A new case graded `level`, taken on by a new worker of its team (with `others`),
    feasibility approved and filed with the entrustor (M-3)."""
    worker = new_worker()
    case_id = new_case(worker, *others)
    grade(service, case_id, worker, level)
    taken = take_on(service, case_id, worker)
    assert taken.status_code == 201, taken.text
    assert approve(service, case_id, taken.json()["pending"]["item_id"]).status_code == 201
    file_with_entrustor(service, case_id)
    return case_id, worker


def file_with_entrustor(service: Running, case_id: str) -> None:
    """M-3 (JX-7.1.3): the provider files the approved feasibility assessment with the
    entrustor before any plan."""
    body = {"entrustor": "合成市民政局", "reference": "合成-备案-001"}
    filed = post(service, case_id, "/feasibility-filing", body, headers("supervisor", SUPERVISOR))
    assert filed.status_code == 201, filed.text


def agreed(
    service: Running, new_case: NewCase, level: str = "medium", sessions: int = 6, *others: str
) -> tuple[str, str]:
    case_id, worker = assessed(service, new_case, level, *others)
    submitted = post(service, case_id, "/plan", plan(sessions), headers("worker", worker))
    assert submitted.status_code == 201, submitted.text
    signed = approve(service, case_id, submitted.json()["pending"]["item_id"])
    assert signed.status_code == 201, signed.text
    return case_id, worker


# --- M-6: caseload ------------------------------------------------------------------------------


def test_the_ninth_open_case_of_one_worker_is_refused_with_409_naming_m6(assessment, service):
    worker = new_worker()
    *cases, refused_case = new_cases(service, 9, worker)
    for case_id in cases:
        assert take_on(assessment, case_id, worker).status_code == 201
    response = take_on(assessment, refused_case, worker)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["rule"], problem["domain_rule"]) == ("JX-7.3", "M-6")
    assert [v["code"] for v in problem["violations"]] == ["caseload_full"]

    load = get(assessment, f"/v1/workers/{worker}/caseload", headers("worker", worker)).json()
    assert (load["open_cases"], load["cap"]) == (8, 8)
    assert refused_case not in {c["case_id"] for c in load["cases"]}


def test_a_worker_may_not_read_another_workers_caseload(assessment):
    response = get(assessment, f"/v1/workers/{new_worker()}/caseload", headers("worker", "w-x"))
    assert response.status_code == 403


# --- M-4, M-7: plans ------------------------------------------------------------------------------


def test_a_plan_with_five_sessions_is_refused(assessment, new_case):
    case_id, worker = assessed(assessment, new_case, "medium")
    response = post(assessment, case_id, "/plan", plan(5), headers("worker", worker))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert (problem["rule"], problem["domain_rule"]) == ("JX-7.2.1", "M-4")
    assert [v["code"] for v in problem["violations"]] == ["too_few_sessions"]


def test_a_high_risk_plan_with_fewer_than_twelve_sessions_is_refused(assessment, new_case):
    case_id, worker = assessed(assessment, new_case, "high")
    response = post(assessment, case_id, "/plan", plan(11), headers("worker", worker))
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == "JX-7.3"
    assert [v["code"] for v in response.json()["violations"]] == ["below_risk_minimum"]


def test_a_plan_without_informed_consent_is_refused(assessment, new_case):
    case_id, worker = assessed(assessment, new_case)
    response = post(assessment, case_id, "/plan", plan(6, consent=None), headers("worker", worker))
    assert response.status_code == 422
    assert response.json()["rule"] == "JX-7.2.3"


def test_the_agreement_reaches_kafka_keyed_by_the_case_with_what_notify_reads(assessment, new_case):
    case_id, worker = agreed(assessment, new_case, "high", 12)
    events = published(f"mental-health-{case_id}", 5)
    by_type = {e["type"]: e for _, _, e in events}
    assert {key for _, key, _ in events} == {case_id}

    graded = by_type["assessment.mental_health_assessment.risk_graded.v1"]
    assert (graded["data"]["case_id"], graded["data"]["risk_level"]) == (case_id, "high")
    signed = by_type["assessment.service_plan.agreement_signed.v1"]
    data = signed["data"]
    assert (data["case_id"], data["risk_level"], data["planned_sessions"]) == (case_id, "high", 12)
    assert (data["minimum_sessions"], data["worker_id"]) == (12, worker)
    assert signed["key_scope"] == case_id

    everything = json.dumps(events, ensure_ascii=False)
    assert SECRET not in everything  # free text of Appendices A and B is encrypted

    view = get(assessment, f"/v1/cases/{case_id}/mental-health", headers("worker", worker)).json()
    assert (view["phase"], view["sessions"]["required"], view["sessions"]["done"]) == (
        "in_service",
        12,
        0,
    )
    assert {"start_service", "start_service_high_risk"} <= {d["code"] for d in view["due"]}


# --- M-7: sessions ------------------------------------------------------------------------------


def test_sessions_count_against_the_plan_and_the_next_one_falls_due_a_week_later(
    assessment, new_case
):
    case_id, worker = agreed(assessment, new_case)
    start = datetime(2025, 6, 9, 15, 0, tzinfo=UTC)
    for week in range(3):
        body = session(start + timedelta(days=7 * week), worker)
        response = post(assessment, case_id, "/sessions", body, headers("worker", worker))
        assert response.status_code == 201, response.text
    view = response.json()
    assert (view["sessions"]["done"], view["sessions"]["required"]) == (3, 6)
    due = {d["code"]: d for d in view["due"]}
    assert due["next_session"]["due_at"].startswith("2025-06-30T15:00")
    assert due["midterm_review"]["domain_rule"] == "M-8"
    listed = get(
        assessment, f"/v1/cases/{case_id}/mental-health/sessions", headers("worker", worker)
    )
    assert [s["number"] for s in listed.json()] == [1, 2, 3]
    assert SECRET not in listed.text


def test_a_session_of_three_hours_is_refused(assessment, new_case):
    case_id, worker = agreed(assessment, new_case)
    body = session(datetime(2025, 6, 9, 15, 0, tzinfo=UTC), worker, minutes=180)
    response = post(assessment, case_id, "/sessions", body, headers("worker", worker))
    assert response.status_code == 422
    assert [v["code"] for v in response.json()["violations"]] == ["session_length"]


# --- M-6: change of worker ------------------------------------------------------------------------


def test_a_worker_change_without_consent_is_refused_and_with_consent_moves_the_case(
    assessment, new_case
):
    successor = new_worker()  # on the case's team: it may hold the case (M-6)
    case_id, worker = agreed(assessment, new_case, "medium", 6, successor)
    refused = post(
        assessment, case_id, "/worker-changes", {"to_worker": successor}, headers("worker", worker)
    )
    assert refused.status_code == 422, refused.text
    assert (refused.json()["rule"], refused.json()["domain_rule"]) == ("JX-7.3", "M-6")

    consent = {"given": True, "by": "client", "recorded_at": "2025-06-10T10:00:00+08:00"}
    body = {"to_worker": successor, "consent": consent}
    moved = post(assessment, case_id, "/worker-changes", body, headers("worker", worker))
    assert moved.status_code == 201, moved.text
    assert moved.json()["worker_id"] == successor
    load = get(assessment, f"/v1/workers/{successor}/caseload", headers("worker", successor))
    assert [c["case_id"] for c in load.json()["cases"]] == [case_id]
    gone = get(assessment, f"/v1/cases/{case_id}/mental-health", headers("worker", worker))
    assert gone.status_code == 404  # a worker sees the cases they hold


# --- supervisor approval --------------------------------------------------------------------------


def test_an_assessment_goes_to_the_supervisors_queue_is_returned_then_approved(
    assessment, new_case
):
    worker = new_worker()
    case_id = new_case(worker)
    grade(assessment, case_id, worker, "medium")
    item = take_on(assessment, case_id, worker).json()["pending"]["item_id"]
    queue = get(assessment, "/v1/supervision/queue", headers("supervisor", SUPERVISOR)).json()
    assert {"item_id": item, "case_id": case_id, "kind": "feasibility"}.items() <= next(
        q for q in queue if q["item_id"] == item
    ).items()

    body = {"item_id": item, "decision": "approve"}
    as_worker = post(assessment, case_id, "/reviews", body, headers("worker", worker))
    assert as_worker.status_code == 403

    silent = approve(assessment, case_id, item, decision="return")
    assert silent.status_code == 422 and silent.json()["rule"] == "JX-7.1.3"
    returned = approve(assessment, case_id, item, decision="return", comments="合成：补充家庭情况")
    assert returned.status_code == 201, returned.text
    assert returned.json()["pending"]["returned"] is True
    queue = get(assessment, "/v1/supervision/queue", headers("supervisor", SUPERVISOR)).json()
    assert item not in {q["item_id"] for q in queue}

    again = take_on(assessment, case_id, worker).json()["pending"]["item_id"]
    stale = approve(assessment, case_id, item)
    assert stale.status_code == 409
    approved = approve(assessment, case_id, again)
    assert approved.status_code == 201, approved.text
    assert (approved.json()["phase"], approved.json()["pending"]) == ("assessed", None)


def test_a_supervisor_may_not_approve_what_they_submitted(assessment, new_case):
    worker = new_worker()
    case_id = new_case(worker)
    body = {**feasibility(), "worker_id": worker}
    who = headers("supervisor", OTHER_SUPERVISOR)
    item = post(assessment, case_id, "/feasibility", body, who).json()["pending"]["item_id"]
    review = {"item_id": item, "decision": "approve"}
    response = post(assessment, case_id, "/reviews", review, who)
    assert response.status_code == 422
    assert [v["code"] for v in response.json()["violations"]] == ["own_submission"]


def test_another_organisation_neither_sees_nor_acts_on_the_case(assessment, new_case):
    case_id, _ = assessed(assessment, new_case)
    outsider = headers("supervisor", "s-synthetic-other", org="org-synthetic-other")
    assert get(assessment, f"/v1/cases/{case_id}/mental-health", outsider).status_code == 404
    assert post(assessment, case_id, "/plan", plan(6), outsider).status_code == 404


def test_a_case_is_closed_on_the_supervisors_approval_with_its_indicators(assessment, new_case):
    case_id, worker = agreed(assessment, new_case)
    start = datetime(2025, 6, 9, 15, 0, tzinfo=UTC)
    for week in range(6):
        body = session(start + timedelta(days=7 * week), worker)
        assert (
            post(assessment, case_id, "/sessions", body, headers("worker", worker)).status_code
            == 201
        )
    closure = {
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
    submitted = post(assessment, case_id, "/closure", closure, headers("worker", worker))
    assert submitted.status_code == 201, submitted.text
    closed = approve(assessment, case_id, submitted.json()["pending"]["item_id"])
    assert closed.status_code == 201, closed.text
    assert closed.json()["phase"] == "closed"
    assert [d["code"] for d in closed.json()["due"]] == ["post_closure_follow_up"]
    assert (
        post(
            assessment,
            case_id,
            "/full-closure",
            {"conditions_met": True},
            headers("worker", worker),
        ).json()["rule"]
        == "SZ-6.6"
    )  # no follow-up yet
    followed = post(
        assessment, case_id, "/follow-ups", {"method": "phone"}, headers("worker", worker)
    )
    assert followed.status_code == 201, followed.text
    final = post(
        assessment, case_id, "/full-closure", {"conditions_met": True}, headers("worker", worker)
    )
    assert final.status_code == 201, final.text
    assert (final.json()["followups_done"], final.json()["due"]) == (1, [])

    events = published(f"mental-health-{case_id}", 15)
    assert [e["type"] for _, _, e in events][-2:] == [
        "assessment.closure.followup_recorded.v1",
        "assessment.closure.fully_closed.v1",
    ]
    [recorded] = [e for _, _, e in events if e["type"] == "assessment.closure.recorded.v1"]
    assert recorded["data"]["indicators"]["plan_completion_rate"] == 1.0
    assert recorded["data"]["indicators"]["same_instrument_as_intake"] is True
    load = get(assessment, f"/v1/workers/{worker}/caseload", headers("worker", worker))
    assert load.json()["open_cases"] == 0


def test_ten_cases_offered_at_once_to_one_worker_give_exactly_eight_open_cases(assessment, service):
    worker = new_worker()
    cases = new_cases(service, 10, worker)

    async def offer_all() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            requests = [
                client.post(
                    f"{assessment.url}/v1/cases/{case_id}/mental-health/feasibility",
                    json=feasibility(),
                    headers=headers("worker", worker),
                )
                for case_id in cases
            ]
            return [r.status_code for r in await asyncio.gather(*requests)]

    statuses = asyncio.run(offer_all())
    assert sorted(statuses) == [201] * 8 + [409] * 2
    load = get(assessment, f"/v1/workers/{worker}/caseload", headers("worker", worker)).json()
    assert load["open_cases"] == 8


def test_a_retried_grading_with_the_same_idempotency_key_is_recorded_once(assessment, new_case):
    worker = new_worker()
    case_id = new_case(worker)
    body = {"risk_level": "medium", "instrument": "SDQ"}
    who = {**headers("worker", worker), "Idempotency-Key": f"retry-{uuid4()}"}
    first = post(assessment, case_id, "/risk-gradings", body, who)
    again = post(assessment, case_id, "/risk-gradings", body, who)
    assert first.status_code == again.status_code == 201
    assert again.json()["version"] == first.json()["version"] == 1


def test_a_retried_client_request_names_the_request_it_recorded_first(assessment, new_case):
    """Ids derive from the Idempotency-Key: a retry answers with the first request's Location
    and records nothing more."""
    case_id, worker = agreed(assessment, new_case)
    who = {**headers("worker", worker), "Idempotency-Key": f"retry-{uuid4()}"}
    body = {"kind": "pause", "detail": SECRET}
    first = post(assessment, case_id, "/client-requests", body, who)
    again = post(assessment, case_id, "/client-requests", body, who)
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["location"] == first.headers["location"]
    assert again.json() == first.json()
    request_id = first.headers["location"].rsplit("/", 1)[-1]
    path = f"/client-requests/{request_id}/report"
    reported = post(assessment, case_id, path, {}, headers("worker", worker))
    assert reported.status_code == 201, reported.text


def test_one_key_on_two_routes_of_a_case_records_both(assessment, new_case):
    """A key is the caller's for one action: sent again to another route it is no retry, and
    nothing is silently dropped."""
    worker = new_worker()
    case_id = new_case(worker)
    who = {**headers("worker", worker), "Idempotency-Key": f"shared-{uuid4()}"}
    graded = post(
        assessment, case_id, "/risk-gradings", {"risk_level": "high", "instrument": "SDQ"}, who
    )
    assert graded.status_code == 201, graded.text
    taken = post(assessment, case_id, "/feasibility", feasibility(), who)
    assert taken.status_code == 201, taken.text
    assert taken.json()["pending"] is not None and taken.json()["worker_id"] == worker


def test_a_session_dated_in_9999_is_a_422_not_a_500(assessment, new_case):
    case_id, worker = agreed(assessment, new_case)
    body = session(datetime(9999, 12, 30, 15, 0, tzinfo=UTC), worker)
    response = post(assessment, case_id, "/sessions", body, headers("worker", worker))
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == "ARCHITECTURE-security-bad-input"
    assert {v["field"] for v in response.json()["violations"]} == {
        "form.started_at",
        "form.ended_at",
    }
    view = get(assessment, f"/v1/cases/{case_id}/mental-health", headers("worker", worker))
    assert view.json()["sessions"]["done"] == 0
