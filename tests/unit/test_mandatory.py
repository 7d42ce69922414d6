"""Mandatory reporting: DOMAIN.md §3, T/SZSWA 009-2023 5.2, emergency visit SZ-6.2.1 (I-3)."""

import pytest

from intake.domain import Gender
from intake.domain.mandatory import TRIGGERS, evaluate_report

ALL_CODES = list(range(1, 10))


def warning_codes(decision) -> list[str]:
    return [w.code for w in decision.warnings]


def test_the_standard_lists_nine_triggers_each_with_its_clause_and_chinese_text() -> None:
    assert sorted(TRIGGERS) == ALL_CODES
    for code, trigger in TRIGGERS.items():
        assert trigger.clause == f"SZ-5.2.2({code})" and trigger.text_zh.endswith("的")


@pytest.mark.parametrize("code", ALL_CODES)
def test_each_trigger_alone_makes_the_report_mandatory_under_its_sz_5_2_2_clause(code: int):
    decision = evaluate_report({code}, emergency=False)

    assert decision.mandatory
    assert [(r.trigger, r.rule) for r in decision.reasons] == [(code, f"SZ-5.2.2({code})")]
    assert decision.emergency_first_visit_hours is None and not decision.violations


def test_a_mandatory_report_goes_to_110_the_place_and_civil_affairs_sz_5_2_1() -> None:
    decision = evaluate_report({4}, emergency=False)

    recipients = {r.key: r for r in decision.recipients}
    assert set(recipients) == {"police", "place_responsible", "civil_affairs"}
    assert recipients["police"].contact == "110" and recipients["police"].rule == "SZ-5.2.1"
    assert recipients["civil_affairs"].rule == "SZ-6.2.1"
    assert decision.report_content == ["time", "place", "harm"]


def test_no_trigger_and_no_emergency_is_not_mandatory() -> None:
    decision = evaluate_report(set(), emergency=False)

    assert not decision.mandatory and not decision.recipients and not decision.reasons
    assert decision.emergency_first_visit_hours is None


def test_an_emergency_alone_needs_a_first_visit_within_24_hours_i3_sz_6_2_1() -> None:
    decision = evaluate_report(set(), emergency=True)

    assert decision.emergency_first_visit_hours == 24
    assert decision.emergency_rule == "SZ-6.2.1"


def test_an_emergency_alone_is_unlawful_harm_so_reporting_is_mandatory_under_sz_5_2_1() -> None:
    decision = evaluate_report(set(), emergency=True)

    assert decision.mandatory and [r.rule for r in decision.reasons] == ["SZ-5.2.1"]
    assert warning_codes(decision) == ["emergency_without_trigger"]


def test_an_emergency_with_a_trigger_keeps_both_the_trigger_and_the_24_hours() -> None:
    decision = evaluate_report({4}, emergency=True)

    assert [r.trigger for r in decision.reasons] == [4] and not decision.warnings
    assert decision.emergency_first_visit_hours == 24


def test_unknown_trigger_10_is_a_violation_and_does_not_hide_known_ones() -> None:
    decision = evaluate_report({10, 6}, emergency=False)

    assert [(v.code, v.rule) for v in decision.violations] == [("unknown_trigger", "SZ-5.2.2")]
    assert decision.mandatory and [r.trigger for r in decision.reasons] == [6]


def test_unknown_trigger_alone_is_not_a_reason_to_report() -> None:
    decision = evaluate_report({10}, emergency=False)

    assert not decision.mandatory and decision.violations


def test_trigger_2_for_a_boy_is_reported_with_a_gender_warning_naming_sz_5_2_2_2() -> None:
    decision = evaluate_report({2}, emergency=False, child_gender=Gender.MALE, child_age_years=10)

    assert decision.mandatory
    assert [(w.code, w.rule) for w in decision.warnings] == [
        ("trigger_gender_mismatch", "SZ-5.2.2(2)")
    ]


def test_trigger_2_for_a_15_year_old_girl_is_reported_with_an_age_warning() -> None:
    decision = evaluate_report({2}, emergency=False, child_gender=Gender.FEMALE, child_age_years=15)

    assert decision.mandatory and warning_codes(decision) == ["trigger_age_mismatch"]
    assert decision.warnings[0].rule == "SZ-5.2.2(2)"


@pytest.mark.parametrize(("code", "age"), [(2, 13), (3, 14), (3, 17)])
def test_girl_triggers_at_the_right_age_give_no_warning_14_is_14_or_older(code: int, age: int):
    decision = evaluate_report(
        {code}, emergency=False, child_gender=Gender.FEMALE, child_age_years=age
    )

    assert not decision.warnings


def test_trigger_3_for_a_13_year_old_girl_warns_that_it_is_trigger_2() -> None:
    decision = evaluate_report({3}, emergency=False, child_gender=Gender.FEMALE, child_age_years=13)

    assert warning_codes(decision) == ["trigger_age_mismatch"]
    assert decision.warnings[0].rule == "SZ-5.2.2(3)"


def test_unknown_age_and_gender_give_no_consistency_warning() -> None:
    assert not evaluate_report({2, 3}, emergency=False).warnings


def test_a_stated_age_of_18_is_flagged_because_the_duty_concerns_minors() -> None:
    decision = evaluate_report({4}, emergency=False, child_age_years=18)

    assert decision.mandatory and warning_codes(decision) == ["not_a_minor"]
