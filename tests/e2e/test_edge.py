"""The edge every request of every service passes (`events/edge.py`), tried as an attacker
would against a real service process: anonymous bodies, NUL bytes and control characters,
huge bodies and headers, a reused Idempotency-Key with another body, long-lived tokens, and
the headers an answer with personal data must carry."""

import asyncio
import random
from collections.abc import Iterator
from uuid import uuid4

import asyncpg
import httpx
import pytest

from events import devissuer
from tests.e2e import test_intake_api
from tests.synthetic import fake_name

intake = test_intake_api.intake  # the fixture: intake on a new database, with its URL


@pytest.fixture(scope="module")
def org() -> str:
    return f"org-{uuid4().hex[:8]}"


def auth(role: str, org: str, **kw) -> dict[str, str]:
    return {"Authorization": f"Bearer {devissuer.issue_token(role, org=org, **kw)}"}


def staff(worker_id: str, org: str, **kw) -> dict:
    return {
        "worker_id": worker_id,
        "organisation": org,
        "role": "worker",
        "name": fake_name(random.Random(worker_id)),
        "gender": "female",
        "qualifications": ["social_worker"],
        "years_in_child_services": 5,
        **kw,
    }


def events_stored(db_url: str) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(db_url)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM events"))
        finally:
            await conn.close()

    return asyncio.run(count())


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def test_an_anonymous_request_is_refused_before_its_body_is_judged(intake):
    service, _ = intake
    for body in (b"{not json", b'{"worker_id": 5}', b"\x00" * 10):
        response = httpx.post(
            service.url + "/v1/staff", content=body, headers={"content-type": "application/json"}
        )
        assert problem(response, 401)["type"].endswith("/unauthorized")


def test_the_openapi_document_needs_a_token_and_the_cdn_pages_are_gone(intake, org):
    service, _ = intake
    assert httpx.get(service.url + "/openapi.json").status_code == 401
    assert httpx.get(service.url + "/openapi.json", headers=auth("worker", org)).status_code == 200
    for page in ("/docs", "/redoc"):
        assert httpx.get(service.url + page, headers=auth("worker", org)).status_code == 404
    assert httpx.get(service.url + "/health").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/v1/staff/w%00x",
        "/v1/reports/r%00",
        "/v1/children/c%01d",
        "/v1/reports?status=open%00",
        "/v1/reports?cursor=%00",
    ],
)
def test_a_nul_or_control_character_in_a_path_or_query_is_a_422(intake, org, path):
    service, _ = intake
    response = httpx.get(service.url + path, headers=auth("supervisor", org))
    body = problem(response, 422)
    assert body["errors"][0]["type"] == "control_character"


def test_a_nul_in_any_string_of_a_body_is_a_422_naming_the_field(intake, org):
    service, db = intake
    before = events_stored(db)
    body = staff(f"w-{uuid4().hex[:6]}", org, name="Zhang\u0000San")
    response = httpx.post(service.url + "/v1/staff", json=body, headers=auth("org_admin", org))
    assert [e["field"] for e in problem(response, 422)["errors"]] == ["name"]
    nested = {**staff(f"w-{uuid4().hex[:6]}", org), "qualifications": ["social_worker\u001b"]}
    response = httpx.post(service.url + "/v1/staff", json=nested, headers=auth("org_admin", org))
    assert [e["field"] for e in problem(response, 422)["errors"]] == ["qualifications.0"]
    assert events_stored(db) == before


def test_a_body_over_the_limit_is_a_413_whether_declared_or_streamed(intake, org):
    service, db = intake
    before = events_stored(db)
    huge = staff("w-huge", org, name="x" * 2_000_000)
    response = httpx.post(service.url + "/v1/staff", json=huge, headers=auth("org_admin", org))
    assert problem(response, 413)["type"].endswith("/body-too-large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the edge counts as it reads
        yield b'{"name": "'
        for _ in range(40):
            yield b"y" * 65_536
        yield b'"}'

    response = httpx.post(
        service.url + "/v1/staff",
        content=chunks(),
        headers={**auth("org_admin", org), "content-type": "application/json"},
    )
    problem(response, 413)
    assert events_stored(db) == before


def test_headers_over_the_limit_are_a_431(intake, org):
    service, _ = intake
    headers = {**auth("supervisor", org), "X-Padding": "p" * 40_000}
    assert problem(httpx.get(service.url + "/v1/staff", headers=headers), 431)


def test_a_reused_idempotency_key_with_another_body_is_a_409_and_records_nothing(intake, org):
    service, db = intake
    headers = {**auth("org_admin", org, subject="admin-1"), "Idempotency-Key": "k-1"}
    worker = f"w-{uuid4().hex[:6]}"
    first = httpx.post(service.url + "/v1/staff", json=staff(worker, org), headers=headers)
    assert first.status_code == 201, first.text
    stored = events_stored(db)
    again = httpx.post(service.url + "/v1/staff", json=staff(worker, org), headers=headers)
    assert again.status_code in (200, 201) and again.json() == first.json()
    other = staff(worker, org, gender="male")
    body = problem(httpx.post(service.url + "/v1/staff", json=other, headers=headers), 409)
    assert body["type"].endswith("/idempotency-conflict")
    assert events_stored(db) == stored
    # Another caller's equal key is another key.
    elsewhere = {**auth("org_admin", org, subject="admin-2"), "Idempotency-Key": "k-1"}
    other_worker = staff(f"w-{uuid4().hex[:6]}", org)
    response = httpx.post(service.url + "/v1/staff", json=other_worker, headers=elsewhere)
    assert response.status_code == 201, response.text


def test_a_key_whose_request_failed_may_be_used_again_with_a_corrected_body(intake, org):
    service, _ = intake
    headers = {**auth("org_admin", org, subject="admin-3"), "Idempotency-Key": "k-fix"}
    bad = staff(f"w-{uuid4().hex[:6]}", org, gender="unknown")
    problem(httpx.post(service.url + "/v1/staff", json=bad, headers=headers), 422)
    good = staff(f"w-{uuid4().hex[:6]}", org)
    response = httpx.post(service.url + "/v1/staff", json=good, headers=headers)
    assert response.status_code == 201, response.text


def test_racing_requests_with_one_key_and_two_bodies_record_one(intake, org):
    service, db = intake
    headers = {**auth("org_admin", org, subject="admin-4"), "Idempotency-Key": "k-race"}
    bodies = [staff(f"w-race-{i}-{uuid4().hex[:4]}", org) for i in range(6)]
    before = events_stored(db)

    async def race() -> list[int]:
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
            answers = await asyncio.gather(
                *(client.post("/v1/staff", json=b, headers=headers) for b in bodies)
            )
        return sorted(a.status_code for a in answers)

    assert asyncio.run(race()) == [201, 409, 409, 409, 409, 409]
    assert events_stored(db) - before == 1


def test_a_token_living_longer_than_allowed_is_refused(intake, org):
    service, _ = intake
    headers = auth("supervisor", org, ttl_seconds=3600 * 24)
    body = problem(httpx.get(service.url + "/v1/staff", headers=headers), 401)
    assert "lives" in body["detail"]


@pytest.mark.parametrize(
    "path, role, status",
    [
        ("/v1/staff", "supervisor", 200),
        ("/v1/staff", None, 401),
        ("/v1/staff/nobody", "supervisor", 404),
        ("/v1/no-such-route", "supervisor", 404),
    ],
)
def test_every_answer_forbids_caching_and_sniffing(intake, org, path, role, status):
    service, _ = intake
    headers = auth(role, org) if role else {}
    response = httpx.get(service.url + path, headers=headers)
    assert response.status_code == status
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_nan_and_infinity_are_no_numbers(intake, org):
    service, _ = intake
    body = b'{"worker_id": "w-nan", "years_in_child_services": NaN}'
    headers = {**auth("org_admin", org), "content-type": "application/json"}
    response = httpx.post(service.url + "/v1/staff", content=body, headers=headers)
    [error] = problem(response, 422)["errors"]
    assert (error["field"], error["type"]) == ("years_in_child_services", "not_finite")
    text = b'{"name": "NaN and Infinity are fine in text"}'
    response = httpx.post(service.url + "/v1/staff", content=text, headers=headers)
    assert all(e["type"] != "not_finite" for e in problem(response, 422)["errors"])
