"""The entrustor's indicators of a project (JX-7.5.3, DOMAIN §10): five groups from events."""

from notify.domain.indicators import (
    RULE,
    Closure,
    Deadlines,
    Figure,
    project_indicators,
)

ALL_RECORDS = frozenset({"visit", "investigation", "initial_statement"})


def closure(case_id: str, **rates: object) -> Closure:
    return Closure(case_id=case_id, **{"plan_completion_rate": 1.0, **rates})  # type: ignore[arg-type]


def test_an_empty_project_has_no_rates_rather_than_rates_of_zero() -> None:
    found = project_indicators("p-1", {}, [], Deadlines())
    assert found.rule == RULE == "JX-7.5.3"
    assert set(found.groups) == {"client", "goals", "plans", "records", "project_management"}
    figures = [f for group in found.groups.values() for f in group.values()]
    assert len(figures) == 10
    assert all(f.value is None and f.counted == 0 for f in figures)


def test_client_cooperation_and_satisfaction_count_only_what_the_closing_form_rates() -> None:
    closures = [
        closure("c1", client_cooperation="good", client_satisfaction=5),
        closure("c2", client_cooperation="poor", client_satisfaction=3),
        closure("c3", client_cooperation="fair"),
        closure("c4"),
    ]
    client = project_indicators("p", {}, closures, Deadlines()).groups["client"]
    assert client["cooperation_rate"] == Figure(2 / 3, 2, 3, "cooperation good or fair")
    assert client["satisfaction_rate"].value == 0.5
    assert (client["satisfaction_rate"].counted, client["satisfaction_rate"].of) == (1, 2)


def test_goal_and_plan_rates_are_the_mean_of_the_closed_cases_that_know_them() -> None:
    closures = [
        closure("c1", plan_completion_rate=1.0, goal_achievement_rate=0.5),
        closure("c2", plan_completion_rate=0.5, goal_reasonableness_rate=1.0),
        closure("c3", plan_completion_rate=0.0, sessions_on_schedule_rate=0.75),
    ]
    groups = project_indicators("p", {}, closures, Deadlines()).groups
    assert groups["plans"]["completion_rate"].value == 0.5
    assert groups["plans"]["completion_rate"].of == 3
    assert groups["plans"]["suitability"].value == 0.75
    assert groups["goals"]["achievement_rate"].value == 0.5
    assert groups["goals"]["achievement_rate"].counted == 1
    assert groups["goals"]["reasonableness"].value == 1.0


def test_records_completeness_is_the_share_of_the_investigation_records_each_case_holds() -> None:
    records = {
        "c1": ALL_RECORDS,
        "c2": frozenset({"visit"}),
        "c3": frozenset({"visit", "consent"}),  # only the three owed count
    }
    closures = [closure("c1", same_instrument_as_intake=True), closure("c2")]
    found = project_indicators("p", records, closures, Deadlines()).groups["records"]
    assert found["completeness"].value == round((1 + 1 / 3 + 1 / 3) / 3, 4)
    assert found["standardisation"] == Figure(
        1.0, 1, 1, "closings measured with the intake's instrument"
    )


def test_project_management_is_deadlines_met_in_time_and_open_ones_not_past_due() -> None:
    deadlines = Deadlines(met_in_time=3, met_late=1, overdue=2, open=6)
    found = project_indicators("p", {}, [], deadlines).groups["project_management"]
    assert found["effectiveness"] == Figure(0.5, 3, 6, "met in time of those met or past due")
    assert found["orderliness"].value == 0.75
