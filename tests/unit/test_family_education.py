"""Compulsory family-education hours, rule set SZ-2023-I (T/SZSWA 009-2023 Appendix I)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from assessment.domain import rulesets as rs
from assessment.domain.family_education import (
    FamilyEducationInput,
    FamilyEducationResult,
    FamilyEducationScores,
    evaluate_family_education,
)

# Table I.1 as printed: group key, number of items.
GROUPS = [
    ("personal_traits", 5),
    ("motivation", 5),
    ("stress_coping", 7),
    ("family_function", 5),
    ("social_resources", 2),
    ("parenting", 4),
]
ITEMS = sum(size for _, size in GROUPS)


def grouped(flat: list[int]) -> dict[str, list[int]]:
    groups, start = {}, 0
    for key, size in GROUPS:
        groups[key] = flat[start : start + size]
        start += size
    return groups


def flat_scores(total: int, zeros: int = 0) -> list[int]:
    """28 scores summing to ``total``, the first ``zeros`` of them 0, the rest 1..9."""
    assessed = ITEMS - zeros
    assert assessed <= total <= 9 * assessed
    rest = [1] * assessed
    left = total - assessed
    for i in range(assessed):
        step = min(8, left)
        rest[i] += step
        left -= step
    return [0] * zeros + rest


def evaluate(flat: list[int]) -> FamilyEducationResult:
    return evaluate_family_education(FamilyEducationInput.model_validate({"scores": grouped(flat)}))


@pytest.mark.parametrize(
    ("total", "hours", "band_clause"),
    [
        (252, (4, 12), "SZ-I.1-band1"),
        (197, (4, 12), "SZ-I.1-band1"),
        (196, (13, 25), "SZ-I.1-band2"),
        (140, (13, 25), "SZ-I.1-band2"),
        (139, (26, 38), "SZ-I.1-band3"),
        (85, (26, 38), "SZ-I.1-band3"),
        (84, (39, 50), "SZ-I.1-band4"),
        (28, (39, 50), "SZ-I.1-band4"),
    ],
)
def test_the_total_at_each_band_edge_gives_the_hours_of_table_i1(
    total: int, hours: tuple[int, int], band_clause: str
) -> None:
    result = evaluate(flat_scores(total))
    assert result.total == total
    assert (result.hours_min, result.hours_max) == hours
    assert result.band_clause == band_clause
    assert result.rule_set == "SZ-2023-I"


def test_a_total_of_140_lands_in_13_to_25_hours_by_resolution_r_sz_i_01() -> None:
    assert rs.R_I_140 in evaluate(flat_scores(140)).resolutions_applied
    assert rs.R_I_140 not in evaluate(flat_scores(141)).resolutions_applied
    assert rs.resolution(rs.R_I_140).clause == "SZ-I.1"


@pytest.mark.parametrize(
    ("zeros", "needs_reassessment"),
    [(0, False), (1, False), (5, False), (6, True), (28, True)],
)
def test_more_than_five_unassessed_items_need_reassessment_but_still_get_hours_r_sz_i_02(
    zeros: int, needs_reassessment: bool
) -> None:
    result = evaluate(flat_scores(ITEMS - zeros, zeros=zeros))
    assert result.unassessed_items == zeros
    assert result.needs_reassessment is needs_reassessment
    assert (result.hours_min, result.hours_max) == (39, 50)
    assert (rs.R_I_REASSESS in result.resolutions_applied) is needs_reassessment
    assert (rs.R_I_ZERO_IN_TOTAL in result.resolutions_applied) is (zeros > 0)


def test_group_totals_add_up_to_the_total_sz_i1() -> None:
    result = evaluate(list(range(10)) * 2 + [9] * 8)
    assert sum(result.group_totals.values()) == result.total == 90 + 72
    assert list(result.group_totals) == [key for key, _ in GROUPS]
    assert result.group_totals["personal_traits"] == 0 + 1 + 2 + 3 + 4


def test_the_split_names_the_four_session_kinds_of_table_i1_without_numbers_r_sz_i_04() -> None:
    split = evaluate(flat_scores(150)).split
    assert [(k.code, k.label) for k in split.kinds] == [
        ("individual", "个别辅导"),
        ("couple", "夫妻辅导"),
        ("group", "团体辅导"),
        ("parenting_class", "团体亲职教育课程"),
    ]
    assert split.numbers_given_by_standard is False
    assert split.hours is None
    assert split.note


@pytest.mark.parametrize(("group", "size"), GROUPS)
@pytest.mark.parametrize("delta", [-1, 1])
def test_a_group_with_the_wrong_number_of_items_is_rejected_at_that_group_sz_i1(
    group: str, size: int, delta: int
) -> None:
    scores: dict[str, Any] = grouped(flat_scores(100))
    scores[group] = [5] * (size + delta)
    with pytest.raises(ValidationError) as caught:
        FamilyEducationInput.model_validate({"scores": scores})
    assert [e["loc"] for e in caught.value.errors()] == [("scores", group)]


@pytest.mark.parametrize("value", [10, -1, "5", 4.5, True, None])
def test_a_score_outside_0_to_9_or_not_an_integer_is_rejected_at_that_item_sz_i1(
    value: Any,
) -> None:
    scores: dict[str, Any] = grouped(flat_scores(100))
    scores["stress_coping"] = [5, 5, 5, value, 5, 5, 5]
    with pytest.raises(ValidationError) as caught:
        FamilyEducationInput.model_validate({"scores": scores})
    assert [e["loc"] for e in caught.value.errors()] == [("scores", "stress_coping", 3)]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"parenting": None}, ("scores", "parenting")),
        ({"hobbies": [1]}, ("scores", "hobbies")),
    ],
)
def test_a_missing_or_unknown_group_is_rejected_by_name(
    change: dict[str, Any], loc: tuple[str, ...]
) -> None:
    scores: dict[str, Any] = grouped(flat_scores(100))
    scores.update(change)
    scores = {key: value for key, value in scores.items() if value is not None}
    with pytest.raises(ValidationError) as caught:
        FamilyEducationInput.model_validate({"scores": scores})
    assert [e["loc"] for e in caught.value.errors()] == [loc]


def test_the_groups_match_the_28_items_of_appendix_i() -> None:
    assert [(g.key, g.size) for g in rs.SCORE_GROUPS] == GROUPS
    assert list(FamilyEducationScores.model_fields) == [key for key, _ in GROUPS]
    assert [g.clause for g in rs.SCORE_GROUPS] == [f"SZ-I.1-{n}" for n in range(1, 7)]


def test_the_bands_cover_every_possible_total_exactly_once() -> None:
    for total in range(0, 9 * ITEMS + 1):
        matching = [
            band
            for band in rs.HOURS_BANDS
            if total >= band.total_min and (band.total_max is None or total <= band.total_max)
        ]
        assert len(matching) == 1, total


@given(
    st.lists(st.integers(min_value=0, max_value=9), min_size=ITEMS, max_size=ITEMS),
    st.integers(min_value=0, max_value=ITEMS - 1),
    st.data(),
)
def test_raising_any_score_never_increases_the_hours(
    flat: list[int], index: int, data: st.DataObject
) -> None:
    raised = list(flat)
    raised[index] = data.draw(st.integers(min_value=flat[index], max_value=9))
    before, after = evaluate(flat), evaluate(raised)
    assert after.hours_min <= before.hours_min
    assert after.hours_max <= before.hours_max
    assert after.total >= before.total
