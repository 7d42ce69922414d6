"""Intake event types: the names notify's clocks listen for, and personal fields declared."""

from events.registry import registry
from intake.domain import events as intake_events  # noqa: F401  (registers the types)
from notify.domain.clocks import EVENT_CATALOG

INTAKE_TYPES = {info.name: info for info in registry.types() if info.name.startswith("intake.")}


def test_every_intake_event_notify_listens_for_and_intake_records_has_the_same_name() -> None:
    recorded_now = {
        "intake.report.received",
        "intake.mandatory_report.filed",
        "intake.mandatory_report.acknowledged",
        "intake.worker.registered",
        "intake.worker.background_check_recorded",
        "intake.case.visit_recorded",
        "intake.case.initial_statement_recorded",
        "intake.case.followup_category_set",
    }
    assert recorded_now <= set(EVENT_CATALOG)
    assert recorded_now <= set(INTAKE_TYPES)
    assert "intake.worker.suspended" in INTAKE_TYPES


def test_the_emergency_flag_that_starts_the_24_hour_clock_is_not_encrypted() -> None:
    info = INTAKE_TYPES["intake.report.received"]
    assert "emergency" in info.model.model_fields and "emergency" not in info.personal


def test_names_contact_details_places_and_free_text_are_personal() -> None:
    assert INTAKE_TYPES["intake.report.received"].personal == {
        "reporter",
        "child",
        "place",
        "description",
    }
    assert INTAKE_TYPES["intake.mandatory_report.filed"].personal == {"place", "harm"}
    assert INTAKE_TYPES["intake.mandatory_report.acknowledged"].personal == {"acknowledged_by"}
    assert INTAKE_TYPES["intake.worker.registered"].personal == {"name"}


def test_every_intake_event_carries_the_id_of_the_record_its_deadlines_are_kept_on() -> None:
    for name, info in INTAKE_TYPES.items():
        aggregate = name.split(".")[1]
        key = {"worker": "worker_id", "child": "child_id", "case": "case_id"}.get(
            aggregate, "report_id"
        )
        assert key in info.model.model_fields and key not in info.personal, name


def test_the_events_that_stop_a_reports_clocks_carry_the_report_ids_in_clear() -> None:
    for name in ("intake.case.visit_recorded", "intake.case.initial_statement_recorded"):
        info = INTAKE_TYPES[name]
        assert "report_ids" in info.model.model_fields and "report_ids" not in info.personal


def test_the_follow_up_category_is_in_clear_and_the_evidence_and_case_work_text_are_personal():
    assert INTAKE_TYPES["intake.case.followup_category_set"].personal == set()
    assert INTAKE_TYPES["intake.child.categories_set"].personal == {"categories", "evidence"}
    assert INTAKE_TYPES["intake.case.visit_recorded"].personal == {"place", "notes"}
    assert INTAKE_TYPES["intake.case.investigation_recorded"].personal == {"findings"}
    assert INTAKE_TYPES["intake.case.initial_statement_recorded"].personal == {"statement"}
    assert INTAKE_TYPES["intake.case.consent_recorded"].personal == {"given_by", "note"}
    assert INTAKE_TYPES["intake.child.household_recorded"].personal == {
        "guardians",
        "members",
        "other_minors",
    }


STAFF_FACTS = {  # Backbone correctness, item 13: the newest version of each, and what it seals
    "intake.worker.background_check_recorded": (2, {"clean", "note"}),
    "intake.worker.suspended": (2, {"reason"}),
    "intake.worker.deregistered": (2, {"reason"}),
    "intake.case.worker_removed": (2, {"reason"}),
    "intake.child.categories_set": (2, {"categories", "evidence"}),
}


def test_a_failed_check_a_suspension_a_dismissal_and_a_childs_categories_are_personal() -> None:
    """Backbone correctness item 13: these facts are sealed in a new version of their type; the
    ids and clauses consumers act on stay in clear."""
    for name, (version, personal) in STAFF_FACTS.items():
        info = INTAKE_TYPES[name]
        assert (info.version, info.personal) == (version, personal), name
        assert not {"worker_id", "rule"} & info.personal, name


def test_staff_facts_recorded_as_v1_in_clear_are_read_as_v2_unchanged() -> None:
    """Backbone correctness item 13: published types do not change in place, so a stored v1
    event is upcast to v2 with the same data (its fields stay as they were stored)."""
    v1 = {
        "worker_id": "w-synthetic-1",
        "organisation": "org-synthetic",
        "suspended_on": "2025-03-02",
        "reason": "background_check_not_clean",
        "rule": "MZ-7.1.3",
    }
    loaded = registry.load("intake.worker.suspended.v1", v1)
    assert type(loaded).type_string() == "intake.worker.suspended.v2"
    assert loaded.model_dump(mode="json") == v1
