"""The intake service's part of the security issue, over HTTP against a real process, PostgreSQL
and Kafka: the record rule on reports and children (SZ-7.3.3), ID numbers kept out of lists,
retries with an Idempotency-Key, inputs out of range or too large (422, never 500) and staff ids
per organisation. Synthetic data only."""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import httpx
import pytest

from intake.domain import Gender
from tests.e2e import test_intake_api
from tests.e2e.conftest import Running
from tests.e2e.test_intake_api import (
    FINDINGS,
    auth,
    cleared_worker,
    recent_report,
    report_body,
    staff_body,
    statement,
    stored_events,
    visit_body,
)
from tests.synthetic import fake_child, fake_name, fake_report

BIG = "合" * 100_000  # 300 KB of UTF-8 in one field


intake = test_intake_api.intake  # the fixture: the intake service on a new database


@pytest.fixture(scope="module")
def service(intake) -> Running:
    return intake[0]


@pytest.fixture(scope="module")
def database(intake) -> str:
    return intake[1]


@dataclass(frozen=True)
class World:
    """One organisation: a case about a girl (report `in_case`, received by `receiver`) whose
    team is `woman` and `man`; a report `alone` that `receiver` took in and no case holds; a
    possible duplicate of the case's child that another worker took in."""

    org: str
    receiver: str
    woman: str
    man: str
    in_case: dict
    alone: dict
    case: dict
    duplicate: dict
    resident_id: str


def post(service: Running, path: str, body: dict, headers: dict) -> httpx.Response:
    return httpx.post(service.url + path, json=body, headers=headers, timeout=15)


def received(service: Running, body: dict, headers: dict) -> dict:
    response = post(service, "/v1/reports", body, headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def world(service: Running) -> World:
    org, suffix = f"org-{uuid4().hex[:8]}", uuid4().hex[:6]
    receiver, woman, man = f"w-recv-{suffix}", f"w-f-{suffix}", f"w-m-{suffix}"
    cleared_worker(service, org, woman, "female")
    cleared_worker(service, org, man, "male")
    on = datetime.now(UTC).date() - timedelta(days=1)
    girl = fake_child(random.Random(90), gender=Gender.FEMALE, on=on)
    body = report_body(fake_report(random.Random(90), child=girl, triggers={4}, on=on))
    in_case = received(service, body, auth("worker", org, receiver))
    supervisor = auth("supervisor", org)
    case = post(service, "/v1/cases", {"report_ids": [in_case["report_id"]]}, supervisor).json()
    team = {"worker_ids": [woman, man]}
    url = f"{service.url}/v1/cases/{case['case_id']}/team"
    assert httpx.put(url, json=team, headers=supervisor).status_code == 200
    alone = received(service, report_body(recent_report(91, {7})), auth("worker", org, receiver))
    twin = {**body, "child": {**body["child"], "resident_id": None}}
    duplicate = received(service, twin, auth("worker", org, f"w-other-{suffix}"))
    return World(org, receiver, woman, man, in_case, alone, case, duplicate, girl.resident_id)


def callers(w: World) -> dict[str, dict[str, str]]:
    return {
        "on the team": auth("worker", w.org, w.woman),
        "off the team": auth("worker", w.org, f"w-off-{w.org}"),
        "the receiver": auth("worker", w.org, w.receiver),
        "a supervisor": auth("supervisor", w.org),
        "another organisation's supervisor": auth("supervisor", f"{w.org}-other"),
    }


SEES = {
    "on the team": 200,
    "off the team": 404,
    "the receiver": 200,
    "a supervisor": 200,
    "another organisation's supervisor": 404,
}


def read_paths(w: World) -> list[str]:
    report, child = w.in_case["report_id"], w.in_case["child_id"]
    return [
        f"/v1/reports/{report}",
        f"/v1/reports/{report}/acknowledgements",
        f"/v1/children/{child}",
        f"/v1/children/{child}/possible-duplicates",
    ]


def test_a_report_and_its_child_are_read_only_by_the_team_the_receiver_and_supervisors(
    service: Running, world: World
) -> None:
    """Security issue item 1 (SZ-7.3.3): off the team is a 404, as for no such record."""
    seen = {
        (who, path): httpx.get(service.url + path, headers=headers).status_code
        for who, headers in callers(world).items()
        for path in read_paths(world)
    }
    assert seen == {(who, path): SEES[who] for who, path in seen}


def test_a_workers_report_list_holds_what_they_received_or_their_case_holds(
    service: Running, world: World
) -> None:
    listed = {
        who: {
            r["report_id"]
            for r in httpx.get(service.url + "/v1/reports", headers=h).json()["items"]
        }
        for who, h in callers(world).items()
    }
    in_case, alone = world.in_case["report_id"], world.alone["report_id"]
    assert {who for who, ids in listed.items() if in_case in ids} == {
        who for who, status in SEES.items() if status == 200
    }
    assert {who for who, ids in listed.items() if alone in ids} == {"the receiver", "a supervisor"}
    assert listed["off the team"] == set()


def test_a_report_no_case_holds_is_for_supervisors_and_the_worker_who_received_it(
    service: Running, world: World
) -> None:
    report, child = world.alone["report_id"], world.alone["child_id"]
    for path in (f"/v1/reports/{report}", f"/v1/children/{child}"):
        status = {
            who: httpx.get(service.url + path, headers=h).status_code
            for who, h in callers(world).items()
        }
        assert status == {**SEES, "on the team": 404}


def test_acknowledgements_are_recorded_only_by_who_may_see_the_report(
    service: Running, world: World
) -> None:
    """Security issue item 1: a write on a report follows the same rule as a read."""
    path = f"/v1/reports/{world.in_case['report_id']}/acknowledgements"
    everyone = callers(world)
    order = [*(w for w in everyone if SEES[w] == 404), *(w for w in everyone if SEES[w] == 200)]
    recipients = iter(["police", "police", "police", "place_responsible", "civil_affairs"])
    answers = {}
    for who in order:
        ack = {
            "recipient": next(recipients),
            "acknowledged_by": fake_name(random.Random(who)),
            "acknowledged_at": datetime.now(UTC).isoformat(),
        }
        answers[who] = post(service, path, ack, everyone[who]).status_code
    assert answers == {who: 201 if status == 200 else 404 for who, status in SEES.items()}


def test_a_case_is_opened_only_from_reports_the_opener_may_see(
    service: Running, world: World
) -> None:
    """A report the opener may not see is refused as one that does not exist (422 I-1)."""
    off_team = auth("worker", world.org, f"w-off-{world.org}")
    hidden_id, missing_id = world.alone["report_id"], str(uuid4())
    hidden = post(service, "/v1/cases", {"report_ids": [hidden_id]}, off_team)
    missing = post(service, "/v1/cases", {"report_ids": [missing_id]}, off_team)
    assert hidden.status_code == 422 and hidden.json()["rule"] == "I-1"
    assert hidden.text.replace(hidden_id, "R") == missing.text.replace(missing_id, "R")


def test_a_duplicate_hint_names_only_children_the_caller_may_see(
    service: Running, world: World
) -> None:
    path = f"{service.url}/v1/children/{world.in_case['child_id']}/possible-duplicates"
    by_supervisor = httpx.get(path, headers=auth("supervisor", world.org)).json()
    assert [m["record_id"] for m in by_supervisor] == [world.duplicate["child_id"]]
    by_team = httpx.get(path, headers=auth("worker", world.org, world.woman)).json()
    assert by_team == []


def test_lists_never_show_an_id_number_the_single_record_does_to_who_may_see_it(
    service: Running, world: World
) -> None:
    """Security issue item 6: no list answer (reports, cases, duplicate hints) carries the
    child's ID number, not even in part, whoever asks; the child's own record shows it whole to
    a caller the record rule lets see it."""
    number = world.resident_id
    child = f"{service.url}/v1/children/{world.in_case['child_id']}"
    for who in ("on the team", "the receiver", "a supervisor"):
        headers = callers(world)[who]
        assert httpx.get(child, headers=headers).json()["child"]["resident_id"] == number
        for path in (
            "/v1/reports",
            "/v1/cases",
            f"/v1/children/{world.in_case['child_id']}/possible-duplicates",
        ):
            text = httpx.get(service.url + path, headers=headers).text
            assert number[:14] not in text and number[-8:] not in text, (who, path)


# --- Idempotency-Key (security issue item 2): same key and body, the first answer, nothing new --


def twice(intake_db: str, service: Running, path: str, body: dict, headers: dict) -> dict:
    """Send the same keyed request twice: the second answers what the first did, appends nothing."""
    keyed = {**headers, "Idempotency-Key": f"key-{uuid4()}"}
    first = post(service, path, body, keyed)
    assert first.status_code == 201, first.text
    before = stored_events(intake_db)
    again = post(service, path, body, keyed)
    assert (again.status_code, again.json()) == (first.status_code, first.json()), path
    assert stored_events(intake_db) == before, path
    return first.json()


def test_staff_registration_checks_and_deregistration_repeated_with_their_key_append_nothing(
    database: str, service: Running
) -> None:
    org, worker = f"org-{uuid4().hex[:8]}", f"w-{uuid4().hex[:6]}"
    admin = auth("org_admin", org)
    twice(database, service, "/v1/staff", staff_body(org, worker), admin)
    check = {"checked_on": str(date.today() - timedelta(days=3)), "clean": True}
    twice(database, service, f"/v1/staff/{worker}/background-checks", check, admin)
    leave = {"deregistered_on": str(date.today()), "reason": "left_organisation"}
    twice(database, service, f"/v1/staff/{worker}/deregistration", leave, admin)


def test_case_opening_and_acknowledgement_repeated_with_their_key_append_nothing(
    database: str, service: Running
) -> None:
    org = f"org-{uuid4().hex[:8]}"
    supervisor = auth("supervisor", org)
    report = received(service, report_body(recent_report(92, {4})), supervisor)
    ack = {
        "recipient": "police",
        "acknowledged_by": fake_name(random.Random(92)),
        "acknowledged_at": datetime.now(UTC).isoformat(),
    }
    twice(database, service, f"/v1/reports/{report['report_id']}/acknowledgements", ack, supervisor)
    twice(database, service, "/v1/cases", {"report_ids": [report["report_id"]]}, supervisor)


def test_case_work_repeated_with_its_key_appends_nothing(
    database: str, service: Running, world: World
) -> None:
    """Visits, investigation, statement, consent and a status move: each once."""
    url, db = f"/v1/cases/{world.case['case_id']}", database
    team = auth("worker", world.org, world.woman)
    workers = [world.woman, world.man]
    assert twice(db, service, url + "/visits", visit_body(workers, True), team)["visits"] == 1
    investigation = {
        "investigated_at": datetime.now(UTC).isoformat(),
        "investigator_ids": workers,
        "findings": FINDINGS,
    }
    assert twice(db, service, url + "/investigations", investigation, team)["investigations"] == 1
    assert twice(db, service, url + "/initial-statement", statement(), team)["statement_at"]
    consent = {
        "given_by": fake_name(random.Random(93)),
        "relation": "母亲",
        "scopes": ["service"],
        "given_at": datetime.now(UTC).isoformat(),
    }
    assert twice(db, service, url + "/consents", consent, team)["consents"] == 1
    keyed = {**auth("supervisor", world.org), "Idempotency-Key": f"key-{uuid4()}"}
    moved = [post(service, url + "/status", {"to": "in_service"}, keyed) for _ in range(2)]
    assert [m.status_code for m in moved] == [200, 200] and moved[0].json() == moved[1].json()


# --- ranges and sizes (security issue items 3 and 4): 422, never 500 ---------------------------


def problem_fields(response: httpx.Response) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


@pytest.mark.parametrize(
    "received_at", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+08:00"], ids=["9999", "0001"]
)
def test_a_report_received_in_year_9999_or_0001_is_a_422(
    service: Running, world: World, received_at: str
) -> None:
    body = report_body(recent_report(94, set()), received_at=received_at)
    response = post(service, "/v1/reports", body, auth("supervisor", world.org))
    assert response.status_code == 422, response.text
    assert problem_fields(response) == {"received_at"}


def test_a_visit_in_year_0001_is_a_422(service: Running, world: World) -> None:
    body = {**visit_body([world.woman, world.man], True), "visited_at": "0001-01-01T00:00:00+08:00"}
    url = f"/v1/cases/{world.case['case_id']}/visits"
    response = post(service, url, body, auth("worker", world.org, world.woman))
    assert response.status_code == 422 and problem_fields(response) == {"visited_at"}


@pytest.mark.parametrize(("years", "code"), [(-1, "birth_date_in_future"), (18, "not_a_minor")])
def test_a_child_born_after_the_report_or_18_by_then_is_a_422_naming_i_7(
    service: Running, world: World, years: int, code: str
) -> None:
    """A child is under 18 (DOMAIN §1, I-7), born by the day the report comes in."""
    report = recent_report(95, set())
    on = report.received_at.date()
    body = report_body(report)
    born = date(on.year - years, on.month, min(on.day, 28))
    body["child"] = {**body["child"], "resident_id": None, "birth_date": str(born)}
    body["what_happened"]["occurred_at"] = None
    response = post(service, "/v1/reports", body, auth("supervisor", world.org))
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == "I-7"
    assert [v["code"] for v in response.json()["violations"]] == [code]


def big_household() -> dict:
    return {"guardians": [{"name": BIG, "relation": "祖母"}]}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/investigations",
            {"investigated_at": "NOW", "findings": {**FINDINGS, "harm_type": BIG}},
            "findings.harm_type",
        ),
        (
            "/investigations",
            {"investigated_at": "NOW", "findings": {**FINDINGS, "other": BIG}},
            "findings.other",
        ),
        (
            "/initial-statement",
            {"stated_at": "NOW", "statement": {**statement()["statement"], "situation": BIG}},
            "statement.situation",
        ),
        ("/household", big_household(), "guardians.0.name"),
        ("/household", {"members": [{"name": "合成", "relation": BIG}]}, "members.0.relation"),
        (
            "/household",
            {"other_minors": [{"name": BIG, "relation": "表妹"}]},
            "other_minors.0.name",
        ),
        ("/visits", {"notes": BIG}, "notes"),
        ("/categories", {"evidence": {"poor_family": BIG}}, "evidence.poor_family"),
    ],
    ids=[
        "investigation",
        "investigation-other",
        "statement",
        "guardian",
        "member",
        "minor",
        "visit",
        "evidence",
    ],
)
def test_a_300_kb_text_in_case_work_is_a_422_naming_the_field(
    service: Running, world: World, path: str, body: dict, field: str
) -> None:
    now = datetime.now(UTC).isoformat()
    if path == "/visits":
        body = {**visit_body([world.woman, world.man], True), **body}
    sent = {k: (now if v == "NOW" else v) for k, v in body.items()}
    url = f"{service.url}/v1/cases/{world.case['case_id']}{path}"
    headers = auth("worker", world.org, world.woman)
    method = httpx.put if path in ("/household", "/categories") else httpx.post
    response = method(url, json=sent, headers=headers, timeout=30)
    assert response.status_code == 422, response.text[:500]
    assert field in problem_fields(response)


def test_a_300_kb_text_in_a_report_is_a_422(service: Running, world: World) -> None:
    body = report_body(recent_report(96, set()))
    body["what_happened"]["description"] = BIG
    body["reporter"]["contact"] = BIG
    response = post(service, "/v1/reports", body, auth("supervisor", world.org))
    assert response.status_code == 422
    assert {"what_happened.description", "reporter.contact"} <= problem_fields(response)


def test_an_id_longer_than_any_id_in_a_query_or_a_path_is_a_422(
    service: Running, world: World
) -> None:
    headers, long = auth("supervisor", world.org), "x" * 201
    listed = httpx.get(service.url + "/v1/reports", params={"child_id": long}, headers=headers)
    assert listed.status_code == 422 and problem_fields(listed) == {"child_id"}
    read = httpx.get(f"{service.url}/v1/children/{long}", headers=headers)
    assert read.status_code == 422


# --- staff ids per organisation (security issue item 5) --------------------------------------


def test_two_organisations_register_the_same_staff_id_and_neither_reaches_the_others(
    service: Running,
) -> None:
    """The registry's key is (organisation, id): both succeed; a check, suspension or
    deregistration in one leaves the other's entry and cases as they were."""
    shared = f"w-shared-{uuid4().hex[:6]}"
    first, second = f"org-{uuid4().hex[:8]}", f"org-{uuid4().hex[:8]}"
    cleared_worker(service, first, shared, "female")
    man = f"w-m-{uuid4().hex[:6]}"
    cleared_worker(service, first, man, "male")
    report = received(service, report_body(recent_report(97, {4})), auth("supervisor", first))
    case = post(
        service, "/v1/cases", {"report_ids": [report["report_id"]]}, auth("supervisor", first)
    ).json()
    url = f"{service.url}/v1/cases/{case['case_id']}"
    assert (
        httpx.put(
            url + "/team", json={"worker_ids": [shared, man]}, headers=auth("supervisor", first)
        ).status_code
        == 200
    )

    theirs = staff_body(second, shared, name="合成另一人", gender="male")
    registered = post(service, "/v1/staff", theirs, auth("org_admin", second))
    assert registered.status_code == 201, registered.text
    assert registered.json()["organisation"] == second and registered.json()["name"] == "合成另一人"
    positive = {"checked_on": str(date.today()), "clean": False}
    checked = post(
        service, f"/v1/staff/{shared}/background-checks", positive, auth("org_admin", second)
    )
    assert checked.status_code == 201 and checked.json()["suspended"] is True

    ours = httpx.get(f"{service.url}/v1/staff/{shared}", headers=auth("org_admin", first)).json()
    assert (ours["organisation"], ours["suspended"], ours["gender"]) == (first, False, "female")
    assert ours["name"] != "合成另一人"
    assert httpx.get(url, headers=auth("supervisor", first)).json()["team"] == sorted([shared, man])
    listed = httpx.get(service.url + "/v1/staff", headers=auth("org_admin", second)).json()
    assert [(s["worker_id"], s["organisation"]) for s in listed] == [(shared, second)]
