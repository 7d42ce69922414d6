"""Receiving reports (I-1, I-7) and mandatory reporting (SZ-5.2): the pure decisions."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from events.domain import Refused
from events.problems import refusal_problem
from intake.domain.cases import domain_rule_of
from intake.domain.events import (
    ChildDetails,
    MandatoryReportAcknowledged,
    MandatoryReportFiled,
    Reporter,
    ReportReceived,
    Source,
)
from intake.domain.reports import (
    AcknowledgeMandatoryReport,
    ReceiveReport,
    acknowledge,
    receive_report,
    report_state,
)
from tests.synthetic import FakeReport, fake_report


def command(report: FakeReport, **changes) -> ReceiveReport:
    child = report.child
    values = {
        "report_id": "r-1",
        "organisation": "org-a",
        "child_id": "child-1",
        "source": Source.HOTLINE,
        "received_at": report.received_at,
        "received_by": "worker-1",
        "reporter": Reporter(name=report.reporter.name, contact=report.reporter.phone),
        "child": ChildDetails(
            name=child.name,
            gender=child.gender,
            birth_date=child.birth_date,
            resident_id=child.resident_id,
            address=child.address,
        ),
        "occurred_at": report.occurred_at,
        "place": report.place,
        "description": report.description,
        "triggers": sorted(report.triggers),
        "emergency": report.emergency,
        "now": report.received_at + timedelta(minutes=5),
        **changes,
    }
    return ReceiveReport(**values)


def a_report(triggers: set[int], emergency: bool = False, seed: int = 3) -> FakeReport:
    return fake_report(random.Random(seed), triggers=triggers, emergency=emergency)


def violation_codes(refused: pytest.ExceptionInfo[Refused]) -> list[str]:
    return [v.code for v in refused.value.violations]


def test_a_report_without_trigger_or_emergency_is_received_and_not_mandatory() -> None:
    events = receive_report(command(a_report(set())))
    assert [type(e) for e in events] == [ReportReceived]
    assert events[0].mandatory is False


def test_a_report_with_a_trigger_is_also_filed_to_police_and_civil_affairs_sz_5_2_1() -> None:
    events = receive_report(command(a_report({4})))
    # the third, CivilAffairsNotified: the filing is the notice of SZ-6.2.1
    assert [type(e) for e in events][:2] == [ReportReceived, MandatoryReportFiled]
    filed = events[1]
    assert {"police", "civil_affairs"} <= {r.key for r in filed.recipients}
    assert [(g.trigger, g.rule) for g in filed.grounds] == [(4, "SZ-5.2.2(4)")]
    assert filed.harm == events[0].description and filed.report_id == "r-1"


def test_an_emergency_alone_makes_the_report_mandatory_under_the_general_duty() -> None:
    events = receive_report(command(a_report(set(), emergency=True)))
    filed = events[1]
    assert isinstance(filed, MandatoryReportFiled) and filed.emergency
    assert [g.rule for g in filed.grounds] == ["SZ-5.2.1"]
    assert [w.code for w in filed.warnings] == ["emergency_without_trigger"]


def test_an_unknown_trigger_is_refused_naming_sz_5_2_2() -> None:
    with pytest.raises(Refused) as refused:
        receive_report(command(a_report({4}), triggers=[4, 12]))
    assert refused.value.status == 422 and refused.value.rule == "SZ-5.2.2"
    assert violation_codes(refused) == ["unknown_trigger"]


def test_an_id_number_with_a_wrong_check_digit_is_refused_naming_i_7() -> None:
    report = a_report({6})
    good = report.child.resident_id
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    child = command(report).child.model_copy(update={"resident_id": bad})
    with pytest.raises(Refused) as refused:
        receive_report(command(report, child=child))
    assert refused.value.rule == "I-7" and violation_codes(refused) == ["id_check_digit"]


def test_an_i_7_refusal_is_answered_with_codes_and_clauses_never_the_dates_sent() -> None:
    """The message of an I-7 violation repeats the birth dates; the problem body leaves it out."""
    report = a_report({6})
    child = command(report).child
    stated = child.birth_date - timedelta(days=1)
    wrong = child.model_copy(update={"birth_date": stated})
    with pytest.raises(Refused) as refused:
        receive_report(command(report, child=wrong))
    assert violation_codes(refused) == ["id_birth_date_mismatch"]
    assert str(stated) in refused.value.violations[0].message  # what is kept from the body
    problem = refusal_problem(refused.value, domain_rule_of)
    shown = f"{problem.detail} {problem.members()}"
    assert str(stated) not in shown and str(child.birth_date) not in shown
    assert (problem.status, problem.rule, problem.detail) == (
        422,
        "I-7",
        "id_birth_date_mismatch (I-7)",
    )
    assert problem.members()["violations"] == [
        {"code": "id_birth_date_mismatch", "rule": "I-7", "field": None}
    ]


def test_an_id_number_is_normalised_and_supplies_a_missing_birth_date() -> None:
    report = a_report(set())
    child = command(report).child
    lower = child.resident_id.lower()
    loose = child.model_copy(update={"resident_id": f" {lower} ", "birth_date": None})
    received = receive_report(command(report, child=loose))[0]
    assert received.child.resident_id == report.child.resident_id
    assert received.child.birth_date == report.child.birth_date


def test_harm_after_the_report_was_received_is_refused() -> None:
    report = a_report(set())
    later = report.received_at + timedelta(hours=1)
    with pytest.raises(Refused) as refused:
        receive_report(command(report, occurred_at=later))
    assert violation_codes(refused) == ["occurred_after_received"]


def test_each_recipient_acknowledges_once_and_only_a_recipient_may() -> None:
    report = a_report({7})
    history = receive_report(command(report))
    now = report.received_at + timedelta(hours=1)
    ack = AcknowledgeMandatoryReport(
        report_id="r-1",
        recipient="police",
        acknowledged_by="接警员",
        acknowledged_at=now - timedelta(minutes=10),
        reference="JJ-0001",
        recorded_by="worker-1",
        now=now,
    )
    events = acknowledge(ack, report_state(history))
    assert isinstance(events[0], MandatoryReportAcknowledged) and events[0].child_id == "child-1"
    history += events
    with pytest.raises(Refused) as twice:
        acknowledge(ack, report_state(history))
    assert twice.value.status == 409
    stranger = ack.model_copy(update={"recipient": "court"})
    with pytest.raises(Refused) as unknown:
        acknowledge(stranger, report_state(history))
    assert unknown.value.status == 422


def test_a_report_that_is_not_mandatory_cannot_be_acknowledged() -> None:
    report = a_report(set())
    state = report_state(receive_report(command(report)))
    ack = AcknowledgeMandatoryReport(
        report_id="r-1",
        recipient="police",
        acknowledged_by="接警员",
        acknowledged_at=report.received_at,
        reference=None,
        recorded_by="worker-1",
        now=report.received_at,
    )
    with pytest.raises(Refused) as refused:
        acknowledge(ack, state)
    assert refused.value.status == 409 and refused.value.rule == "SZ-5.2.1"


# --- ranges (security issue, item 3): out of range is a refusal, never an overflow -------------


@pytest.mark.parametrize(
    ("received_at", "code"),
    [
        ("9999-12-31T23:59:59+00:00", "received_in_future"),
        ("0001-01-01T00:00:00+08:00", "too_early"),
    ],
)
def test_a_report_received_in_year_9999_or_0001_is_refused_not_an_overflow(
    received_at: str, code: str
) -> None:
    moment = datetime.fromisoformat(received_at)
    with pytest.raises(Refused) as refused:
        receive_report(command(a_report({4}), received_at=moment, occurred_at=None))
    assert refused.value.status == 422 and violation_codes(refused) == [code]
    assert refused.value.rule == "SZ-6.2.2"


def test_harm_before_2000_is_refused() -> None:
    early = datetime(1999, 12, 31, tzinfo=UTC)
    with pytest.raises(Refused) as refused:
        receive_report(command(a_report(set()), occurred_at=early))
    assert violation_codes(refused) == ["too_early"]
    assert refused.value.violations[0].field == "occurred_at"


def test_a_report_from_a_client_whose_clock_runs_a_minute_fast_is_received() -> None:
    report = a_report(set())
    fast = command(report, now=report.received_at - timedelta(minutes=1))
    assert receive_report(fast)[0].received_at == report.received_at


def without_id(report: FakeReport, birth_date: date) -> ChildDetails:
    return command(report).child.model_copy(update={"resident_id": None, "birth_date": birth_date})


def test_a_birth_date_after_the_report_is_refused_naming_i_7() -> None:
    report = a_report(set())
    child = without_id(report, report.received_at.date() + timedelta(days=2))
    with pytest.raises(Refused) as refused:
        receive_report(command(report, child=child, occurred_at=None))
    assert refused.value.rule == "I-7" and violation_codes(refused) == ["birth_date_in_future"]


def test_someone_18_or_older_when_the_report_comes_in_is_no_child_i_7() -> None:
    """Without a time of harm the report's day decides (`identity.minor_violations`)."""
    report = a_report(set())
    received_on = report.received_at.date()
    eighteen = received_on.replace(year=received_on.year - 18)
    with pytest.raises(Refused) as refused:
        receive_report(command(report, child=without_id(report, eighteen), occurred_at=None))
    assert refused.value.rule == "I-7" and violation_codes(refused) == ["not_a_minor"]
    a_day_younger = without_id(report, eighteen + timedelta(days=1))
    assert receive_report(command(report, child=a_day_younger, occurred_at=None))


def test_harm_before_the_child_was_born_is_refused() -> None:
    report = a_report(set())
    born = report.child.birth_date
    before = datetime.combine(born - timedelta(days=3), datetime.min.time(), UTC)
    with pytest.raises(Refused) as refused:
        receive_report(command(report, occurred_at=before))
    assert violation_codes(refused) == ["occurred_before_birth"]
