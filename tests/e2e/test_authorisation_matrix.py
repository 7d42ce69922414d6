"""Who may call what, as data (ARCHITECTURE, Security, record-level rules): every operation of
the five services' OpenAPI documents against every kind of caller, run against the real
processes. Each cell of `tests/e2e/authorisation.txt` is the answer written once:

- `ok`: admitted. A read answers 200; a write is sent a JSON array where an object belongs, so
  an admitted caller gets the 422 of its validation and nothing is recorded (a 409 of the
  record's state counts as admitted too). A DELETE is sent, caller by caller, to a record made
  for it;
- `403`: the caller's roles do not allow the operation;
- `404`: the record is not visible to the caller (its existence is not disclosed);
- an anonymous caller gets 401 everywhere but `/health` and `/ready`.

An operation without a row fails the test: a new route is not served until its row is written.
`CARELEDGER_MATRIX_PRINT=1` prints the answers observed, in the file's format."""

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from events import devissuer
from tests.e2e.assessment_support import (
    person,
    register_staff,
    running,
    wait_for_case,
    wait_for_team,
)
from tests.e2e.conftest import Running
from tests.e2e.intake_people import register_supervisor
from tests.e2e.test_intake_api import recent_report, report_body

TABLE = Path(__file__).with_name("authorisation.txt")
SERVICES = ("intake", "assessment", "referral", "archive", "notify")
PUBLIC = {"/health", "/ready"}
ORG, OTHER_ORG, ENTRUSTOR_ORG = (f"org-{x}-{uuid4().hex[:6]}" for x in ("a", "b", "e"))
PROJECT, OTHER_PROJECT = f"p-{uuid4().hex[:6]}", f"p-{uuid4().hex[:6]}"
AGENCY, OTHER_AGENCY = "agency-police-x", "agency-court-y"


def callers(team: str, off: str) -> dict[str, dict | None]:
    """Column name -> token claims (None: no token)."""
    return {
        "team": {"role": "worker", "org": ORG, "subject": team},
        "off": {"role": "worker", "org": ORG, "subject": off},
        "sup": {"role": "supervisor", "org": ORG, "subject": "s-matrix"},
        "adm": {"role": "org_admin", "org": ORG, "subject": "admin-matrix"},
        "ent": {"role": "entrustor", "org": ENTRUSTOR_ORG, "projects": [PROJECT]},
        "ent2": {"role": "entrustor", "org": ENTRUSTOR_ORG, "projects": [OTHER_PROJECT]},
        "prt": {"role": "partner", "org": None, "agency": AGENCY},
        "prt2": {"role": "partner", "org": None, "agency": OTHER_AGENCY},
        "aud": {"role": "auditor", "org": ORG},
        "svc": {"role": "service", "org": ORG},
        "opr": {"role": "operator", "org": None},
        "fsup": {"role": "supervisor", "org": OTHER_ORG, "subject": "s-foreign"},
        "anon": None,
    }


def headers(claims: dict | None) -> dict[str, str]:
    if claims is None:
        return {}
    return {"Authorization": f"Bearer {devissuer.issue_token(**claims)}"}


def read_table() -> tuple[list[str], dict[str, dict[str, str]]]:
    lines = [ln for ln in TABLE.read_text().splitlines() if ln.strip() and ln[0] != "#"]
    columns = lines[0].split()[3:]
    rows = {}
    for line in lines[1:]:
        service, method, path, *cells = line.split()
        assert len(cells) == len(columns), f"{line!r}: {len(cells)} cells, {len(columns)} columns"
        rows[f"{service} {method} {path}"] = dict(zip(columns, cells, strict=True))
    return columns, rows


@pytest.fixture(scope="module")
def world(stack, tmp_path_factory) -> Iterator[dict]:
    """Five services; in one organisation a team of two, a worker off it, a report, a case in
    an entrustor's project, and a notify subscription."""
    with running(stack, tmp_path_factory.mktemp("matrix-logs"), *SERVICES) as up:
        yield {"up": {name: service for name, (service, _) in up.items()}, **_seed(up)}


def _seed(up: dict) -> dict:
    intake, assessment_db = up["intake"][0], up["assessment"][1]
    team, mate, off = person("female"), person("male"), person("female")
    register_staff(intake, assessment_db, ORG, team, mate, off)
    as_team = headers({"role": "worker", "org": ORG, "subject": team["worker_id"]})
    as_sup = headers({"role": "supervisor", "org": ORG, "subject": "s-matrix"})
    register_supervisor(intake.url, ORG, "s-matrix")  # who sets the team (SZ-7.1.5)

    def call(service: Running, method: str, path: str, body: dict, who: dict) -> dict:
        response = httpx.request(method, service.url + path, json=body, headers=who, timeout=15)
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response.json() if response.content else {}

    report = call(intake, "POST", "/v1/reports", report_body(recent_report(7, set())), as_team)
    case = call(intake, "POST", "/v1/cases", {"report_ids": [report["report_id"]]}, as_sup)
    case_id = case["case_id"]
    members = {"worker_ids": [team["worker_id"], mate["worker_id"]]}
    call(intake, "PUT", f"/v1/cases/{case_id}/team", members, as_sup)
    project = {"project_id": PROJECT, "entrustor_org": ENTRUSTOR_ORG}
    call(intake, "PUT", f"/v1/cases/{case_id}/project", project, as_sup)
    wait_for_project(up["notify"][0], as_sup)
    wait_for_case(assessment_db, case_id)
    wait_for_team(assessment_db, case_id, 2)
    assessment = up["assessment"][0]
    assessors = [team, mate]
    gender = report_body(recent_report(7, set()))["child"]["gender"]
    safety = {
        "assessors": assessors,
        "child_gender": gender,
        "inputs": {"b1": {"abandonment_6_months": True}},
    }
    call(assessment, "POST", f"/v1/cases/{case_id}/safety-assessments", safety, as_team)
    guardianship = {
        "assessors": assessors,
        "child_gender": gender,
        "inputs": {
            "quality": {"child_care": "concern", "child_physical": "adequate"},
            "capacity": {"protection": "concern", "willingness": "adequate"},
            "conclusion": "capable_with_support",
        },
    }
    path = f"/v1/cases/{case_id}/guardianship-assessments"
    call(assessment, "POST", path, guardianship, as_team)
    grading = {"risk_level": "medium", "instrument": "SDQ"}
    call(assessment, "POST", f"/v1/cases/{case_id}/mental-health/risk-gradings", grading, as_team)
    child = call(intake, "GET", f"/v1/reports/{report['report_id']}", {}, as_sup)

    def subscription() -> dict:
        return call(up["notify"][0], "POST", "/v1/subscriptions", HOOK, as_sup)

    return {
        "team": team["worker_id"],
        "off": off["worker_id"],
        "ids": {
            "case_id": case_id,
            "report_id": report["report_id"],
            "child_id": child.get("child_id") or child["child"]["child_id"],
            "worker_id": team["worker_id"],
            "year": "2026",
            "project_id": PROJECT,
            "subscription_id": subscription()["subscription_id"],
        },
        "subscription": subscription,
    }


def wait_for_project(notify: Running, who: dict[str, str], within: float = 60) -> None:
    """Notify learnt the case's project from intake, so the provider's supervisor reads the
    project's indicators (JX-7.5.3)."""
    deadline, status = time.monotonic() + within, None
    while time.monotonic() < deadline:
        url = f"{notify.url}/v1/projects/{PROJECT}/indicators"
        status = httpx.get(url, headers=who, timeout=15).status_code
        if status == 200:
            return
        time.sleep(0.3)
    raise AssertionError(f"notify never learnt project {PROJECT}: last answer {status}")


HOOK = {
    "channel": "webhook",
    "target": "https://hooks.example.org/careledger",
    "event_types": ["notify.escalated"],
}


def operations(world: dict) -> dict[str, dict]:
    token = headers({"role": "supervisor", "org": ORG})
    found = {}
    for name, service in world["up"].items():
        document = httpx.get(service.url + "/openapi.json", headers=token, timeout=15).json()
        for path, methods in document["paths"].items():
            for method, spec in methods.items():
                found[f"{name} {method.upper()} {path}"] = spec
    return found


def fill(path: str, ids: dict[str, str]) -> str:
    """Path parameters: the seeded records' ids; an id of no record for the rest (a write is
    refused by validation before its record is looked up)."""
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), f"none-{m.group(1)}"), path)


def answer(status: int) -> str:
    if status in (401, 403, 404):
        return str(status)
    return "ok" if status < 300 or status in (409, 422) else f"?{status}"


def observe(world: dict, client: httpx.Client, key: str, tokens: dict) -> dict[str, str]:
    name, method, path = key.split(" ", 2)
    body = [] if method in ("POST", "PUT", "PATCH") else None
    seen = {}
    for column, token in tokens.items():
        ids = dict(world["ids"])
        if method == "DELETE":  # each caller deletes a record of its own making
            ids["subscription_id"] = world["subscription"]()["subscription_id"]
        url = world["up"][name].url + fill(path, ids)
        response = client.request(method, url, json=body, headers=token)
        seen[column] = answer(response.status_code)
    return seen


def test_every_operation_of_every_service_has_its_row(world):
    _, rows = read_table()
    served = set(operations(world))
    assert sorted(served - rows.keys()) == [], "operations without a row in authorisation.txt"
    assert sorted(rows.keys() - served) == [], "rows for operations no service serves"


def test_every_caller_gets_the_answer_its_row_says(world):
    columns, rows = read_table()
    assert set(columns) == set(callers("", "")), "one column per kind of caller"
    everyone = callers(world["team"], world["off"])
    tokens = {column: headers(everyone[column]) for column in columns}
    with httpx.Client(timeout=15) as client:
        observed = {key: observe(world, client, key, tokens) for key in sorted(operations(world))}
    if os.environ.get("CARELEDGER_MATRIX_PRINT"):
        print("\n" + "  ".join(["service method path".ljust(70), *columns]))
        for key, seen in observed.items():
            print(" ".join([key.ljust(70), *(seen[c].ljust(4) for c in columns)]))
    wrong = [
        f"{key} [{column}]: expected {rows[key][column]}, got {seen[column]}"
        for key, seen in observed.items()
        if key in rows
        for column in columns
        if seen[column] != rows[key][column]
    ]
    cells = sum(len(seen) for seen in observed.values())
    print(f"authorisation matrix: {len(observed)} operations x {len(columns)} callers = {cells}")
    assert wrong == []
