"""The intake service as a real process: staff registry (DOMAIN §12) and reports with
mandatory reporting (DOMAIN §2-3), over HTTP, against the local PostgreSQL and Kafka."""

import asyncio
import json
import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import asyncpg
import httpx
import pytest
from aiokafka import ConsumerRecord

from events import devissuer
from events.kafka import events_topic
from intake.domain import Gender
from intake.handlers.staff import worker_stream
from tests.conftest import _asyncpg_url, _create_database, _drop_database
from tests.e2e.conftest import Running, start_service, wait_until
from tests.e2e.intake_people import register_supervisor
from tests.integration.harness import envelopes, read_topic
from tests.synthetic import FakeReport, fake_child, fake_name, fake_report

TOPIC = events_topic("intake")


@pytest.fixture(scope="module")
def org() -> str:
    return f"org-{uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def intake(stack, tmp_path_factory) -> Iterator[tuple[Running, str]]:
    """The intake service on a new database; yields it with that database's plain URL."""
    admin = stack["CARELEDGER_PG_ADMIN_URL"]
    name = asyncio.run(_create_database(admin))
    url = _asyncpg_url(admin, name)
    service = start_service("intake", url, tmp_path_factory.mktemp("intake-logs"))
    try:
        wait_until(service, "/ready", 200)
        yield service, url.replace("postgresql+asyncpg://", "postgresql://", 1)
    finally:
        service.stop()
        asyncio.run(_drop_database(admin, name))


@pytest.fixture
def service(intake) -> Running:
    return intake[0]


def auth(role: str, org: str | None, subject: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {devissuer.issue_token(role, org=org, subject=subject)}"}


def staff_body(org: str, worker_id: str, role: str = "worker", **kw) -> dict:
    return {
        "worker_id": worker_id,
        "organisation": org,
        "role": role,
        "name": fake_name(random.Random(worker_id)),
        "gender": "female",
        "qualifications": ["social_worker"],
        "years_in_child_services": 5,
        **kw,
    }


def report_body(report: FakeReport, **kw) -> dict:
    child = report.child
    return {
        "source": "hotline",
        "received_at": report.received_at.isoformat(),
        "reporter": {
            "name": report.reporter.name,
            "organisation": report.reporter.role,
            "contact": report.reporter.phone,
        },
        "child": {
            "name": child.name,
            "gender": child.gender.value,
            "birth_date": child.birth_date.isoformat(),
            "resident_id": child.resident_id,
            "address": child.address,
        },
        "what_happened": {
            "occurred_at": report.occurred_at.isoformat(),
            "place": report.place,
            "description": report.description,
        },
        "triggers": sorted(report.triggers),
        "emergency": report.emergency,
        **kw,
    }


def recent_report(seed: int, triggers: set[int], emergency: bool = False) -> FakeReport:
    on = datetime.now(UTC).date() - timedelta(days=1)
    return fake_report(random.Random(seed), triggers=triggers, emergency=emergency, on=on)


def keyed(bootstrap: str, key: str, expect: int) -> list[ConsumerRecord]:
    """The records of the intake topic with this Kafka key (others share the topic)."""
    deadline = time.monotonic() + 30
    while True:
        records = asyncio.run(read_topic(bootstrap, TOPIC, expect=1, within=5))
        ours = [r for r in records if r.key == key.encode()]
        if len(ours) >= expect or time.monotonic() > deadline:
            return ours


def stored_events(db_url: str) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(db_url)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM events"))
        finally:
            await conn.close()

    return asyncio.run(count())


def test_an_org_admin_registers_a_worker_who_can_read_their_own_entry(service, org):
    response = httpx.post(
        service.url + "/v1/staff", json=staff_body(org, "w-alpha"), headers=auth("org_admin", org)
    )
    assert response.status_code == 201, response.text
    assert response.json()["suspended"] is False

    own = httpx.get(service.url + "/v1/staff/w-alpha", headers=auth("worker", org, "w-alpha"))
    assert own.status_code == 200 and own.json()["worker_id"] == "w-alpha"
    other = httpx.get(service.url + "/v1/staff/w-alpha", headers=auth("worker", org, "w-beta"))
    assert other.status_code == 403


def test_a_supervisor_with_too_little_experience_is_refused_naming_sz_7_1_5(service, org):
    body = staff_body(org, "s-junior", role="supervisor", years_in_child_services=2)
    response = httpx.post(service.url + "/v1/staff", json=body, headers=auth("supervisor", org))
    assert response.status_code == 422
    assert response.json()["rule"] == "SZ-7.1.5"


def test_staff_cannot_be_registered_in_another_organisation_nor_by_a_worker(service, org):
    body = staff_body("org-elsewhere", "w-gamma")
    refused = httpx.post(service.url + "/v1/staff", json=body, headers=auth("org_admin", org))
    assert refused.status_code == 403
    by_worker = httpx.post(
        service.url + "/v1/staff", json=staff_body(org, "w-delta"), headers=auth("worker", org)
    )
    assert by_worker.status_code == 403


def test_a_positive_background_check_suspends_the_worker_at_once(service, org, bootstrap):
    headers = auth("org_admin", org)
    worker = f"w-check-{org}"  # the topic outlives this test's database: ids must be new
    httpx.post(service.url + "/v1/staff", json=staff_body(org, worker), headers=headers)
    check = {"checked_on": str(date.today() - timedelta(days=1)), "clean": False}
    response = httpx.post(
        f"{service.url}/v1/staff/{worker}/background-checks", json=check, headers=headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["suspended"] is True and body["suspension_rule"] == "MZ-7.1.3"
    assert "staff_suspended" in [v["code"] for v in body["clearance"]]

    found = envelopes(keyed(bootstrap, worker_stream(org, worker), expect=3))
    assert [e.type for e in found] == [
        "intake.worker.registered.v1",
        "intake.worker.background_check_recorded.v2",
        "intake.worker.suspended.v2",
    ]
    # Backbone correctness item 13: the result and the reason are sealed under the staff scope
    assert {e.key_scope for e in found} == {f"staff:{org}:{worker}"}
    assert set(found[1].data["clean"]) == {"$enc"} and set(found[2].data["reason"]) == {"$enc"}


def test_a_report_with_triggers_files_a_mandatory_report_that_reaches_kafka_encrypted(
    service, org, bootstrap
):
    report = recent_report(21, {4, 6})
    response = httpx.post(
        service.url + "/v1/reports", json=report_body(report), headers=auth("worker", org)
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["mandatory"] is True and created["child"]["name"] == report.child.name
    recipients = {r["key"] for r in created["mandatory_report"]["recipients"]}
    assert {"police", "civil_affairs"} <= recipients

    ours = keyed(bootstrap, created["report_id"], expect=4)  # the new child's, then the report's
    filed = [e for e in envelopes(ours) if e.type == "intake.mandatory_report.filed.v1"]
    assert len(filed) == 1 and filed[0].key_scope == created["child_id"]
    assert (
        filed[0].data["triggers"] == [4, 6] and filed[0].data["report_id"] == created["report_id"]
    )
    assert set(filed[0].data["place"]) == {"$enc"} and set(filed[0].data["harm"]) == {"$enc"}
    raw = b"".join(r.value for r in ours).decode()
    for secret in (report.child.name, report.child.resident_id, report.reporter.phone):
        assert secret not in raw
    received = [json.loads(r.value) for r in ours]
    assert [r["type"] for r in received] == [
        "intake.child.registered.v1",
        "intake.report.received.v1",
        "intake.mandatory_report.filed.v1",
        "intake.report.civil_affairs_notified.v1",  # the filing told civil affairs (SZ-6.2.1)
    ]
    assert received[1]["data"]["emergency"] is False


def test_an_acknowledgement_by_the_police_is_recorded_once(service, org):
    report = recent_report(22, {7})
    headers = auth("supervisor", org)
    created = httpx.post(
        service.url + "/v1/reports", json=report_body(report), headers=headers
    ).json()
    url = f"{service.url}/v1/reports/{created['report_id']}/acknowledgements"
    ack = {
        "recipient": "police",
        "acknowledged_by": fake_name(random.Random(5)),
        "acknowledged_at": datetime.now(UTC).isoformat(),
        "reference": "JJ-2025-0001",
    }
    response = httpx.post(url, json=ack, headers=headers)
    assert response.status_code == 201, response.text
    listed = httpx.get(url, headers=headers).json()
    assert [(a["recipient"], a["reference"]) for a in listed] == [("police", "JJ-2025-0001")]
    assert httpx.post(url, json=ack, headers=headers).status_code == 409


def test_a_bad_resident_id_is_a_422_naming_i_7_and_nothing_is_stored(intake, org):
    service, db_url = intake
    report = recent_report(23, {4})
    body = report_body(report)
    good = body["child"]["resident_id"]
    body["child"]["resident_id"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = stored_events(db_url)
    response = httpx.post(service.url + "/v1/reports", json=body, headers=auth("worker", org))
    assert response.status_code == 422
    problem = response.json()
    assert problem["rule"] == "I-7"
    assert [v["code"] for v in problem["violations"]] == ["id_check_digit"]
    assert good[:-1] not in response.text
    assert stored_events(db_url) == before


def test_an_unknown_trigger_is_a_422_naming_sz_5_2(service, org):
    body = report_body(recent_report(24, {4}), triggers=[4, 10])
    response = httpx.post(service.url + "/v1/reports", json=body, headers=auth("worker", org))
    assert response.status_code == 422
    assert response.json()["rule"].startswith("SZ-5.2")


def test_reports_are_hidden_from_other_organisations_partners_and_anonymous_callers(service, org):
    created = httpx.post(
        service.url + "/v1/reports",
        json=report_body(recent_report(25, set())),
        headers=auth("worker", org),
    ).json()
    url = f"{service.url}/v1/reports/{created['report_id']}"
    assert httpx.get(url, headers=auth("worker", org)).status_code == 200
    assert httpx.get(url, headers=auth("worker", "org-elsewhere")).status_code == 404
    assert httpx.get(url, headers=auth("partner", org)).status_code == 403
    assert httpx.get(url).status_code == 401
    listed = httpx.get(service.url + "/v1/reports", headers=auth("worker", "org-elsewhere"))
    assert listed.json()["items"] == []


def test_a_retried_post_with_the_same_idempotency_key_returns_the_same_report(intake, org):
    service, db_url = intake
    body = report_body(recent_report(26, {9}, emergency=True))
    headers = {**auth("worker", org, "w-retry"), "Idempotency-Key": uuid4().hex}
    first = httpx.post(service.url + "/v1/reports", json=body, headers=headers)
    before = stored_events(db_url)
    again = httpx.post(service.url + "/v1/reports", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert stored_events(db_url) == before
    changed = {**body, "emergency": False}
    assert httpx.post(service.url + "/v1/reports", json=changed, headers=headers).status_code == 409


def test_reports_are_listed_newest_first_a_page_at_a_time(service):
    org = f"org-{uuid4().hex[:8]}"
    headers = auth("worker", org)
    ids = [
        httpx.post(
            service.url + "/v1/reports",
            json=report_body(recent_report(30 + i, set())),
            headers=headers,
        ).json()["report_id"]
        for i in range(3)
    ]
    first = httpx.get(service.url + "/v1/reports?limit=2", headers=headers).json()
    assert [r["report_id"] for r in first["items"]] == ids[::-1][:2]
    second = httpx.get(
        service.url + "/v1/reports",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=headers,
    ).json()
    assert [r["report_id"] for r in second["items"]] == ids[:1]
    assert second["next_cursor"] is None


def test_reports_naming_the_same_resident_id_are_about_the_same_child(service, org):
    headers = auth("worker", org)
    report = recent_report(40, {6})
    first = httpx.post(service.url + "/v1/reports", json=report_body(report), headers=headers)
    body = report_body(recent_report(41, set()))
    body["child"] = {**report_body(report)["child"], "resident_id": f" {report.child.resident_id} "}
    second = httpx.post(service.url + "/v1/reports", json=body, headers=headers)
    assert first.status_code == second.status_code == 201, second.text
    child_id = first.json()["child_id"]
    assert second.json()["child_id"] == child_id

    child = httpx.get(f"{service.url}/v1/children/{child_id}", headers=headers).json()
    assert child["report_ids"] == [first.json()["report_id"], second.json()["report_id"]]
    assert child["child"]["resident_id"] == report.child.resident_id
    elsewhere = httpx.get(f"{service.url}/v1/children/{child_id}", headers=auth("worker", "org-x"))
    assert elsewhere.status_code == 404


def test_a_child_reported_without_id_number_is_offered_as_a_possible_duplicate(service, org):
    headers = auth("supervisor", org)
    report = recent_report(42, set())
    first = httpx.post(service.url + "/v1/reports", json=report_body(report), headers=headers)
    body = report_body(report)
    body["child"] = {**body["child"], "resident_id": None}
    second = httpx.post(service.url + "/v1/reports", json=body, headers=headers).json()
    assert second["child_id"] != first.json()["child_id"]

    url = f"{service.url}/v1/children/{second['child_id']}/possible-duplicates"
    matches = httpx.get(url, headers=headers).json()
    assert [(m["record_id"], m["kind"]) for m in matches] == [
        (first.json()["child_id"], "name_birth_address")
    ]


def cleared_worker(service: Running, org: str, worker_id: str, gender: str) -> None:
    """A cleared worker of `org`; the organisation's `dev-supervisor`, whose token sets teams
    here, is registered with the first (SZ-7.1.5)."""
    register_supervisor(service.url, org)
    headers = auth("org_admin", org)
    body = staff_body(org, worker_id, gender=gender)
    assert httpx.post(service.url + "/v1/staff", json=body, headers=headers).status_code == 201
    check = {"checked_on": str(date.today() - timedelta(days=30)), "clean": True}
    url = f"{service.url}/v1/staff/{worker_id}/background-checks"
    assert httpx.post(url, json=check, headers=headers).status_code == 201


def girls_case(service: Running, org: str, seed: int) -> dict:
    report = fake_report(
        random.Random(seed),
        child=fake_child(random.Random(seed), gender=Gender.FEMALE, on=date.today()),
        triggers={4},
        emergency=False,
        on=datetime.now(UTC).date() - timedelta(days=1),
    )
    headers = auth("supervisor", org)
    created = httpx.post(service.url + "/v1/reports", json=report_body(report), headers=headers)
    body = {"report_ids": [created.json()["report_id"]]}
    case = httpx.post(service.url + "/v1/cases", json=body, headers=headers)
    assert case.status_code == 201, case.text
    return case.json()


def test_a_case_opened_from_a_report_gets_a_number_and_a_team_that_meets_i_5(service, org):
    suffix = uuid4().hex[:6]
    woman, man = f"w-f-{suffix}", f"w-m-{suffix}"
    cleared_worker(service, org, woman, "female")
    cleared_worker(service, org, man, "male")
    case = girls_case(service, org, 50)
    assert case["case_number"].startswith(f"{datetime.now(UTC).year}-")
    headers = auth("supervisor", org)
    team_url = f"{service.url}/v1/cases/{case['case_id']}/team"

    alone = httpx.put(team_url, json={"worker_ids": [woman]}, headers=headers)
    assert alone.status_code == 422
    assert alone.json()["rule"] == "MZ-6.2.2" and alone.json()["domain_rule"] == "I-5"

    team = httpx.put(team_url, json={"worker_ids": [woman, man]}, headers=headers)
    assert team.status_code == 200, team.text
    assert team.json()["team"] == sorted([woman, man])
    seen_by_member = httpx.get(
        f"{service.url}/v1/cases/{case['case_id']}", headers=auth("worker", org, man)
    )
    assert seen_by_member.status_code == 200
    other = httpx.get(f"{service.url}/v1/cases/{case['case_id']}", headers=auth("worker", org))
    assert other.status_code == 404


def test_once_a_case_is_open_its_reports_events_are_keyed_by_the_case_id(service, org, bootstrap):
    case = girls_case(service, org, 52)
    ack = {
        "recipient": "civil_affairs",
        "acknowledged_by": fake_name(random.Random(6)),
        "acknowledged_at": datetime.now(UTC).isoformat(),
    }
    url = f"{service.url}/v1/reports/{case['report_ids'][0]}/acknowledgements"
    assert httpx.post(url, json=ack, headers=auth("supervisor", org)).status_code == 201
    records = keyed(bootstrap, case["case_id"], expect=2)
    types = [e.type for e in envelopes(records)]
    assert types == ["intake.case.opened.v1", "intake.mandatory_report.acknowledged.v1"]


def girls_case_with_team(service, org: str, seed: int) -> tuple[str, str, str, dict, str]:
    """(suffix, woman, man, case, team URL): a girl's case whose team is a cleared woman and man."""
    suffix = uuid4().hex[:6]
    woman, man = f"w-f-{suffix}", f"w-m-{suffix}"
    cleared_worker(service, org, woman, "female")
    cleared_worker(service, org, man, "male")
    case = girls_case(service, org, seed)
    team_url = f"{service.url}/v1/cases/{case['case_id']}/team"
    body = {"worker_ids": [woman, man]}
    assert httpx.put(team_url, json=body, headers=auth("supervisor", org)).status_code == 200
    return suffix, woman, man, case, team_url


def test_a_positive_check_takes_the_worker_off_their_cases_at_once(service, org, bootstrap):
    suffix, woman, man, case, team_url = girls_case_with_team(service, org, 51)
    headers = auth("supervisor", org)

    positive = {"checked_on": str(date.today()), "clean": False}
    url = f"{service.url}/v1/staff/{man}/background-checks"
    assert httpx.post(url, json=positive, headers=auth("org_admin", org)).status_code == 201
    after = httpx.get(f"{service.url}/v1/cases/{case['case_id']}", headers=headers).json()
    assert after["team"] == [woman]

    second_man = f"w-m2-{suffix}"
    cleared_worker(service, org, second_man, "male")
    body = {"worker_ids": [woman, man, second_man]}
    again = httpx.put(team_url, json=body, headers=headers)
    assert again.status_code == 409 and again.json()["domain_rule"] == "§12"
    codes = {v["code"] for v in again.json()["violations"]}
    assert codes == {"background_check_not_clean", "staff_suspended"}
    records = keyed(bootstrap, case["case_id"], expect=4)
    types = [e.type for e in envelopes(records)]
    assert types == [
        "intake.case.opened.v1",
        "intake.case.team_assigned.v1",
        "intake.case.worker_removed.v2",
        "intake.case.understaffed.v1",  # one worker left: flagged (MZ-6.2.2, issue 14 item 4)
    ]


def test_a_worker_who_leaves_is_taken_off_their_cases_and_cannot_be_assigned(
    service, org, bootstrap
):
    suffix, woman, man, case, team_url = girls_case_with_team(service, org, 53)
    headers, admin = auth("supervisor", org), auth("org_admin", org)

    url = f"{service.url}/v1/staff/{man}/deregistration"
    later = {"deregistered_on": str(date.today() + timedelta(days=2)), "reason": "dismissed"}
    assert httpx.post(url, json=later, headers=admin).status_code == 422
    assert httpx.post(url, json={"reason": "retired"}, headers=admin).status_code == 422
    body = {"deregistered_on": str(date.today()), "reason": "left_organisation"}
    assert httpx.post(url, json=body, headers=auth("worker", org)).status_code == 403
    left = httpx.post(url, json=body, headers=admin)
    assert left.status_code == 201, left.text
    assert (left.json()["deregistered_on"], left.json()["deregistration_reason"]) == (
        str(date.today()),
        "left_organisation",
    )
    assert "staff_deregistered" in {v["code"] for v in left.json()["clearance"]}
    assert httpx.post(url, json=body, headers=admin).status_code == 409

    after = httpx.get(f"{service.url}/v1/cases/{case['case_id']}", headers=headers).json()
    assert after["team"] == [woman]
    second_man = f"w-m2-{suffix}"
    cleared_worker(service, org, second_man, "male")
    body = {"worker_ids": [woman, man, second_man]}
    again = httpx.put(team_url, json=body, headers=headers)
    assert again.status_code == 409
    assert [v["code"] for v in again.json()["violations"]] == ["staff_deregistered"]
    found = envelopes(keyed(bootstrap, case["case_id"], expect=4))
    [removed] = [e for e in found if e.type == "intake.case.worker_removed.v2"]
    # Backbone correctness item 13: why they left is sealed (the staff entry above shows it)
    assert removed.data["worker_id"] == man and set(removed.data["reason"]) == {"$enc"}


# --- case work, status, categories, lists (DOMAIN §2, §5, I-2 to I-5) ------------------------

FINDINGS = {  # synthetic
    "harm_type": "合成：疑似家庭暴力",
    "degree": "合成：手臂淤青",
    "time_and_place": "合成：上周，家中",
    "environment_or_perpetrator": "合成：与继父同住",
    "social_support": "合成：祖母每周探望",
}
STATEMENT = {
    "basic_info": "合成儿童，9岁",
    "situation": "合成：疑似遭受家庭暴力",
    "needs": "合成：安全保障、心理支持",
    "next_steps": "合成：每周家访，联系学校",
}


def staffed_emergency_case(service: Running, org: str, seed: int, opener: str) -> tuple[dict, list]:
    """An emergency case about a girl, opened by worker `opener`, with a team of two."""
    suffix = uuid4().hex[:6]
    woman, man = f"w-f-{suffix}", f"w-m-{suffix}"
    cleared_worker(service, org, woman, "female")
    cleared_worker(service, org, man, "male")
    report = fake_report(
        random.Random(seed),
        child=fake_child(random.Random(seed), gender=Gender.FEMALE, on=date.today()),
        triggers={4},
        emergency=True,
        on=datetime.now(UTC).date(),
    )
    body = report_body(report, received_at=(datetime.now(UTC) - timedelta(hours=2)).isoformat())
    headers = auth("worker", org, opener)
    created = httpx.post(service.url + "/v1/reports", json=body, headers=headers)
    assert created.status_code == 201, created.text
    case = httpx.post(
        service.url + "/v1/cases",
        json={"report_ids": [created.json()["report_id"]]},
        headers=headers,
    ).json()
    url = f"{service.url}/v1/cases/{case['case_id']}/team"
    team = httpx.put(url, json={"worker_ids": [woman, man]}, headers=auth("supervisor", org))
    assert team.status_code == 200, team.text
    return team.json(), [woman, man]


def visit_body(workers: list[str], present: bool, informed: bool = False) -> dict:
    return {
        "visited_at": (datetime.now(UTC) - timedelta(minutes=10)).isoformat(),
        "worker_ids": workers,
        "guardian_present": present,
        "guardian_informed": informed,
        "place": "合成地址：晴川路1号",
        "notes": "合成：儿童情绪稳定",
    }


def test_visit_investigation_and_statement_are_recorded_in_order_and_stop_the_report_clocks(
    service, org, bootstrap
):
    case, (woman, man) = staffed_emergency_case(service, org, 60, opener="w-opener-60")
    assert case["emergency"] and case["status"] == "open" and not case["overdue"]
    url = f"{service.url}/v1/cases/{case['case_id']}"
    headers = auth("worker", org, woman)

    alone = httpx.post(url + "/visits", json=visit_body([woman], False), headers=headers)
    assert alone.status_code == 422 and alone.json()["rule"] == "JX-7.3"
    early = httpx.post(url + "/initial-statement", json=statement(), headers=headers)
    assert early.status_code == 409 and early.json()["rule"] == "SZ-6.2.1"

    both = httpx.post(url + "/visits", json=visit_body([woman, man], False, True), headers=headers)
    assert both.status_code == 201, both.text
    assert both.json()["visits"] == 1 and both.json()["first_visit_at"] is not None
    body = {
        "investigated_at": datetime.now(UTC).isoformat(),
        "investigator_ids": [woman, man],
        "findings": FINDINGS,
    }
    assert httpx.post(url + "/investigations", json=body, headers=headers).status_code == 201
    stated = httpx.post(url + "/initial-statement", json=statement(), headers=headers)
    assert stated.status_code == 201 and stated.json()["statement_at"] is not None
    again = httpx.post(url + "/initial-statement", json=statement(), headers=headers)
    assert again.status_code == 409

    file = httpx.get(url + "/file", headers=headers).json()
    assert file["visits"][0]["place"] == "合成地址：晴川路1号"
    assert file["investigations"][0]["findings"]["harm_type"] == FINDINGS["harm_type"]
    assert file["initial_statement"]["statement"] == STATEMENT

    records = keyed(bootstrap, case["case_id"], expect=5)
    stops = {e.type: e for e in envelopes(records)}
    for name in ("intake.case.visit_recorded.v1", "intake.case.initial_statement_recorded.v1"):
        assert stops[name].data["report_ids"] == case["report_ids"]
    visit = stops["intake.case.visit_recorded.v1"]
    assert visit.data["first_visit"] is True and "晴川路" not in json.dumps(visit.data)


def statement() -> dict:
    return {"stated_at": datetime.now(UTC).isoformat(), "statement": STATEMENT}


def test_only_the_assigned_workers_change_a_case_and_partners_reach_nothing(service, org):
    opener = "w-opener-61"
    case, (woman, _) = staffed_emergency_case(service, org, 61, opener=opener)
    url = f"{service.url}/v1/cases/{case['case_id']}"
    consent = {
        "given_by": fake_name(random.Random(61)),
        "relation": "母亲",
        "scopes": ["service", "recording"],
        "given_at": datetime.now(UTC).isoformat(),
    }
    assert httpx.get(url, headers=auth("worker", org, opener)).status_code == 200
    refused = httpx.post(url + "/consents", json=consent, headers=auth("worker", org, opener))
    assert refused.status_code == 403 and refused.json()["rule"] == "SZ-7.3.3"
    stranger = httpx.post(url + "/consents", json=consent, headers=auth("worker", org, "w-x"))
    assert stranger.status_code == 404
    assert httpx.get(url, headers=auth("partner", org)).status_code == 403
    assert httpx.get(service.url + "/v1/cases", headers=auth("partner", org)).status_code == 403
    done = httpx.post(url + "/consents", json=consent, headers=auth("worker", org, woman))
    assert done.status_code == 201 and done.json()["consents"] == 1

    mine = httpx.get(service.url + "/v1/cases", headers=auth("worker", org, woman)).json()
    assert [c["case_id"] for c in mine["items"]] == [case["case_id"]]


def test_a_supervisor_moves_a_case_and_a_move_the_table_forbids_is_a_409_naming_the_state(
    service, org
):
    case, (woman, man) = staffed_emergency_case(service, org, 62, opener="w-opener-62")
    url = f"{service.url}/v1/cases/{case['case_id']}"
    supervisor = auth("supervisor", org)
    by_worker = httpx.post(
        url + "/status", json={"to": "closing"}, headers=auth("worker", org, woman)
    )
    assert by_worker.status_code == 403
    wrong = httpx.post(url + "/status", json={"to": "closed"}, headers=supervisor)
    assert wrong.status_code == 409 and wrong.json()["state"] == "open"
    handed = httpx.post(url + "/status", json={"to": "handed_over"}, headers=supervisor)
    assert handed.status_code == 422 and handed.json()["rule"] == "JX-9.4.2"
    body = {"to": "transferred", "reason": "合成：转介至合成机构"}
    moved = httpx.post(url + "/status", json=body, headers=supervisor)
    assert moved.status_code == 200 and moved.json()["status"] == "transferred"
    late = httpx.post(url + "/visits", json=visit_body([woman, man], True), headers=supervisor)
    assert late.status_code == 409 and late.json()["state"] == "transferred"
    listed = httpx.get(service.url + "/v1/cases?status=transferred", headers=supervisor).json()
    assert case["case_id"] in {c["case_id"] for c in listed["items"]}


def test_categories_with_evidence_announce_the_follow_up_category_and_filter_the_list(
    service, org, bootstrap
):
    case, (woman, _) = staffed_emergency_case(service, org, 63, opener="w-opener-63")
    sibling, _ = staffed_emergency_case(service, org, 64, opener="w-opener-64")
    url = f"{service.url}/v1/cases/{case['case_id']}"
    headers = auth("worker", org, woman)
    evidence = {"poor_family": "合成：低保证明", "left_behind": "合成：父母外出务工"}
    put = httpx.put(url + "/categories", json={"evidence": evidence}, headers=headers)
    assert put.status_code == 200, put.text
    assert put.json()["categories"] == ["left_behind", "poor_family"]
    household = {
        "guardians": [{"name": fake_name(random.Random(63)), "relation": "祖母"}],
        "sibling_ids": [sibling["child_id"]],
    }
    assert httpx.put(url + "/household", json=household, headers=headers).status_code == 200
    file = httpx.get(url + "/file", headers=headers).json()
    assert file["categories"] == evidence
    assert file["household"]["sibling_ids"] == [sibling["child_id"]]

    filtered = httpx.get(
        service.url + "/v1/cases?category=poor_family", headers=auth("supervisor", org)
    ).json()
    assert [c["case_id"] for c in filtered["items"]] == [case["case_id"]]
    records = keyed(bootstrap, case["case_id"], expect=4)
    announced = [e for e in envelopes(records) if e.type == "intake.case.followup_category_set.v1"]
    assert [e.data["category"] for e in announced] == ["poor_family"]
    assert announced[0].data["child_id"] == case["child_id"]


def test_a_retried_visit_with_the_same_idempotency_key_is_recorded_once(service, org):
    case, workers = staffed_emergency_case(service, org, 65, opener="w-opener-65")
    url = f"{service.url}/v1/cases/{case['case_id']}/visits"
    headers = {**auth("worker", org, workers[0]), "Idempotency-Key": f"visit-{uuid4()}"}
    body = visit_body(workers, True)
    first = httpx.post(url, json=body, headers=headers)
    again = httpx.post(url, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["visits"] == 1
