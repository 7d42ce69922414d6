"""The assessment service as a real process answers the rule evaluators, with a development
token, and keeps answering them while its database or the broker cannot be reached."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from events import devissuer
from tests.conftest import _asyncpg_url, _create_database, _drop_database
from tests.e2e.assessment_support import running
from tests.e2e.conftest import Running, start_service, wait_until

SAFETY = "/v1/rules/safety-risk:evaluate"
HOURS = "/v1/rules/family-education-hours:evaluate"
NOWHERE_DB = "postgresql+asyncpg://careledger:x@127.0.0.1:1/nowhere"
NOWHERE_BROKER = "127.0.0.1:1"
STOPPED_BY_SIGTERM = {0, -15}
SCORES = {
    "personal_traits": [6] * 5,
    "motivation": [6] * 5,
    "stress_coping": [6] * 7,
    "family_function": [6] * 5,
    "social_resources": [6] * 2,
    "parenting": [6] * 4,
}


def auth(role: str = "worker") -> dict[str, str]:
    return {"Authorization": f"Bearer {devissuer.issue_token(role, org='org-synthetic')}"}


@pytest.fixture(scope="module")
def assessment(stack, tmp_path_factory) -> Iterator[Running]:
    """The assessment service on a new database of its own, ready."""
    with running(stack, tmp_path_factory.mktemp("rules-logs"), "assessment") as up:
        yield up["assessment"][0]


def assert_evaluators_answer(service: Running) -> None:
    safety = httpx.post(
        service.url + SAFETY, json={"b2": {"neglect": "B"}}, headers=auth(), timeout=10
    )
    assert safety.status_code == 200, safety.text
    assert (safety.json()["grade"], safety.json()["rule_set"]) == ("B", "SZ-2023-B")
    hours = httpx.post(service.url + HOURS, json={"scores": SCORES}, headers=auth(), timeout=10)
    assert hours.status_code == 200, hours.text
    assert (hours.json()["total"], hours.json()["hours_min"]) == (168, 13)


def test_the_running_service_answers_both_evaluators_with_a_development_token(assessment):
    assert_evaluators_answer(assessment)


def test_the_running_service_refuses_an_evaluator_call_without_a_token(assessment):
    response = httpx.post(assessment.url + SAFETY, json={})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_running_service_names_a_bad_field_in_a_422_problem(assessment):
    response = httpx.post(
        assessment.url + SAFETY, json={"b2": {"neglect": "Z"}}, headers=auth("auditor")
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["b2.neglect"]


def test_the_evaluate_paths_are_published_in_the_openapi_document(assessment):
    paths = httpx.get(assessment.url + "/openapi.json", headers=auth()).json()["paths"]
    assert SAFETY in paths and HOURS in paths


def test_evaluators_answer_while_the_database_is_unreachable(stack, tmp_path: Path):
    service = start_service("assessment", NOWHERE_DB, tmp_path)
    try:
        wait_until(service, "/health", 200)
        report = wait_until(service, "/ready", 503).json()
        assert report["checks"]["database"]["ok"] is False
        assert_evaluators_answer(service)
        assert wait_until(service, "/ready", 503).json()["ready"] is False
    finally:
        assert service.stop() in STOPPED_BY_SIGTERM


def test_evaluators_answer_while_the_broker_is_unreachable(stack, tmp_path: Path):
    admin = stack["CARELEDGER_PG_ADMIN_URL"]
    db = asyncio.run(_create_database(admin))
    service = start_service(
        "assessment",
        _asyncpg_url(admin, db),
        tmp_path,
        KAFKA_BOOTSTRAP_SERVERS=NOWHERE_BROKER,
    )
    try:
        wait_until(service, "/health", 200)
        report = wait_until(service, "/ready", 503).json()
        assert report["checks"]["kafka"]["ok"] is False
        assert_evaluators_answer(service)
    finally:
        assert service.stop() in STOPPED_BY_SIGTERM
        asyncio.run(_drop_database(admin, db))
