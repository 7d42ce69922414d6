"""Which deadlines an event starts or stops, and what an open clock owes at a moment: pure
functions over the clock table (DOMAIN §2-8, §13). All ids and data are synthetic."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from notify.domain import Subject, WorkingCalendar, rule_for
from notify.domain.tracking import (
    Firing,
    PlannedDeadline,
    Reached,
    StaffMember,
    deadlines_started_by,
    derived_id,
    entities_of,
    fact_time,
    firing_due,
    next_occurrence,
    occurrences_met,
    series_id_of,
    subject_ids,
    subjects_satisfied_by,
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
    assert set(plans) == {
        "intake.first_visit",
        "intake.investigation",
        "intake.civil_affairs_report",  # SZ-6.2.1, every intake
        "followup.weekly_after_serious_violence",  # SZ-5.8.2, an emergency report
    }
    received = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    assert plans["intake.first_visit"].due.due_at == received + timedelta(hours=24)
    assert plans["intake.investigation"].remind_at == received + timedelta(hours=54)


def test_a_report_that_is_no_emergency_starts_only_the_investigation_clock() -> None:
    assert set(plans_for("intake.report.received", {**REPORT, "emergency": False})) == {
        "intake.investigation",
        "intake.civil_affairs_report",
    }


def test_the_same_event_plans_the_same_deadline_ids() -> None:
    first = plans_for("intake.report.received", REPORT)
    again = plans_for("intake.report.received", REPORT)
    assert [p.deadline_id for p in first.values()] == [p.deadline_id for p in again.values()]
    assert derived_id("a", "b") == derived_id("a", "b") != derived_id("a", "c")


def test_a_follow_up_category_starts_a_weekly_series_with_its_first_occurrence_sz_5_8_2() -> None:
    data = {"child_id": "child-syn-1", "category": "serious_violence", "set_at": "2026-11-02"}
    (plan,) = plans_for("intake.case.followup_category_set", data).values()
    assert plan.rule.code == "followup.weekly_after_serious_violence" and plan.occurrence == 1
    assert plan.series is not None and plan.series.started_at == RECORDED
    assert plan.series.series_id == series_id_of(plan.rule.code, "child-syn-1", "event-syn-1")
    assert (plan.started_at, plan.due.due_at) == (RECORDED, RECORDED + timedelta(days=7))
    assert plan.remind_at == RECORDED + timedelta(days=5)  # 2 days before


def test_each_occurrence_runs_from_the_previous_due_time_without_drift() -> None:
    first = plans_for(
        "intake.case.followup_category_set", {"child_id": "c", "category": "serious_violence"}
    )["followup.weekly_after_serious_violence"]
    assert first.series is not None
    third = next_occurrence(first.rule, "c", "org", ("w",), first.series, 2, WorkingCalendar())
    assert third is not None and third.occurrence == 3
    assert third.started_at == RECORDED + timedelta(days=14)
    assert third.due.due_at == RECORDED + timedelta(days=21)
    assert third.deadline_id != first.deadline_id


def test_the_weekly_series_ends_with_its_3_month_window_sz_5_8_2() -> None:
    first = plans_for(
        "intake.case.followup_category_set", {"child_id": "c", "category": "serious_violence"}
    )["followup.weekly_after_serious_violence"]
    assert first.series is not None
    calendar = WorkingCalendar()
    # 2 Nov 2026 11:00 China time + 3 months = 2 Feb 2027: weeks 1..13 fit (13 weeks = 1 Feb)
    assert next_occurrence(first.rule, "c", None, (), first.series, 12, calendar) is not None
    assert next_occurrence(first.rule, "c", None, (), first.series, 13, calendar) is None


def test_a_visit_meets_the_follow_up_series_of_its_child_and_placement_ends_support() -> None:
    visit = {"case_id": "case-1", "child_id": "child-1", "report_ids": ["report-1"]}
    assert set(subjects_satisfied_by("intake.case.visit_recorded", visit)) == {
        Reached("followup.weekly_after_serious_violence", "child-1"),
        Reached("followup.every_3_months", "child-1"),
        Reached("followup.every_6_months", "child-1"),
    }
    ended = subjects_stopped_by("referral.placement.ended", {"child_id": "child-1"})
    assert Reached("placement.weekly_psychological_support", "child-1") in ended


@dataclass
class Running:
    started_at: datetime


def test_an_occurrence_not_yet_begun_is_not_met_in_advance() -> None:
    missed, current, next_week = (
        Running(RECORDED - timedelta(days=7)),
        Running(RECORDED),
        Running(RECORDED + timedelta(days=7)),
    )
    met = occurrences_met([missed, current, next_week], RECORDED + timedelta(days=1))
    assert met == [missed, current]


TASK = {
    "task_id": "task-syn-1",
    "case_id": "case-syn-1",
    "code": "protection_order",
    "clause": "SZ-6.4.1",
    "due_at": "2026-11-05T18:00:00+08:00",
    "assignee_ids": ["worker-syn-4"],
    "source_event_id": "event-syn-0",
}


def test_an_assessment_task_is_due_when_the_task_says_and_cites_its_own_clause() -> None:
    (plan,) = plans_for("assessment.task.set", TASK).values()
    assert plan.rule.code == "assessment.task" and plan.subject_id == "task-syn-1"
    assert plan.due.due_at == datetime(2026, 11, 5, 10, 0, tzinfo=UTC)
    assert plan.clause == "SZ-6.4.1" and plan.workers == ("worker-syn-4",)
    assert plan.remind_at == plan.due.due_at - (plan.due.due_at - RECORDED) / 4
    assert rule_for("assessment.task").escalate_to[0].value == "supervisor"


def test_a_task_without_a_usable_due_time_is_refused_not_guessed() -> None:
    for bad in ({**TASK, "due_at": "2026-11-05T18:00:00"}, {**TASK, "due_at": None}):
        with pytest.raises(ValueError, match="due_at"):
            plans_for("assessment.task.set", bad)


def test_a_task_clause_that_cites_no_standard_falls_back_to_the_rules() -> None:
    (plan,) = plans_for("assessment.task.set", {**TASK, "clause": "whatever"}).values()
    assert plan.clause == "SZ-6.4"


def test_completing_or_cancelling_a_task_stops_its_clock() -> None:
    for name in ("assessment.task.completed", "assessment.task.cancelled"):
        assert subjects_stopped_by(name, TASK) == [Reached("assessment.task", "task-syn-1")]


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
        Reached("intake.first_visit", "report-syn-1"),
        Reached("intake.first_visit", "report-syn-2"),
    ]


def test_a_staff_members_yearly_clock_is_kept_on_their_organisation_and_id_mz_7_1_3() -> None:
    """A staff id names one person within one organisation (intake_0006): the clock's subject
    names both, so two organisations' people with the same id have two clocks, and a check
    reaches only its own organisation's (clocks kept on the id alone are found through
    `staff`). Without an organisation the event reaches nobody."""
    plans = {
        org: plans_for("intake.worker.registered", {"worker_id": "w-syn", "organisation": org})[
            "staff.background_check"
        ]
        for org in ("org-syn-a", "org-syn/b")
    }
    assert plans["org-syn-a"].subject_id == "org-syn-a/w-syn"
    assert plans["org-syn/b"].subject_id == "org-syn%2Fb/w-syn"
    assert plans["org-syn-a"].stream_id != plans["org-syn/b"].stream_id
    assert plans["org-syn-a"].series != plans["org-syn/b"].series
    check = {"worker_id": "w-syn", "organisation": "org-syn/b", "clean": True}
    person = StaffMember("org-syn/b", "w-syn")
    reached = Reached("staff.background_check", "org-syn%2Fb/w-syn", person)
    assert subjects_satisfied_by("intake.worker.background_check_recorded", check) == [reached]
    assert subjects_stopped_by("intake.worker.suspended", check) == [reached]
    assert person.legacy_subject_id == "w-syn"
    assert StaffMember("a/b", "c").subject_id != StaffMember("a", "b/c").subject_id
    del check["organisation"]
    assert subjects_stopped_by("intake.worker.deregistered", check) == []
    assert subject_ids(Subject.WORKER, check) == ()


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


@pytest.mark.parametrize(
    "due", ["9999-12-31T23:59:59-05:00", "9999-12-31T18:00:00+00:00", "0001-01-01T00:00:00Z"]
)
def test_a_task_due_outside_the_years_notify_counts_is_refused_not_set(due: str) -> None:
    """An absurd due time would never fire (or overflow): dead-lettered, not kept."""
    with pytest.raises(ValueError, match="due_at"):
        plans_for("assessment.task.set", {**TASK, "due_at": due})


def test_a_fact_time_before_the_years_notify_counts_is_not_taken() -> None:
    """A clock from year 1 would ask every organisation to load the calendar of year 1."""
    assert fact_time({"received_at": "0001-01-01T00:00:00Z"}, RECORDED) == RECORDED
    assert fact_time({"received_at": "1999-12-31T00:00:00Z"}, RECORDED) == RECORDED
