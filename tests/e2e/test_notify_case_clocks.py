"""Across services, as real processes over Kafka (issue 14): an emergency mandatory report about
a girl, filed at intake, gives notify one acknowledgement clock per recipient (SZ-5.2.1), the
report to civil affairs (SZ-6.2.1) and the weekly follow-up series (SZ-5.8.2); once the team is
assigned the report's clocks name it and the supervisor (MZ-6.2.2); when the case is
transferred every open clock of it ends as cancelled, naming the status change (JX-6.2.1).
Synthetic data only."""

import httpx

from tests.e2e import test_flow_report_clocks
from tests.e2e.conftest import Running
from tests.e2e.test_flow_report_clocks import wait_for_clocks
from tests.e2e.test_intake_api import auth, staffed_emergency_case

intake_and_notify = test_flow_report_clocks.intake_and_notify  # the fixture: both processes
ACK = "mandatory_report.acknowledgement"


def every_clock(notify: Running, org: str, subject_id: str) -> list[dict]:
    response = httpx.get(notify.url + "/v1/deadlines", headers=auth("supervisor", org))
    assert response.status_code == 200, response.text
    return [d for d in response.json() if d["subject_id"] == subject_id]


def test_a_transferred_case_cancels_the_clocks_that_named_its_team_jx_6_2_1(intake_and_notify):
    intake, notify = intake_and_notify
    org = "org-e2e-case-clocks"
    case, team = staffed_emergency_case(intake, org, 78, opener="w-opener-78")
    [report_id] = case["report_ids"]

    named = wait_for_clocks(
        notify,
        org,
        report_id,
        lambda c: (
            "intake.investigation" in c and set(team) <= set(c["intake.investigation"]["workers"])
        ),
    )
    investigation = named["intake.investigation"]
    assert "w-opener-78" in investigation["workers"] and investigation["supervisors"]
    assert "intake.civil_affairs_report" in named
    acks = [d for d in every_clock(notify, org, report_id) if d["rule"] == ACK]
    assert len(acks) >= 2 and len({d["party"] for d in acks}) == len(acks)  # one per recipient

    moved = httpx.post(
        f"{intake.url}/v1/cases/{case['case_id']}/status",
        json={"to": "transferred", "reason": "合成：转介至其他机构"},
        headers=auth("supervisor", org),
    )
    assert moved.status_code == 200, moved.text
    ended = wait_for_clocks(
        notify,
        org,
        report_id,
        lambda c: all(d["state"] in ("met", "cancelled") for d in c.values()),
    )
    reason = f"intake.case.status_changed: {case['status']} -> transferred"
    assert ended["intake.investigation"]["state"] == "cancelled"
    assert ended["intake.investigation"]["cancel_reason"] == reason
    child_clocks = every_clock(notify, org, case["child_id"])
    assert {d["rule"] for d in child_clocks} >= {"followup.weekly_after_serious_violence"}
    assert {d["state"] for d in child_clocks} == {"cancelled"}
