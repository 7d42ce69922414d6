"""Guardianship capacity assessment (SZ Appendix D; DOMAIN §4, §8), rule by rule: the instrument
as the standard prints it, the recorded conclusion with the items answered adversely, when §6.4
requires the assessment, who may assess, and what the event keeps secret. Pure; data synthetic."""

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from assessment.domain import guardianship as gd
from assessment.domain import rulesets as rs
from assessment.domain.events import Assessor, GuardianshipCapacityAssessed
from assessment.domain.guardianship_assessment import (
    AssessGuardianship,
    GuardianshipCase,
    assess_guardianship,
)
from events.domain import Refused
from events.registry import registry
from tests.unit.assessment_staff import registered

WOMAN = Assessor(worker_id="w-synthetic-f1", gender="female")
MAN = Assessor(worker_id="w-synthetic-m1", gender="male")
OTHER_MAN = Assessor(worker_id="w-synthetic-m2", gender="male")
STAFF = registered([WOMAN, MAN, OTHER_MAN])
CASE = GuardianshipCase(staff=STAFF)
FINDING = "合成记录：祖母每日接送，饮食规律。"  # synthetic


def inputs(conclusion: str = "capable_with_support", **answers: dict[str, str]) -> Any:
    return gd.GuardianshipInput.model_validate({"conclusion": conclusion, **answers})


def command(*assessors: Assessor, child_gender: str | None = "female", **extra: Any) -> Any:
    return AssessGuardianship.model_validate(
        {
            "case_id": "case-synthetic-g1",
            "assessment_id": "ga-2",
            "organisation": "org-synthetic",
            "assessed_at": datetime(2025, 7, 1, 10, tzinfo=UTC),
            "child_gender": child_gender,
            "assessors": assessors,
            "inputs": inputs(),
            **extra,
        }
    )


# --- the instrument as printed ----------------------------------------------------------------


def test_table_d2_has_seven_quality_items_and_eight_capacity_items_in_printed_order():
    assert [item.title for item in gd.QUALITY.items] == [
        "儿童身体状况",
        "儿童心理状况",
        "儿童教育娱乐",
        "儿童社会性发展",
        "儿童照料状况",
        "儿童安全保护",
        "家庭环境与关系",
    ]
    assert [item.title for item in gd.CAPACITY.items] == [
        "监护人其它情况",
        "监护意愿",
        "监护知识",
        "生活照料能力",
        "保护能力",
        "良好家庭关系能力",
        "社会交往能力",
        "资源获取能力",
    ]


@pytest.mark.parametrize("group", gd.INSTRUMENT, ids=lambda g: g.key)
def test_every_item_cites_its_section_and_position_in_table_d2(group):
    assert [item.clause for item in group.items] == [
        f"{group.clause}.{n}" for n in range(1, len(group.items) + 1)
    ]
    assert group.conclusion_clause == f"{group.clause}.c"
    assert all(item.prompt.startswith("包括但不限于") for item in group.items)


@pytest.mark.parametrize(
    ("group", "model"),
    [(gd.QUALITY, gd.QualityAppraisals), (gd.CAPACITY, gd.CapacityAppraisals)],
    ids=["quality", "capacity"],
)
def test_the_appraisal_models_have_exactly_the_items_of_their_section(group, model):
    assert list(model.model_fields) == [item.key for item in group.items]


def test_the_rule_set_publishes_every_resolution_the_evaluator_applies():
    published = {r.id for r in rs.RULE_SETS["SZ-2023-D"].resolutions}
    assert set(gd.evaluate_guardianship(inputs()).resolutions_applied) <= published
    assert rs.resolution(rs.R_D_TEAM).clause == "SZ-D.3"


# --- evaluation: the recorded conclusion and the items answered adversely ---------------------


@pytest.mark.parametrize(
    ("conclusion", "answers", "adverse", "not_assessed"),
    [
        ("capable", {}, [], 15),
        (
            "capable_with_support",
            {"capacity": {"knowledge": "concern", "willingness": "adequate"}},
            [("knowledge", "capacity", "SZ-D.2-5.3")],
            13,
        ),
        (
            "not_capable",
            {
                "quality": {"child_safety": "concern", "child_care": "concern"},
                "capacity": {"protection": "concern"},
            },
            [
                ("child_care", "quality", "SZ-D.2-4.5"),
                ("child_safety", "quality", "SZ-D.2-4.6"),
                ("protection", "capacity", "SZ-D.2-5.5"),
            ],
            12,
        ),
        (
            "capable",
            {"capacity": {"daily_care": "concern"}},
            [("daily_care", "capacity", "SZ-D.2-5.4")],
            14,
        ),
    ],
    ids=["nothing-answered", "one-concern", "concerns-in-both-sections", "conclusion-not-derived"],
)
def test_the_result_is_the_recorded_conclusion_with_the_concerns_in_printed_order(
    conclusion, answers, adverse, not_assessed
):
    result = gd.evaluate_guardianship(inputs(conclusion, **answers))
    assert (result.rule_set, result.conclusion, result.conclusion_clause) == (
        "SZ-2023-D",
        conclusion,
        "SZ-D.2-5.c",
    )
    assert [(a.item, a.group, a.clause) for a in result.adverse_items] == adverse
    assert len(result.not_assessed_items) == not_assessed


@pytest.mark.parametrize(
    "bad",
    [
        {"conclusion": "unknown"},
        {"conclusion": "capable", "capacity": {"knowledge": 3}},
        {"conclusion": "capable", "quality": {"no_such_item": "concern"}},
        {},
    ],
    ids=["conclusion-outside-codes", "score-instead-of-appraisal", "unknown-item", "no-conclusion"],
)
def test_input_outside_the_instrument_is_rejected(bad):
    with pytest.raises(ValidationError):
        gd.GuardianshipInput.model_validate(bad)


def test_a_finding_for_an_item_table_d2_does_not_print_is_rejected():
    with pytest.raises(ValidationError, match=r"not items of table D\.2"):
        gd.GuardianshipFindings(items={"income_score": "x"})


# --- when §6.4 requires it ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "inability", "disputed", "required", "clause", "modal"),
    [
        ("B", False, False, True, "SZ-6.4.3", "shall"),
        ("C", False, False, True, "SZ-6.4.3", "shall"),
        ("D", False, False, False, "SZ-6.4.2", "should"),
        ("D", True, False, True, "SZ-6.4.2", "should"),
        ("D", False, True, True, "SZ-6.4.2", "should"),
        ("A", True, True, False, "SZ-6.4.4", None),
        (None, True, False, False, None, None),
    ],
)
def test_the_assessment_is_required_for_grades_b_and_c_and_conditionally_for_d(
    grade, inability, disputed, required, clause, modal
):
    requirement = gd.guardianship_requirement(
        grade, guardian_declares_inability=inability, guardianship_disputed=disputed
    )
    assert (requirement.required, requirement.clause, requirement.modal) == (
        required,
        clause,
        modal,
    )


# --- who may assess, and the event ------------------------------------------------------------


@pytest.mark.parametrize(
    ("assessors", "child_gender", "codes"),
    [
        ((WOMAN,), "female", ["too_few_assessors"]),
        ((MAN, OTHER_MAN), "female", ["no_female_assessor"]),
        ((MAN, MAN), "male", ["assessor_repeated", "too_few_assessors"]),
        ((), "female", ["too_few_assessors", "no_female_assessor"]),
    ],
    ids=["one-worker", "two-men-for-a-girl", "same-worker-twice", "nobody"],
)
def test_an_assessment_without_a_proper_team_is_refused_under_mz_6_2_2(
    assessors, child_gender, codes
):
    with pytest.raises(Refused) as refused:
        assess_guardianship(
            command(*assessors, child_gender=child_gender), GuardianshipCase(staff=STAFF)
        )
    assert refused.value.rule == "MZ-6.2.2"
    assert [v.code for v in refused.value.violations] == codes


@pytest.mark.parametrize(
    ("assessors", "child_gender"),
    [((WOMAN, MAN), "female"), ((MAN, OTHER_MAN), "male")],
    ids=["girl-with-a-woman", "boy-with-two-men"],
)
def test_two_workers_may_assess_when_a_woman_takes_part_for_a_girl(assessors, child_gender):
    event = assess_guardianship(
        command(*assessors, child_gender=child_gender), GuardianshipCase(staff=STAFF)
    )
    assert event.result.conclusion == "capable_with_support"


def test_the_child_gender_on_the_case_record_decides_the_team_rule():
    case = GuardianshipCase(staff=STAFF, child_gender="female")
    with pytest.raises(Refused) as refused:
        assess_guardianship(command(MAN, OTHER_MAN, child_gender=None), case)
    assert [v.code for v in refused.value.violations] == ["no_female_assessor"]


def test_a_reassessment_supersedes_the_current_one_and_records_the_requirement_of_its_grade():
    case = GuardianshipCase(staff=STAFF, current_assessment_id="ga-1", safety_grade="D")
    event = assess_guardianship(command(WOMAN, MAN, guardianship_disputed=True), case)
    assert event.supersedes == "ga-1"
    assert (event.requirement.required, event.requirement.clause) == (True, "SZ-6.4.2")


def test_the_event_keeps_findings_and_notes_personal_and_codes_readable():
    info = registry.info_for(GuardianshipCapacityAssessed)
    assert info.type_string == "assessment.guardianship.capacity_assessed.v2"
    assert info.personal == {"findings", "notes"}
    findings = gd.GuardianshipFindings(items={"child_care": FINDING}, capacity_conclusion=FINDING)
    event = assess_guardianship(
        command(WOMAN, MAN, findings=findings), GuardianshipCase(staff=STAFF)
    )
    assert event.findings == findings
