"""Safety assessment of a case over HTTP against the real assessment process (DOMAIN §4):
the grade is recorded as an event, published to Kafka keyed by the case id, superseded by a
regrade, and read back from the read model with its history."""

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from events.kafka import events_topic
from tests.e2e.assessment_support import (
    auth,
    case_factory,
    intake_event,
    person,
    publish_intake,
    register_staff,
    running,
    team_assigned,
    wait_for_count,
    wait_for_team,
)
from tests.e2e.conftest import Running
from tests.unit.test_assessment_events import TASK_CONTRACT

TOPIC = events_topic("assessment")
GRADED = "assessment.safety.risk_graded.v2"
ORG = "org-synthetic-a"
ORG_B = "org-synthetic-b"
WOMAN = person("female")
MAN = person("male")
OTHER_MAN = person("male")
NOTE = "合成测试备注：社工第二次上门，监护人态度有所改善。"  # synthetic free text


# Named with `name=` so that the guardianship module can import them under their function
# names without its tests' parameters shadowing an import.
@pytest.fixture(scope="module", name="services")
def services_fixture(stack, tmp_path_factory) -> Iterator[dict[str, tuple[Running, str]]]:
    """Intake and assessment, the team registered at intake and known to assessment."""
    logs = tmp_path_factory.mktemp("assessment-team-logs")
    with running(stack, logs, "intake", "assessment") as up:
        register_staff(up["intake"][0], up["assessment"][1], ORG, WOMAN, MAN, OTHER_MAN)
        yield up


@pytest.fixture(scope="module", name="assessment")
def assessment_fixture(services) -> Running:
    return services["assessment"][0]


@pytest.fixture(scope="module", name="new_case")
def new_case_fixture(services) -> Callable[[], str]:
    """Cases whose team (dev-worker and the three assessors) intake has assigned."""
    staff = [p["worker_id"] for p in (WOMAN, MAN, OTHER_MAN)]
    return case_factory(services["assessment"][1], ORG, *staff)


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


def test_a_grade_is_recorded_read_back_and_published_keyed_by_the_case_id(assessment, new_case):
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


def test_a_regrade_supersedes_the_current_grade_and_keeps_the_first(assessment, new_case):
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


def test_an_idempotent_retry_records_the_grade_once(assessment, new_case):
    case_id = new_case()
    key = {"Idempotency-Key": f"retry-{uuid4()}"}
    first = grade(assessment, case_id, assessment_body(), **key)
    again = grade(assessment, case_id, assessment_body(), **key)
    assert first.status_code == again.status_code == 201
    assert again.json()["assessment_id"] == first.json()["assessment_id"]
    assert len(risk(assessment, case_id).json()["history"]) == 1


def test_an_idempotency_key_reused_for_another_assessment_is_a_conflict(assessment, new_case):
    case_id = new_case()
    key = {"Idempotency-Key": f"reused-{uuid4()}"}
    assert grade(assessment, case_id, assessment_body(), **key).status_code == 201
    other = assessment_body(inputs={"b2": {"motive": "C"}})
    response = grade(assessment, case_id, other, **key)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_regrade_from_a_stale_version_is_refused_with_409(assessment, new_case):
    case_id = new_case()
    assert grade(assessment, case_id, assessment_body(expected_version=0)).status_code == 201
    assert grade(assessment, case_id, assessment_body(expected_version=1)).status_code == 201
    stale = grade(assessment, case_id, assessment_body(expected_version=1))
    assert stale.status_code == 409
    assert stale.json()["actual_version"] == 2
    assert risk(assessment, case_id).json()["version"] == 2


# --- refusals -------------------------------------------------------------------------------


def test_two_men_may_not_grade_a_girls_case_and_nothing_is_recorded(assessment, new_case):
    case_id = new_case()
    response = grade(assessment, case_id, assessment_body(assessors=[MAN, OTHER_MAN]))
    assert response.status_code == 422
    problem = response.json()
    assert problem["rule"] == "MZ-6.2.2"
    assert [v["code"] for v in problem["violations"]] == ["no_female_assessor"]
    assert risk(assessment, case_id).status_code == 404


def test_two_men_may_grade_a_boys_case(assessment, new_case):
    body = assessment_body(assessors=[MAN, OTHER_MAN], child_gender="male")
    assert grade(assessment, new_case(), body).status_code == 201


def test_a_single_assessor_is_refused(assessment, new_case):
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
def test_bad_assessment_input_is_a_422_problem_naming_the_field(
    assessment, change, field, new_case
):
    response = grade(assessment, new_case(), assessment_body(**change))
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_a_case_id_with_characters_outside_the_id_alphabet_is_refused(assessment):
    assert grade(assessment, "case%20one", assessment_body()).status_code == 422


def test_an_auditor_may_not_grade_a_case(assessment, new_case):
    response = grade(assessment, new_case(), assessment_body(), **auth("auditor"))
    assert response.status_code == 403


def test_another_organisation_neither_sees_nor_regrades_the_case(assessment, new_case):
    case_id = new_case()
    assert grade(assessment, case_id, assessment_body()).status_code == 201
    assert risk(assessment, case_id, org="org-synthetic-b").status_code == 404
    response = grade(assessment, case_id, assessment_body(), **auth(org="org-synthetic-b"))
    assert response.status_code == 404
    assert len(risk(assessment, case_id).json()["history"]) == 1


def test_a_case_never_graded_has_no_risk(assessment, new_case):
    response = risk(assessment, new_case())
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_without_a_case_record_or_a_stated_gender_the_team_rule_cannot_be_checked(
    assessment, new_case
):
    body = {k: v for k, v in assessment_body().items() if k != "child_gender"}
    response = grade(assessment, new_case(), body)
    assert response.status_code == 422
    assert response.json()["rule"] == "MZ-6.2.2"
    assert [v["code"] for v in response.json()["violations"]] == ["child_gender_unknown"]


# --- record-level access (ARCHITECTURE, Security: a worker sees the cases assigned to them) ---

OUTSIDER = {"subject": "w-synthetic-outsider"}  # a worker of the organisation, not on the team


def test_a_worker_not_on_the_cases_team_neither_sees_nor_grades_it(assessment, new_case):
    case_id = new_case()
    assert grade(assessment, case_id, assessment_body()).status_code == 201
    seen = risk(assessment, case_id, **OUTSIDER)
    assert seen.status_code == 404
    assert seen.json()["rule"] == "ARCHITECTURE-security-record-level"
    assert grade(assessment, case_id, assessment_body(), **auth(**OUTSIDER)).status_code == 404
    assert tasks(assessment, case_id, **OUTSIDER).status_code == 404
    supervisor = risk(assessment, case_id, role="supervisor", subject="sup-synthetic")
    assert supervisor.status_code == 200  # a supervisor sees the organisation's cases
    assert len(risk(assessment, case_id).json()["history"]) == 1


def test_a_case_intake_never_assigned_is_closed_to_workers(assessment):
    response = grade(assessment, f"case-{uuid4()}", assessment_body())
    assert response.status_code == 404
    assert response.json()["rule"] == "ARCHITECTURE-security-record-level"


def test_a_worker_removed_from_the_team_loses_the_case_and_a_new_team_replaces_the_old(
    services, new_case
):
    assessment, db = services["assessment"]
    case_id = new_case()
    woman = {"subject": WOMAN["worker_id"]}
    assert tasks(assessment, case_id).status_code == tasks(assessment, case_id, **woman).status_code
    assert tasks(assessment, case_id).status_code == 200

    removed = {
        "case_id": case_id,
        "organisation": ORG,
        "child_id": f"child-{uuid4()}",
        "worker_id": "dev-worker",
        "removed_on": "2026-01-05",
        "reason": "background_check_positive",
        "rule": "MZ-7.1.3",
    }
    publish_intake(intake_event("intake.case.worker_removed", removed, case_id))
    wait_for_team(db, case_id, 3)
    assert tasks(assessment, case_id).status_code == 404
    assert tasks(assessment, case_id, **woman).status_code == 200

    publish_intake(team_assigned(case_id, ORG, ["w-synthetic-new", MAN["worker_id"]]))
    wait_for_team(db, case_id, 2)
    assert tasks(assessment, case_id, **woman).status_code == 404
    assert tasks(assessment, case_id, subject="w-synthetic-new").status_code == 200


def test_a_team_assigned_by_another_organisation_opens_nothing_here(services):
    assessment, db = services["assessment"]
    case_id = f"case-{uuid4()}"
    publish_intake(team_assigned(case_id, "org-synthetic-b", ["dev-worker"]))
    wait_for_team(db, case_id, 1)
    assert tasks(assessment, case_id).status_code == 404  # the token names org-synthetic-a


# --- assessors from intake's staff registry (MZ-6.2.2, MZ-7.1.3) ------------------------------


def test_a_worker_intake_never_registered_may_not_assess(assessment, new_case):
    stranger = person("female")
    response = grade(assessment, new_case(), assessment_body(assessors=[stranger, MAN]))
    assert response.status_code == 422
    assert [v["code"] for v in response.json()["violations"]] == ["assessor_not_registered"]


def test_a_worker_whose_background_check_intake_found_positive_may_not_assess(services, new_case):
    intake, (assessment, db) = services["intake"][0], services["assessment"]
    flagged = person("male")
    register_staff(intake, db, ORG, flagged, clean=False)  # intake suspends them at once
    response = grade(assessment, new_case(), assessment_body(assessors=[WOMAN, flagged]))
    assert response.status_code == 422
    assert {v["code"] for v in response.json()["violations"]} >= {"assessor_suspended"}


def test_a_suspension_in_one_organisation_leaves_the_same_id_in_another_free_to_assess(services):
    """Staff ids are per organisation (DOMAIN §12): A and B each register a person under the
    same id; intake suspends A's after a positive check (MZ-7.1.3). Through Kafka, assessment
    suspends A's person only: B's still assesses B's case, A's may not assess A's."""
    intake, (assessment, db) = services["intake"][0], services["assessment"]
    shared, partner = person("male"), person("female")
    for org in (ORG, ORG_B):
        register_staff(intake, db, org, shared, partner)
    manager = auth("org_admin", org=ORG, subject=f"admin-{ORG}")
    check = {"checked_on": datetime.now(UTC).date().isoformat(), "clean": False}
    url = f"{intake.url}/v1/staff/{shared['worker_id']}/background-checks"
    assert httpx.post(url, json=check, headers=manager, timeout=15).status_code == 201
    suspended = "SELECT count(*) FROM staff WHERE worker_id = $1 AND suspended"
    what = "assessment never took in the suspension"
    wait_for_count(db, suspended, (shared["worker_id"],), 1, 90, what)

    body = assessment_body(assessors=[partner, shared])
    case_b = case_factory(db, ORG_B, shared["worker_id"], partner["worker_id"])()
    response = httpx.post(
        f"{assessment.url}/v1/cases/{case_b}/safety-assessments",
        json=body,
        headers=auth(org=ORG_B),
        timeout=15,
    )
    assert response.status_code == 201, response.text
    case_a = case_factory(db, ORG, shared["worker_id"], partner["worker_id"])()
    response = grade(assessment, case_a, body)
    assert response.status_code == 422, response.text
    assert [v["code"] for v in response.json()["violations"]] == ["assessor_suspended"]


# --- tasks from the grade's required actions (SZ-6.4) -----------------------------------------


def tasks(service: Running, case_id: str, status: str = "open", **auth_args: str) -> httpx.Response:
    return httpx.get(
        f"{service.url}/v1/cases/{case_id}/tasks",
        params={"status": status},
        headers=auth(**auth_args),
    )


def complete(service: Running, case_id: str, task_id: str, **auth_args: str) -> httpx.Response:
    url = f"{service.url}/v1/cases/{case_id}/tasks/{task_id}/completion"
    return httpx.post(url, json={}, headers=auth(**auth_args), timeout=15)


def test_a_critical_grade_sets_its_tasks_with_the_immediate_report_due_first(assessment, new_case):
    case_id = new_case()
    critical = assessment_body(inputs={"b1": {"abandonment_6_months": True}})
    recorded = grade(assessment, case_id, critical).json()
    view = tasks(assessment, case_id).json()
    codes = [a["code"] for a in recorded["result"]["required_actions"]]
    assert sorted(t["code"] for t in view["tasks"]) == sorted(codes)
    first = view["next_due"]
    assert first["code"] == "report_immediately_to_police_civil_affairs_education"
    assert first["due_at"] == view["tasks"][0]["due_at"] and first["overdue"]  # due at once
    assert sorted(first["assignee_ids"]) == sorted([WOMAN["worker_id"], MAN["worker_id"]])
    assert first["source_event_id"] == recorded["event_id"]

    events = published(f"tasks-{case_id}", len(codes))
    assert {key for _, key, _ in events} == {case_id}
    data = events[0][2]["data"]
    assert set(data) == TASK_CONTRACT["assessment.task.set.v1"]
    assert data["due_at"].endswith(("Z", "+00:00"))


def test_an_assignee_completes_a_task_and_others_may_not(assessment, new_case):
    case_id = new_case()
    grade(assessment, case_id, assessment_body())
    task = tasks(assessment, case_id).json()["next_due"]
    assert (
        complete(assessment, case_id, task["task_id"], subject=OTHER_MAN["worker_id"]).status_code
        == 403
    )
    done = complete(assessment, case_id, task["task_id"], subject=MAN["worker_id"])
    assert done.status_code == 201, done.text
    assert (done.json()["status"], done.json()["overdue"]) == ("completed", False)
    again = complete(assessment, case_id, task["task_id"], role="supervisor", subject="sup-x")
    assert again.status_code == 409
    assert task["task_id"] not in [t["task_id"] for t in tasks(assessment, case_id).json()["tasks"]]
    other_org = complete(
        assessment, case_id, task["task_id"], role="supervisor", org="org-synthetic-b"
    )
    assert other_org.status_code == 404


def test_a_regrade_cancels_the_open_tasks_and_sets_its_own(assessment, new_case):
    case_id = new_case()
    first = grade(assessment, case_id, assessment_body()).json()
    second = grade(assessment, case_id, assessment_body(inputs={"b2": {"neglect": "C"}})).json()
    cancelled = tasks(assessment, case_id, "cancelled").json()["tasks"]
    assert {(t["source_event_id"], t["reason_code"]) for t in cancelled} == {
        (first["event_id"], "superseded")
    }
    open_now = tasks(assessment, case_id).json()["tasks"]
    assert {t["source_event_id"] for t in open_now} == {second["event_id"]}


def test_another_organisation_does_not_see_the_tasks(assessment, new_case):
    case_id = new_case()
    grade(assessment, case_id, assessment_body())
    assert tasks(assessment, case_id, org="org-synthetic-b").status_code == 404


# --- the supervisor's review --------------------------------------------------------------------


def review(service: Running, case_id: str, assessment_id: str, body: dict, **auth_args: str):
    url = f"{service.url}/v1/cases/{case_id}/safety-assessments/{assessment_id}/review"
    return httpx.post(url, json=body, headers=auth(**auth_args), timeout=15)


def queue(service: Running) -> list[dict]:
    url = f"{service.url}/v1/supervision/queue"
    return httpx.get(url, headers=auth("supervisor", subject="sup-synthetic-q")).json()


def test_a_grade_waits_in_the_supervisors_queue_until_approved(assessment, new_case):
    case_id = new_case()
    recorded = grade(assessment, case_id, assessment_body()).json()
    pending = [i for i in queue(assessment) if i["item_id"] == recorded["assessment_id"]]
    assert [(i["kind"], i["case_id"]) for i in pending] == [("safety_assessment", case_id)]

    by_worker = review(assessment, case_id, recorded["assessment_id"], {"decision": "approve"})
    assert by_worker.status_code == 403
    approved = review(
        assessment,
        case_id,
        recorded["assessment_id"],
        {"decision": "approve"},
        role="supervisor",
        subject="sup-synthetic-1",
    )
    assert approved.status_code == 201, approved.text
    assert approved.json()["status"] == "approved"
    assert recorded["assessment_id"] not in [i["item_id"] for i in queue(assessment)]


def test_a_return_needs_comments_and_an_assessor_may_not_review_their_own(assessment, new_case):
    case_id = new_case()
    recorded = grade(assessment, case_id, assessment_body()).json()
    item = recorded["assessment_id"]
    bare = review(assessment, case_id, item, {"decision": "return"}, role="supervisor")
    assert bare.status_code == 422 and bare.json()["rule"] == "MZ-7.4.3"
    own = review(
        assessment,
        case_id,
        item,
        {"decision": "approve"},
        role="supervisor",
        subject=WOMAN["worker_id"],
    )
    assert own.status_code == 422
    assert [v["code"] for v in own.json()["violations"]] == ["own_submission"]
    returned = review(
        assessment,
        case_id,
        item,
        {"decision": "return", "comments": "合成意见：请补充B.3。"},
        role="supervisor",
        subject="sup-synthetic-2",
    )
    assert returned.status_code == 201 and returned.json()["status"] == "returned"
    unknown = review(assessment, case_id, "nope", {"decision": "approve"}, role="supervisor")
    assert unknown.status_code == 404


def test_a_worker_reads_their_open_tasks_across_cases_and_not_anothers(assessment, new_case):
    case_id = new_case()
    grade(assessment, case_id, assessment_body(assessors=[WOMAN, OTHER_MAN], child_gender="female"))
    url = f"{assessment.url}/v1/workers/{OTHER_MAN['worker_id']}/tasks"
    mine = httpx.get(url, headers=auth(subject=OTHER_MAN["worker_id"])).json()
    dues = [t["due_at"] for t in mine]
    assert case_id in {t["case_id"] for t in mine} and dues == sorted(dues)
    assert all(OTHER_MAN["worker_id"] in t["assignee_ids"] for t in mine)
    assert httpx.get(url, headers=auth(subject=MAN["worker_id"])).status_code == 403
    assert httpx.get(url, headers=auth("supervisor")).status_code == 200


def test_a_supervisor_cancels_a_task_whose_condition_does_not_hold_and_a_worker_may_not(
    assessment,
    new_case,
):
    case_id = new_case()
    grade(assessment, case_id, assessment_body(inputs={"b1": {"abetting_crime": True}}))
    task = next(
        t for t in tasks(assessment, case_id).json()["tasks"] if t["code"] == "escort_to_placement"
    )
    url = f"{assessment.url}/v1/cases/{case_id}/tasks/{task['task_id']}/cancellation"
    worker = httpx.post(url, json={}, headers=auth(subject=MAN["worker_id"]))
    assert worker.status_code == 403
    bad = httpx.post(url, json={"reason_code": "bored"}, headers=auth("supervisor"))
    assert bad.status_code == 422 and "reason_code" in [e["field"] for e in bad.json()["errors"]]
    done = httpx.post(url, json={}, headers=auth("supervisor", subject="sup-synthetic-c"))
    assert done.status_code == 201, done.text
    assert (done.json()["status"], done.json()["reason_code"]) == ("cancelled", "not_applicable")


# --- retries with an Idempotency-Key: one record, the first answer ------------------------------


def test_a_task_completion_sent_twice_with_one_key_is_recorded_once(services, new_case):
    assessment, _ = services["assessment"]
    case_id = new_case()
    grade(assessment, case_id, assessment_body())
    task = tasks(assessment, case_id).json()["next_due"]
    url = f"{assessment.url}/v1/cases/{case_id}/tasks/{task['task_id']}/completion"
    who = {**auth(subject=MAN["worker_id"]), "Idempotency-Key": f"done-{uuid4()}"}
    first = httpx.post(url, json={}, headers=who, timeout=15)
    again = httpx.post(url, json={}, headers=who, timeout=15)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    completed = published(f"tasks-{case_id}", 100, within=5)
    done = [e for _, _, e in completed if e["type"] == "assessment.task.completed.v1"]
    assert [e["data"]["task_id"] for e in done] == [task["task_id"]]


def test_a_task_cancellation_sent_twice_with_one_key_is_recorded_once(assessment, new_case):
    case_id = new_case()
    grade(assessment, case_id, assessment_body())
    task = tasks(assessment, case_id).json()["next_due"]
    url = f"{assessment.url}/v1/cases/{case_id}/tasks/{task['task_id']}/cancellation"
    who = {**auth("supervisor", subject="sup-synthetic-k"), "Idempotency-Key": f"c-{uuid4()}"}
    first = httpx.post(url, json={}, headers=who, timeout=15)
    again = httpx.post(url, json={}, headers=who, timeout=15)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()


def test_a_review_sent_twice_with_one_key_is_decided_once_and_answered_alike(assessment, new_case):
    case_id = new_case()
    recorded = grade(assessment, case_id, assessment_body()).json()
    url = f"{assessment.url}/v1/cases/{case_id}/safety-assessments/"
    url += f"{recorded['assessment_id']}/review"
    who = {**auth("supervisor", subject="sup-synthetic-r"), "Idempotency-Key": f"r-{uuid4()}"}
    first = httpx.post(url, json={"decision": "approve"}, headers=who, timeout=15)
    again = httpx.post(url, json={"decision": "approve"}, headers=who, timeout=15)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    other = {**auth("supervisor", subject="sup-synthetic-r")}
    assert httpx.post(url, json={"decision": "approve"}, headers=other).status_code == 409


# --- dates out of range (ARCHITECTURE, Security: a 422 problem, never a 500) -----------------


def test_an_assessment_dated_in_9999_or_before_2000_is_a_422_not_a_500(assessment, new_case):
    case_id = new_case()
    for when in ("9999-12-31T00:00:00Z", "1999-12-31T00:00:00Z", "2099-01-01T00:00:00Z"):
        response = grade(assessment, case_id, assessment_body(assessed_at=when))
        assert response.status_code == 422, response.text
        assert response.json()["rule"] == "ARCHITECTURE-security-bad-input"
        assert [v["field"] for v in response.json()["violations"]] == ["assessed_at"]
    assert risk(assessment, case_id).status_code == 404  # nothing recorded


def test_a_task_completed_before_2000_is_refused(assessment, new_case):
    case_id = new_case()
    grade(assessment, case_id, assessment_body())
    task = tasks(assessment, case_id).json()["next_due"]
    url = f"{assessment.url}/v1/cases/{case_id}/tasks/{task['task_id']}/completion"
    body = {"completed_at": "1999-12-31T00:00:00Z"}
    response = httpx.post(url, json=body, headers=auth("supervisor"), timeout=15)
    assert response.status_code == 422, response.text
    assert [v["field"] for v in response.json()["violations"]] == ["completed_at"]
