"""The child's categories with evidence (SZ-5.8.1), the follow-up category notify's clocks
run on (SZ-5.8.2), and the household with siblings linked by id (JX-9.1)."""

from datetime import UTC, datetime

import pytest

from events.domain import Refused
from intake.domain.cases import Case, Status
from intake.domain.categories import (
    RecordHousehold,
    SetCategories,
    categories_of,
    followup_category,
    record_household,
    set_categories,
)
from intake.domain.events import (
    ChildCategoriesSet,
    ChildCategory,
    FollowupCategorySet,
    Guardian,
    HouseholdRecorded,
    Minor,
)
from notify.domain.clocks import (
    EVERY_3_MONTHS_CATEGORIES,
    EVERY_6_MONTHS_CATEGORIES,
    SERIOUS_VIOLENCE,
)

AT = datetime(2025, 6, 3, 10, tzinfo=UTC)
CASE = Case(case_id="case-1", organisation="org-a", child_id="child-1", report_ids=("r-1",))
C = ChildCategory


def categorise(evidence: dict, current: set | None = None, case: Case = CASE) -> list:
    return set_categories(
        SetCategories(case_id=case.case_id, evidence=evidence, at=AT, by="w-1"),
        case,
        current or set(),
    )


def test_every_category_notifys_clock_table_schedules_is_a_category_intake_records():
    scheduled = (
        SERIOUS_VIOLENCE.values
        | EVERY_3_MONTHS_CATEGORIES.values
        | EVERY_6_MONTHS_CATEGORIES.values
    )
    assert scheduled <= {c.value for c in ChildCategory}


def test_the_follow_up_category_is_the_one_with_the_most_frequent_visits():
    assert followup_category({C.POOR_FAMILY, C.DE_FACTO_UNSUPPORTED}) == C.DE_FACTO_UNSUPPORTED
    assert followup_category({C.SCATTERED_ORPHAN, C.SERIOUS_VIOLENCE}) == C.SERIOUS_VIOLENCE
    assert followup_category({C.LEFT_BEHIND, C.GUARDIANSHIP_ABSENT}) is None


def test_categories_are_set_with_evidence_and_a_new_follow_up_category_is_announced():
    evidence = {C.POOR_FAMILY: "合成：低保家庭证明", C.LEFT_BEHIND: "合成：父母均在外务工"}
    recorded, announced = categorise(evidence)
    assert isinstance(recorded, ChildCategoriesSet)
    assert recorded.categories == [C.LEFT_BEHIND, C.POOR_FAMILY]
    assert recorded.evidence["poor_family"] == "合成：低保家庭证明"
    assert isinstance(announced, FollowupCategorySet)
    assert (announced.category, announced.previous) == (C.POOR_FAMILY, None)
    assert announced.child_id == "child-1" and announced.rule == "SZ-5.8.2"


def test_an_unchanged_follow_up_category_is_not_announced_again():
    events = categorise({C.POOR_FAMILY: "合成证明", C.VAGRANCY_HISTORY: "合成"}, {C.POOR_FAMILY})
    assert [type(e) for e in events] == [ChildCategoriesSet]


def test_a_category_without_evidence_is_refused():
    with pytest.raises(Refused) as refused:
        categorise({C.POOR_FAMILY: "  "})
    assert refused.value.status == 422 and refused.value.rule == "SZ-5.8.1"


def test_the_childs_categories_are_the_last_set():
    first, *_ = categorise({C.POOR_FAMILY: "合成"})
    second, *_ = categorise({C.LEFT_BEHIND: "合成"})
    assert categories_of([first, second]) == {C.LEFT_BEHIND}


def household(*sibling_ids: str) -> RecordHousehold:
    return RecordHousehold(
        case_id=CASE.case_id,
        guardians=[Guardian(name="合成祖母", relation="祖母")],
        members=[],
        other_minors=[Minor(name="合成表妹", relation="表妹")],
        sibling_ids=list(sibling_ids),
        at=AT,
        by="w-1",
    )


def test_a_registered_sibling_is_linked_by_child_id_not_copied():
    [event] = record_household(household("child-2", "child-2"), CASE, {"child-2"})
    assert isinstance(event, HouseholdRecorded) and event.sibling_ids == ["child-2"]


def test_a_sibling_who_is_not_registered_or_is_the_child_is_refused():
    with pytest.raises(Refused) as unknown:
        record_household(household("child-9"), CASE, set())
    assert unknown.value.violations[0].code == "unknown_sibling"
    with pytest.raises(Refused) as own:
        record_household(household("child-1"), CASE, {"child-1"})
    assert own.value.violations[0].code == "own_sibling"


def test_categories_are_not_changed_on_a_handed_over_case():
    gone = CASE.model_copy(update={"status": Status.HANDED_OVER})
    with pytest.raises(Refused) as refused:
        categorise({C.POOR_FAMILY: "合成"}, case=gone)
    assert refused.value.state == "handed_over"


@pytest.mark.parametrize("years", [18, -1], ids=["eighteen", "unborn"])
def test_another_minor_of_the_household_is_born_and_under_18_i_7(years: int):
    on = AT.date()
    born = on.replace(year=on.year - years) if years > 0 else on.replace(year=on.year + 1)
    grown = household().model_copy(
        update={"other_minors": [Minor(name="合成表哥", relation="表哥", birth_date=born)]}
    )
    with pytest.raises(Refused) as refused:
        record_household(grown, CASE, set())
    assert refused.value.rule == "I-7" and refused.value.violations[0].code == "not_a_minor"
    assert refused.value.violations[0].field == "other_minors.0.birth_date"
