"""Safety assessment of a case over HTTP against the real assessment process (DOMAIN §4):
the grade is recorded as an event, published to Kafka keyed by the case id, superseded by a
regrade, and read back from the read model with its history."""

import asyncio
import json
import os
import time
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from events import devissuer
from events.kafka import events_topic
from tests.conftest import _asyncpg_url, _create_database, _drop_database
from tests.e2e.conftest import Running, start_service, wait_until

TOPIC = events_topic("assessment")
GRADED = "assessment.safety.risk_graded.v1"
ORG = "org-synthetic-a"
WOMAN = {"worker_id": "w-synthetic-f1", "gender": "female"}
MAN = {"worker_id": "w-synthetic-m1", "gender": "male"}
OTHER_MAN = {"worker_id": "w-synthetic-m2", "gender": "male"}
NOTE = "合成测试备注：社工第二次上门，监护人态度有所改善。"  # synthetic free text


@pytest.fixture(scope="module")
def assessment(stack, tmp_path_factory) -> Iterator[Running]:
    """The assessment service on a new database of its own, ready."""
    admin = stack["CARELEDGER_PG_ADMIN_URL"]
    db = asyncio.run(_create_database(admin))
    service = start_service(
        "assessment", _asyncpg_url(admin, db), tmp_path_factory.mktemp("assessment-log")
    )
    try:
        wait_until(service, "/ready", 200)
        yield service
    finally:
        service.stop()
        asyncio.run(_drop_database(admin, db))


def auth(role: str = "worker", org: str = ORG, subject: str | None = None) -> dict[str, str]:
    token = devissuer.issue_token(role, org=org, subject=subject)
    return {"Authorization": f"Bearer {token}"}


def new_case() -> str:
    return f"case-{uuid4()}"


def assessment_body(**changes: Any) -> dict[str, Any]:
    body = {
        "assessors": [WOMAN, MAN],
        "child_gender": "female",
        "inputs": {"b2": {"neglect": "B"}, "b3": {"cooperation": "C"}},
        "notes": NOTE,
    }
    return {**body, **changes}


def grade(service: Running, case_id: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(
        f"{service.url}/v1/cases/{case_id}/safety-assessments",
        json=body,
        headers={**auth(), **headers},
        timeout=15,
    )


def risk(service: Running, case_id: str, **auth_args: str) -> httpx.Response:
    return httpx.get(f"{service.url}/v1/cases/{case_id}/risk", headers=auth(**auth_args))


def published(subject: str, count: int, within: float = 30) -> list[tuple[int, str, dict]]:
    """(partition, key, CloudEvent) of the events of `subject` on the topic, from the start."""
    return asyncio.run(_published(subject, count, within))


async def _published(subject: str, count: int, within: float) -> list[tuple[int, str, dict]]:
    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]  # set by the `stack` fixture
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # as tests/integration/harness.py does
        parts = consumer.partitions_for_topic(TOPIC) or set()
        partitions = [TopicPartition(TOPIC, p) for p in sorted(parts)]
        assert partitions, f"topic {TOPIC} has no partitions"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[tuple[int, str, dict]] = []
        deadline = time.monotonic() + within
        while len(found) < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for tp, messages in batches.items():
                for message in messages:
                    event = json.loads(message.value)
                    if event["subject"] == subject:
                        found.append((tp.partition, message.key.decode(), event))
        return found
    finally:
        await consumer.stop()


# --- recording a grade ----------------------------------------------------------------------


def test_a_grade_is_recorded_read_back_and_published_keyed_by_the_case_id(assessment):
    case_id = new_case()
    response = grade(assessment, case_id, assessment_body())
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/cases/{case_id}/risk"
    recorded = response.json()
    assert (recorded["grade"], recorded["rule_set"], recorded["stream_version"]) == (
        "B",
        "SZ-2023-B",
        1,
    )
    assert recorded["result"]["recommendations"]  # B.3 cooperation rated C (SZ-B.3-note2)
    assert "notes" not in recorded

    current = risk(assessment, case_id).json()
    assert current["current"]["assessment_id"] == recorded["assessment_id"]
    assert [g["grade"] for g in current["history"]] == ["B"]

    [(_, key, event)] = published(f"safety-{case_id}", 1)
    assert key == case_id
    assert event["type"] == GRADED
    assert event["id"] == recorded["event_id"]
    assert event["key_scope"] == case_id
    assert event["data"]["result"]["grade"] == "B"
    assert event["data"]["inputs"]["b2"]["neglect"] == "B"
    assert event["data"]["supersedes"] is None
    assert event["data"]["notes"] != NOTE and NOTE not in json.dumps(event, ensure_ascii=False)


def test_a_regrade_supersedes_the_current_grade_and_keeps_the_first(assessment):
    case_id = new_case()
    first = grade(assessment, case_id, assessment_body()).json()
    critical = {"b1": {"abandonment_6_months": True}}
    second = grade(assessment, case_id, assessment_body(inputs=critical, notes=None))
    assert second.status_code == 201, second.text
    assert second.json()["supersedes"] == first["assessment_id"]

    view = risk(assessment, case_id).json()
    assert view["version"] == 2
    assert view["current"]["grade"] == "D"
    assert view["current"]["result"]["decided_by"] == [
        {"item": "b1.abandonment_6_months", "clause": "SZ-B.1-3"}
    ]
    older, newer = view["history"]
    assert (older["grade"], older["superseded_by"]) == ("B", newer["assessment_id"])
    assert (newer["grade"], newer["supersedes"]) == ("D", older["assessment_id"])

    events = published(f"safety-{case_id}", 2)
    assert [e["stream_version"] for _, _, e in events] == [1, 2]
    assert len({partition for partition, _, _ in events}) == 1  # one case, one partition
    assert {key for _, key, _ in events} == {case_id}


def test_an_idempotent_retry_records_the_grade_once(assessment):
    case_id = new_case()
    key = {"Idempotency-Key": f"retry-{uuid4()}"}
    first = grade(assessment, case_id, assessment_body(), **key)
    again = grade(assessment, case_id, assessment_body(), **key)
    assert first.status_code == again.status_code == 201
    assert again.json()["assessment_id"] == first.json()["assessment_id"]
    assert len(risk(assessment, case_id).json()["history"]) == 1


def test_an_idempotency_key_reused_for_another_assessment_is_a_conflict(assessment):
    case_id = new_case()
    key = {"Idempotency-Key": f"reused-{uuid4()}"}
    assert grade(assessment, case_id, assessment_body(), **key).status_code == 201
    other = assessment_body(inputs={"b2": {"motive": "C"}})
    response = grade(assessment, case_id, other, **key)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_regrade_from_a_stale_version_is_refused_with_409(assessment):
    case_id = new_case()
    assert grade(assessment, case_id, assessment_body(expected_version=0)).status_code == 201
    assert grade(assessment, case_id, assessment_body(expected_version=1)).status_code == 201
    stale = grade(assessment, case_id, assessment_body(expected_version=1))
    assert stale.status_code == 409
    assert stale.json()["actual_version"] == 2
    assert risk(assessment, case_id).json()["version"] == 2


# --- refusals -------------------------------------------------------------------------------


def test_two_men_may_not_grade_a_girls_case_and_nothing_is_recorded(assessment):
    case_id = new_case()
    response = grade(assessment, case_id, assessment_body(assessors=[MAN, OTHER_MAN]))
    assert response.status_code == 422
    problem = response.json()
    assert problem["rule"] == "MZ-6.2.2"
    assert [v["code"] for v in problem["violations"]] == ["no_female_assessor"]
    assert risk(assessment, case_id).status_code == 404


def test_two_men_may_grade_a_boys_case(assessment):
    body = assessment_body(assessors=[MAN, OTHER_MAN], child_gender="male")
    assert grade(assessment, new_case(), body).status_code == 201


def test_a_single_assessor_is_refused(assessment):
    response = grade(assessment, new_case(), assessment_body(assessors=[WOMAN]))
    assert response.status_code == 422
    assert [v["code"] for v in response.json()["violations"]] == ["too_few_assessors"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"inputs": {"b2": {"neglect": "D"}}}, "inputs.b2.neglect"),
        ({"inputs": {"b1": {"abetting_crime": "yes"}}}, "inputs.b1.abetting_crime"),
        ({"child_gender": "unknown"}, "child_gender"),
        ({"assessors": [{"worker_id": "w-1"}]}, "assessors.0.gender"),
        ({"grade": "A"}, "grade"),
    ],
)
def test_bad_assessment_input_is_a_422_problem_naming_the_field(assessment, change, field):
    response = grade(assessment, new_case(), assessment_body(**change))
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_a_case_id_with_characters_outside_the_id_alphabet_is_refused(assessment):
    assert grade(assessment, "case%20one", assessment_body()).status_code == 422


def test_an_auditor_may_not_grade_a_case(assessment):
    response = grade(assessment, new_case(), assessment_body(), **auth("auditor"))
    assert response.status_code == 403


def test_another_organisation_neither_sees_nor_regrades_the_case(assessment):
    case_id = new_case()
    assert grade(assessment, case_id, assessment_body()).status_code == 201
    assert risk(assessment, case_id, org="org-synthetic-b").status_code == 404
    response = grade(assessment, case_id, assessment_body(), **auth(org="org-synthetic-b"))
    assert response.status_code == 404
    assert len(risk(assessment, case_id).json()["history"]) == 1


def test_a_case_never_graded_has_no_risk(assessment):
    response = risk(assessment, new_case())
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_without_a_case_record_or_a_stated_gender_the_team_rule_cannot_be_checked(assessment):
    body = {k: v for k, v in assessment_body().items() if k != "child_gender"}
    response = grade(assessment, new_case(), body)
    assert response.status_code == 422
    assert response.json()["rule"] == "MZ-6.2.2"
    assert [v["code"] for v in response.json()["violations"]] == ["child_gender_unknown"]
