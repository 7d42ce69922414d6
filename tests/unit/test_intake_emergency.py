"""Breaking the glass (`intake.domain.emergency`, `intake.domain.access`): a supervisor outside
the case's organisation reads it for four hours after saying why, and changes nothing."""

from datetime import UTC, datetime, timedelta

import pytest

from events.domain import Conflict
from intake.domain.access import Caller, Holding, may_change_case, may_see
from intake.domain.cases import Case, Status
from intake.domain.emergency import EMERGENCY_ACCESS, OpenInEmergency, open_in_emergency
from intake.domain.events import EmergencyAccessGranted

AT = datetime(2026, 12, 3, 2, 30, tzinfo=UTC)
CASE = Case(case_id="case-1", organisation="org-a", child_id="child-1")
FOREIGN = Caller(subject="s-b", organisation="org-b", supervisor=True)
REASON = "合成：儿童深夜出现在本机构热线所在地，需核实既往安全计划。"


def test_an_opening_lasts_four_hours_names_who_and_why_and_asks_the_admins_to_be_told():
    command = OpenInEmergency(case_id="case-1", caller=FOREIGN, reason=REASON, at=AT)
    [event] = open_in_emergency(command, CASE)
    assert isinstance(event, EmergencyAccessGranted)
    assert (event.granted_to, event.granted_to_organisation) == ("s-b", "org-b")
    assert event.organisation == "org-a" and event.reason == REASON
    assert event.until == AT + EMERGENCY_ACCESS == AT + timedelta(hours=4)
    assert event.notify_roles == ["org_admin"]


def test_a_handed_over_case_is_not_opened():
    command = OpenInEmergency(case_id="case-1", caller=FOREIGN, reason=REASON, at=AT)
    with pytest.raises(Conflict) as refused:
        open_in_emergency(command, CASE.model_copy(update={"status": Status.HANDED_OVER}))
    assert refused.value.rule == "JX-9.4.2"


def test_the_opening_lets_that_supervisor_read_and_nobody_else_and_change_nothing():
    opened = Holding(organisation="org-a", emergency=frozenset({("s-b", "org-b")}))
    assert may_see(FOREIGN, opened).allowed
    assert not may_change_case(FOREIGN, opened).allowed
    assert not may_see(FOREIGN, Holding(organisation="org-a")).allowed
    same_name_elsewhere = Caller(subject="s-b", organisation="org-c", supervisor=True)
    assert not may_see(same_name_elsewhere, opened).allowed
    worker = Caller(subject="s-b", organisation="org-b", supervisor=False)
    assert not may_see(worker, opened).allowed
