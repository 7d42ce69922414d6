"""SZ-6.2.1: every intake is reported to the supervising civil-affairs department (issue 14
item 7). A notice recorded for any report, once, dated between the receipt and now; a mandatory
report addressed to civil affairs is that notice. Pure rules, synthetic data."""

import random
from datetime import timedelta

import pytest

from events.domain import Conflict, Refused
from intake.domain.events import CivilAffairsNotified, MandatoryReportFiled, ReportReceived
from intake.domain.reports import (
    NOTICE_RULE,
    NotifyCivilAffairs,
    notify_civil_affairs,
    receive_report,
    report_state,
)
from tests.synthetic import fake_report
from tests.unit.test_intake_reports import command


def received(triggers: set[int], emergency: bool = False):
    cmd = command(fake_report(random.Random(11), triggers=triggers, emergency=emergency))
    return cmd, receive_report(cmd)


def notice(cmd, **changes) -> NotifyCivilAffairs:
    values = {
        "report_id": cmd.report_id,
        "notified_at": cmd.received_at + timedelta(hours=1),
        "notified_by": "worker-2",
        "reference": "MZ-2026-001",
        "now": cmd.received_at + timedelta(hours=2),
        **changes,
    }
    return NotifyCivilAffairs(**values)


def test_a_report_without_trigger_or_emergency_is_notified_to_civil_affairs_once_sz_6_2_1():
    cmd, events = received(set())
    assert [type(e) for e in events] == [ReportReceived]
    report = report_state(events)
    assert report is not None and not report.civil_affairs_notified
    [notified] = notify_civil_affairs(notice(cmd), report)
    assert isinstance(notified, CivilAffairsNotified)
    assert (notified.report_id, notified.organisation, notified.child_id) == (
        cmd.report_id,
        cmd.organisation,
        cmd.child_id,
    )
    assert (notified.notified_by, notified.reference, notified.rule) == (
        "worker-2",
        "MZ-2026-001",
        NOTICE_RULE,
    )
    again = report_state([*events, notified])
    assert again is not None and again.civil_affairs_notified
    with pytest.raises(Conflict) as twice:
        notify_civil_affairs(notice(cmd), again)
    assert (twice.value.violations[0].code, twice.value.rule) == ("already_notified", "SZ-6.2.1")


@pytest.mark.parametrize(
    "offset", [timedelta(minutes=-1), timedelta(hours=2, minutes=3)], ids=["before", "future"]
)
def test_a_notice_before_the_report_or_in_the_future_is_refused_sz_6_2_1(offset):
    cmd, events = received(set())
    report = report_state(events)
    assert report is not None
    with pytest.raises(Refused) as refused:
        notify_civil_affairs(notice(cmd, notified_at=cmd.received_at + offset), report)
    assert refused.value.status == 422 and refused.value.rule == "SZ-6.2.1"
    assert refused.value.violations[0].code == "notice_time"


def test_a_mandatory_report_to_civil_affairs_is_the_notice_and_stops_the_clock_sz_6_2_1():
    cmd, events = received({4})
    assert [type(e) for e in events] == [ReportReceived, MandatoryReportFiled, CivilAffairsNotified]
    notified = events[2]
    assert isinstance(notified, CivilAffairsNotified)
    assert (notified.notified_at, notified.notified_by, notified.reference) == (
        cmd.now,
        cmd.received_by,
        None,
    )
    report = report_state(events)
    assert report is not None and report.civil_affairs_notified
