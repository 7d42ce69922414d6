"""Staff rules of issue 14 items 8 and 9: a supervisor is registered only with the registered
supervisor qualification and the experience SZ-7.1.5 asks (an absent record is no pass); a
supervisor who acts on a case's team is one of the organisation's registered, qualified and
cleared supervisors; the yearly check (MZ-7.1.3) is one rule in intake and assessment."""

from datetime import date, timedelta

import pytest

from assessment.domain import assessors
from events.domain import Refused
from intake.domain import Gender, assignment
from intake.domain.events import Qualification, StaffRole
from intake.domain.staff import (
    RecordBackgroundCheck,
    acting_supervisor_violations,
    record_background_check,
    register_worker,
    staff_state,
)
from tests.unit.test_intake_staff import registration

TODAY = date(2025, 6, 1)
SUPERVISOR = frozenset({Qualification.SOCIAL_WORKER, Qualification.SUPERVISOR_REGISTERED})


def test_a_supervisor_without_the_registered_qualification_is_refused_sz_7_1_5() -> None:
    with pytest.raises(Refused) as refused:
        register_worker(registration(StaffRole.SUPERVISOR, years=6), None)
    assert refused.value.rule == "SZ-7.1.5"
    assert [v.code for v in refused.value.violations] == ["supervisor_not_registered"]


def test_a_supervisor_with_the_qualification_and_four_years_is_registered_sz_7_1_5() -> None:
    command = registration(StaffRole.SUPERVISOR, years=4, qualifications=SUPERVISOR)
    assert register_worker(command, None)


def test_a_worker_needs_no_supervisor_qualification() -> None:
    assert register_worker(registration(StaffRole.WORKER, years=0), None)


def cleared(role: StaffRole, qualifications=SUPERVISOR, checked_on=TODAY - timedelta(days=10)):
    events = register_worker(registration(role, years=6, qualifications=qualifications), None)
    check = RecordBackgroundCheck(
        organisation="x", worker_id="staff-0001", checked_on=checked_on, clean=True, today=TODAY
    )
    state = staff_state(events)
    assert state is not None
    return staff_state([*events, *record_background_check(check, state)])


def test_an_unregistered_token_holder_may_not_act_as_supervisor_sz_7_1_5() -> None:
    [violation] = acting_supervisor_violations(None, TODAY)
    assert (violation.code, violation.rule) == ("supervisor_unregistered", "SZ-7.1.5")


def test_a_registered_worker_with_a_supervisor_token_may_not_act_as_supervisor_sz_7_1_5() -> None:
    codes = [v.code for v in acting_supervisor_violations(cleared(StaffRole.WORKER), TODAY)]
    assert codes == ["supervisor_unregistered"]


def test_a_registered_cleared_supervisor_acts_and_an_expired_check_stops_them() -> None:
    assert acting_supervisor_violations(cleared(StaffRole.SUPERVISOR), TODAY) == []
    stale = cleared(StaffRole.SUPERVISOR, checked_on=date(2024, 5, 1))
    codes = [(v.code, v.rule) for v in acting_supervisor_violations(stale, TODAY)]
    assert codes == [("background_check_expired", "MZ-7.1.3")]


# --- MZ-7.1.3: one year, the same in both services (item 8) -----------------------------------


@pytest.mark.parametrize(
    "checked_on",
    [date(2024, 2, 29), date(2024, 3, 1), date(2025, 1, 31), date(2025, 12, 31)],
)
def test_a_check_is_valid_for_one_year_from_its_date_in_intake_and_in_assessment(checked_on):
    until = assignment.check_valid_until(checked_on)
    assert until == assessors.check_valid_until(checked_on)
    assert until.year == checked_on.year + 1 and until - checked_on <= timedelta(days=366)
    for day in (checked_on, until - timedelta(days=1), until, until + timedelta(days=1)):
        assert assignment.check_is_current(checked_on, day) == assessors.check_is_current(
            checked_on, day
        )
    assert assignment.check_is_current(checked_on, until)
    assert not assignment.check_is_current(checked_on, until + timedelta(days=1))
    assert not assignment.check_is_current(checked_on, checked_on - timedelta(days=1))


def test_an_intake_member_and_an_assessor_checked_on_the_same_day_clear_on_the_same_days():
    checked_on = date(2024, 6, 1)
    member = assignment.StaffMember(
        id="w",
        organisation="o",
        gender=Gender.FEMALE,
        qualified=True,
        years_in_child_services=1,
        background_check_date=checked_on,
        background_check_clean=True,
    )
    record = assessors.StaffRecord(
        worker_id="w",
        organisation="o",
        gender="female",
        qualified=True,
        background_check_on=checked_on,
        background_check_clean=True,
    )
    for offset in range(360, 370):
        day = checked_on + timedelta(days=offset)
        intake_clears = not assignment.clearance_violations(member, day)
        assert intake_clears == assessors._cleared(record, day), day


def test_a_supervisor_whose_registration_is_not_recorded_fails_sz_7_1_5() -> None:
    """The absent value (None) is no pass: before, only False fired the violation."""
    member = assignment.StaffMember(
        id="s",
        organisation="o",
        gender=Gender.MALE,
        qualified=True,
        years_in_child_services=9,
        background_check_date=None,
        background_check_clean=None,
        supervisor_registered=None,
    )
    violations = assignment.check_supervisor(member)
    assert [(v.code, v.rule) for v in violations] == [("supervisor_not_registered", "SZ-7.1.5")]
