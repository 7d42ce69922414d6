"""Every error a service returns is an RFC 9457 problem document."""

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from events.errors import ConcurrencyError, EventTooLarge, IdempotencyConflict
from events.problems import (
    PROBLEM_BASE,
    Problem,
    install_problem_handlers,
    problem_response,
)

PROBLEM_JSON = "application/problem+json"


class Neglect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    neglect: int


class Assessment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    b2: Neglect


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/assessments")
    async def submit(assessment: Assessment) -> dict[str, int]:
        return {"neglect": assessment.b2.neglect}

    @app.get("/items")
    async def items(limit: int = 10) -> dict[str, int]:
        return {"limit": limit}

    @app.get("/refusal")
    async def refusal() -> None:
        raise Problem(
            422,
            "calendar-year-unknown",
            "Calendar year unknown",
            "No rules are loaded for 2031.",
            rule="SZ-6.2.1",
            year=2031,
        )

    @app.get("/conflict")
    async def conflict() -> None:
        raise ConcurrencyError("case-1", expected=3, actual=5)

    @app.get("/replayed")
    async def replayed() -> None:
        raise IdempotencyConflict("event id reused")

    @app.get("/huge")
    async def huge() -> None:
        raise EventTooLarge("careledger.case.noted.v1", 2_000_000, 1_000_000)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    return app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(make_app(), raise_server_exceptions=False)


def test_an_unknown_field_is_refused_with_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/assessments", json={"b2": {"neglect": 1, "abuse": 2}})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "validation-error"
    assert body["status"] == 422
    assert body["instance"] == "/assessments"
    assert [(e["field"], e["type"]) for e in body["errors"]] == [("b2.abuse", "extra_forbidden")]


def test_a_wrong_type_is_refused_with_422_without_echoing_the_input(client: TestClient) -> None:
    response = client.post("/assessments", json={"b2": {"neglect": "a child's name"}})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "b2.neglect"
    assert body["errors"][0]["message"]
    assert "a child's name" not in response.text


def test_a_bad_query_parameter_is_named_without_its_location(client: TestClient) -> None:
    response = client.get("/items", params={"limit": "many"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_a_missing_body_is_reported_as_the_body(client: TestClient) -> None:
    response = client.post("/assessments")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "not-found"
    assert body["title"] == "Not Found"
    assert body["status"] == 404


def test_a_wrong_method_is_a_405_problem_that_keeps_the_allow_header(client: TestClient) -> None:
    response = client.delete("/items")
    assert response.status_code == 405
    assert response.json()["type"] == PROBLEM_BASE + "method-not-allowed"
    assert "GET" in response.headers["allow"]


def test_a_raised_problem_carries_its_rule_and_extra_members(client: TestClient) -> None:
    response = client.get("/refusal")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": PROBLEM_BASE + "calendar-year-unknown",
        "title": "Calendar year unknown",
        "status": 422,
        "detail": "No rules are loaded for 2031.",
        "instance": "/refusal",
        "rule": "SZ-6.2.1",
        "year": 2031,
    }


def test_a_concurrency_error_is_a_409_conflict_with_both_versions(client: TestClient) -> None:
    response = client.get("/conflict")
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "conflict"
    assert (body["expected_version"], body["actual_version"]) == (3, 5)


def test_a_reused_idempotency_key_with_other_content_is_a_409(client: TestClient) -> None:
    response = client.get("/replayed")
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM_BASE + "idempotency-conflict"


def test_an_event_too_large_to_publish_is_a_413_problem_with_the_limit(
    client: TestClient,
) -> None:
    """Issue 11, item 5: refused at append with a clear error, never a 500."""
    response = client.get("/huge")
    assert response.status_code == 413
    assert response.json()["type"] == PROBLEM_BASE + "event-too-large"
    assert response.json()["limit_bytes"] == 1_000_000


def test_an_unexpected_error_is_a_500_problem_that_hides_internals(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="events.problems"):
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == PROBLEM_BASE + "internal-error"
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert any(record.exc_info for record in caplog.records), "the traceback must be logged"


def test_problem_response_sets_headers_and_falls_back_to_the_title() -> None:
    response = problem_response(
        401, "unauthorized", "Authentication required", headers={"WWW-Authenticate": "Bearer"}
    )
    assert response.status_code == 401
    assert response.media_type == PROBLEM_JSON
    assert response.headers["www-authenticate"] == "Bearer"
    assert b'"detail":"Authentication required"' in response.body


def test_an_extension_member_may_not_redefine_a_standard_member() -> None:
    with pytest.raises(ValueError, match="type"):
        Problem(400, "bad", "Bad", type="https://elsewhere.example/")
