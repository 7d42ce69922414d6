"""Guardianship capacity assessment of a case over HTTP against the real assessment process (SZ
Appendix D, SZ-6.4.2, SZ-6.4.3): recorded as an event published to Kafka keyed by the case id
with its free text encrypted, read back with whether the safety grade requires it, superseded by
a reassessment, refused without two assessors. All data synthetic."""

import json
from typing import Any

import httpx

from tests.e2e.conftest import Running
from tests.e2e.test_assessment_safety import (  # noqa: F401 (the fixtures, for this module)
    MAN,
    OTHER_MAN,
    WOMAN,
    assessment_body,
    assessment_fixture,
    auth,
    grade,
    new_case_fixture,
    published,
    services_fixture,
)

ASSESSED = "assessment.guardianship.capacity_assessed.v2"
FINDING = "合成记录：祖母独自照料，近三个月两次未按时接送。"  # synthetic free text
CONCLUSION = "合成结论：建议在社区支持下由祖母继续监护。"  # synthetic free text


def guardianship_body(**changes: Any) -> dict[str, Any]:
    body = {
        "assessors": [WOMAN, MAN],
        "child_gender": "female",
        "inputs": {
            "quality": {"child_care": "concern", "child_physical": "adequate"},
            "capacity": {"protection": "concern", "willingness": "adequate"},
            "conclusion": "capable_with_support",
        },
        "findings": {"items": {"child_care": FINDING}, "capacity_conclusion": CONCLUSION},
    }
    return {**body, **changes}


def assess(service: Running, case_id: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(
        f"{service.url}/v1/cases/{case_id}/guardianship-assessments",
        json=body,
        headers={**auth(), **headers},
        timeout=15,
    )


def guardianship(service: Running, case_id: str, **auth_args: str) -> httpx.Response:
    return httpx.get(f"{service.url}/v1/cases/{case_id}/guardianship", headers=auth(**auth_args))


def test_an_assessment_is_recorded_read_back_and_published_keyed_by_the_case_without_clear_text(
    assessment,
    new_case,
):
    case_id = new_case()
    assert grade(assessment, case_id, assessment_body()).status_code == 201  # grade B
    before = guardianship(assessment, case_id).json()
    assert before["current"] is None
    assert (before["requirement"]["required"], before["requirement"]["clause"]) == (
        True,
        "SZ-6.4.3",
    )

    response = assess(assessment, case_id, guardianship_body())
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/cases/{case_id}/guardianship"
    recorded = response.json()
    assert (recorded["conclusion"], recorded["rule_set"], recorded["stream_version"]) == (
        "capable_with_support",
        "SZ-2023-D",
        1,
    )
    assert [a["clause"] for a in recorded["result"]["adverse_items"]] == [
        "SZ-D.2-4.5",
        "SZ-D.2-5.5",
    ]
    assert "findings" not in recorded and FINDING not in response.text

    view = guardianship(assessment, case_id).json()
    assert view["current"]["assessment_id"] == recorded["assessment_id"]
    assert view["version"] == 1

    [(_, key, event)] = published(f"guardianship-{case_id}", 1)
    assert key == case_id
    assert (event["type"], event["id"], event["key_scope"]) == (
        ASSESSED,
        recorded["event_id"],
        case_id,
    )
    assert event["data"]["result"]["conclusion"] == "capable_with_support"
    clear = json.dumps(event, ensure_ascii=False)
    assert FINDING not in clear and CONCLUSION not in clear


def test_a_reassessment_supersedes_the_current_assessment_and_keeps_the_first(assessment, new_case):
    case_id = new_case()
    first = assess(assessment, case_id, guardianship_body()).json()
    inputs = {"capacity": {"protection": "concern"}, "conclusion": "not_capable"}
    second = assess(assessment, case_id, guardianship_body(inputs=inputs, findings=None))
    assert second.status_code == 201, second.text
    assert second.json()["supersedes"] == first["assessment_id"]

    view = guardianship(assessment, case_id).json()
    assert view["version"] == 2
    assert view["current"]["conclusion"] == "not_capable"
    older, newer = view["history"]
    assert older["superseded_by"] == newer["assessment_id"]
    events = published(f"guardianship-{case_id}", 2)
    assert {key for _, key, _ in events} == {case_id}
    assert len({partition for partition, _, _ in events}) == 1


def test_an_assessment_by_one_worker_is_refused_and_nothing_is_recorded(assessment, new_case):
    case_id = new_case()
    response = assess(assessment, case_id, guardianship_body(assessors=[WOMAN]))
    assert response.status_code == 422
    assert response.json()["rule"] == "MZ-6.2.2"
    assert [v["code"] for v in response.json()["violations"]] == ["too_few_assessors"]
    assert guardianship(assessment, case_id).status_code == 404


def test_two_men_may_not_assess_a_girls_family(assessment, new_case):
    response = assess(assessment, new_case(), guardianship_body(assessors=[MAN, OTHER_MAN]))
    assert response.status_code == 422
    assert [v["code"] for v in response.json()["violations"]] == ["no_female_assessor"]


def test_at_grade_d_the_assessment_is_required_once_guardianship_is_disputed(assessment, new_case):
    case_id = new_case()
    critical = assessment_body(inputs={"b1": {"abandonment_6_months": True}})
    assert grade(assessment, case_id, critical).status_code == 201
    assert guardianship(assessment, case_id).json()["requirement"]["required"] is False
    response = assess(assessment, case_id, guardianship_body(guardianship_disputed=True))
    assert response.json()["requirement"] == {
        "required": True,
        "grade": "D",
        "clause": "SZ-6.4.2",
        "modal": "should",
        "condition": "The legal guardian says he or she cannot guard, or guardianship is disputed.",
    }


def test_another_organisation_neither_sees_nor_reassesses_the_case(assessment, new_case):
    case_id = new_case()
    assert assess(assessment, case_id, guardianship_body()).status_code == 201
    assert guardianship(assessment, case_id, org="org-synthetic-b").status_code == 404
    other = assess(assessment, case_id, guardianship_body(), **auth(org="org-synthetic-b"))
    assert other.status_code == 404
    assert guardianship(assessment, case_id, role="auditor").status_code == 403


def test_a_guardianship_assessment_goes_to_the_supervisor_who_approves_it(assessment, new_case):
    case_id = new_case()
    recorded = assess(assessment, case_id, guardianship_body()).json()
    item = recorded["assessment_id"]
    queue = httpx.get(f"{assessment.url}/v1/supervision/queue", headers=auth("supervisor")).json()
    assert ("guardianship_assessment", case_id) in [(i["kind"], i["case_id"]) for i in queue]
    url = f"{assessment.url}/v1/cases/{case_id}/guardianship-assessments/{item}/review"
    as_safety = url.replace("guardianship-assessments", "safety-assessments")
    body = {"decision": "approve"}
    assert httpx.post(as_safety, json=body, headers=auth("supervisor")).status_code == 404
    approved = httpx.post(url, json=body, headers=auth("supervisor", subject="sup-synthetic-g"))
    assert approved.status_code == 201, approved.text
    assert (approved.json()["kind"], approved.json()["status"]) == (
        "guardianship_assessment",
        "approved",
    )
