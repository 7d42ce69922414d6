"""Investigation teams (I-5, MZ-6.2.2), staff checks (§12: MZ-7.1.3, SZ-7.1.5), visits (JX-7.3)."""

import random
from datetime import date

import pytest

from intake.domain import Gender
from intake.domain.assignment import (
    StaffMember,
    check_investigation_team,
    check_supervisor,
    home_visit_rules,
)
from tests.synthetic import DEFAULT_ON, fake_staff_member

ON = DEFAULT_ON


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20250601)


def worker(rng: random.Random, gender: Gender, **changes: object) -> StaffMember:
    return fake_staff_member(rng, on=ON, gender=gender).model_copy(update=changes)


def codes_and_rules(violations) -> list[tuple[str, str]]:
    return [(v.code, v.rule) for v in violations]


def test_one_worker_is_too_few_for_an_investigation_i5_mz_6_2_2(rng: random.Random) -> None:
    team = [worker(rng, Gender.MALE)]

    violations = check_investigation_team(team, Gender.MALE, ON)

    assert codes_and_rules(violations) == [("team_too_few_qualified", "MZ-6.2.2")]


def test_the_same_worker_listed_twice_counts_once(rng: random.Random) -> None:
    member = worker(rng, Gender.FEMALE)

    violations = check_investigation_team([member, member], Gender.MALE, ON)

    assert [v.code for v in violations] == ["team_too_few_qualified"]


def test_two_male_workers_for_a_girl_lack_a_female_worker_i5(rng: random.Random) -> None:
    team = [worker(rng, Gender.MALE), worker(rng, Gender.MALE)]

    violations = check_investigation_team(team, Gender.FEMALE, ON)

    assert codes_and_rules(violations) == [("team_no_female_worker", "MZ-6.2.2")]


def test_two_workers_including_a_woman_may_investigate_for_a_girl(rng: random.Random) -> None:
    team = [worker(rng, Gender.MALE), worker(rng, Gender.FEMALE)]

    assert check_investigation_team(team, Gender.FEMALE, ON) == []


def test_two_male_workers_may_investigate_for_a_boy(rng: random.Random) -> None:
    team = [worker(rng, Gender.MALE), worker(rng, Gender.MALE)]

    assert check_investigation_team(team, Gender.MALE, ON) == []


def test_an_unqualified_woman_does_not_count_as_the_female_worker(rng: random.Random) -> None:
    team = [worker(rng, Gender.MALE), worker(rng, Gender.MALE)]
    team.append(worker(rng, Gender.FEMALE, qualified=False))

    violations = check_investigation_team(team, Gender.FEMALE, ON)

    assert [v.code for v in violations] == ["team_no_female_worker"]


def test_a_background_check_13_months_old_is_expired_mz_7_1_3(rng: random.Random) -> None:
    stale = worker(rng, Gender.FEMALE, background_check_date=date(2024, 5, 1))
    team = [stale, worker(rng, Gender.FEMALE), worker(rng, Gender.MALE)]

    violations = check_investigation_team(team, Gender.FEMALE, ON)

    assert codes_and_rules(violations) == [("background_check_expired", "MZ-7.1.3")]
    assert stale.id in violations[0].message


def test_a_background_check_exactly_a_year_old_is_still_current(rng: random.Random) -> None:
    team = [worker(rng, Gender.FEMALE, background_check_date=date(2024, 6, 1))]
    team.append(worker(rng, Gender.MALE))

    assert check_investigation_team(team, Gender.FEMALE, ON) == []


def test_an_expired_check_leaves_the_team_one_worker_short(rng: random.Random) -> None:
    team = [worker(rng, Gender.MALE, background_check_date=date(2024, 5, 1))]
    team.append(worker(rng, Gender.MALE))

    violations = check_investigation_team(team, Gender.MALE, ON)

    assert [v.code for v in violations] == ["background_check_expired", "team_too_few_qualified"]


def test_a_check_that_found_a_record_is_a_violation_mz_7_1_3(rng: random.Random) -> None:
    team = [worker(rng, Gender.MALE, background_check_clean=False), worker(rng, Gender.MALE)]

    violations = check_investigation_team(team, Gender.MALE, ON)

    assert ("background_check_not_clean", "MZ-7.1.3") in codes_and_rules(violations)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"background_check_date": None}, "background_check_missing"),
        ({"background_check_clean": None}, "background_check_result_missing"),
        ({"background_check_date": date(2025, 6, 2)}, "background_check_in_future"),
    ],
)
def test_a_missing_or_impossible_check_is_a_violation(
    rng: random.Random, changes: dict[str, object], code: str
) -> None:
    team = [worker(rng, Gender.MALE, **changes), worker(rng, Gender.MALE), worker(rng, Gender.MALE)]

    assert [v.code for v in check_investigation_team(team, Gender.MALE, ON)] == [code]


def test_a_suspended_worker_is_a_violation_mz_7_1_3(rng: random.Random) -> None:
    team = [worker(rng, Gender.MALE, suspended=True), worker(rng, Gender.MALE)]

    violations = check_investigation_team(team, Gender.MALE, ON)

    assert ("staff_suspended", "MZ-7.1.3") in codes_and_rules(violations)


def test_a_supervisor_with_3_years_in_child_services_is_too_junior_sz_7_1_5(rng) -> None:
    supervisor = worker(rng, Gender.FEMALE, years_in_child_services=3, supervisor_registered=True)

    assert codes_and_rules(check_supervisor(supervisor)) == [("supervisor_experience", "SZ-7.1.5")]


def test_a_supervisor_with_exactly_4_years_qualifies(rng: random.Random) -> None:
    supervisor = worker(rng, Gender.FEMALE, years_in_child_services=4, supervisor_registered=True)

    assert check_supervisor(supervisor, ON) == []


def test_a_supervisor_without_qualification_or_registration_is_refused(rng) -> None:
    supervisor = worker(
        rng, Gender.MALE, years_in_child_services=6, qualified=False, supervisor_registered=False
    )

    violations = check_supervisor(supervisor)

    assert [v.code for v in violations] == ["supervisor_not_qualified", "supervisor_not_registered"]


def test_a_supervisor_is_also_held_to_the_yearly_check_when_a_date_is_given(rng) -> None:
    supervisor = worker(
        rng,
        Gender.MALE,
        years_in_child_services=8,
        background_check_clean=False,
        supervisor_registered=True,
    )

    assert check_supervisor(supervisor) == []
    assert [v.code for v in check_supervisor(supervisor, ON)] == ["background_check_not_clean"]


def test_a_home_visit_without_the_guardian_needs_two_workers_jx_7_3() -> None:
    violations = home_visit_rules(workers_present=1, guardian_present=False, guardian_informed=True)

    assert codes_and_rules(violations) == [("home_visit_too_few_workers", "JX-7.3")]


def test_a_home_visit_without_the_guardian_must_tell_the_guardian_jx_7_3() -> None:
    violations = home_visit_rules(
        workers_present=2, guardian_present=False, guardian_informed=False
    )

    assert codes_and_rules(violations) == [("guardian_not_informed", "JX-7.3")]


def test_a_home_visit_with_the_guardian_at_home_has_no_jx_7_3_requirement() -> None:
    assert home_visit_rules(workers_present=1, guardian_present=True, guardian_informed=False) == []


def test_a_negative_number_of_workers_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        home_visit_rules(workers_present=-1, guardian_present=True, guardian_informed=True)
