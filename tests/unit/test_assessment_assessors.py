"""Assessors checked against intake's staff registry (MZ-6.2.2, MZ-7.1.3). Pure."""

from datetime import date

import pytest

from assessment.domain.assessors import registry_violations
from assessment.domain.events import Assessor
from tests.unit.assessment_staff import CHECKED_ON, ORG, registered

WOMAN = Assessor(worker_id="w-synthetic-f1", gender="female")
ON = date(2025, 6, 1)


def codes(staff: dict, assessor: Assessor = WOMAN, on: date = ON, org: str = ORG) -> list[str]:
    return [v.code for v in registry_violations([assessor], staff, org, on)]


def test_registered_qualified_cleared_staff_may_assess():
    assert codes(registered([WOMAN])) == []


def test_an_unregistered_worker_may_not_assess():
    assert codes({}) == ["assessor_not_registered"]


def test_staff_of_another_organisation_may_not_assess():
    assert codes(registered([WOMAN]), org="org-synthetic-b") == ["assessor_not_registered"]


@pytest.mark.parametrize(
    ("changes", "code", "rule"),
    [
        ({"suspended": True}, "assessor_suspended", "MZ-7.1.3"),
        ({"background_check_on": None}, "assessor_not_cleared", "MZ-7.1.3"),
        ({"background_check_clean": False}, "assessor_not_cleared", "MZ-7.1.3"),
        ({"background_check_on": date(2024, 5, 31)}, "assessor_not_cleared", "MZ-7.1.3"),
        ({"background_check_on": date(2025, 6, 2)}, "assessor_not_cleared", "MZ-7.1.3"),
        ({"qualified": False}, "assessor_not_qualified", "MZ-6.2.2"),
        ({"gender": "male"}, "assessor_gender_mismatch", "MZ-6.2.2"),
    ],
)
def test_each_registry_fault_is_named_with_its_clause(changes, code, rule):
    [violation] = registry_violations([WOMAN], registered([WOMAN], **changes), ORG, ON)
    assert (violation.code, violation.rule, violation.field) == (code, rule, "assessors")


def test_a_check_exactly_a_year_old_still_clears():
    assert codes(registered([WOMAN], background_check_on=date(2024, 6, 1))) == []


def test_a_suspended_worker_is_named_once_whatever_their_check():
    staff = registered([WOMAN], suspended=True, background_check_clean=False)
    assert codes(staff) == ["assessor_suspended"]


def test_the_fixture_check_date_clears_on_the_test_day():
    assert CHECKED_ON <= ON
