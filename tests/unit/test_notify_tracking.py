"""Which deadlines an event starts or stops, and what an open clock owes at a moment: pure
functions over the clock table (DOMAIN §2-8, §13). All ids and data are synthetic."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from notify.domain import Subject, WorkingCalendar
from notify.domain.tracking import (
    Firing,
    PlannedDeadline,
    deadlines_started_by,
    derived_id,
    entities_of,
    fact_time,
    firing_due,
    subject_ids,
    subjects_stopped_by,
    workers_of,
)

RECORDED = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
REPORT = {
    "report_id": "report-syn-1",
    "organisation": "org-syn",
    "child_id": "child-syn-1",
    "received_at": "2026-11-02T02:00:00Z",
    "received_by": "worker-syn-1",
    "emergency": True,
}


def plans_for(name: str, data: Mapping[str, object]) -> dict[str, PlannedDeadline]:
    plans = deadlines_started_by("event-syn-1", name, data, RECORDED, WorkingCalendar())
    return {p.rule.code: p for p in plans}


def test_an_emergency_report_starts_the_24_hour_visit_and_72_hour_investigation_clocks() -> None:
    plans = plans_for("intake.report.received", REPORT)
    assert set(plans) == {"intake.first_visit", "intake.investigation"}
    received = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    assert plans["intake.first_visit"].due.due_at == received + timedelta(hours=24)
    assert plans["intake.investigation"].remind_at == received + timedelta(hours=54)


def test_a_report_that_is_no_emergency_starts_only_the_investigation_clock() -> None:
    assert set(plans_for("intake.report.received", {**REPORT, "emergency": False})) == {
        "intake.investigation"
    }


def test_the_same_event_plans_the_same_deadline_ids() -> None:
    first = plans_for("intake.report.received", REPORT)
    again = plans_for("intake.report.received", REPORT)
    assert [p.deadline_id for p in first.values()] == [p.deadline_id for p in again.values()]
    assert derived_id("a", "b") == derived_id("a", "b") != derived_id("a", "c")


def test_recurring_follow_up_schedules_are_not_started_here() -> None:
    data = {"child_id": "child-syn-1", "category": "serious_violence", "set_at": "2026-11-02"}
    assert plans_for("intake.case.followup_category_set", data) == {}


def test_a_clock_runs_from_the_fact_but_never_from_later_than_it_was_recorded() -> None:
    assert fact_time({"received_at": "2026-11-02T01:00:00+00:00"}, RECORDED) == datetime(
        2026, 11, 2, 1, 0, tzinfo=UTC
    )
    assert fact_time({"received_at": "2026-11-09T01:00:00Z"}, RECORDED) == RECORDED
    assert fact_time({"occurred_at": "2026-10-01T01:00:00Z"}, RECORDED) == RECORDED
    assert fact_time({"received_at": "not a time"}, RECORDED) == RECORDED


def test_a_visit_naming_two_reports_stops_the_first_visit_clock_of_each() -> None:
    data = {"case_id": "case-syn-1", "report_ids": ["report-syn-1", "report-syn-2"]}
    assert subjects_stopped_by("intake.case.visit_recorded", data) == [
        ("intake.first_visit", "report-syn-1"),
        ("intake.first_visit", "report-syn-2"),
    ]


def test_subject_workers_and_entities_are_read_from_single_and_list_fields() -> None:
    data = {"report_id": "r1", "report_ids": ["r1", "r2"], "worker_ids": ["w1"], "filed_by": "w2"}
    assert subject_ids(Subject.REPORT, data) == ("r1", "r2")
    assert subject_ids(Subject.CASE, data) == ()
    assert workers_of(data) == ("w1", "w2")
    assert entities_of({**data, "case_id": "c1"}) == ("r1", "r2", "c1")


DUE = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
REMIND = DUE - timedelta(hours=6)


@pytest.mark.parametrize(
    ("now", "reminded", "owed"),
    [
        (REMIND - timedelta(seconds=1), False, None),
        (REMIND, False, Firing.REMIND),
        (REMIND + timedelta(hours=1), True, None),
        (DUE, True, Firing.MISS),
        (DUE + timedelta(days=3), False, Firing.MISS),  # too late to remind: only the miss
    ],
)
def test_an_open_clock_owes_the_reminder_then_the_miss(
    now: datetime, reminded: bool, owed: Firing | None
) -> None:
    assert firing_due(DUE, REMIND, reminded, now) is owed
