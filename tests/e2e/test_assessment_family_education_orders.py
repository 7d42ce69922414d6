"""Compulsory family education ordered for a guardian over HTTP against the real assessment
process (SZ-6.4.4, Appendix I): issued with the table I.1 hours, guidance recorded, extensions
bounded, completion only when the hours are delivered. All data synthetic."""

from collections.abc import Callable, Iterator
from uuid import uuid4

import httpx
import pytest

from events import devissuer
from tests.e2e.assessment_support import case_factory, running
from tests.e2e.conftest import Running
from tests.e2e.test_assessment_safety import published

ORG = "org-synthetic-fe"
WORKER = "w-synthetic-fe"
GUARDIAN = "合成监护人：王某某（祖母）"  # synthetic
SIZES = {"personal_traits": 5, "motivation": 5, "stress_coping": 7, "family_function": 5}
SIZES |= {"social_resources": 2, "parenting": 4}


@pytest.fixture(scope="module")
def service(stack, tmp_path_factory) -> Iterator[tuple[Running, str]]:
    """The assessment service on a new database of its own, ready."""
    with running(stack, tmp_path_factory.mktemp("fe-logs"), "assessment") as up:
        yield up["assessment"]


@pytest.fixture(scope="module")
def assessment(service) -> Running:
    return service[0]


@pytest.fixture(scope="module")
def new_case(service) -> Callable[[], str]:
    """Cases intake assigned to the worker of these tests."""
    return case_factory(service[1], ORG, WORKER)


def who(org: str = ORG) -> dict[str, str]:
    token = devissuer.issue_token("worker", org=org, subject=WORKER)
    return {"Authorization": f"Bearer {token}"}


def order_body(value: int = 9, **changes: object) -> dict[str, object]:
    body = {
        "ordered_by": "合成区公安分局",
        "starts_on": "2025-06-02",
        "months": 3,
        "assessment": {"scores": {group: [value] * n for group, n in SIZES.items()}},
        "guardian": GUARDIAN,
    }
    return {**body, **changes}


def post(service: Running, path: str, body: dict[str, object], org: str = ORG) -> httpx.Response:
    return httpx.post(f"{service.url}{path}", json=body, headers=who(org), timeout=15)


def test_an_order_runs_from_issue_to_completion_and_is_published_keyed_by_the_case(
    assessment, new_case
):
    case_id = new_case()
    base = f"/v1/cases/{case_id}/family-education-orders"
    issued = post(assessment, base, order_body())
    assert issued.status_code == 201, issued.text
    order = issued.json()
    assert (order["ordered_hours"], order["ends_on"]) == (4, "2025-09-02")  # total 252: 4-12 h
    path = f"{base}/{order['order_id']}"

    early = post(assessment, f"{path}/completion", {"completed_on": "2025-09-02"})
    assert early.status_code == 422 and early.json()["rule"] == "SZ-I.1"
    guidance = {"kind": "parenting_class", "hours": 4, "held_on": "2025-06-16"}
    assert post(assessment, f"{path}/guidance", guidance).json()["hours_delivered"] == 4
    too_long = post(assessment, f"{path}/extensions", {"months": 10})
    assert too_long.status_code == 422 and too_long.json()["rule"] == "SZ-6.4.4"
    done = post(assessment, f"{path}/completion", {"completed_on": "2025-09-02"})
    assert done.status_code == 201, done.text
    assert done.json()["status"] == "completed"

    listed = httpx.get(f"{assessment.url}{base}", headers=who()).json()
    assert [o["status"] for o in listed] == ["completed"]
    events = published(f"family-education-{order['order_id']}", 3)
    assert {key for _, key, _ in events} == {case_id}
    assert GUARDIAN not in str(events)


def test_hours_outside_the_table_i1_band_and_short_periods_are_refused(assessment, new_case):
    base = f"/v1/cases/{new_case()}/family-education-orders"
    response = post(assessment, base, order_body(ordered_hours=20, months=2))
    assert response.status_code == 422
    assert [v["code"] for v in response.json()["violations"]] == [
        "period_too_short",
        "hours_outside_band",
    ]


def test_another_organisation_cannot_touch_an_order(assessment, new_case):
    case_id = new_case()
    base = f"/v1/cases/{case_id}/family-education-orders"
    order = post(assessment, base, order_body()).json()
    guidance = {"kind": "individual", "hours": 1, "held_on": "2025-06-16"}
    other = post(assessment, f"{base}/{order['order_id']}/guidance", guidance, org="org-other")
    assert other.status_code == 404


def keyed(key: str, org: str = ORG) -> dict[str, str]:
    return {**who(org), "Idempotency-Key": key}


def test_an_order_sent_twice_with_one_key_is_issued_once_and_answered_alike(assessment, new_case):
    base = f"{assessment.url}/v1/cases/{new_case()}/family-education-orders"
    key = keyed(f"order-{uuid4()}")
    first = httpx.post(base, json=order_body(), headers=key, timeout=15)
    again = httpx.post(base, json=order_body(), headers=key, timeout=15)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert [o["order_id"] for o in httpx.get(base, headers=who()).json()] == [
        first.json()["order_id"]
    ]


def test_a_retried_issue_answers_the_order_as_first_issued(assessment, new_case):
    """The first answer, even after the order has moved on since."""
    base = f"{assessment.url}/v1/cases/{new_case()}/family-education-orders"
    key = keyed(f"order-{uuid4()}")
    first = httpx.post(base, json=order_body(), headers=key, timeout=15).json()
    guidance = {"kind": "individual", "hours": 2, "held_on": "2025-06-16"}
    url = f"{base}/{first['order_id']}/guidance"
    assert httpx.post(url, json=guidance, headers=who(), timeout=15).status_code == 201
    again = httpx.post(base, json=order_body(), headers=key, timeout=15)
    assert again.json() == first and first["hours_delivered"] == 0


def test_one_key_for_guidance_then_an_extension_records_both(assessment, new_case):
    """A key names one action on an order: another route with it is no retry."""
    base = f"{assessment.url}/v1/cases/{new_case()}/family-education-orders"
    order = httpx.post(base, json=order_body(), headers=who(), timeout=15).json()
    key = keyed(f"shared-{uuid4()}")
    guidance = {"kind": "individual", "hours": 2, "held_on": "2025-06-16"}
    path = f"{base}/{order['order_id']}"
    done = httpx.post(f"{path}/guidance", json=guidance, headers=key, timeout=15)
    assert done.status_code == 201 and done.json()["hours_delivered"] == 2
    again = httpx.post(f"{path}/guidance", json=guidance, headers=key, timeout=15)
    assert again.json() == done.json()  # a retry: the hours count once
    extended = httpx.post(f"{path}/extensions", json={"months": 3}, headers=key, timeout=15)
    assert extended.status_code == 201, extended.text
    assert extended.json()["extension_months"] == 3
