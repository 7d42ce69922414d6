"""Issue 14 items 4, 5, 7, 9 and 10 at intake, over HTTP against a real process, PostgreSQL and
Kafka: the rules apply to the work (MZ-6.2.2, JX-7.3), nothing is dated before the report,
civil affairs is told of every intake (SZ-6.2.1), supervisors are registered ones (SZ-7.1.5) and
one age rule with the ID number's gender digit confirmed (I-7). Synthetic data only."""

import asyncio
import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from intake.domain import Gender
from tests.e2e import test_intake_api
from tests.e2e.conftest import Running
from tests.e2e.intake_people import SUPERVISING, register_supervisor
from tests.e2e.test_intake_api import (
    FINDINGS,
    auth,
    cleared_worker,
    recent_report,
    report_body,
    staff_body,
    visit_body,
)
from tests.synthetic import fake_child, fake_report, fake_resident_id

intake = test_intake_api.intake  # the fixture: the intake service on a new database


@pytest.fixture(scope="module")
def service(intake) -> Running:
    return intake[0]


@pytest.fixture(scope="module")
def database(intake) -> str:
    return intake[1]


def post(service: Running, path: str, body: dict, headers: dict) -> httpx.Response:
    return httpx.post(service.url + path, json=body, headers=headers, timeout=15)


def rows(db_url: str, query: str, *args: Any) -> list[Any]:
    async def fetch() -> list[Any]:
        conn = await asyncpg.connect(db_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return asyncio.run(fetch())


def outbox_of(db_url: str, stream_id: str) -> list[tuple[str, str]]:
    """(type, Kafka key) of the stream's queued messages, in order."""
    query = (
        "SELECT o.type, o.key FROM outbox o JOIN events e ON e.id = o.event_id "
        "WHERE e.stream_id = $1 ORDER BY o.id"
    )
    return [(r["type"], r["key"]) for r in rows(db_url, query, stream_id)]


def event_data(db_url: str, stream_id: str, type_: str) -> list[dict]:
    query = "SELECT envelope FROM events WHERE stream_id = $1 AND type = $2 ORDER BY position"
    return [json.loads(r["envelope"])["data"] for r in rows(db_url, query, stream_id, type_)]


def girl_of_12(seed: int, hours_ago: float = 3) -> dict:
    """A report about a girl of 12, received `hours_ago`, an emergency (24 h first visit)."""
    today = datetime.now(UTC).date()
    girl = fake_child(random.Random(seed), age_range=(12, 12), gender=Gender.FEMALE, on=today)
    report = fake_report(random.Random(seed), child=girl, triggers={4}, emergency=True, on=today)
    received = datetime.now(UTC) - timedelta(hours=hours_ago)
    body = report_body(report, received_at=received.isoformat())
    body["what_happened"]["occurred_at"] = (received - timedelta(hours=1)).isoformat()
    return body


def staffed_girls_case(service: Running, org: str, seed: int) -> tuple[dict, str, str, str]:
    """(case, woman, man, second man): a girl's emergency case whose team is all three."""
    suffix = uuid4().hex[:6]
    woman, man, man2 = f"w-f-{suffix}", f"w-m-{suffix}", f"w-m2-{suffix}"
    for who, gender in ((woman, "female"), (man, "male"), (man2, "male")):
        cleared_worker(service, org, who, gender)
    supervisor = auth("supervisor", org)
    report = post(service, "/v1/reports", girl_of_12(seed), supervisor)
    assert report.status_code == 201, report.text
    case = post(service, "/v1/cases", {"report_ids": [report.json()["report_id"]]}, supervisor)
    url = f"{service.url}/v1/cases/{case.json()['case_id']}/team"
    team = httpx.put(url, json={"worker_ids": [woman, man, man2]}, headers=supervisor)
    assert team.status_code == 200, team.text
    return team.json(), woman, man, man2


# --- item 4: the work, not only the team on paper (MZ-6.2.2, I-5; JX-7.3) ----------------------


def test_a_lone_male_worker_s_first_visit_to_a_girl_of_12_is_refused_and_meets_no_clock(
    service: Running,
):
    org = f"org-{uuid4().hex[:8]}"
    case, woman, man, man2 = staffed_girls_case(service, org, 301)
    url, path = f"{service.url}/v1/cases/{case['case_id']}", f"/v1/cases/{case['case_id']}/visits"
    alone = post(service, path, visit_body([man], True), auth("worker", org, man))
    assert alone.status_code == 422, alone.text
    problem = alone.json()
    assert problem["rule"] == "MZ-6.2.2" and problem["domain_rule"] == "I-5"
    codes = [v["code"] for v in problem["violations"]]
    assert codes == ["team_too_few_qualified", "team_no_female_worker"]
    two_men = post(service, path, visit_body([man, man2], True), auth("worker", org, man))
    assert [v["code"] for v in two_men.json()["violations"]] == ["team_no_female_worker"]
    after = httpx.get(url, headers=auth("supervisor", org)).json()
    assert after["visits"] == 0 and after["first_visit_at"] is None

    both = post(service, path, visit_body([woman, man], True), auth("worker", org, man))
    assert both.status_code == 201, both.text
    assert both.json()["first_visit_at"] is not None


def test_the_investigation_records_who_investigated_two_with_a_woman_for_a_girl(
    service: Running, database: str
):
    org = f"org-{uuid4().hex[:8]}"
    case, woman, man, _ = staffed_girls_case(service, org, 302)
    path, who = f"/v1/cases/{case['case_id']}/investigations", auth("worker", org, woman)
    now = datetime.now(UTC).isoformat()
    unnamed = post(service, path, {"investigated_at": now, "findings": FINDINGS}, who)
    assert unnamed.status_code == 422
    lone = {"investigated_at": now, "investigator_ids": [man], "findings": FINDINGS}
    refused = post(service, path, lone, who)
    assert refused.status_code == 422 and refused.json()["rule"] == "MZ-6.2.2"
    body = {**lone, "investigator_ids": [woman, man]}
    assert post(service, path, body, who).status_code == 201
    [recorded] = event_data(database, case["case_id"], "intake.case.investigation_recorded.v2")
    assert recorded["investigator_ids"] == sorted([woman, man])
    assert set(recorded["findings"]) == {"$enc"}
    file = httpx.get(f"{service.url}/v1/cases/{case['case_id']}/file", headers=who).json()
    assert file["investigations"][0]["investigator_ids"] == sorted([woman, man])


def test_an_unregistered_or_suspended_visitor_is_refused(service: Running):
    org = f"org-{uuid4().hex[:8]}"
    case, woman, man, man2 = staffed_girls_case(service, org, 303)
    path = f"/v1/cases/{case['case_id']}/visits"
    positive = {"checked_on": str(date.today()), "clean": False}
    checked = post(service, f"/v1/staff/{man2}/background-checks", positive, auth("org_admin", org))
    assert checked.status_code == 201
    off_team = post(service, path, visit_body([woman, man, man2], True), auth("worker", org, woman))
    assert off_team.status_code == 422  # the suspension took them off the team (MZ-7.1.3)
    assert [v["code"] for v in off_team.json()["violations"]] == ["visitor_not_on_team"]


def test_a_suspension_that_leaves_one_worker_flags_the_case_for_the_supervisor(
    service: Running, database: str
):
    org = f"org-{uuid4().hex[:8]}"
    suffix = uuid4().hex[:6]
    woman, man = f"w-f-{suffix}", f"w-m-{suffix}"
    cleared_worker(service, org, woman, "female")
    cleared_worker(service, org, man, "male")
    supervisor = auth("supervisor", org)
    report = post(service, "/v1/reports", girl_of_12(304), supervisor).json()
    case = post(service, "/v1/cases", {"report_ids": [report["report_id"]]}, supervisor).json()
    url = f"{service.url}/v1/cases/{case['case_id']}/team"
    assert httpx.put(url, json={"worker_ids": [woman, man]}, headers=supervisor).status_code == 200

    positive = {"checked_on": str(date.today()), "clean": False}
    path = f"/v1/staff/{man}/background-checks"
    assert post(service, path, positive, auth("org_admin", org)).status_code == 201
    [flag] = event_data(database, case["case_id"], "intake.case.understaffed.v1")
    assert flag["case_id"] == case["case_id"] and flag["organisation"] == org
    assert flag["child_id"] == case["child_id"] and flag["remaining_worker_ids"] == [woman]
    assert flag["removed_worker_id"] == man and flag["rule"] == "MZ-6.2.2"
    assert flag["shortfalls"] == ["team_too_few_qualified"]
    assert flag["notify_roles"] == ["supervisor"]
    keys = dict(outbox_of(database, case["case_id"]))
    assert keys["intake.case.understaffed.v1"] == case["case_id"]


# --- item 5: nothing before the report, nothing in the future -----------------------------------


@pytest.mark.parametrize("when", ["before the report", "in the future"])
def test_work_dated_before_the_report_or_in_the_future_is_refused_naming_its_rule(
    service: Running, when: str
):
    org = f"org-{uuid4().hex[:8]}"
    case, woman, man, _ = staffed_girls_case(service, org, 305)
    received = datetime.fromisoformat(
        httpx.get(
            f"{service.url}/v1/reports/{case['report_ids'][0]}", headers=auth("supervisor", org)
        ).json()["received_at"]
    )
    at = (
        received - timedelta(minutes=5)
        if when == "before the report"
        else datetime.now(UTC) + timedelta(minutes=10)
    )
    code = "before_report" if when == "before the report" else "in_the_future"
    base, who = f"/v1/cases/{case['case_id']}", auth("worker", org, woman)
    visit = {**visit_body([woman, man], True), "visited_at": at.isoformat()}
    investigation = {
        "investigated_at": at.isoformat(),
        "investigator_ids": [woman, man],
        "findings": FINDINGS,
    }
    for path, body, rule in (
        ("/visits", visit, "JX-7.3"),
        ("/investigations", investigation, "SZ-6.2.2"),
    ):
        refused = post(service, base + path, body, who)
        assert refused.status_code == 422, refused.text
        assert refused.json()["rule"] == rule
        assert [v["code"] for v in refused.json()["violations"]] == [code]
    after = httpx.get(service.url + base, headers=who).json()
    assert after["visits"] == 0 and after["first_visit_at"] is None


# --- item 7: civil affairs told of every intake (SZ-6.2.1) --------------------------------------


def test_every_report_s_notice_to_civil_affairs_is_recorded_once_and_keyed_by_its_case(
    service: Running, database: str
):
    org = f"org-{uuid4().hex[:8]}"
    worker = auth("worker", org, "w-notice")
    report = post(service, "/v1/reports", report_body(recent_report(306, set())), worker).json()
    assert report["mandatory"] is False and report["civil_affairs_notice"] is None
    path = f"/v1/reports/{report['report_id']}/civil-affairs-notice"
    early = {
        "notified_at": (
            datetime.fromisoformat(report["received_at"]) - timedelta(hours=1)
        ).isoformat()
    }
    too_early = post(service, path, early, worker)
    assert too_early.status_code == 422 and too_early.json()["rule"] == "SZ-6.2.1"

    supervisor = auth("supervisor", org)
    case = post(service, "/v1/cases", {"report_ids": [report["report_id"]]}, supervisor).json()
    body = {"notified_at": datetime.now(UTC).isoformat(), "reference": "合成民政-001"}
    keyed = {**worker, "Idempotency-Key": f"notice-{uuid4()}"}
    first, again = post(service, path, body, keyed), post(service, path, body, keyed)
    assert first.status_code == again.status_code == 201, first.text
    notice = first.json()["civil_affairs_notice"]
    assert notice["notified_by"] == "w-notice" and notice["reference"] == "合成民政-001"
    assert post(service, path, body, worker).status_code == 409
    queued = outbox_of(database, f"report-{report['report_id']}")
    assert queued[-1] == ("intake.report.civil_affairs_notified.v1", case["case_id"])
    assert [t for t, _ in queued].count("intake.report.civil_affairs_notified.v1") == 1
    other = auth("worker", f"{org}-other", "w-notice")
    assert post(service, path, body, other).status_code == 404


def test_a_mandatory_report_to_civil_affairs_is_its_notice(service: Running, database: str):
    org = f"org-{uuid4().hex[:8]}"
    report = post(
        service, "/v1/reports", report_body(recent_report(307, {6})), auth("worker", org, "w-m")
    ).json()
    assert report["civil_affairs_notice"]["notified_by"] == "w-m"
    [data] = event_data(
        database, f"report-{report['report_id']}", "intake.report.civil_affairs_notified.v1"
    )
    assert data["rule"] == "SZ-6.2.1" and data["report_id"] == report["report_id"]
    assert data["child_id"] == report["child_id"] and data["organisation"] == org
    queued = dict(outbox_of(database, f"report-{report['report_id']}"))
    assert queued["intake.report.civil_affairs_notified.v1"] == report["report_id"]


# --- item 9: registered supervisors (SZ-7.1.5) ----------------------------------------------------


def test_a_supervisor_without_the_registered_qualification_is_refused_sz_7_1_5(service: Running):
    org = f"org-{uuid4().hex[:8]}"
    body = staff_body(org, f"s-{uuid4().hex[:6]}", role="supervisor", years_in_child_services=9)
    refused = post(service, "/v1/staff", body, auth("org_admin", org))
    assert refused.status_code == 422 and refused.json()["rule"] == "SZ-7.1.5"
    assert [v["code"] for v in refused.json()["violations"]] == ["supervisor_not_registered"]
    ok = post(service, "/v1/staff", {**body, "qualifications": SUPERVISING}, auth("org_admin", org))
    assert ok.status_code == 201, ok.text


def test_only_a_registered_supervisor_sets_a_team_sz_7_1_5(service: Running):
    org = f"org-{uuid4().hex[:8]}"
    suffix = uuid4().hex[:6]
    woman, man = f"w-f-{suffix}", f"w-m-{suffix}"
    cleared_worker(service, org, woman, "female")  # registers dev-supervisor too
    cleared_worker(service, org, man, "male")
    supervisor = auth("supervisor", org)
    report = post(service, "/v1/reports", girl_of_12(308), supervisor).json()
    case = post(service, "/v1/cases", {"report_ids": [report["report_id"]]}, supervisor).json()
    url = f"{service.url}/v1/cases/{case['case_id']}/team"
    team = {"worker_ids": [woman, man]}

    stranger = httpx.put(url, json=team, headers=auth("supervisor", org, "s-unregistered"))
    assert stranger.status_code == 403 and stranger.json()["rule"] == "SZ-7.1.5"
    as_worker = httpx.put(url, json=team, headers=auth("supervisor", org, woman))
    assert as_worker.status_code == 403 and "supervisor_unregistered" in as_worker.json()["detail"]
    assert (
        httpx.get(f"{service.url}/v1/cases/{case['case_id']}", headers=supervisor).json()["team"]
        == []
    )
    register_supervisor(service.url, org, "s-registered")
    done = httpx.put(url, json=team, headers=auth("supervisor", org, "s-registered"))
    assert done.status_code == 200 and done.json()["team"] == sorted(team["worker_ids"])


# --- item 10: one age rule; the ID number's gender digit (I-7) ----------------------------------


def report_about(
    born: date, occurred: datetime | None, resident_id: str | None, gender: str = "female"
) -> dict:
    body = report_body(recent_report(309, set()))
    body["child"] = {
        **body["child"],
        "gender": gender,
        "birth_date": str(born),
        "resident_id": resident_id,
    }
    body["what_happened"]["occurred_at"] = occurred.isoformat() if occurred else None
    return body


@pytest.mark.parametrize("with_id", [False, True], ids=["without ID", "with ID"])
def test_one_age_rule_with_or_without_an_id_number_i_7(service: Running, with_id: bool):
    org = f"org-{uuid4().hex[:8]}"
    who = auth("worker", org)
    born_2000 = date(2000, 5, 4)
    number = fake_resident_id(born_2000, Gender.FEMALE) if with_id else None
    adult = post(service, "/v1/reports", report_about(born_2000, None, number), who)
    assert adult.status_code == 422 and adult.json()["rule"] == "I-7"
    assert [v["code"] for v in adult.json()["violations"]] == ["not_a_minor"]

    today = datetime.now(UTC).date()
    born = (
        date(today.year - 18, 1, 1)
        if today >= date(today.year, 1, 2)
        else date(today.year - 19, 6, 1)
    )
    at_17 = datetime(born.year + 17, 12, 30, 12, tzinfo=UTC)  # before the 18th birthday
    number = fake_resident_id(born, Gender.FEMALE) if with_id else None
    late = post(service, "/v1/reports", report_about(born, at_17, number), who)
    assert late.status_code == 201, late.text


def test_an_id_number_whose_gender_digit_contradicts_the_stated_gender_is_confirmed_or_refused(
    service: Running, database: str
):
    org = f"org-{uuid4().hex[:8]}"
    who = auth("worker", org, "w-confirm")
    born = datetime.now(UTC).date() - timedelta(days=365 * 9)
    boy_number = fake_resident_id(born, Gender.MALE)
    body = report_about(born, None, boy_number, gender="female")
    refused = post(service, "/v1/reports", body, who)
    assert refused.status_code == 422 and refused.json()["rule"] == "I-7"
    assert [v["code"] for v in refused.json()["violations"]] == ["id_gender_mismatch"]
    confirmed = post(
        service, "/v1/reports", {**body, "confirm_warnings": ["id_gender_mismatch"]}, who
    )
    assert confirmed.status_code == 201, confirmed.text
    report = confirmed.json()
    assert [w["code"] for w in report["confirmed_warnings"]] == ["id_gender_mismatch"]
    assert report["child"]["gender"] == "female"
    [data] = event_data(
        database, f"report-{report['report_id']}", "intake.report.warnings_confirmed.v1"
    )
    assert data["confirmed_by"] == "w-confirm" and boy_number not in str(data)
