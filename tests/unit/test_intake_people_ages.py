"""I-7, one age rule for a report's child (issue 14 item 10): under 18 on the day of the harm
(the report's day when the harm's is unknown), with or without an ID number; the ID number's
gender digit against the stated gender is a warning the worker confirms. Synthetic data."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from events.domain import Refused
from intake.domain import Gender
from intake.domain.events import ChildDetails, ReportReceived, ReportWarningsConfirmed
from intake.domain.identity import GENDER_WARNING
from intake.domain.reports import receive_report
from tests.synthetic import fake_report, fake_resident_id
from tests.unit.test_intake_reports import command

RECEIVED = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def report_about(born: date, occurred: datetime | None, with_id: bool, **changes):
    report = fake_report(random.Random(7), triggers=set(), on=RECEIVED.date())
    gender = Gender.FEMALE
    child = ChildDetails(
        name="合成儿童",
        gender=gender,
        birth_date=born,
        resident_id=fake_resident_id(born, gender) if with_id else None,
    )
    return command(
        report,
        child=child,
        received_at=RECEIVED,
        occurred_at=occurred,
        now=RECEIVED + timedelta(minutes=1),
        **changes,
    )


def refusal_codes(cmd) -> list[str]:
    with pytest.raises(Refused) as refused:
        receive_report(cmd)
    assert refused.value.status == 422
    return [v.code for v in refused.value.violations]


@pytest.mark.parametrize("with_id", [False, True])
def test_someone_born_in_2000_is_no_child_with_or_without_an_id_number_i_7(with_id) -> None:
    assert refusal_codes(report_about(date(2000, 5, 4), None, with_id)) == ["not_a_minor"]


@pytest.mark.parametrize("with_id", [False, True])
def test_harm_at_17_reported_after_the_18th_birthday_is_received_i_7(with_id) -> None:
    born = date(2008, 1, 20)  # 18 on 2026-01-20, before the report of 2026-03-10
    harm = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)  # 17 then
    events = receive_report(report_about(born, harm, with_id))
    assert isinstance(events[0], ReportReceived)


@pytest.mark.parametrize("with_id", [False, True])
def test_harm_on_the_18th_birthday_is_not_a_childs_i_7(with_id) -> None:
    born = date(2008, 1, 20)
    harm = datetime(2026, 1, 20, 2, 0, tzinfo=UTC)  # 10:00 in China, the 18th birthday
    assert refusal_codes(report_about(born, harm, with_id)) == ["not_a_minor"]


@pytest.mark.parametrize("with_id", [False, True])
def test_without_a_time_of_harm_the_report_s_day_decides_i_7(with_id) -> None:
    born = date(2008, 3, 11)  # 18 the day after the report
    assert receive_report(report_about(born, None, with_id))
    assert refusal_codes(report_about(date(2008, 3, 10), None, with_id)) == ["not_a_minor"]


def id_of_a_boy_for_a_girl(**changes):
    born = date(2015, 4, 2)
    cmd = report_about(born, None, True, **changes)
    boy = fake_resident_id(born, Gender.MALE)
    return cmd.model_copy(update={"child": cmd.child.model_copy(update={"resident_id": boy})})


def test_an_id_number_whose_gender_digit_contradicts_the_stated_gender_is_refused_unconfirmed():
    with pytest.raises(Refused) as refused:
        receive_report(id_of_a_boy_for_a_girl())
    [violation] = refused.value.violations
    assert (violation.code, violation.rule, violation.field) == (
        GENDER_WARNING,
        "I-7",
        "child.gender",
    )


def test_a_confirmed_gender_mismatch_is_received_and_the_confirmation_recorded():
    events = receive_report(id_of_a_boy_for_a_girl(confirmed=frozenset({GENDER_WARNING})))
    received, confirmed = events
    assert isinstance(received, ReportReceived) and received.child.gender == Gender.FEMALE
    assert isinstance(confirmed, ReportWarningsConfirmed)
    assert [(w.code, w.rule) for w in confirmed.warnings] == [(GENDER_WARNING, "I-7")]
    assert (confirmed.confirmed_by, confirmed.report_id) == ("worker-1", received.report_id)


def test_a_matching_gender_digit_needs_no_confirmation_and_records_none():
    events = receive_report(report_about(date(2015, 4, 2), None, True))
    assert [type(e) for e in events] == [ReportReceived]
