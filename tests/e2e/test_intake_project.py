"""Across services, as real processes over Kafka: a supervisor puts a case in a service project
at intake (`PUT /v1/cases/{id}/project`), and notify lists the case's deadlines to the
entrustor that commissions the project (DOMAIN §1). All data is synthetic."""

import time
from uuid import uuid4

import httpx

from events import devissuer
from tests.e2e import test_flow_report_clocks
from tests.e2e.test_intake_api import auth, staffed_emergency_case

intake_and_notify = test_flow_report_clocks.intake_and_notify  # the fixture: both services


def as_entrustor(org: str, *projects: str) -> dict[str, str]:
    """An entrustor's token names the projects it commissions (ARCHITECTURE, Security)."""
    token = devissuer.issue_token("entrustor", org=org, projects=projects)
    return {"Authorization": f"Bearer {token}"}


def entrustor_sees(notify, entrustor: str, project: str, report_id: str, within: float = 240):
    """Wait for notify to list the report's clocks under the project. A fresh notify replays
    the shared development topics from their start, so allow for a long backlog."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        response = httpx.get(
            notify.url + "/v1/deadlines",
            params={"project": project},
            headers=as_entrustor(entrustor, project),
        )
        assert response.status_code == 200, response.text
        rules = {d["rule"] for d in response.json() if d["subject_id"] == report_id}
        if {"intake.first_visit", "intake.investigation"} <= rules:
            return rules
        time.sleep(0.5)
    raise AssertionError(f"the entrustor never saw the clocks of {report_id}")


def test_a_case_put_in_a_project_shows_its_deadlines_to_the_entrustor(intake_and_notify):
    intake, notify = intake_and_notify
    org, entrustor = f"org-{uuid4().hex[:8]}", f"ca-{uuid4().hex[:6]}"
    project = f"project-{uuid4().hex[:6]}"
    case, _ = staffed_emergency_case(intake, org, 91, opener="w-opener-91")
    url = f"{intake.url}/v1/cases/{case['case_id']}/project"
    body = {"project_id": project, "entrustor_org": entrustor}
    put = httpx.put(url, json=body, headers=auth("org_admin", org))
    assert put.status_code == 200, put.text
    assert put.json() == {"case_id": case["case_id"], **body}
    [report_id] = case["report_ids"]
    entrustor_sees(notify, entrustor, project, report_id)
    for other in (as_entrustor("ca-other", project), as_entrustor(entrustor, "project-other")):
        answer = httpx.get(notify.url + "/v1/deadlines", headers=other)
        assert answer.status_code == 200 and answer.json() == []


def test_only_the_cases_supervisors_and_org_admins_set_its_project(intake_and_notify):
    intake, _ = intake_and_notify
    org = f"org-{uuid4().hex[:8]}"
    case, (woman, _) = staffed_emergency_case(intake, org, 92, opener="w-opener-92")
    url = f"{intake.url}/v1/cases/{case['case_id']}/project"
    body = {"project_id": "project-1", "entrustor_org": "ca-1"}
    assert httpx.put(url, json=body, headers=auth("worker", org, woman)).status_code == 403
    assert httpx.put(url, json=body, headers=auth("supervisor", "org-other")).status_code == 404
    assert httpx.put(url, json=body).status_code == 401
    bad = httpx.put(url, json={**body, "project_id": "no spaces"}, headers=auth("supervisor", org))
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["project_id"]
    missing = httpx.put(
        f"{intake.url}/v1/cases/case-none/project", json=body, headers=auth("supervisor", org)
    )
    assert missing.status_code == 404
