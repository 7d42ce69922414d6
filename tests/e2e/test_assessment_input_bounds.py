"""Dates, numbers and text sizes out of range over HTTP against the real assessment process
(ARCHITECTURE, Security: bad input is a 422 problem naming the field, never a 500 or a stored
event). Records of what happened lie between 2000-01-01 and now; only a plan's period and an
order's start may lie ahead, and not far. All data synthetic."""

import json
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.e2e.assessment_support import auth, case_factory, running
from tests.e2e.conftest import Running
from tests.e2e.test_assessment_mental_health import feasibility

ORG = "org-synthetic-bounds"
BIG = "合" * 100_000  # 300 KB of UTF-8 in one field
FE_SCORES = {"personal_traits": 5, "motivation": 5, "stress_coping": 7, "family_function": 5}
FE_SCORES |= {"social_resources": 2, "parenting": 4}
ORDER = {
    "ordered_by": "合成区公安分局",
    "starts_on": "2025-06-02",
    "months": 3,
    "assessment": {"scores": {g: [9] * n for g, n in FE_SCORES.items()}},
}
PAIR = [{"worker_id": "w-1", "gender": "female"}, {"worker_id": "w-2", "gender": "male"}]
GRADING = {"risk_level": "medium", "instrument": "SDQ"}


@pytest.fixture(scope="module")
def service(stack, tmp_path_factory) -> Iterator[tuple[Running, str]]:
    """The assessment service on a new database of its own, ready."""
    with running(stack, tmp_path_factory.mktemp("bounds-logs"), "assessment") as up:
        yield up["assessment"]


@pytest.fixture(scope="module")
def assessment(service) -> Running:
    return service[0]


@pytest.fixture(scope="module")
def new_case(service) -> Callable[[], str]:
    """Cases intake opened in ORG, assigned to `dev-worker`."""
    return case_factory(service[1], ORG)


def post(service: Running, path: str, body: dict[str, Any], role: str = "worker") -> httpx.Response:
    return httpx.post(f"{service.url}{path}", json=body, headers=auth(role, ORG), timeout=30)


def refused(response: httpx.Response, field: str) -> None:
    """A 422 problem naming `field`, whether pydantic or the bounds refused it."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    named = [e["field"] for e in problem.get("errors", [])]
    named += [v["field"] for v in problem.get("violations", [])]
    assert any(field in (n or "") for n in named), problem


# --- compulsory family education (SZ-6.4.4) -----------------------------------------------------


def test_an_order_starting_9999_12_01_for_60_months_is_a_422_not_a_500(assessment, new_case):
    base = f"/v1/cases/{new_case()}/family-education-orders"
    refused(post(assessment, base, {**ORDER, "starts_on": "9999-12-01", "months": 60}), "starts_on")
    refused(post(assessment, base, {**ORDER, "starts_on": "1999-12-31"}), "starts_on")
    assert httpx.get(f"{assessment.url}{base}", headers=auth(org=ORG)).json() == []


def test_guidance_and_completion_dated_in_9999_are_refused(assessment, new_case):
    base = f"/v1/cases/{new_case()}/family-education-orders"
    order = post(assessment, base, ORDER).json()  # 4 hours (total 252, table I.1)
    path = f"{base}/{order['order_id']}"
    late = {"kind": "individual", "hours": 4, "held_on": "9999-12-31"}
    refused(post(assessment, f"{path}/guidance", late), "held_on")
    assert (
        post(assessment, f"{path}/guidance", {**late, "held_on": "2025-06-16"}).status_code == 201
    )
    refused(post(assessment, f"{path}/completion", {"completed_on": "9999-12-31"}), "completed_on")


# --- mental-health service (JX) ----------------------------------------------------------------


def test_a_risk_grading_dated_in_9999_or_before_2000_is_refused(assessment, new_case):
    base = f"/v1/cases/{new_case()}/mental-health/risk-gradings"
    refused(
        post(assessment, base, {**GRADING, "assessed_at": "9999-12-31T23:00:00Z"}), "assessed_at"
    )
    refused(
        post(assessment, base, {**GRADING, "assessed_at": "1999-12-31T00:00:00Z"}), "assessed_at"
    )
    refused(
        post(assessment, base, {**GRADING, "assessed_at": "2099-01-01T00:00:00Z"}), "assessed_at"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"intake_measure": {"instrument": "SDQ", "measured_on": "0001-01-01"}}, "measured_on"),
        ({"accepted_on": "9999-12-31"}, "accepted_on"),
        ({"previous_counselling_sessions": 10**30}, "previous_counselling_sessions"),
    ],
)
def test_a_feasibility_form_out_of_range_is_refused(assessment, new_case, change, field):
    body = feasibility(**change)
    refused(post(assessment, f"/v1/cases/{new_case()}/mental-health/feasibility", body), field)


@pytest.mark.parametrize("score", [1e308, float("inf"), float("nan")])
def test_a_test_score_that_is_no_sane_number_is_refused(assessment, new_case, score):
    body = feasibility_text(measure={"scores": {"sdq": score}})
    url = f"{assessment.url}/v1/cases/{new_case()}/mental-health/feasibility"
    content = json.dumps(body)  # NaN and Infinity as Python writes them, which the edge parses
    response = httpx.post(
        url, content=content, headers={**auth(org=ORG), "content-type": "application/json"}
    )
    refused(response, "scores")


# --- safety and guardianship assessments ----------------------------------------------------------


def test_an_expected_version_beyond_any_stream_is_refused(assessment, new_case):
    body = {"assessors": PAIR, "child_gender": "female", "inputs": {}, "expected_version": 10**30}
    refused(
        post(assessment, f"/v1/cases/{new_case()}/safety-assessments", body), "expected_version"
    )


# --- 300 KB in any text field ---------------------------------------------------------------


def feasibility_text(**boxes: Any) -> dict[str, Any]:
    """An Appendix A form whose text boxes are changed by `boxes`."""
    body = feasibility()
    body["form"]["text"].update(boxes)
    return body


TEXT_FIELDS: list[tuple[str, str, dict[str, Any], str]] = [
    ("safety notes", "/safety-assessments", {"assessors": PAIR, "notes": BIG}, "notes"),
    (
        "guardianship finding",
        "/guardianship-assessments",
        {"assessors": PAIR, "findings": {"items": {"child_care": BIG}}},
        "findings",
    ),
    ("risk-grading notes", "/mental-health/risk-gradings", {**GRADING, "notes": BIG}, "notes"),
    (
        "designated by",
        "/mental-health/risk-gradings",
        {**GRADING, "designated_by": BIG},
        "designated_by",
    ),
    (
        "feasibility box",
        "/mental-health/feasibility",
        feasibility_text(main_problems=BIG),
        "main_problems",
    ),
    (
        "score name",
        "/mental-health/feasibility",
        feasibility_text(measure={"scores": {BIG: 1.0}}),
        "scores",
    ),
    (
        "client request",
        "/mental-health/client-requests",
        {"kind": "pause", "detail": BIG},
        "detail",
    ),
    ("follow-up notes", "/mental-health/follow-ups", {"method": "phone", "notes": BIG}, "notes"),
    ("guardian", "/family-education-orders", {**ORDER, "guardian": BIG}, "guardian"),
    ("ordered by", "/family-education-orders", {**ORDER, "ordered_by": BIG}, "ordered_by"),
    (
        "guidance kind",
        "/family-education-orders/o-1/guidance",
        {"kind": BIG, "hours": 1, "held_on": "2025-06-16"},
        "kind",
    ),
    (
        "extension reason",
        "/family-education-orders/o-1/extensions",
        {"months": 3, "reason": BIG},
        "reason",
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "field"), [t[1:] for t in TEXT_FIELDS], ids=[t[0] for t in TEXT_FIELDS]
)
def test_300_kb_in_a_text_field_is_a_422(assessment, new_case, path, body, field):
    refused(post(assessment, f"/v1/cases/{new_case()}{path}", body), field)


def test_300_kb_of_review_comments_is_a_422(assessment, new_case):
    case_id = new_case()
    body = {"item_id": f"i-{uuid4()}", "decision": "return", "comments": BIG}
    refused(
        post(assessment, f"/v1/cases/{case_id}/mental-health/reviews", body, "supervisor"),
        "comments",
    )
    body = {"decision": "return", "comments": BIG}
    url = f"/v1/cases/{case_id}/safety-assessments/a-1/review"
    refused(post(assessment, url, body, "supervisor"), "comments")
