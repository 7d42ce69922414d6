"""Safety risk grading, rule set SZ-2023-B (T/SZSWA 009-2023 Appendix B and §6.4)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from assessment.domain import rulesets as rs
from assessment.domain.safety_risk import (
    B1Items,
    B2Ratings,
    B3Ratings,
    SafetyRiskInput,
    SafetyRiskResult,
    evaluate_safety_risk,
)

B1_TABLE = [
    ("sexual_abuse_or_violence", "SZ-B.1-1"),
    ("unattended_danger", "SZ-B.1-2"),
    ("abandonment_6_months", "SZ-B.1-3"),
    ("addiction_or_custody_refuses_delegation", "SZ-B.1-4"),
    ("coerced_begging_3_warnings", "SZ-B.1-5"),
    ("abetting_crime", "SZ-B.1-6"),
]
B2_TABLE = [
    ("physical_or_sexual_abuse", "SZ-B.2-1"),
    ("neglect", "SZ-B.2-2"),
    ("motive", "SZ-B.2-3"),
    ("substance", "SZ-B.2-4"),
]
B3_KEYS = [
    "guardian_capacity",
    "cooperation",
    "parenting_skills",
    "substitute_parent",
    "support_system",
    "stress_crisis",
    "parent_child_relationship",
]
B2_CLAUSE = dict(B2_TABLE)
LIFE = ("life_threatening_event", "SZ-B.2-note")
B3_RECOMMENDATIONS = [
    ("family_education_guidance", "SZ-5.4"),
    ("guardian_supervision_and_support", "SZ-B.3-note2"),
]


def grade(payload: dict[str, Any]) -> SafetyRiskResult:
    return evaluate_safety_risk(SafetyRiskInput.model_validate(payload))


def deciders(result: SafetyRiskResult) -> list[tuple[str, str]]:
    return [(d.item, d.clause) for d in result.decided_by]


def b2_items(*keys: str) -> list[tuple[str, str]]:
    return [(f"b2.{key}", B2_CLAUSE[key]) for key in keys]


# ---- B.1 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("item", "clause"), B1_TABLE)
def test_each_b1_item_alone_makes_the_case_critical_and_is_named_sz_b1_note1(
    item: str, clause: str
) -> None:
    result = grade({"b1": {item: True}})
    assert (result.grade, result.label, result.grade_clause) == ("D", "极危", "SZ-B.1-note1")
    assert deciders(result) == [(f"b1.{item}", clause)]
    assert result.rule_set == "SZ-2023-B"


def test_several_b1_items_are_all_listed_in_table_order_sz_b1_note1() -> None:
    result = grade({"b1": {"abetting_crime": True, "unattended_danger": True}})
    assert result.grade == "D"
    assert deciders(result) == [
        ("b1.unattended_danger", "SZ-B.1-2"),
        ("b1.abetting_crime", "SZ-B.1-6"),
    ]


def test_a_b1_item_decides_alone_even_when_b2_is_rated_sz_b1_note2() -> None:
    result = grade(
        {
            "b1": {"abandonment_6_months": True},
            "b2": {"neglect": "C"},
            "life_threatening_event": True,
        }
    )
    assert result.grade == "D"
    assert deciders(result) == [("b1.abandonment_6_months", "SZ-B.1-3")]


# ---- B.2 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("b2", "expected_grade", "expected_items"),
    [
        ({"neglect": "A"}, "A", b2_items("neglect")),
        ({"motive": "B"}, "B", b2_items("motive")),
        ({"substance": "C"}, "C", b2_items("substance")),
        ({"neglect": "A", "motive": "B"}, "B", b2_items("motive")),
        ({"neglect": "B", "motive": "B", "substance": "A"}, "B", b2_items("neglect", "motive")),
        (
            {"physical_or_sexual_abuse": "C", "neglect": "B", "motive": "C", "substance": "C"},
            "C",
            b2_items("physical_or_sexual_abuse", "motive", "substance"),
        ),
        (
            {"physical_or_sexual_abuse": "A", "neglect": "A", "motive": "A", "substance": "A"},
            "A",
            b2_items("physical_or_sexual_abuse", "neglect", "motive", "substance"),
        ),
    ],
)
def test_the_highest_b2_rating_sets_the_grade_and_every_item_at_it_is_listed_sz_b2(
    b2: dict[str, str], expected_grade: str, expected_items: list[tuple[str, str]]
) -> None:
    result = grade({"b2": b2})
    assert (result.grade, result.grade_clause) == (expected_grade, "SZ-B.2")
    assert deciders(result) == expected_items
    assert rs.R_B2_HIGHEST in result.resolutions_applied


@pytest.mark.parametrize(
    ("life_threatening_event", "expected_grade", "expected_items", "expected_clause"),
    [
        (False, "C", b2_items("neglect"), "SZ-B.2"),
        (True, "D", [*b2_items("neglect"), LIFE], "SZ-B.2-note"),
    ],
)
def test_a_c_rating_becomes_critical_only_with_a_life_threatening_event_sz_b2_note(
    life_threatening_event: bool,
    expected_grade: str,
    expected_items: list[tuple[str, str]],
    expected_clause: str,
) -> None:
    result = grade(
        {"b2": {"neglect": "C", "motive": "B"}, "life_threatening_event": life_threatening_event}
    )
    assert (result.grade, result.grade_clause) == (expected_grade, expected_clause)
    assert deciders(result) == expected_items


@pytest.mark.parametrize(
    ("b2", "expected_grade"),
    [({"neglect": "B", "motive": "A"}, "B"), ({"substance": "A"}, "A"), ({}, "A")],
)
def test_a_life_threatening_event_without_any_c_rating_does_not_raise_the_grade_sz_b2_note(
    b2: dict[str, str], expected_grade: str
) -> None:
    result = grade({"b2": b2, "life_threatening_event": True})
    assert result.grade == expected_grade
    assert LIFE not in deciders(result)


# ---- empty input and B.3 -----------------------------------------------------------------


def test_empty_input_is_low_risk_with_nothing_deciding_it_sz_b2_note() -> None:
    result = grade({})
    assert (result.grade, result.label, result.grade_clause) == ("A", "低危", "SZ-B.2-note")
    assert result.decided_by == []
    assert result.recommendations == []
    assert rs.R_B2_EMPTY_IS_LOW in result.resolutions_applied


@pytest.mark.parametrize(
    ("b3", "expected_recommendations", "expected_flagged"),
    [
        ({"cooperation": "C"}, B3_RECOMMENDATIONS, ["b3.cooperation"]),
        (
            {key: "C" for key in B3_KEYS},
            B3_RECOMMENDATIONS,
            [f"b3.{key}" for key in B3_KEYS],
        ),
        (
            {"guardian_capacity": "B", "stress_crisis": "C"},
            B3_RECOMMENDATIONS,
            ["b3.stress_crisis"],
        ),
        ({key: "B" for key in B3_KEYS}, [], []),
        ({"support_system": "A", "parenting_skills": "B"}, [], []),
        ({}, [], []),
    ],
)
def test_b3_alone_gives_low_risk_and_recommends_only_when_a_dimension_is_c_sz_b3_note2(
    b3: dict[str, str],
    expected_recommendations: list[tuple[str, str]],
    expected_flagged: list[str],
) -> None:
    result = grade({"b3": b3})
    assert result.grade == "A"
    assert result.decided_by == []
    assert [(r.code, r.clause) for r in result.recommendations] == expected_recommendations
    assert result.capacity_profile.flagged_items == expected_flagged
    assert result.capacity_profile.ratings == B3Ratings.model_validate(b3)
    assert result.capacity_profile.clause == "SZ-B.3-note1"
    for recommendation in result.recommendations:
        assert all(item in recommendation.reason for item in expected_flagged)


@pytest.mark.parametrize(
    ("payload", "expected_grade", "recommends"),
    [
        ({"b2": {"neglect": "B"}}, "B", True),
        ({"b2": {"neglect": "C"}}, "C", True),
        ({"b2": {"neglect": "C"}, "life_threatening_event": True}, "D", False),
        ({"b1": {"abetting_crime": True}}, "D", False),
    ],
)
def test_b3_never_changes_the_grade_and_recommends_nothing_for_critical_cases_sz_b3_note2(
    payload: dict[str, Any], expected_grade: str, recommends: bool
) -> None:
    result = grade({**payload, "b3": {"cooperation": "C", "parenting_skills": "C"}})
    assert result.grade == expected_grade
    assert bool(result.recommendations) is recommends
    assert result.capacity_profile.flagged_items == ["b3.cooperation", "b3.parenting_skills"]
    expected_resolution = rs.R_B3_C_RECOMMENDS if recommends else rs.R_B3_NOT_FOR_D
    assert {rs.R_B3_NEVER_GRADES, expected_resolution} <= set(result.resolutions_applied)


# ---- required actions (§6.4) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "clause", "expected_due"),
    [
        (
            {"b1": {"sexual_abuse_or_violence": True}},
            "SZ-6.4.2",
            {
                "report_immediately_to_police_civil_affairs_education": "PT0H",
                "remove_and_treat": None,
                "apply_personal_safety_ruling": "PT72H",
                "social_background_investigation_report": None,
                "redetermine_guardian": None,
                "guardianship_capacity_assessment": None,
                "assist_guardianship_revocation": None,
                "escort_to_placement": None,
            },
        ),
        (
            {"b2": {"motive": "C"}},
            "SZ-6.4.3",
            {
                "report_promptly_to_organisation_police_civil_affairs": None,
                "social_background_investigation_report": None,
                "determine_guardian": None,
                "guardianship_capacity_assessment": None,
                "assist_temporary_guardianship_application": None,
                "case_conference": None,
                "guardian_takes_child_back": None,
            },
        ),
        (
            {},
            "SZ-6.4.4",
            {
                "criticise_and_supervise_guardian": None,
                "supportive_services": None,
                "compulsory_family_education": None,  # R-SZ-B-09: 3 months is the order's minimum
                "follow_up_visits": None,
            },
        ),
    ],
)
def test_each_grade_requires_the_interventions_of_its_subsection_of_sz_6_4(
    payload: dict[str, Any], clause: str, expected_due: dict[str, str | None]
) -> None:
    result = grade(payload)
    assert {a.code: a.due for a in result.required_actions} == expected_due
    assert {a.clause for a in result.required_actions} == {clause}


def test_medium_and_high_risk_share_the_interventions_of_sz_6_4_3() -> None:
    medium = grade({"b2": {"neglect": "B"}}).required_actions
    high = grade({"b2": {"neglect": "C"}}).required_actions
    assert medium == high


def test_every_applied_resolution_is_published_in_the_rule_set() -> None:
    published = {r.id for r in rs.RULE_SETS["SZ-2023-B"].resolutions}
    for payload in ({}, {"b1": {"abetting_crime": True}}, {"b2": {"neglect": "C"}}):
        assert set(grade({**payload, "b3": {"cooperation": "C"}}).resolutions_applied) <= published


# ---- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"b4": {}}, ("b4",)),
        ({"b1": {"sexual_abuse": True}}, ("b1", "sexual_abuse")),
        ({"b2": {"violence": "A"}}, ("b2", "violence")),
        ({"b3": {"income": "C"}}, ("b3", "income")),
        ({"life_threatening": True}, ("life_threatening",)),
    ],
)
def test_an_unknown_field_is_rejected_where_it_occurs(
    payload: dict[str, Any], loc: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as caught:
        SafetyRiskInput.model_validate(payload)
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(loc, "extra_forbidden")]


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"b2": {"neglect": "D"}}, ("b2", "neglect")),
        ({"b2": {"motive": "a"}}, ("b2", "motive")),
        ({"b2": {"substance": 3}}, ("b2", "substance")),
        ({"b3": {"cooperation": "high"}}, ("b3", "cooperation")),
        ({"b1": {"abetting_crime": "yes"}}, ("b1", "abetting_crime")),
        ({"life_threatening_event": 1}, ("life_threatening_event",)),
    ],
)
def test_a_wrong_rating_or_flag_value_is_rejected_where_it_occurs(
    payload: dict[str, Any], loc: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as caught:
        SafetyRiskInput.model_validate(payload)
    assert {e["loc"] for e in caught.value.errors()} == {loc}


@pytest.mark.parametrize(
    ("model", "table"),
    [
        (B1Items, rs.B1_ITEMS),
        (B2Ratings, rs.B2_DIMENSIONS),
        (B3Ratings, rs.B3_DIMENSIONS),
    ],
)
def test_the_input_models_hold_exactly_the_rows_of_the_rule_set_tables_sz_b(
    model: type[B1Items | B2Ratings | B3Ratings], table: tuple[rs.ItemRule, ...]
) -> None:
    assert list(model.model_fields) == [rule.key for rule in table]


def test_the_rule_set_cites_the_appendix_b_rows_in_table_order() -> None:
    assert [(r.key, r.clause) for r in rs.B1_ITEMS] == B1_TABLE
    assert [(r.key, r.clause) for r in rs.B2_DIMENSIONS] == B2_TABLE
    assert [r.clause for r in rs.B3_DIMENSIONS] == [f"SZ-B.3-{n}" for n in range(1, 8)]


# ---- properties ----------------------------------------------------------------------------

RATINGS: list[str | None] = [None, "A", "B", "C"]
b1_keys = [key for key, _ in B1_TABLE]
b2_keys = [key for key, _ in B2_TABLE]
payloads = st.fixed_dictionaries(
    {
        "b1": st.fixed_dictionaries({key: st.booleans() for key in b1_keys}),
        "b2": st.fixed_dictionaries({key: st.sampled_from(RATINGS) for key in b2_keys}),
        "life_threatening_event": st.booleans(),
        "b3": st.fixed_dictionaries({key: st.sampled_from(RATINGS) for key in B3_KEYS}),
    }
)


def rank(payload: dict[str, Any]) -> int:
    return rs.GRADE_ORDER.index(grade(payload).grade)


@given(payloads, st.sampled_from(b2_keys), st.data())
def test_raising_any_b2_rating_never_lowers_the_grade(
    payload: dict[str, Any], key: str, data: st.DataObject
) -> None:
    current = RATINGS.index(payload["b2"][key])
    raised = data.draw(st.sampled_from(RATINGS[current:]))
    higher = {**payload, "b2": {**payload["b2"], key: raised}}
    assert rank(higher) >= rank(payload)


@given(payloads, st.sampled_from(b1_keys))
def test_setting_any_b1_item_never_lowers_the_grade_and_makes_it_critical(
    payload: dict[str, Any], key: str
) -> None:
    higher = {**payload, "b1": {**payload["b1"], key: True}}
    assert rank(higher) >= rank(payload)
    assert grade(higher).grade == "D"


@given(payloads)
def test_setting_the_life_threatening_event_never_lowers_the_grade(payload: dict[str, Any]) -> None:
    assert rank({**payload, "life_threatening_event": True}) >= rank(payload)


@given(payloads)
def test_b3_ratings_never_change_the_grade(payload: dict[str, Any]) -> None:
    assert grade(payload).grade == grade({**payload, "b3": {}}).grade


@given(payloads)
def test_only_an_a_from_empty_b1_and_b2_has_nobody_deciding_it(payload: dict[str, Any]) -> None:
    result = grade(payload)
    empty = not any(payload["b1"].values()) and all(v is None for v in payload["b2"].values())
    assert (result.decided_by == []) is empty
    assert all(d.clause.startswith("SZ-B.") for d in result.decided_by)
