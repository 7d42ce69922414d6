"""Personal data stays sealed wherever it goes (ARCHITECTURE, Security): a child's and a
family's names, ID number, address and contacts, sent through the real intake, assessment and
notify processes, appear in no log line, no problem body, no raw table row and no Kafka record;
only the API, to a caller allowed to read them, shows them. All data synthetic and seeded."""

import asyncio
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import asyncpg
import httpx
import pytest

from events.kafka import events_topic
from tests.e2e.assessment_support import auth, person, register_staff, running
from tests.e2e.intake_people import register_supervisor
from tests.e2e.test_intake_api import report_body
from tests.integration.harness import read_topic
from tests.synthetic import fake_name, fake_report

ORG = f"org-pii-{uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def trio(stack, tmp_path_factory) -> Iterator[dict]:
    logs = tmp_path_factory.mktemp("pii-logs")
    with running(stack, logs, "intake", "assessment", "notify") as up:
        yield {"up": up, "logs": logs, "bootstrap": stack["KAFKA_BOOTSTRAP_SERVERS"]}


@pytest.fixture(scope="module")
def sent(trio) -> dict:
    """A report, a case with its team, a household and a consent, with seeded personal data;
    returns what was sent that must stay sealed, and the problems the bad requests got."""
    intake, _ = trio["up"]["intake"]
    _, assessment_db = trio["up"]["assessment"]
    rng = random.Random(20261203)
    on = datetime.now(UTC).date() - timedelta(days=1)
    report = fake_report(rng, triggers=set(), emergency=False, on=on)
    guardian, member = fake_name(rng), fake_name(rng)
    secrets = {
        "child name": report.child.name,
        "ID number": report.child.resident_id,
        "address": report.child.address,
        "reporter": report.reporter.name,
        "reporter phone": report.reporter.phone,
        "guardian": guardian,
        "family member": member,
        "guardian phone": "13912345678",
    }
    first, second = person("female"), person("male")
    register_staff(intake, assessment_db, ORG, first, second)
    worker = auth("worker", ORG, first["worker_id"])
    supervisor = auth("supervisor", ORG, "s-pii")
    register_supervisor(intake.url, ORG, "s-pii")  # who sets the team (SZ-7.1.5)

    def call(method: str, path: str, body: dict, who: dict) -> httpx.Response:
        return httpx.request(method, intake.url + path, json=body, headers=who, timeout=15)

    received = call("POST", "/v1/reports", report_body(report), worker)
    assert received.status_code == 201, received.text
    opened = call("POST", "/v1/cases", {"report_ids": [received.json()["report_id"]]}, supervisor)
    assert opened.status_code == 201, opened.text
    case = opened.json()["case_id"]
    team = {"worker_ids": [first["worker_id"], second["worker_id"]]}
    assert call("PUT", f"/v1/cases/{case}/team", team, supervisor).status_code == 200
    household = {
        "guardians": [{"name": guardian, "relation": "母亲", "contact": secrets["guardian phone"]}],
        "members": [{"name": member, "relation": "祖父"}],
    }
    answer = call("PUT", f"/v1/cases/{case}/household", household, worker)
    assert answer.status_code == 200, answer.text
    consent = {
        "given_by": guardian,
        "relation": "母亲",
        "scopes": ["service"],
        "given_at": datetime.now(UTC).isoformat(),
    }
    assert call("POST", f"/v1/cases/{case}/consents", consent, worker).status_code == 201
    problems = [
        # a birth date in the future with every other field filled in
        call(
            "POST",
            "/v1/reports",
            report_body(report, child={**report_body(report)["child"], "birth_date": "2999-01-01"}),
            worker,
        ),
        call("POST", f"/v1/cases/{case}/consents", {**consent, "scopes": ["nope"]}, worker),
        call("PUT", f"/v1/cases/{case}/household", {**household, "siblings": [guardian]}, worker),
        # the same data sent by a caller who may not see the case
        call("PUT", f"/v1/cases/{case}/household", household, auth("worker", ORG, "w-off")),
    ]
    time.sleep(3)  # let the consumers and the relay log whatever they log
    return {"secrets": secrets, "problems": problems, "case": case, "worker": worker}


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [what for what, value in secrets.items() if value in text]


def test_refused_requests_do_not_echo_personal_data_in_their_problems(sent):
    for response in sent["problems"]:
        assert 400 <= response.status_code < 500, response.text
        assert leaks(response.text, sent["secrets"]) == [], response.text


def test_no_log_line_of_any_service_holds_personal_data(trio, sent):
    logs = {p.name: p.read_text() for p in trio["logs"].iterdir()}
    assert set(logs) == {"intake.log", "assessment.log", "notify.log"}
    assert all(logs.values())  # they did log
    found = {name: leaks(text, sent["secrets"]) for name, text in logs.items()}
    assert found == {name: [] for name in logs}


def test_no_raw_row_of_any_table_of_any_service_holds_personal_data(trio, sent):
    async def every_row(db_url: str) -> str:
        conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            tables = await conn.fetch(
                "SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public'"
            )
            texts = [
                str(r[0])
                for t in tables
                for r in await conn.fetch(f"SELECT x::text FROM {t['t']} x")  # noqa: S608  (quote_ident)
            ]
            return "\n".join(texts)
        finally:
            await conn.close()

    for name, (_, db_url) in trio["up"].items():
        text = asyncio.run(every_row(db_url))
        assert sent["case"] in text or name == "notify"  # the rows are there, in clear ids
        assert leaks(text, sent["secrets"]) == [], name


def test_no_kafka_record_holds_personal_data(trio, sent):
    for service in ("intake", "assessment", "notify"):
        records = asyncio.run(read_topic(trio["bootstrap"], events_topic(service), expect=1))
        text = "\n".join(r.value.decode("utf-8", "replace") for r in records)
        if service == "intake":
            assert sent["case"] in text
        assert leaks(text, sent["secrets"]) == [], service


def test_a_caller_allowed_to_read_the_case_sees_the_household_in_clear(trio, sent):
    intake, _ = trio["up"]["intake"]
    response = httpx.get(
        f"{intake.url}/v1/cases/{sent['case']}/file", headers=sent["worker"], timeout=15
    )
    assert response.status_code == 200, response.text
    assert sent["secrets"]["guardian"] in response.text
