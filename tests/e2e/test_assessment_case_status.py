"""Issue 14 item 3 over HTTP against the real assessment process and the local broker:
assessment learns a case's existence and status from intake's events (`intake.case.opened`,
`intake.case.status_changed`, published here as intake publishes them) and refuses work intake
never opened a case for (404 on every write route, read off the service's own route table) and
work the case's status does not allow (409 naming the status and its clause: closing SZ-6.5,
follow-up SZ-6.6, closed SZ-6.6). All data synthetic."""

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from events.canonical import GENESIS_HASH
from events.envelope import Envelope, Metadata, make_envelope
from tests.e2e.assessment_support import (
    auth,
    open_cases,
    publish_intake,
    running,
    wait_for_count,
)
from tests.e2e.conftest import Running
from tests.e2e.test_assessment_access import GUIDANCE, ORDER

ORG = "org-synthetic-status"
MEMBER = "w-synthetic-status-member"
SUPERVISOR = auth("supervisor", ORG, "sup-synthetic-status")
GRADING = {"risk_level": "medium", "instrument": "SDQ"}


@pytest.fixture(scope="module")
def service(stack, tmp_path_factory) -> Iterator[tuple[Running, str]]:
    with running(stack, tmp_path_factory.mktemp("status-logs"), "assessment") as up:
        yield up["assessment"]


def status_changed(
    case_id: str, version: int, before: str, after: str, rule: str, org: str = ORG
) -> Envelope:
    """`intake.case.status_changed` as intake publishes it: on the case's stream, keyed by the
    case (the reason is sealed at intake; here none is given)."""
    data = {
        "case_id": case_id,
        "organisation": org,
        "child_id": f"child-{uuid4()}",
        "from_status": before,
        "to_status": after,
        "changed_at": "2025-07-01T02:00:00Z",
        "changed_by": "sup-synthetic-status",
        "reason": None,
        "cause": None,
        "rule": rule,
    }
    return make_envelope(
        source="/careledger/intake",
        event_type="intake.case.status_changed.v1",
        dataschema="urn:careledger:schema:intake.case.status_changed.v1",
        stream_id=f"case-stream-{case_id}",
        version=version,
        meta=Metadata(actor="sup-synthetic-status"),
        key_scope=case_id,
        data=data,
        prev_hash=GENESIS_HASH,
    )


def move(
    db_url: str, case_id: str, version: int, before: str, after: str, rule: str, org: str = ORG
) -> None:
    """Intake moves the case; wait until assessment has taken the move in."""
    publish_intake(status_changed(case_id, version, before, after, rule, org))
    query = "SELECT count(*) FROM case_status WHERE case_id = $1 AND status = $2"
    wait_for_count(db_url, query, (case_id, after), 1, 60, f"assessment never saw {after}")


def post(service: Running, case_id: str, path: str, body: dict[str, Any]) -> httpx.Response:
    url = f"{service.url}/v1/cases/{case_id}{path}"
    return httpx.post(url, json=body, headers=SUPERVISOR, timeout=15)


def refused_for_status(response: httpx.Response, status: str, rule: str) -> None:
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["rule"] == rule
    assert [v["code"] for v in problem["violations"]] == [f"case_status_{status}"]
    assert status.replace("_", " ") in re.sub("[_-]", " ", problem["violations"][0]["message"])


def test_every_write_route_of_a_case_answers_404_for_a_case_intake_never_opened(service):
    """Read off the running service's own routes, so a route added later is covered too."""
    assessment, _ = service
    spec = httpx.get(f"{assessment.url}/openapi.json", headers=SUPERVISOR, timeout=15).json()
    writes = [p for p, ops in spec["paths"].items() if "post" in ops and "{case_id}" in p]
    assert len(writes) >= 23  # as many as when this test was written
    for path in writes:
        url = re.sub(r"\{(\w+)\}", lambda m: f"{m.group(1)}-synthetic-{uuid4()}", path)
        response = httpx.post(assessment.url + url, json={}, headers=SUPERVISOR, timeout=15)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["rule"] == "ARCHITECTURE-security-record-level", path


def test_a_closed_case_takes_no_family_education_order_nor_any_other_work(service):
    assessment, db = service
    case_id = f"case-{uuid4()}"
    open_cases(db, ORG, {case_id: [MEMBER]})
    move(db, case_id, 2, "open", "in_service", "SZ-6.4")
    move(db, case_id, 3, "in_service", "follow_up", "SZ-6.6")
    move(db, case_id, 4, "follow_up", "closed", "SZ-6.6")
    refused_for_status(
        post(assessment, case_id, "/family-education-orders", ORDER), "closed", "SZ-6.6"
    )
    graded = post(assessment, case_id, "/mental-health/risk-gradings", GRADING)
    refused_for_status(graded, "closed", "SZ-6.6")
    assert graded.json()["domain_rule"] == "§5"


def test_a_transferred_case_takes_no_work_naming_jx_6_2_1(service):
    assessment, db = service
    case_id = f"case-{uuid4()}"
    open_cases(db, ORG, {case_id: [MEMBER]})
    move(db, case_id, 2, "open", "transferred", "JX-6.2.1")
    graded = post(assessment, case_id, "/mental-health/risk-gradings", GRADING)
    refused_for_status(graded, "transferred", "JX-6.2.1")


def test_closing_ends_new_service_and_follow_up_ends_service_delivery(service):
    """SZ-6.5: while closing, guidance on a running order goes on and no order starts; SZ-6.6:
    in follow-up the follow-up assessment is recorded, guidance is not."""
    assessment, db = service
    case_id = f"case-{uuid4()}"
    open_cases(db, ORG, {case_id: [MEMBER]})
    issued = post(assessment, case_id, "/family-education-orders", ORDER)
    assert issued.status_code == 201, issued.text
    guidance = f"/family-education-orders/{issued.json()['order_id']}/guidance"

    move(db, case_id, 2, "open", "closing", "SZ-6.5")
    refused_for_status(
        post(assessment, case_id, "/family-education-orders", ORDER), "closing", "SZ-6.5"
    )
    assert post(assessment, case_id, guidance, GUIDANCE).status_code == 201

    move(db, case_id, 3, "closing", "follow_up", "SZ-6.6")
    refused_for_status(post(assessment, case_id, guidance, GUIDANCE), "follow_up", "SZ-6.6")
    graded = post(assessment, case_id, "/mental-health/risk-gradings", GRADING)
    assert graded.status_code == 201, graded.text


def test_a_late_redelivered_status_change_does_not_turn_the_status_back(service):
    assessment, db = service
    case_id = f"case-{uuid4()}"
    open_cases(db, ORG, {case_id: [MEMBER]})
    move(db, case_id, 3, "follow_up", "closed", "SZ-6.6")
    publish_intake(status_changed(case_id, 2, "in_service", "follow_up", "SZ-6.6"))
    marker = f"case-{uuid4()}"  # taken in after the stale change: the consumer is past it
    open_cases(db, ORG, {marker: [MEMBER]})
    graded = post(assessment, case_id, "/mental-health/risk-gradings", GRADING)
    refused_for_status(graded, "closed", "SZ-6.6")
