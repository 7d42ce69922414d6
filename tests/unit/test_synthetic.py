"""The synthetic data generator: deterministic, internally consistent, valid under the rules."""

import random
from dataclasses import asdict
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from intake.domain import Gender
from intake.domain.assignment import check_investigation_team, clearance_violations
from intake.domain.identity import age_on, validate_resident_id
from intake.domain.mandatory import evaluate_report
from tests.synthetic import (
    DEFAULT_ON,
    REGION_CODES,
    fake_birth_date,
    fake_child,
    fake_guardian,
    fake_report,
    fake_resident_id,
    fake_staff_member,
    plausible_triggers,
)

SEEDS = st.integers(min_value=0, max_value=2**32)


def everything(seed: int) -> list[dict]:
    rng = random.Random(seed)
    child = fake_child(rng)
    return [
        asdict(child),
        asdict(fake_guardian(rng, child)),
        fake_staff_member(rng).model_dump(),
        asdict(fake_report(rng)),
    ]


def test_the_same_seed_gives_the_same_data() -> None:
    assert everything(7) == everything(7)


def test_different_seeds_give_different_data() -> None:
    assert everything(7) != everything(8)


def test_an_id_number_without_rng_is_derived_from_its_arguments() -> None:
    born = date(2013, 9, 1)

    assert fake_resident_id(born, Gender.MALE) == fake_resident_id(born, Gender.MALE)


@given(seed=SEEDS, age=st.integers(min_value=0, max_value=17), on=st.dates(date(2001, 1, 1)))
def test_a_fake_birth_date_gives_exactly_the_asked_age(seed: int, age: int, on: date) -> None:
    assert age_on(fake_birth_date(random.Random(seed), age, on), on) == age


@given(seed=SEEDS)
def test_a_fake_child_has_a_valid_id_matching_its_birth_date_and_gender_i7(seed: int) -> None:
    child = fake_child(random.Random(seed), age_range=(0, 17))

    check = validate_resident_id(child.resident_id, child.birth_date, DEFAULT_ON)

    assert check.ok and check.gender == child.gender
    assert child.resident_id.startswith(child.region_code) and child.region_code in REGION_CODES
    assert 0 <= age_on(child.birth_date, DEFAULT_ON) <= 17


def test_a_fake_child_respects_the_age_range_and_gender_asked_for() -> None:
    rng = random.Random(3)
    children = [fake_child(rng, age_range=(5, 6), gender=Gender.FEMALE) for _ in range(50)]

    assert {age_on(c.birth_date, DEFAULT_ON) for c in children} == {5, 6}
    assert {c.gender for c in children} == {Gender.FEMALE}


def test_a_fake_guardian_lives_with_the_child() -> None:
    rng = random.Random(5)
    child = fake_child(rng)

    assert fake_guardian(rng, child).address == child.address


@given(seed=SEEDS)
def test_fake_staff_members_are_cleared_on_the_default_day_mz_7_1_3(seed: int) -> None:
    assert clearance_violations(fake_staff_member(random.Random(seed)), DEFAULT_ON) == []


def test_two_fake_qualified_workers_one_female_form_a_valid_team_for_a_girl() -> None:
    rng = random.Random(11)
    team = [fake_staff_member(rng, gender=g) for g in (Gender.MALE, Gender.FEMALE)]

    assert check_investigation_team(team, Gender.FEMALE, DEFAULT_ON) == []


@given(seed=SEEDS)
def test_fake_reports_use_only_triggers_that_fit_the_child_sz_5_2_2(seed: int) -> None:
    report = fake_report(random.Random(seed))
    age = age_on(report.child.birth_date, DEFAULT_ON)

    decision = evaluate_report(report.triggers, report.emergency, report.child.gender, age)

    assert report.triggers <= set(plausible_triggers(report.child))
    assert not decision.warnings or decision.warnings[0].code == "emergency_without_trigger"
    assert report.occurred_at < report.received_at and report.description


def test_a_fake_report_keeps_the_triggers_and_emergency_asked_for() -> None:
    report = fake_report(random.Random(1), triggers={4}, emergency=True)

    assert report.triggers == {4} and report.emergency and "家庭暴力" in report.description
