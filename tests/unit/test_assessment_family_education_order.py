"""Compulsory family education ordered for a guardian (SZ-6.4.4, Appendix I; DOMAIN §4, §7),
rule by rule. Pure; all data synthetic."""

from datetime import UTC, date, datetime
from typing import Any

import pytest

from assessment.domain import family_education_order as fe
from assessment.domain.family_education import FamilyEducationInput
from events.domain import Conflict, Refused
from events.registry import EventData, registry

CASE, ORDER = "case-synthetic-fe-1", "order-synthetic-1"
T0 = datetime(2025, 6, 2, 9, tzinfo=UTC)


def scores(value: int) -> FamilyEducationInput:
    sizes = {"personal_traits": 5, "motivation": 5, "stress_coping": 7, "family_function": 5}
    sizes |= {"social_resources": 2, "parenting": 4}
    return FamilyEducationInput.model_validate(
        {"scores": {group: [value] * n for group, n in sizes.items()}}
    )


def issue(months: int = 3, hours: int | None = None, value: int = 3) -> list[EventData]:
    command = fe.IssueOrder(
        case_id=CASE,
        order_id=ORDER,
        organisation="org-synthetic-a",
        ordered_by="合成区公安分局",
        issued_by="w-synthetic-1",
        issued_at=T0,
        starts_on=date(2025, 6, 2),
        months=months,
        ordered_hours=hours,
        assessment=scores(value),
        guardian="合成监护人",
    )
    return fe.issue_order(command, fe.Order(order_id=ORDER))


def active(**issue_args: Any) -> fe.Order:
    return fe.fold_order(ORDER, issue(**issue_args))


def codes(call: Any, *args: Any) -> list[str]:
    with pytest.raises(Refused) as refused:
        call(*args)
    return [v.code for v in refused.value.violations]


def guidance(order: fe.Order, hours: int, kind: str = "individual") -> fe.Order:
    command = fe.RecordGuidance(
        case_id=CASE,
        order_id=ORDER,
        kind=kind,
        hours=hours,
        held_on=date(2025, 6, 9),
        recorded_by="w-synthetic-1",
    )
    return _apply(order, fe.record_guidance(command, order))


def _apply(order: fe.Order, events: list[EventData]) -> fe.Order:
    for event in events:
        order = fe.evolve_order(order, event)
    return order


@pytest.mark.parametrize(("value", "low", "high"), [(3, 39, 50), (5, 13, 25), (9, 4, 12)])
def test_the_order_takes_the_low_end_of_the_table_i1_band_by_default(value, low, high):
    [ordered] = issue(value=value)
    assert (ordered.result.hours_min, ordered.result.hours_max) == (low, high)
    assert ordered.ordered_hours == low


@pytest.mark.parametrize(
    ("months", "ends_on"), [(3, date(2025, 9, 2)), (6, date(2025, 12, 2)), (9, date(2026, 3, 2))]
)
def test_the_period_runs_its_months_from_the_start(months, ends_on):
    assert issue(months)[0].ends_on == ends_on


def test_a_period_of_less_than_three_months_is_refused():
    assert codes(issue, 2) == ["period_too_short"]


@pytest.mark.parametrize(("hours", "ok"), [(38, False), (39, True), (50, True), (51, False)])
def test_the_ordered_hours_lie_in_the_band(hours, ok):
    if ok:
        assert issue(hours=hours)[0].ordered_hours == hours
        return
    assert codes(issue, 3, hours) == ["hours_outside_band"]


def test_an_order_is_issued_once():
    with pytest.raises(Conflict):
        fe.issue_order(_issue_command(), active())


def _issue_command() -> fe.IssueOrder:
    return fe.IssueOrder(
        case_id=CASE,
        order_id=ORDER,
        organisation="org-synthetic-a",
        ordered_by="合成区公安分局",
        issued_by="w",
        issued_at=T0,
        starts_on=date(2025, 6, 2),
        months=3,
        assessment=scores(5),
    )


@pytest.mark.parametrize(
    ("kind", "hours", "code"), [("lecture", 2, "unknown_kind"), ("group", 0, "hours_not_positive")]
)
def test_guidance_of_an_unknown_kind_or_no_hours_is_refused(kind, hours, code):
    assert codes(guidance, active(), hours, kind) == [code]


def test_guidance_hours_add_up():
    order = guidance(guidance(active(), 2), 3, "parenting_class")
    assert order.hours_delivered == 5


def extend(order: fe.Order, months: int) -> list[EventData]:
    command = fe.ExtendOrder(
        case_id=CASE, order_id=ORDER, months=months, extended_by="w", extended_at=T0
    )
    return fe.extend_order(command, order)


@pytest.mark.parametrize(("months", "ok"), [(2, False), (3, True), (9, True), (10, False)])
def test_an_extension_totals_three_to_nine_months(months, ok):
    if ok:
        [extended] = extend(active(), months)
        assert extended.total_months == months
        return
    assert codes(extend, active(), months) == ["extension_out_of_range"]


def test_extensions_may_not_add_up_beyond_nine_months():
    order = _apply(active(), extend(active(), 6))
    assert codes(extend, order, 4) == ["extension_out_of_range"]
    assert order.ends_on == date(2026, 3, 2)


def complete(order: fe.Order, on: date) -> list[EventData]:
    command = fe.CompleteOrder(case_id=CASE, order_id=ORDER, completed_on=on, completed_by="w")
    return fe.complete_order(command, order)


def test_completion_needs_the_hours_and_the_three_months():
    order = active(value=9)  # 4 hours ordered
    assert codes(complete, order, date(2025, 7, 1)) == ["hours_not_delivered", "period_not_run"]
    order = guidance(order, 4)
    assert codes(complete, order, date(2025, 9, 1)) == ["period_not_run"]
    [done] = complete(order, date(2025, 9, 2))
    assert done.hours_delivered == 4
    order = _apply(order, [done])
    with pytest.raises(Conflict):
        guidance(order, 1)


def test_the_guardians_identity_and_notes_are_personal():
    assert registry.info("assessment.family_education_order.issued.v1").personal == {"guardian"}
    info = registry.info("assessment.family_education_order.session_recorded.v1")
    assert info.personal == {"notes"}
