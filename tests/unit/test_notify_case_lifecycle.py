"""The pure rules of notify that tie clocks to the case as it moves (issue 14): per-recipient
acknowledgement clocks (SZ-5.2.1), the report to civil affairs on every intake (SZ-6.2.1), the
weekly serious-violence series started by an emergency report (SZ-5.8.2), cancelled instead of
met (a superseded task, a case that ended), the case team named on its clocks, and provisional
working days that skip the fixed-date national holidays (DOMAIN §13). All data is synthetic.
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

import pytest

from notify.domain import WorkingCalendar, rule_for
from notify.domain.calendar import fixed_holidays
from notify.domain.cases import cancel_reason, case_end_reason, reassigned
from notify.domain.tracking import (
    PlannedDeadline,
    Reached,
    deadlines_started_by,
    subjects_stopped_by,
)

RECORDED = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
REPORT = {
    "report_id": "report-syn-1",
    "organisation": "org-syn",
    "child_id": "child-syn-1",
    "received_at": "2026-11-02T02:00:00Z",
    "received_by": "worker-syn-1",
    "emergency": False,
}
FILED = {
    "report_id": "report-syn-1",
    "organisation": "org-syn",
    "child_id": "child-syn-1",
    "filed_at": "2026-11-02T02:00:00Z",
    "filed_by": "worker-syn-1",
    "recipients": [
        {"key": "police", "name": "110", "contact": None, "rule": "SZ-5.2.1"},
        {"key": "place_responsible", "name": "school", "contact": None, "rule": "SZ-5.2.1"},
    ],
    "emergency": False,
    "triggers": [4],
}
ACK = "mandatory_report.acknowledgement"


def plans_for(name: str, data: Mapping[str, object]) -> list[PlannedDeadline]:
    return deadlines_started_by("event-syn-1", name, data, RECORDED, WorkingCalendar())


# --- SZ-5.2.1: every recipient acknowledges for itself (issue 14, item 6) ------------------------


def test_a_mandatory_report_sets_one_acknowledgement_clock_per_recipient_sz_5_2_1() -> None:
    plans = [p for p in plans_for("intake.mandatory_report.filed", FILED) if p.rule.code == ACK]
    assert sorted(p.party for p in plans) == ["place_responsible", "police"]
    assert len({p.deadline_id for p in plans}) == 2
    assert {p.subject_id for p in plans} == {"report-syn-1"}


def test_an_acknowledgement_reaches_only_the_clock_of_the_recipient_it_names_sz_5_2_1() -> None:
    data = {"report_id": "report-syn-1", "organisation": "org-syn", "recipient": "police"}
    reached = subjects_stopped_by("intake.mandatory_report.acknowledged", data)
    assert reached == [Reached(ACK, "report-syn-1", party="police")]


# --- SZ-6.2.1: report to the supervising civil-affairs department on every intake (item 7) ----


def test_every_report_starts_the_civil_affairs_report_clock_of_one_hour_sz_6_2_1() -> None:
    plans = {p.rule.code: p for p in plans_for("intake.report.received", REPORT)}
    clock = plans["intake.civil_affairs_report"]
    assert clock.due.due_at == RECEIVED + timedelta(hours=1)  # "immediately", as for SZ-5.2.1
    assert clock.rule.length == rule_for(ACK).length and clock.clause == "SZ-6.2.1"
    assert clock.workers == ("worker-syn-1",)
    assert [r.value for r in clock.rule.escalate_to] == ["supervisor"]
    stopped = subjects_stopped_by(
        "intake.report.civil_affairs_notified", {"report_id": "report-syn-1"}
    )
    assert Reached("intake.civil_affairs_report", "report-syn-1") in stopped


# --- SZ-5.8.2: an emergency report starts the weekly series (item 12) ---------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [("intake.report.received", REPORT), ("intake.mandatory_report.filed", FILED)],
)
def test_an_emergency_report_starts_the_weekly_serious_violence_series_sz_5_8_2(
    name: str, data: Mapping[str, object]
) -> None:
    weekly = "followup.weekly_after_serious_violence"
    assert weekly not in {p.rule.code for p in plans_for(name, data)}
    plans = {p.rule.code: p for p in plans_for(name, {**data, "emergency": True})}
    first = plans[weekly]
    assert first.subject_id == "child-syn-1" and first.occurrence == 1
    assert first.due.due_at == RECEIVED + timedelta(days=7)


# --- cancelled, not met (items 2 and 13) ---------------------------------------------------------


def test_a_cancelled_task_cancels_its_clock_and_a_completed_one_meets_it_sz_6_4() -> None:
    rule = rule_for("assessment.task")
    assert rule.cancels("assessment.task.cancelled")
    assert not rule.cancels("assessment.task.completed")


def test_a_closure_or_a_new_category_cancels_the_follow_up_series_sz_5_8_2() -> None:
    rule = rule_for("followup.weekly_after_serious_violence")
    assert rule.cancels("assessment.closure.recorded")
    assert rule.cancels("intake.case.followup_category_set")
    assert not rule.cancels("intake.case.visit_recorded")


def test_the_reason_of_a_cancellation_names_what_ended_the_clock() -> None:
    assert cancel_reason("assessment.task.cancelled", {"reason_code": "superseded"}) == (
        "assessment.task.cancelled: superseded"
    )
    assert cancel_reason("assessment.closure.recorded", {}) == "assessment.closure.recorded"


@pytest.mark.parametrize("final", ["closed", "transferred", "handed_over"])
def test_a_case_moved_to_a_final_status_ends_its_clocks_with_the_move_as_reason_sz_6_5(
    final: str,
) -> None:
    data = {"case_id": "case-syn-1", "from_status": "follow_up", "to_status": final}
    reason = case_end_reason(data)
    assert reason == f"intake.case.status_changed: follow_up -> {final}"


@pytest.mark.parametrize("status", ["open", "in_service", "closing", "follow_up"])
def test_a_case_still_active_keeps_its_clocks(status: str) -> None:
    assert case_end_reason({"case_id": "case-syn-1", "to_status": status}) is None


# --- the case team sees the case's clocks (item 11) ---------------------------------------------


def test_a_new_team_joins_the_clock_and_a_member_who_left_the_team_leaves_it_mz_6_2_2() -> None:
    # taken by w1; team w2, w3 assigned; then team w3, w4: w2 left the team
    assert reassigned(("w1",), old_team=(), new_team=("w2", "w3")) == ("w1", "w2", "w3")
    assert reassigned(("w1", "w2", "w3"), old_team=("w2", "w3"), new_team=("w3", "w4")) == (
        "w1",
        "w3",
        "w4",
    )


def test_a_worker_taken_off_the_case_no_longer_sees_its_clocks_even_as_report_taker() -> None:
    assert reassigned(("w1", "w2"), old_team=("w1", "w2"), new_team=("w2",)) == ("w2",)


# --- DOMAIN §13: provisional counting skips the fixed-date national holidays (item 14) ----------


def test_the_fixed_date_holidays_follow_the_state_council_rules_of_2025() -> None:
    """全国年节及纪念日放假办法 (2024 revision, from 2025): New Year's Day 1 Jan, Labour Day 1-2
    May, National Day 1-3 Oct; the lunar and solar-term holidays have no fixed date."""
    assert sorted(fixed_holidays(2027)) == [
        date(2027, 1, 1),
        date(2027, 5, 1),
        date(2027, 5, 2),
        date(2027, 10, 1),
        date(2027, 10, 2),
        date(2027, 10, 3),
    ]


def test_24_december_2026_plus_10_working_days_skips_new_years_day_2027_s13() -> None:
    result = WorkingCalendar().provisional_add_working_days(date(2026, 12, 24), 10)
    assert result.day == date(2027, 1, 8)
    assert result.provisional and result.missing_years == {2027}


def test_provisional_counting_skips_labour_day_and_national_day_s13() -> None:
    calendar = WorkingCalendar()
    assert calendar.provisional_add_working_days(date(2028, 4, 28), 1).day == date(2028, 5, 3)
    assert calendar.provisional_add_working_days(date(2027, 9, 30), 1).day == date(2027, 10, 4)


# --- stored events keep reading (the new versions upcast the old) -------------------------------


def test_a_clock_set_before_recipients_had_clocks_reads_as_one_for_the_whole_report() -> None:
    import notify.domain.events  # noqa: F401  (registers notify's types)
    from events.registry import registry

    info, data = registry.upcast("notify.deadline.set.v2", {"deadline_id": "d-syn-1"})
    assert (info.version, data["party"], data["supervisors"]) == (3, None, [])
    info, data = registry.upcast("notify.escalated.v1", {"deadline_id": "d-syn-1"})
    assert (info.version, data["party"], data["supervisors"], data["workers"]) == (2, None, [], [])


@pytest.mark.parametrize(
    ("to_status", "ends"),
    [("follow_up", True), ("in_service", False), ("closing", False)],
)
def test_the_move_to_follow_up_ends_the_follow_up_series_as_a_closure_does_sz_6_6(
    to_status: str, ends: bool
) -> None:
    """SZ-5.8.2's series run while the case is served; after closure (assessment's, or intake's
    move of the case to follow-up) come the post-closure follow-ups of SZ-6.6 instead."""
    data = {"case_id": "case-1", "child_id": "child-1", "to_status": to_status}
    stopped = {r.rule for r in subjects_stopped_by("intake.case.status_changed", data)}
    series = {
        "followup.weekly_after_serious_violence",
        "followup.every_3_months",
        "followup.every_6_months",
    }
    assert (series <= stopped) is ends
    assert stopped.isdisjoint(series) is not ends
    assert rule_for("followup.weekly_after_serious_violence").cancels("intake.case.status_changed")
