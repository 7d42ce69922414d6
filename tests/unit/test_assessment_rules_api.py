"""The rule evaluators over HTTP (`/v1/rules/...:evaluate`): pure, authenticated, and refusing
bad input with a problem body that names the field. No database, no broker."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assessment.api import rules
from assessment.domain import (
    FamilyEducationInput,
    SafetyRiskInput,
    evaluate_family_education,
    evaluate_safety_risk,
)
from events import devissuer
from events.auth import ROLES, TokenVerifier
from events.problems import PROBLEM_BASE, install_problem_handlers

SAFETY = "/v1/rules/safety-risk:evaluate"
HOURS = "/v1/rules/family-education-hours:evaluate"
PROBLEM_JSON = "application/problem+json"
GROUP_SIZES = {
    "personal_traits": 5,
    "motivation": 5,
    "stress_coping": 7,
    "family_function": 5,
    "social_resources": 2,
    "parenting": 4,
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv(devissuer.DIR_ENV, str(tmp_path_factory.mktemp("dev-issuer")))
        app = FastAPI()
        install_problem_handlers(app)
        app.state.verifier = TokenVerifier(devissuer.dev_auth_config())
        app.include_router(rules.router)
        with TestClient(app) as test_client:
            test_client.headers["Authorization"] = f"Bearer {token('worker')}"
            yield test_client


def token(role: str) -> str:
    return devissuer.issue_token(role, org="org-synthetic")


def scores(value: int = 5) -> dict[str, list[int]]:
    return {group: [value] * size for group, size in GROUP_SIZES.items()}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def failed_fields(response: Any) -> list[str]:
    body = problem(response, 422)
    assert body["type"] == PROBLEM_BASE + "validation-error"
    return [error["field"] for error in body["errors"]]


# --- routing of the `:evaluate` paths ------------------------------------------------------


def test_the_colon_in_an_evaluate_path_is_routed_as_a_literal(client):
    paths = client.app.openapi()["paths"]
    assert {SAFETY, HOURS} <= paths.keys()
    assert client.post(SAFETY, json={}).status_code == 200
    assert client.post(HOURS, json={"scores": scores()}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/v1/rules/safety-risk",
        "/v1/rules/safety-risk:grade",
        "/v1/rules/safety-risk:evaluate/extra",
        "/v1/rules/family-education-hours",
        "/v1/rules/safety-risk%3Aevaluated",
    ],
)
def test_a_near_miss_of_an_evaluate_path_is_not_found(client, path):
    assert problem(client.post(path, json={}), 404)["type"] == PROBLEM_BASE + "not-found"


def test_an_escaped_colon_reaches_the_same_evaluator(client):
    response = client.post("/v1/rules/safety-risk%3Aevaluate", json={})
    assert response.status_code == 200
    assert response.json()["grade"] == "A"


def test_reading_an_evaluator_with_get_is_a_method_not_allowed_problem(client):
    assert problem(client.get(SAFETY), 405)["type"] == PROBLEM_BASE + "method-not-allowed"


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SAFETY, HOURS])
def test_an_evaluator_without_a_token_is_refused(client, path):
    response = client.post(path, json={}, headers={"Authorization": ""})
    assert problem(response, 401)["type"] == PROBLEM_BASE + "unauthorized"


def test_an_evaluator_with_a_forged_token_is_refused(client):
    response = client.post(SAFETY, json={}, headers={"Authorization": "Bearer not.a.token"})
    assert problem(response, 401)["type"] == PROBLEM_BASE + "unauthorized"


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_role_may_use_the_evaluators(client, role):
    headers = {"Authorization": f"Bearer {token(role)}"}
    assert client.post(SAFETY, json={}, headers=headers).status_code == 200
    assert client.post(HOURS, json={"scores": scores()}, headers=headers).status_code == 200


# --- safety risk (SZ-2023-B) -----------------------------------------------------------------


def test_an_assessment_with_nothing_rated_is_graded_low(client):
    body = client.post(SAFETY, json={}).json()
    assert body["rule_set"] == "SZ-2023-B"
    assert body["grade"] == "A"
    assert body["label"] == "低危"


def test_a_true_b1_item_grades_critical_and_names_its_clause(client):
    response = client.post(SAFETY, json={"b1": {"abandonment_6_months": True}})
    assert response.status_code == 200
    body = response.json()
    assert body["grade"] == "D"
    assert body["decided_by"] == [{"item": "b1.abandonment_6_months", "clause": "SZ-B.1-3"}]


def test_a_c_rating_with_a_life_threatening_event_escalates_to_critical(client):
    payload = {"b2": {"neglect": "C"}, "life_threatening_event": True}
    body = client.post(SAFETY, json=payload).json()
    assert body["grade"] == "D"
    assert {"item": "life_threatening_event", "clause": "SZ-B.2-note"} in body["decided_by"]


def test_the_http_answer_is_exactly_the_evaluators_answer(client):
    payload = {
        "b2": {"physical_or_sexual_abuse": "B", "motive": "A"},
        "b3": {"cooperation": "C", "stress_crisis": "B"},
    }
    expected = evaluate_safety_risk(SafetyRiskInput.model_validate(payload))
    response = client.post(SAFETY, json=payload)
    assert response.headers["content-type"] == "application/json"
    assert response.json() == expected.model_dump(mode="json")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"b2": {"neglect": "D"}}, "b2.neglect"),
        ({"b2": {"neglect": 3}}, "b2.neglect"),
        ({"b2": {"neglect": "c"}}, "b2.neglect"),
        ({"b1": {"abetting_crime": "yes"}}, "b1.abetting_crime"),
        ({"b1": {"abetting_crime": 1}}, "b1.abetting_crime"),
        ({"b3": {"cooperation": "X"}}, "b3.cooperation"),
        ({"life_threatening_event": "true"}, "life_threatening_event"),
        ({"b2": {"neglect": "A", "poverty": "B"}}, "b2.poverty"),
        ({"b1": ["sexual_abuse_or_violence"]}, "b1"),
        ({"b4": {}}, "b4"),
    ],
)
def test_bad_safety_input_is_a_422_problem_naming_the_field(client, payload, field):
    assert field in failed_fields(client.post(SAFETY, json=payload))


def test_every_bad_field_of_one_request_is_named(client):
    payload = {"b1": {"abetting_crime": "no"}, "b2": {"neglect": "E"}, "extra": 1}
    fields = failed_fields(client.post(SAFETY, json=payload))
    assert sorted(fields) == ["b1.abetting_crime", "b2.neglect", "extra"]


def test_a_refused_request_does_not_echo_the_input(client):
    secret = "synthetic-secret-value"
    response = client.post(SAFETY, json={"b2": {"neglect": secret}})
    assert secret not in response.text


@pytest.mark.parametrize(
    "content",
    [b"not json", b"", b"[]", b'"b1"', b"null"],
)
def test_a_body_that_is_not_a_json_object_is_a_422_problem(client, content):
    response = client.post(SAFETY, content=content, headers={"Content-Type": "application/json"})
    assert problem(response, 422)["type"].endswith("/validation-error")


# --- family-education hours (SZ-2023-I) ------------------------------------------------------


def test_scores_of_five_recommend_the_band_of_their_total(client):
    response = client.post(HOURS, json={"scores": scores(5)})
    assert response.status_code == 200
    body = response.json()
    assert body["rule_set"] == "SZ-2023-I"
    assert body["total"] == 140
    assert (body["hours_min"], body["hours_max"]) == (13, 25)
    assert body["band_clause"] == "SZ-I.1-band2"


def test_the_hours_answer_is_exactly_the_evaluators_answer(client):
    payload = {"scores": scores(2)}
    expected = evaluate_family_education(FamilyEducationInput.model_validate(payload))
    assert client.post(HOURS, json=payload).json() == expected.model_dump(mode="json")


def test_many_unassessed_items_ask_for_reassessment(client):
    payload = {"scores": {**scores(9), "stress_coping": [0] * 7}}
    body = client.post(HOURS, json=payload).json()
    assert body["unassessed_items"] == 7
    assert body["needs_reassessment"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"motivation": [5, 5, 10, 5, 5]}, "scores.motivation.2"),
        ({"motivation": [5, 5, -1, 5, 5]}, "scores.motivation.2"),
        ({"motivation": [5, 5, 5.5, 5, 5]}, "scores.motivation.2"),
        ({"motivation": [5, 5, "5", 5, 5]}, "scores.motivation.2"),
        ({"motivation": [5, 5, 5, 5]}, "scores.motivation"),
        ({"parenting": [5] * 5}, "scores.parenting"),
        ({"hobbies": [5]}, "scores.hobbies"),
        ({"social_resources": None}, "scores.social_resources"),
    ],
)
def test_bad_scores_are_a_422_problem_naming_the_field(client, change, field):
    payload = {"scores": {**scores(), **change}}
    assert field in failed_fields(client.post(HOURS, json=payload))


def test_a_missing_score_group_is_named(client):
    payload = {"scores": {k: v for k, v in scores().items() if k != "stress_coping"}}
    assert failed_fields(client.post(HOURS, json=payload)) == ["scores.stress_coping"]


def test_hours_without_scores_is_a_422_problem(client):
    assert failed_fields(client.post(HOURS, json={})) == ["scores"]


def test_an_unknown_top_level_field_of_the_hours_input_is_named(client):
    assert "total" in failed_fields(client.post(HOURS, json={"scores": scores(), "total": 1}))
