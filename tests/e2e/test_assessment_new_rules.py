"""Issue 14 items 13 and 16 over HTTP against the real intake and assessment processes and the
local broker: issuing a family-education order meets the task that asked for it (R-SZ-B-09),
whose due is not the order's 3-month minimum; M-11 crisis intervention (JX-7.6.1); I-6 one
interview record of a matter (MZ-5.2.3, JX-4.5); M-3 filing of the feasibility assessment with
the entrustor before the plan (JX-7.1.3). All data synthetic."""

from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.e2e.assessment_support import auth
from tests.e2e.conftest import Running
from tests.e2e.test_assessment_access import ORDER
from tests.e2e.test_assessment_case_status import move
from tests.e2e.test_assessment_mental_health import feasibility, plan
from tests.e2e.test_assessment_safety import (
    ORG,
    assessment_body,
    assessment_fixture,  # noqa: F401  (the module's fixtures)
    grade,
    new_case_fixture,  # noqa: F401
    published,
    services_fixture,  # noqa: F401
    tasks,
)

SUPERVISOR = {"role": "supervisor", "subject": "sup-synthetic-new-rules"}
SECRET = "合成：儿童在学校表达轻生念头。"  # synthetic free text, must not leave unsealed


def post(
    service: Running, case_id: str, path: str, body: dict[str, Any], key: str = "", **who: str
) -> httpx.Response:
    url = f"{service.url}/v1/cases/{case_id}{path}"
    sent = auth(org=ORG, **who) | ({"Idempotency-Key": key} if key else {})
    return httpx.post(url, json=body, headers=sent, timeout=15)


def get(service: Running, case_id: str, path: str, **who: str) -> httpx.Response:
    url = f"{service.url}/v1/cases/{case_id}{path}"
    return httpx.get(url, headers=auth(org=ORG, **who), timeout=15)


# --- item 13: the order meets its task; its 3 months are no deadline (R-SZ-B-09) -------------


def test_issuing_the_order_meets_the_family_education_task_due_as_an_undated_action(
    assessment, new_case
):
    case_id = new_case()
    graded = grade(assessment, case_id, assessment_body(inputs={}))  # grade A (SZ-6.4.4)
    assert graded.status_code == 201, graded.text
    assessed_at = datetime.fromisoformat(graded.json()["assessed_at"])
    [task] = [
        t
        for t in tasks(assessment, case_id).json()["tasks"]
        if t["code"] == "compulsory_family_education"
    ]
    due = datetime.fromisoformat(task["due_at"])
    assert due - assessed_at < timedelta(days=32)  # a month (R-SZ-B-10), not the 3 months

    issued = post(assessment, case_id, "/family-education-orders", ORDER)
    assert issued.status_code == 201, issued.text
    done = tasks(assessment, case_id, "completed").json()["tasks"]
    assert [t["task_id"] for t in done] == [task["task_id"]]
    events = published(f"tasks-{case_id}", 5)
    completed = [e for _, _, e in events if e["type"] == "assessment.task.completed.v1"]
    assert [e["data"]["task_id"] for e in completed] == [task["task_id"]]


def test_a_case_intake_closes_cancels_its_open_tasks_as_case_closed_not_met(
    services, assessment, new_case
):
    """Published as `assessment.task.cancelled` with `reason_code` `case_closed`, so notify
    shows them cancelled; the closed case then takes no task completion (409, SZ-6.6)."""
    case_id = new_case()
    grade(assessment, case_id, assessment_body())  # grade B: its tasks open
    opened = {t["task_id"] for t in tasks(assessment, case_id).json()["tasks"]}
    db = services["assessment"][1]
    move(db, case_id, 2, "open", "closing", "SZ-6.5", ORG)
    move(db, case_id, 3, "closing", "follow_up", "SZ-6.6", ORG)
    move(db, case_id, 4, "follow_up", "closed", "SZ-6.6", ORG)
    cancelled = tasks(assessment, case_id, "cancelled").json()["tasks"]
    assert {(t["task_id"], t["reason_code"]) for t in cancelled} == {
        (task_id, "case_closed") for task_id in opened
    }
    events = published(f"tasks-{case_id}", 2 * len(opened))
    ended = [e["data"] for _, _, e in events if e["type"] == "assessment.task.cancelled.v1"]
    assert {d["reason_code"] for d in ended} == {"case_closed"}
    late = post(assessment, case_id, f"/tasks/{min(opened)}/completion", {}, **SUPERVISOR)
    assert late.status_code == 409 and late.json()["rule"] == "SZ-6.6", late.text


# --- item 16: M-11 crisis intervention (JX-7.6.1) --------------------------------------------


def test_a_crisis_is_recorded_with_what_was_done_and_what_remains(assessment, new_case):
    case_id = new_case()
    body = {
        "conditions": ["danger_to_life"],
        "actions": [{"code": "reported_to_entrustor"}, {"code": "safety_assessment_started"}],
        "summary": SECRET,
    }
    recorded = post(assessment, case_id, "/crises", body, key="k-crisis-1", subject="dev-worker")
    assert recorded.status_code == 201, recorded.text
    crisis = recorded.json()
    retried = post(assessment, case_id, "/crises", body, key="k-crisis-1", subject="dev-worker")
    assert retried.json() == crisis  # a retry records nothing more
    assert (crisis["rule"], crisis["domain_rule"]) == ("JX-7.6.1", "M-11")
    assert crisis["outstanding"] == [
        "emergency_plan_started",
        "frequency_raised",
        "reliable_carer_present",
    ]
    more = {"code": "frequency_raised"}
    path = f"/crises/{crisis['crisis_id']}/actions"
    after = post(assessment, case_id, path, more, subject="dev-worker")
    assert after.status_code == 201, after.text
    assert "frequency_raised" not in after.json()["outstanding"]

    placement = post(assessment, case_id, path, {"code": "placement_started"})
    assert placement.status_code == 422, placement.text
    assert (placement.json()["rule"], placement.json()["domain_rule"]) == ("JX-7.6.1", "M-11")
    listed = get(assessment, case_id, "/crises").json()
    assert [c["crisis_id"] for c in listed] == [crisis["crisis_id"]]

    events = published(f"crises-{case_id}", 4)
    assert {key for _, key, _ in events} == {case_id}
    assert SECRET not in str(events)  # the summary is sealed with the case's key


# --- item 16: I-6 one interview record of a matter ---------------------------------------------


def test_a_second_interview_on_the_same_matter_needs_a_reason_and_the_first_is_read(
    assessment, new_case
):
    case_id = new_case()
    first = {
        "matter": "report-synthetic-i6",
        "held_at": "2025-06-03T02:00:00Z",
        "interviewer_ids": ["w-synthetic-a", "w-synthetic-b"],
        "place": "合成：社区服务站单独会谈室",
        "record": SECRET,
    }
    recorded = post(assessment, case_id, "/interviews", first, key="k-interview-1")
    assert recorded.status_code == 201, recorded.text
    first_id = recorded.json()["interview_id"]
    retried = post(assessment, case_id, "/interviews", first, key="k-interview-1")
    assert (retried.status_code, retried.json()["interview_id"]) == (201, first_id)

    again = post(assessment, case_id, "/interviews", {**first, "held_at": "2025-06-05T02:00:00Z"})
    assert again.status_code == 422, again.text
    problem = again.json()
    assert (problem["rule"], problem["domain_rule"]) == ("MZ-5.2.3", "I-6")
    assert [v["code"] for v in problem["violations"]] == ["repeated_questioning"]

    reason = {"code": "judicial_request", "text": "合成：法院要求补充询问。"}
    repeated = {**first, "held_at": "2025-06-05T02:00:00Z", "repeat_reason": reason}
    second = post(assessment, case_id, "/interviews", repeated)
    assert second.status_code == 201, second.text
    assert second.json()["repeat_of"] == first_id

    record = get(assessment, case_id, f"/interviews/{first_id}")  # what later steps read
    assert record.status_code == 200, record.text
    assert record.json()["record"] == SECRET
    listed = get(assessment, case_id, "/interviews").json()
    assert [(i["interview_id"], i["repeat_of"]) for i in listed] == [
        (first_id, None),
        (second.json()["interview_id"], first_id),
    ]


# --- item 16: M-3 filing with the entrustor (JX-7.1.3) -----------------------------------------


def test_no_plan_before_the_reviewed_feasibility_assessment_is_filed(assessment, new_case):
    case_id = new_case()
    base = "/mental-health"
    graded = post(
        assessment, case_id, f"{base}/risk-gradings", {"risk_level": "medium", "instrument": "SDQ"}
    )
    assert graded.status_code == 201, graded.text
    taken = post(assessment, case_id, f"{base}/feasibility", feasibility(), subject="dev-worker")
    assert taken.status_code == 201, taken.text
    item = taken.json()["pending"]["item_id"]
    approved = post(
        assessment,
        case_id,
        f"{base}/reviews",
        {"item_id": item, "decision": "approve"},
        **SUPERVISOR,
    )
    assert approved.status_code == 201, approved.text
    assert "file_feasibility_with_entrustor" in {d["code"] for d in approved.json()["due"]}

    early = post(assessment, case_id, f"{base}/plan", plan(6), subject="dev-worker")
    assert early.status_code == 409, early.text
    assert (early.json()["rule"], early.json()["domain_rule"]) == ("JX-7.1.3", "M-3")
    assert [v["code"] for v in early.json()["violations"]] == ["feasibility_not_filed"]

    by_worker = post(
        assessment,
        case_id,
        f"{base}/feasibility-filing",
        {"entrustor": "合成市民政局"},
        subject="dev-worker",
    )
    assert by_worker.status_code == 403  # the provider files: a supervisor
    filed = post(
        assessment,
        case_id,
        f"{base}/feasibility-filing",
        {"entrustor": "合成市民政局"},
        **SUPERVISOR,
    )
    assert filed.status_code == 201, filed.text
    submitted = post(assessment, case_id, f"{base}/plan", plan(6), subject="dev-worker")
    assert submitted.status_code == 201, submitted.text
    events = published(f"mental-health-{case_id}", 5)
    names = [e["type"] for _, _, e in events]
    assert "assessment.mental_health_assessment.feasibility_filed.v1" in names
