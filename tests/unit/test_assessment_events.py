"""The assessment event types as a contract: names, personal fields, and a payload stored as
`assessment.safety.risk_graded.v1` that must keep loading. The event embeds the evaluator's
input and answer models, so changing `SafetyRiskInput` or `SafetyRiskResult` in a way that
breaks this payload needs a v2 event and an upcaster, never an edit of v1."""

from typing import Any

from assessment.domain import events as assessment_events  # noqa: F401  (registers the types)
from events.registry import registry

GRADED_V1 = "assessment.safety.risk_graded.v1"
GRADED_V2 = "assessment.safety.risk_graded.v2"
V2 = {GRADED_V2, "assessment.guardianship.capacity_assessed.v2"}

# A v1 payload as the store holds it after decryption (synthetic values; `notes` in clear).
STORED_V1: dict[str, Any] = {
    "case_id": "case-synthetic-1",
    "assessment_id": "assessment-synthetic-2",
    "organisation": "org-synthetic",
    "assessed_at": "2025-06-01T09:30:00Z",
    "child_gender": "female",
    "child_gender_source": "request",
    "assessors": [
        {"worker_id": "w-synthetic-1", "gender": "female"},
        {"worker_id": "w-synthetic-2", "gender": "male"},
    ],
    "inputs": {
        "b1": {
            "sexual_abuse_or_violence": False,
            "unattended_danger": False,
            "abandonment_6_months": False,
            "addiction_or_custody_refuses_delegation": False,
            "coerced_begging_3_warnings": False,
            "abetting_crime": False,
        },
        "b2": {"physical_or_sexual_abuse": None, "neglect": "B", "motive": None, "substance": None},
        "life_threatening_event": False,
        "b3": {
            "guardian_capacity": None,
            "cooperation": "C",
            "parenting_skills": None,
            "substitute_parent": None,
            "support_system": None,
            "stress_crisis": None,
            "parent_child_relationship": None,
        },
    },
    "rule_set": "SZ-2023-B",
    "result": {
        "rule_set": "SZ-2023-B",
        "grade": "B",
        "label": "中危",
        "grade_clause": "SZ-B.2",
        "decided_by": [{"item": "b2.neglect", "clause": "SZ-B.2-2"}],
        "required_actions": [
            {
                "code": "report_promptly_to_organisation_police_civil_affairs",
                "clause": "SZ-6.4.3",
                "due": None,
                "modal": "shall",
                "condition": None,
                "note": "及时上报, no time given; urge other persons qualified "
                "to guard to take it up.",
            },
            {
                "code": "social_background_investigation_report",
                "clause": "SZ-6.4.3",
                "due": None,
                "modal": "shall",
                "condition": None,
                "note": "Report form: Appendix C.",
            },
            {
                "code": "determine_guardian",
                "clause": "SZ-6.4.3",
                "due": None,
                "modal": "shall",
                "condition": None,
                "note": None,
            },
            {
                "code": "guardianship_capacity_assessment",
                "clause": "SZ-6.4.3",
                "due": None,
                "modal": "shall",
                "condition": None,
                "note": "Form: Appendix D.",
            },
            {
                "code": "assist_temporary_guardianship_application",
                "clause": "SZ-6.4.3",
                "due": None,
                "modal": "shall",
                "condition": "Parents and other guardians cannot be found for the time being.",
                "note": "Forms: Appendix F.",
            },
            {
                "code": "case_conference",
                "clause": "SZ-6.4.3",
                "due": None,
                "modal": "shall",
                "condition": "A case conference is convened.",
                "note": "Minutes form: Appendix H.",
            },
            {
                "code": "guardian_takes_child_back",
                "clause": "SZ-6.4.3",
                "due": None,
                "modal": "should",
                "condition": "The court does not revoke guardianship, or "
                "revokes one parent's only.",
                "note": None,
            },
        ],
        "recommendations": [
            {
                "code": "family_education_guidance",
                "clause": "SZ-5.4",
                "reason": "Offer the guardian family-education guidance, "
                "parent-child relationship work and guardianship "
                "guidance. (rated C in table B.3: b3.cooperation)",
            },
            {
                "code": "guardian_supervision_and_support",
                "clause": "SZ-B.3-note2",
                "reason": "Propose interventions on how to supervise and "
                "support the guardian in caring for the child "
                "properly. (rated C in table B.3: "
                "b3.cooperation)",
            },
        ],
        "capacity_profile": {
            "clause": "SZ-B.3-note1",
            "ratings": {
                "guardian_capacity": None,
                "cooperation": "C",
                "parenting_skills": None,
                "substitute_parent": None,
                "support_system": None,
                "stress_crisis": None,
                "parent_child_relationship": None,
            },
            "flagged_items": ["b3.cooperation"],
        },
        "resolutions_applied": ["R-SZ-B-01", "R-SZ-B-04", "R-SZ-B-05"],
    },
    "supersedes": "assessment-synthetic-1",
    "notes": "合成备注",
}


MENTAL_HEALTH_V1 = {
    f"assessment.{name}.v1"
    for name in (
        "mental_health_assessment.risk_graded",
        "mental_health_assessment.referral_required",
        "mental_health_assessment.feasibility_submitted",
        "mental_health_assessment.feasibility_approved",
        "mental_health_assessment.feasibility_returned",
        "service_plan.submitted",
        "service_plan.returned",
        "service_plan.agreement_signed",
        "service_plan.adjustment_initiated",
        "service_plan.adjusted",
        "service_plan.client_request_received",
        "service_plan.client_request_reported",
        "service_plan.worker_changed",
        "service_plan.midterm_reviewed",
        "session.recorded",
        "closure.submitted",
        "closure.returned",
        "closure.recorded",
        "closure.followup_recorded",
        "closure.fully_closed",
        "family_education_order.issued",
        "family_education_order.session_recorded",
        "family_education_order.extended",
        "family_education_order.completed",
        "guardianship.capacity_assessed",
        "task.set",
        "task.completed",
        "task.cancelled",
        "case_assessment.approved",
        "case_assessment.returned",
        # issue 14 item 16: M-3 filing, M-11 crisis, I-6 interviews
        "mental_health_assessment.feasibility_filed",
        "crisis.recorded",
        "crisis.action_recorded",
        "child_interview.recorded",
    )
}

# Agreed with notify, which starts a clock on `task.set` and stops it on the other two.
TASK_CONTRACT = {
    "assessment.task.set.v1": {
        "task_id",
        "case_id",
        "code",
        "clause",
        "due_at",
        "assignee_ids",
        "source_event_id",
    },
    "assessment.task.completed.v1": {"task_id", "case_id", "code", "completed_at"},
    "assessment.task.cancelled.v1": {"task_id", "case_id", "code", "reason_code"},
}


def test_the_assessment_event_types_are_the_ones_other_services_are_told_about():
    names = {info.type_string for info in registry.types() if info.name.startswith("assessment.")}
    assert names == {GRADED_V1} | MENTAL_HEALTH_V1 | V2


def test_a_v1_graded_event_is_read_as_v2_and_only_v2_adds_the_child_registry_source():
    assert type(registry.load(GRADED_V1, STORED_V1)) is registry.info(GRADED_V2).model
    v1, v2 = (registry.info(t).model.model_json_schema() for t in (GRADED_V1, GRADED_V2))
    widened = set(v2["properties"]["child_gender_source"]["enum"])
    assert widened - set(v1["properties"]["child_gender_source"]["enum"]) == {
        "intake.child.registered"
    }


def test_only_free_text_notes_are_personal_in_a_graded_event():
    assert registry.info(GRADED_V1).personal == {"notes"}


def test_a_graded_event_stored_as_v1_still_loads_unchanged():
    loaded = registry.load(GRADED_V1, STORED_V1)
    assert loaded.model_dump(mode="json") == STORED_V1


def test_a_graded_event_names_its_case_rule_set_and_grade_outside_the_encrypted_fields():
    info = registry.info(GRADED_V1)
    for field in ("case_id", "rule_set", "result", "supersedes", "assessors"):
        assert field in info.model.model_fields and field not in info.personal


def test_the_task_events_carry_exactly_the_fields_agreed_with_notify_all_in_clear():
    for type_string, fields in TASK_CONTRACT.items():
        info = registry.info(type_string)
        assert set(info.model.model_fields) == fields, type_string
        assert info.personal == frozenset(), type_string


def test_a_returned_assessment_keeps_the_supervisors_comments_encrypted():
    for fact in ("approved", "returned"):
        assert registry.info(f"assessment.case_assessment.{fact}.v1").personal == {"comments"}
