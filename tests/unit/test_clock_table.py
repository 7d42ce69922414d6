"""The clock table (DOMAIN §2-8, §12) and the due times it yields (deadlines.py).

All instants are fixed; China time is UTC+8 all year (no daylight saving since 1991).
"""

import dataclasses
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notify.domain.calendar import WorkingCalendar
from notify.domain.clocks import (
    CLOCK_TABLE,
    EVENT_CATALOG,
    EVENT_NAME,
    ClockTableError,
    DueAt,
    Duration,
    Repeat,
    SpanFraction,
    Unit,
    days,
    hours,
    months,
    rule_for,
    rules_satisfied_by,
    rules_started_by,
    rules_stopped_by,
    table_problems,
    validate_table,
    working_days,
)
from notify.domain.deadlines import add_months, due_at, occurrences, remind_at

CHINA = ZoneInfo("Asia/Shanghai")

#: Every clock the brief asks for, with the span its clause states.
REQUIRED_SPANS = {
    "mandatory_report.acknowledgement": hours(1),  # SZ-5.2.1 "immediately": product resolution
    "intake.civil_affairs_report": hours(1),  # I-2, SZ-6.2.1 "立即...报送至上级民政部门", as above
    "intake.first_visit": hours(24),  # I-3, SZ-6.2.1
    "intake.investigation": hours(72),  # I-2, SZ-6.2.1
    "mental_health.start_by_agreement": working_days(15),  # M-5, JX-7.3
    "mental_health.start_medium_risk": working_days(10),  # M-5
    "mental_health.start_high_risk": working_days(5),  # M-5
    "mental_health.plan_adjustment": working_days(5),  # M-4, JX-7.2.2
    "mental_health.client_request_report": working_days(2),  # M-9, JX-7.4.2
    "mental_health.client_request_adjustment": working_days(5),  # M-9
    "followup.weekly_after_serious_violence": days(7),  # §5, SZ-5.8.2
    "followup.every_3_months": months(3),  # §5
    "followup.every_6_months": months(6),  # §5
    "followup.after_closure": months(6),  # SZ-6.6
    "placement.temporary_care": months(3),  # §8, SZ Appendix F.1 item 7
    "placement.temporary_care_extension": months(9),  # §8
    "placement.temporary_guardianship": months(12),  # §8, SZ-5.5
    "placement.protection_order_application": hours(72),  # §8, SZ Appendix F.1 item 4
    "placement.new_guardian": months(1),  # §8, item 5
    "placement.living_allowance": months(1),  # §8, item 6
    "placement.weekly_psychological_support": days(7),  # §8, NX-6.1.6
    "staff.background_check": months(12),  # §12, MZ-7.1.3
    "assessment.task": DueAt("due_at"),  # §4, SZ-6.4: the task states its own due time
}


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def china(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CHINA)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


# --- the table as data -------------------------------------------------------------------


def test_the_table_holds_exactly_the_required_clocks_with_their_stated_spans() -> None:
    assert {r.code: r.length for r in CLOCK_TABLE} == REQUIRED_SPANS


def test_every_rule_cites_a_clause_of_a_standard_and_a_domain_rule() -> None:
    for rule in CLOCK_TABLE:
        assert rule.clause.split("-")[0] in {"MZ", "JX", "SZ", "NX"}, rule.code
        assert rule.domain_rule, rule.code


def test_recurring_rules_are_the_follow_ups_support_sessions_and_staff_checks() -> None:
    recurring = {r.code: r.repeat for r in CLOCK_TABLE if r.is_recurring}
    assert recurring == {
        "followup.weekly_after_serious_violence": Repeat(days(7), within=months(3)),
        "followup.every_3_months": Repeat(months(3), within=None),
        "followup.every_6_months": Repeat(months(6), within=None),
        "placement.weekly_psychological_support": Repeat(days(7), within=None),
        # counted again from each check's date (MZ-7.1.3: yearly)
        "staff.background_check": Repeat(months(12), within=None, restart_from="checked_on"),
    }


def test_no_one_off_rule_stops_on_its_own_start_event() -> None:
    for rule in CLOCK_TABLE:
        if not rule.is_recurring:
            assert not set(rule.starts_on) & set(rule.stopped_by), rule.code


def test_every_event_is_catalogued_and_named_service_aggregate_fact() -> None:
    used = {e for r in CLOCK_TABLE for e in (*r.starts_on, *r.stopped_by, *r.satisfied_by)}
    assert used == set(EVENT_CATALOG)
    assert all(EVENT_NAME.match(e) for e in used)


def test_every_stop_event_comes_from_a_service_that_owns_what_it_stops() -> None:
    """A stop event is one the subject's owner emits: intake for reports and workers,
    assessment for mental-health and closure clocks, referral for placements."""
    owners = {
        "mandatory_report": {"intake"},
        "intake": {"intake"},
        "mental_health": {"assessment"},
        "followup": {"intake", "assessment"},
        "placement": {"referral"},
        "staff": {"intake"},
        "assessment": {"assessment"},
    }
    for rule in CLOCK_TABLE:
        services = {e.split(".")[0] for e in (*rule.stopped_by, *rule.satisfied_by)}
        assert services <= owners[rule.code.split(".")[0]], rule.code


def test_the_mandatory_report_clock_is_short_and_says_why_sz_5_2_1() -> None:
    rule = rule_for("mandatory_report.acknowledgement")
    assert rule.length == hours(1) and "Resolution" in rule.note
    assert rule.stopped_by == ("intake.mandatory_report.acknowledged",)


def test_a_received_report_starts_the_72_hour_clock_and_only_an_emergency_the_24_hour_one() -> None:
    """Every report: tell civil affairs at once and investigate within 72 h (I-2, SZ-6.2.1);
    an emergency also: first visit within 24 h (I-3) and weekly visits for 3 months (§5,
    SZ-5.8.2)."""
    started = rules_started_by("intake.report.received")
    every_report = {"intake.civil_affairs_report", "intake.investigation"}
    emergency_only = {"intake.first_visit", "followup.weekly_after_serious_violence"}
    assert {r.code for r in started} == every_report | emergency_only
    assert {r.code for r in started if r.applies_to({"emergency": True})} == (
        every_report | emergency_only
    )
    assert {r.code for r in started if r.applies_to({"emergency": False})} == every_report
    assert {r.code for r in started if r.applies_to({})} == every_report


def test_mental_health_start_clock_follows_the_risk_level_m5() -> None:
    graded = rules_started_by("assessment.mental_health_assessment.risk_graded")
    by_level = {
        level: {r.length for r in graded if r.applies_to({"risk_level": level})}
        for level in ("normal", "low", "medium", "high")
    }
    assert by_level == {
        "normal": set(),
        "low": set(),
        "medium": {working_days(10)},
        "high": {working_days(5)},
    }


def test_follow_up_frequency_follows_the_child_category_sz_5_8_2() -> None:
    started = rules_started_by("intake.case.followup_category_set")

    def codes_for(category: str) -> set[str]:
        return {r.code for r in started if r.applies_to({"category": category})}

    assert codes_for("serious_violence") == {"followup.weekly_after_serious_violence"}
    assert codes_for("de_facto_unsupported") == {"followup.every_3_months"}
    assert codes_for("scattered_orphan") == {"followup.every_6_months"}
    assert {r.code for r in rules_satisfied_by("intake.case.visit_recorded")} == {
        r.code for r in started
    }


def test_temporary_guardianship_starts_duties_by_appendix_f_category() -> None:
    started = rules_started_by("referral.placement.temporary_guardianship_started")

    def codes_for(data: dict[str, object]) -> set[str]:
        return {r.code for r in started if r.applies_to(data)}

    always = {"placement.temporary_guardianship", "placement.weekly_psychological_support"}
    assert codes_for({"category": "b"}) == always | {"placement.protection_order_application"}
    assert codes_for({"category": "c"}) == always | {"placement.new_guardian"}
    assert codes_for({"category": "a", "living_allowance_eligible": True}) == always | {
        "placement.living_allowance"
    }


def test_ending_a_placement_stops_every_placement_clock_that_could_still_run() -> None:
    stopped = {r.code for r in rules_stopped_by("referral.placement.ended")}
    assert stopped == {
        "placement.temporary_care",
        "placement.temporary_care_extension",
        "placement.temporary_guardianship",
        "placement.new_guardian",
        "placement.weekly_psychological_support",
    }


def test_an_unknown_code_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        rule_for("no.such.clock")


def test_a_table_with_a_duplicate_code_or_an_empty_span_is_refused() -> None:
    rule = rule_for("intake.first_visit")
    broken = (rule, dataclasses.replace(rule, length=hours(0)))
    with pytest.raises(ClockTableError, match=r"duplicate code intake\.first_visit"):
        validate_table(broken, EVENT_CATALOG)
    assert "intake.first_visit: length must be positive" in table_problems(broken, EVENT_CATALOG)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"clause": "I-3"}, "cites no standard"),
        ({"stopped_by": ("intake.report.received",)}, "own start event"),
        ({"stopped_by": ("intake.case.visited",)}, "unknown event"),
        ({"remind_before": working_days(1)}, "wall-clock"),
        ({"remind_before": hours(24)}, "inside the span"),
        ({"remind_before": SpanFraction(Fraction(1))}, "between 0 and 1"),
        ({"escalate_to": ()}, "escalate"),
        ({"repeat": Repeat(days(1), within=None)}, "satisfied_by"),
        ({"length": DueAt("due_at"), "remind_before": hours(1)}, "reminder as a share"),
        ({"length": DueAt("Due At")}, "is no name"),
    ],
)
def test_a_rule_that_contradicts_itself_is_refused(change: dict[str, object], problem: str) -> None:
    rule = dataclasses.replace(rule_for("intake.first_visit"), **change)  # type: ignore[arg-type]
    table = (*(r for r in CLOCK_TABLE if r.code != rule.code), rule)
    with pytest.raises(ClockTableError, match=problem):
        validate_table(table, EVENT_CATALOG)


def test_a_stated_due_time_cannot_recur() -> None:
    task = rule_for("assessment.task")
    broken = dataclasses.replace(
        task, repeat=Repeat(days(7), within=None), satisfied_by=("assessment.task.completed",)
    )
    table = (*(r for r in CLOCK_TABLE if r.code != task.code), broken)
    with pytest.raises(ClockTableError, match="cannot recur"):
        validate_table(table, EVENT_CATALOG)


def test_assessment_tasks_are_kept_per_task_and_stop_on_completion_or_cancellation() -> None:
    rule = rule_for("assessment.task")
    assert rule.subject.value == "task" and rule.length == DueAt("due_at")
    assert rule.stopped_by == ("assessment.task.completed", "assessment.task.cancelled")
    assert [r.value for r in rule.remind] == ["assigned_worker"]


# --- due times ---------------------------------------------------------------------------


def test_the_24_hour_first_visit_is_exactly_24_hours_even_on_national_day_i3(
    calendar: WorkingCalendar,
) -> None:
    due = due_at(rule_for("intake.first_visit"), utc(2026, 10, 1, 2, 5), calendar)
    assert (due.due_at, due.provisional) == (utc(2026, 10, 2, 2, 5), False)


def test_the_72_hour_investigation_is_exactly_72_hours_i2(calendar: WorkingCalendar) -> None:
    start = china(2026, 12, 31, 22, 30)
    due = due_at(rule_for("intake.investigation"), start, calendar)
    assert due.due_at == start + timedelta(hours=72) and due.due_at.tzinfo is UTC
    assert not due.provisional  # wall-clock spans need no holiday notice, even into 2027


def test_high_risk_start_from_30_september_2026_is_due_at_the_end_of_13_october_m5(
    calendar: WorkingCalendar,
) -> None:
    """Started 30 Sep 01:00 China time (29 Sep 17:00 UTC); 5 working days land on 13 Oct
    (see test_calendar); due 13 Oct 23:59:59 China time = 15:59:59 UTC."""
    due = due_at(rule_for("mental_health.start_high_risk"), utc(2026, 9, 29, 17), calendar)
    assert due.due_at == china(2026, 10, 13, 23, 59, 59) == utc(2026, 10, 13, 15, 59, 59)
    assert not due.provisional


def test_working_days_count_from_the_china_date_not_the_utc_date_m9(
    calendar: WorkingCalendar,
) -> None:
    """9 Oct 16:30 UTC is Saturday 10 Oct 00:30 in China, itself a worked day; counting starts
    after it: 12 Oct (1), 13 Oct (2). Counting from the UTC date would end on 12 Oct."""
    due = due_at(
        rule_for("mental_health.client_request_report"), utc(2026, 10, 9, 16, 30), calendar
    )
    assert due.due_at == china(2026, 10, 13, 23, 59, 59)


def test_new_guardian_one_month_from_31_january_is_due_28_february_sz_f_1_5(
    calendar: WorkingCalendar,
) -> None:
    rule = rule_for("placement.new_guardian")
    assert due_at(rule, china(2026, 1, 31, 10), calendar).due_at == china(2026, 2, 28, 10)
    leap = due_at(rule, china(2028, 1, 31, 10), calendar)
    assert (leap.due_at, leap.provisional) == (china(2028, 2, 29, 10), False)


def test_months_are_counted_on_the_china_calendar_not_the_utc_one() -> None:
    """30 Mar 20:00 UTC is 31 Mar 04:00 in China; a month later is 30 Apr 04:00 China time."""
    due = due_at(rule_for("placement.new_guardian"), utc(2026, 3, 30, 20), WorkingCalendar())
    assert due.due_at == china(2026, 4, 30, 4)


def test_add_months_clamps_the_day_and_goes_backwards_too() -> None:
    assert add_months(china(2026, 3, 31, 9), -1) == china(2026, 2, 28, 9)
    assert add_months(china(2026, 11, 30, 9), 3) == china(2027, 2, 28, 9)


def test_a_working_day_clock_into_2027_is_provisional_until_the_notice_is_loaded_m4(
    calendar: WorkingCalendar,
) -> None:
    """Started Wed 30 Dec 2026 in China, 2027 unknown: 31 Dec (1); Fri 1 Jan is New Year's
    Day, fixed by the State Council's holiday rules (2024 revision), so it is skipped even
    before the notice; 4 Jan (2), 5 (3), 6 (4), 7 (5). With an illustrative 2027 schedule
    (1 Jan holiday) the exact answer is the same 7 Jan, and no longer provisional."""
    rule, start = rule_for("mental_health.plan_adjustment"), china(2026, 12, 30, 9)
    guess = due_at(rule, start, calendar)
    assert guess.due_at == china(2027, 1, 7, 23, 59, 59)
    assert guess.provisional and guess.depends_on(2027)

    calendar.load_year(2027, {datetime(2027, 1, 1).date(): "New Year's Day"}, set())
    exact = due_at(rule, start, calendar)
    assert exact.due_at == china(2027, 1, 7, 23, 59, 59) and not exact.provisional


def test_a_naive_start_is_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        due_at(rule_for("intake.first_visit"), datetime(2026, 11, 23, 9), calendar)


# --- reminders ---------------------------------------------------------------------------


def test_a_quarter_span_reminder_on_the_24_hour_visit_comes_at_18_hours() -> None:
    start = utc(2026, 11, 23, 1)
    rule = rule_for("intake.first_visit")
    assert remind_at(rule, start, start + timedelta(hours=24)) == start + timedelta(hours=18)


def test_a_fixed_reminder_comes_that_long_before_the_due_time() -> None:
    start = china(2026, 11, 23, 9)
    care = rule_for("placement.temporary_care")
    assert remind_at(care, start, china(2027, 2, 23, 9)) == china(2027, 2, 9, 9)
    guardianship = rule_for("placement.temporary_guardianship")
    assert remind_at(guardianship, start, china(2027, 3, 31, 9)) == china(2027, 2, 28, 9)


def test_a_reminder_never_comes_before_the_clock_started() -> None:
    start = utc(2026, 11, 23, 1)
    rule = rule_for("followup.weekly_after_serious_violence")  # 2 days before each due
    assert remind_at(rule, start, start + timedelta(days=1)) == start


# --- recurring clocks ----------------------------------------------------------------------


def test_weekly_follow_ups_after_serious_violence_run_for_3_months_sz_5_8_2(
    calendar: WorkingCalendar,
) -> None:
    """From 23 Nov 2026 09:00 China time the window ends 23 Feb 2027 09:00; weekly visits fall
    due on 30 Nov ... 22 Feb, 13 in all."""
    start = china(2026, 11, 23, 9)
    dues = occurrences(rule_for("followup.weekly_after_serious_violence"), start, calendar)
    assert [d.due_at for d in dues] == [start + timedelta(weeks=k) for k in range(1, 14)]
    assert dues[-1].due_at == china(2027, 2, 22, 9) and not any(d.provisional for d in dues)


def test_three_monthly_follow_ups_keep_the_month_end_without_drifting(
    calendar: WorkingCalendar,
) -> None:
    start = china(2026, 1, 31, 10)
    dues = occurrences(
        rule_for("followup.every_3_months"), start, calendar, until=start.replace(year=2027)
    )
    assert [d.due_at for d in dues] == [
        china(2026, 4, 30, 10),
        china(2026, 7, 31, 10),
        china(2026, 10, 31, 10),
        china(2027, 1, 31, 10),
    ]


def test_an_open_ended_recurring_clock_needs_a_horizon(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="until"):
        occurrences(rule_for("staff.background_check"), utc(2026, 1, 1), calendar)


def test_a_one_off_clock_has_a_single_occurrence(calendar: WorkingCalendar) -> None:
    start = utc(2026, 11, 23)
    assert occurrences(rule_for("intake.investigation"), start, calendar) == [
        due_at(rule_for("intake.investigation"), start, calendar)
    ]


@given(
    start=st.datetimes(min_value=datetime(2004, 1, 1), max_value=datetime(2030, 1, 1)),
    code=st.sampled_from([r.code for r in CLOCK_TABLE if isinstance(r.length, Duration)]),
)
def test_every_clock_falls_due_after_it_starts_and_reminds_in_between(
    start: datetime, code: str
) -> None:
    rule, began = rule_for(code), start.replace(tzinfo=UTC)
    horizon = began + timedelta(days=800)
    for due in occurrences(rule, began, WorkingCalendar(), until=horizon):
        assert began < due.due_at
        assert began <= remind_at(rule, began, due.due_at) < due.due_at


def test_durations_keep_the_unit_the_standard_states() -> None:
    assert working_days(5) == Duration(5, Unit.WORKING_DAYS) != days(5)


def test_the_post_closure_clock_starts_on_assessments_closure_or_intakes_move_to_follow_up() -> (
    None
):
    """SZ-6.6, DOMAIN §5: a case assessment never closed reaches follow-up in intake only."""
    rule = rule_for("followup.after_closure")
    moved = "intake.case.status_changed"
    assert rule in rules_started_by(moved) and rule.once_per_fact
    assert rule.applies_to({"to_status": "follow_up"}, moved)
    assert not rule.applies_to({"to_status": "closing"}, moved)
    assert not rule.applies_to({"to_status": "closed"}, moved)
    assert rule.applies_to({"case_id": "case-1"}, "assessment.closure.recorded")
    assert {"intake.case.followup_done", "intake.case.full_closure_assessed"} <= set(
        rule.stopped_by
    )


def test_a_check_restarts_the_yearly_series_at_the_end_of_its_date_china_time_mz_7_1_3() -> None:
    from notify.domain.tracking import restart_point

    rule, recorded = rule_for("staff.background_check"), utc(2027, 7, 1, 2)
    assert restart_point(rule, {"checked_on": "2027-06-30"}, recorded) == china(
        2027, 6, 30, 23, 59, 59
    )
    # a date after the event was recorded is taken as the day it was recorded
    assert restart_point(rule, {"checked_on": "2027-08-01"}, recorded) == china(
        2027, 7, 1, 23, 59, 59
    )
    for unreadable in ({}, {"checked_on": "30/06/2027"}, {"checked_on": "1999-12-31"}):
        assert restart_point(rule, unreadable, recorded) is None
    assert (
        restart_point(rule_for("followup.every_3_months"), {"checked_on": "2027-06-30"}, recorded)
        is None
    )
