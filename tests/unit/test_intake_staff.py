"""Staff registry rules: supervisors per SZ-7.1.5, yearly check and suspension per MZ-7.1.3,
leaving the organisation (DOMAIN §12)."""

import random
from datetime import date

import pytest

from events.domain import Refused
from intake.domain import Gender
from intake.domain.assignment import clearance_violations
from intake.domain.events import (
    BackgroundCheckRecorded,
    Qualification,
    StaffRole,
    WorkerDeregistered,
    WorkerRegistered,
    WorkerSuspended,
)
from intake.domain.staff import (
    DeregisterWorker,
    RecordBackgroundCheck,
    RegisterWorker,
    deregister_worker,
    record_background_check,
    register_worker,
    staff_state,
)
from tests.synthetic import ORGANISATIONS, fake_name

TODAY = date(2025, 6, 1)
SUPERVISING = frozenset({Qualification.SOCIAL_WORKER, Qualification.SUPERVISOR_REGISTERED})


def registration(role: StaffRole = StaffRole.WORKER, years: float = 2, **kw) -> RegisterWorker:
    rng = random.Random(11)
    values = {
        "worker_id": "staff-0001",
        "organisation": ORGANISATIONS[0],
        "role": role,
        "name": fake_name(rng),
        "gender": Gender.FEMALE,
        "qualifications": frozenset({Qualification.SOCIAL_WORKER}),
        "years_in_child_services": years,
        **kw,
    }
    return RegisterWorker(**values)


def registered(**kw):
    return staff_state(register_worker(registration(**kw), None))


def check(clean: bool, on: date = date(2025, 5, 20)) -> RecordBackgroundCheck:
    return RecordBackgroundCheck(
        organisation=ORGANISATIONS[0],
        worker_id="staff-0001",
        checked_on=on,
        clean=clean,
        today=TODAY,
    )


def test_a_worker_is_registered_with_one_event_carrying_their_name() -> None:
    events = register_worker(registration(), None)
    assert len(events) == 1 and isinstance(events[0], WorkerRegistered)
    assert events[0].qualifications == [Qualification.SOCIAL_WORKER]


def test_a_person_registered_already_is_not_registered_twice() -> None:
    with pytest.raises(Refused) as refused:
        register_worker(registration(), registered())
    assert refused.value.status == 409


def test_a_supervisor_with_less_than_four_years_in_child_services_is_refused_sz_7_1_5() -> None:
    with pytest.raises(Refused) as refused:
        register_worker(
            registration(StaffRole.SUPERVISOR, years=3.5, qualifications=SUPERVISING), None
        )
    assert refused.value.status == 422 and refused.value.rule == "SZ-7.1.5"
    assert [v.code for v in refused.value.violations] == ["supervisor_experience"]


def test_a_supervisor_with_four_years_and_the_qualification_is_registered() -> None:
    assert register_worker(
        registration(StaffRole.SUPERVISOR, years=4, qualifications=SUPERVISING), None
    )


def test_a_clean_check_is_recorded_and_clears_the_person_for_work() -> None:
    staff = registered()
    events = record_background_check(check(clean=True), staff)
    assert [type(e) for e in events] == [BackgroundCheckRecorded]
    after = staff_state([*register_worker(registration(), None), *events])
    assert after is not None and not after.suspended
    assert after.background_check_date == date(2025, 5, 20) and after.background_check_clean


def test_a_positive_check_suspends_the_person_at_once_mz_7_1_3() -> None:
    events = record_background_check(check(clean=False), registered())
    assert [type(e) for e in events] == [BackgroundCheckRecorded, WorkerSuspended]
    assert events[1].rule == "MZ-7.1.3" and events[1].suspended_on == TODAY
    after = staff_state([*register_worker(registration(), None), *events])
    assert after is not None and after.suspended
    assert after.as_member().suspended


def test_a_person_suspended_already_is_not_suspended_again_nor_reinstated_by_a_clean_check():
    history = [*register_worker(registration(), None)]
    history += record_background_check(check(clean=False), staff_state(history))
    again = record_background_check(check(clean=False), staff_state(history))
    assert [type(e) for e in again] == [BackgroundCheckRecorded]
    history += record_background_check(check(clean=True, on=TODAY), staff_state(history))
    assert staff_state(history).suspended


def test_a_check_dated_in_the_future_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        record_background_check(check(clean=True, on=date(2025, 6, 2)), registered())
    assert refused.value.rule == "MZ-7.1.3"


def test_an_older_check_recorded_late_does_not_replace_the_newer_one() -> None:
    history = [*register_worker(registration(), None)]
    history += record_background_check(check(clean=True, on=date(2025, 5, 1)), staff_state(history))
    history += record_background_check(check(clean=True, on=date(2024, 9, 1)), staff_state(history))
    assert staff_state(history).background_check_date == date(2025, 5, 1)


def leaving(on: date = TODAY, reason: str = "left_organisation") -> DeregisterWorker:
    return DeregisterWorker(
        organisation=ORGANISATIONS[0],
        worker_id="staff-0001",
        deregistered_on=on,
        reason=reason,
        today=TODAY,
    )


def test_a_person_who_leaves_is_deregistered_once_and_may_no_longer_work_dom_12() -> None:
    history = [*register_worker(registration(), None)]
    events = deregister_worker(leaving(reason="dismissed"), staff_state(history))
    assert [type(e) for e in events] == [WorkerDeregistered]
    assert (events[0].reason, events[0].rule, events[0].deregistered_on) == (
        "dismissed",
        "§12",
        TODAY,
    )
    after = staff_state([*history, *events])
    assert after is not None and after.deregistered and not after.suspended
    codes = [v.code for v in clearance_violations(after.as_member(), TODAY)]
    assert "staff_deregistered" in codes
    with pytest.raises(Refused) as again:
        deregister_worker(leaving(), after)
    assert again.value.status == 409 and again.value.rule == "§12"


def test_a_deregistration_dated_in_the_future_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        deregister_worker(leaving(on=date(2025, 6, 2)), registered())
    assert refused.value.status == 422
    assert [v.code for v in refused.value.violations] == ["deregistration_in_future"]
