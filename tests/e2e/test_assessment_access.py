"""The record-level rule on every case route of assessment over HTTP against the real process
(ARCHITECTURE, Security): a worker reaches the cases intake assigned to them, a supervisor their
organisation's, and a case intake never opened is nobody's, its first write included. Every
refusal is the same 404, so whether a case exists is not disclosed. The case's organisation and
team reach assessment as intake publishes them (`intake.case.opened`, `.team_assigned`) on the
local broker. All data synthetic."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.e2e.assessment_support import auth, open_cases, running
from tests.e2e.conftest import Running
from tests.e2e.test_assessment_mental_health import feasibility, plan, session

ORG = "org-synthetic-access"
MEMBER = "w-synthetic-access-member"
OUTSIDER = "w-synthetic-access-outsider"  # of the organisation, not on the case's team
RULE = "ARCHITECTURE-security-record-level"
SESSION = session(datetime(2025, 6, 9, 15, 0, tzinfo=UTC), MEMBER)
ORDER = {
    "ordered_by": "合成区公安分局",
    "starts_on": "2025-06-02",
    "months": 3,
    "assessment": {
        "scores": {
            g: [9] * n
            for g, n in {
                "personal_traits": 5,
                "motivation": 5,
                "stress_coping": 7,
                "family_function": 5,
                "social_resources": 2,
                "parenting": 4,
            }.items()
        }
    },
}
TEAM_ASSESSMENT = {
    "assessors": [{"worker_id": MEMBER, "gender": "female"}],
    "child_gender": "female",
    "inputs": {},
}
CLOSURE = {
    "form": {
        "reason": "agreed_end",
        "text": {"summary": "合成", "change": "合成", "reflection": "合成"},
    }
}
GUIDANCE = {"kind": "individual", "hours": 1, "held_on": "2025-06-16"}
READS = [
    "/risk",
    "/guardianship",
    "/tasks",
    "/mental-health",
    "/mental-health/sessions",
    "/family-education-orders",
]
WRITES: list[tuple[str, dict[str, Any]]] = [
    ("/safety-assessments", TEAM_ASSESSMENT),
    ("/guardianship-assessments", {**TEAM_ASSESSMENT, "inputs": {"conclusion": "capable"}}),
    ("/tasks/t-synthetic/completion", {}),
    ("/mental-health/risk-gradings", {"risk_level": "medium", "instrument": "SDQ"}),
    ("/mental-health/feasibility", feasibility()),
    ("/mental-health/plan", plan(6)),
    ("/mental-health/sessions", SESSION),
    ("/mental-health/worker-changes", {"to_worker": MEMBER}),
    ("/mental-health/client-requests", {"kind": "pause"}),
    ("/mental-health/client-requests/r-synthetic/report", {}),
    ("/mental-health/adjustments", {"reason": "worker_decision"}),
    ("/mental-health/closure", CLOSURE),
    ("/mental-health/follow-ups", {"method": "phone"}),
    ("/mental-health/full-closure", {"conditions_met": True}),
    ("/family-education-orders", ORDER),
    ("/family-education-orders/o-synthetic/guidance", GUIDANCE),
    ("/family-education-orders/o-synthetic/extensions", {"months": 3}),
    ("/family-education-orders/o-synthetic/completion", {"completed_on": "2025-09-02"}),
]
SUPERVISING: list[tuple[str, dict[str, Any]]] = [
    ("/safety-assessments/a-synthetic/review", {"decision": "approve"}),
    ("/guardianship-assessments/a-synthetic/review", {"decision": "approve"}),
    ("/tasks/t-synthetic/cancellation", {}),
    ("/mental-health/reviews", {"item_id": "i-synthetic", "decision": "approve"}),
    (
        "/mental-health/midterm-reviews",
        {"trend": "improved", "decision": "continue"},
    ),
]


@pytest.fixture(scope="module")
def service(stack, tmp_path_factory) -> Iterator[tuple[Running, str]]:
    """The assessment service on a new database of its own, ready."""
    with running(stack, tmp_path_factory.mktemp("access-logs"), "assessment") as up:
        yield up["assessment"]


@pytest.fixture(scope="module")
def assessment(service) -> Running:
    return service[0]


@pytest.fixture(scope="module")
def new_case(service) -> Callable[[], str]:
    """A case intake opened in ORG with MEMBER (only) on its team."""

    def opened() -> str:
        case_id = f"case-{uuid4()}"
        open_cases(service[1], ORG, {case_id: [MEMBER]})
        return case_id

    return opened


@pytest.fixture(scope="module")
def case_id(new_case) -> str:
    """One case for the refusals: nothing refused is recorded, so they may share it."""
    return new_case()


def call(service: Running, case_id: str, path: str, body: dict | None, who: dict) -> httpx.Response:
    url = f"{service.url}/v1/cases/{case_id}{path}"
    if body is None:
        return httpx.get(url, headers=who, timeout=15)
    return httpx.post(url, json=body, headers=who, timeout=15)


def hidden(response: httpx.Response) -> dict[str, Any]:
    """The one problem every refusal of the rule answers with (nothing names the case)."""
    assert response.status_code == 404, response.text
    problem: dict[str, Any] = response.json()
    assert problem["rule"] == RULE
    return {k: v for k, v in problem.items() if k != "instance"}


EVERY_ROUTE = [(p, None) for p in READS] + WRITES + SUPERVISING
WORKER_ROUTES = [(p, None) for p in READS] + WRITES


@pytest.mark.parametrize(("path", "body"), WORKER_ROUTES, ids=[p for p, _ in WORKER_ROUTES])
def test_a_worker_off_the_team_gets_the_unknown_case_answer_on_every_route(
    assessment, case_id, path, body
):
    outsider = call(assessment, case_id, path, body, auth("worker", ORG, OUTSIDER))
    unknown = call(
        assessment, f"case-{uuid4()}", path, body, auth("supervisor", ORG, "sup-synthetic")
    )
    assert hidden(outsider) == hidden(unknown)


@pytest.mark.parametrize(("path", "body"), EVERY_ROUTE, ids=[p for p, _ in EVERY_ROUTE])
def test_a_supervisor_of_another_organisation_gets_the_unknown_case_answer(
    assessment, case_id, path, body
):
    other = call(assessment, case_id, path, body, auth("supervisor", "org-synthetic-z", "sup-z"))
    unknown = call(assessment, f"case-{uuid4()}", path, body, auth("supervisor", ORG, "sup-a"))
    assert hidden(other) == hidden(unknown)


def test_a_worker_off_the_team_cannot_take_the_mental_health_service_over(assessment, new_case):
    """The reported defect: an outsider's first grading and feasibility took the case over and
    left the assigned worker with a 404."""
    case_id = new_case()
    outsider = auth("worker", ORG, OUTSIDER)
    grading = {"risk_level": "medium", "instrument": "SDQ"}
    assert (
        call(assessment, case_id, "/mental-health/risk-gradings", grading, outsider).status_code
        == 404
    )
    taken = call(assessment, case_id, "/mental-health/feasibility", feasibility(), outsider)
    assert taken.status_code == 404

    member = auth("worker", ORG, MEMBER)
    assert call(assessment, case_id, "/mental-health", None, member).status_code == 404  # no stream
    graded = call(assessment, case_id, "/mental-health/risk-gradings", grading, member)
    assert graded.status_code == 201, graded.text
    assert graded.json()["version"] == 1  # nothing of the outsider's was recorded
    taken = call(assessment, case_id, "/mental-health/feasibility", feasibility(), member)
    assert taken.status_code == 201, taken.text
    assert taken.json()["worker_id"] == MEMBER
    assert call(assessment, case_id, "/mental-health", None, member).status_code == 200
    assert call(assessment, case_id, "/mental-health/sessions", None, member).status_code == 200


def test_a_worker_on_the_team_reaches_the_case(assessment, new_case):
    case_id = new_case()
    member = auth("worker", ORG, MEMBER)
    issued = call(assessment, case_id, "/family-education-orders", ORDER, member)
    assert issued.status_code == 201, issued.text
    for path in ("/family-education-orders", "/tasks"):
        assert call(assessment, case_id, path, None, member).status_code == 200


def test_an_unknown_case_is_not_created_by_a_supervisors_first_write(assessment):
    case_id = f"case-{uuid4()}"
    supervisor = auth("supervisor", ORG, "sup-synthetic")
    body = {**feasibility(), "worker_id": MEMBER}
    hidden(call(assessment, case_id, "/mental-health/feasibility", body, supervisor))
    hidden(call(assessment, case_id, "/family-education-orders", ORDER, supervisor))
    hidden(call(assessment, case_id, "/mental-health", None, supervisor))


def test_the_worker_a_case_is_given_to_must_be_on_its_team(assessment, new_case):
    """A supervisor names who takes the case on, a worker hands it over (M-6): either way to a
    worker of the team only, or the case would be held by someone who may not see it."""
    case_id = new_case()
    supervisor = auth("supervisor", ORG, "sup-synthetic")
    named = {**feasibility(), "worker_id": OUTSIDER}
    refused = call(assessment, case_id, "/mental-health/feasibility", named, supervisor)
    assert refused.status_code == 422, refused.text
    assert refused.json()["rule"] == RULE
    assert [v["code"] for v in refused.json()["violations"]] == ["worker_not_on_team"]
    named = {**feasibility(), "worker_id": MEMBER}
    assert (
        call(assessment, case_id, "/mental-health/feasibility", named, supervisor).status_code
        == 201
    )

    consent = {"given": True, "by": "client", "recorded_at": "2025-06-10T10:00:00+08:00"}
    change = {"to_worker": OUTSIDER, "consent": consent}
    handed = call(assessment, case_id, "/mental-health/worker-changes", change, supervisor)
    assert handed.status_code == 422, handed.text
    assert [v["code"] for v in handed.json()["violations"]] == ["worker_not_on_team"]
