"""The record rule (SZ-7.3.3; ARCHITECTURE "Security"): who may see a report, a child or a
case, and a case opened only from reports its opener may see. Pure decisions; synthetic ids."""

from datetime import UTC, datetime

import pytest

from events.domain import Refused
from intake.domain.access import Caller, Holding, may_change_case, may_see
from intake.domain.cases import OpenCase, ReportRef, open_case

ORG = "org-a"
REPORT = Holding(organisation=ORG, team=frozenset({"w-team"}), took_in=frozenset({"w-recv"}))


def worker(subject: str, organisation: str = ORG) -> Caller:
    return Caller(subject=subject, organisation=organisation)


def supervisor(organisation: str = ORG) -> Caller:
    return Caller(subject="s-1", organisation=organisation, supervisor=True)


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [
        (worker("w-team"), True),
        (worker("w-off"), False),
        (worker("w-recv"), True),
        (supervisor(), True),
        (supervisor("org-b"), False),
        (worker("w-team", "org-b"), False),
        (Caller(subject="w-team", organisation=None), False),
    ],
    ids=[
        "on-team",
        "off-team",
        "receiver",
        "supervisor",
        "other-org-supervisor",
        "other-org",
        "no-organisation",
    ],
)
def test_a_record_is_seen_by_its_team_its_receiver_and_its_organisations_supervisors(
    caller: Caller, allowed: bool
) -> None:
    access = may_see(caller, REPORT)
    assert access.allowed is allowed and access.rule == "SZ-7.3.3" and access.reason


def test_a_report_in_no_case_is_for_supervisors_and_the_worker_who_received_it() -> None:
    alone = Holding(organisation=ORG, took_in=frozenset({"w-recv"}))
    assert may_see(worker("w-recv"), alone).allowed and may_see(supervisor(), alone).allowed
    assert not may_see(worker("w-team"), alone).allowed


def test_who_opened_a_case_sees_it_but_only_its_team_changes_it() -> None:
    case = Holding(organisation=ORG, team=frozenset({"w-team"}), took_in=frozenset({"w-open"}))
    assert may_see(worker("w-open"), case).allowed
    refused = may_change_case(worker("w-open"), case)
    assert not refused.allowed and refused.rule == "SZ-7.3.3"
    assert may_change_case(worker("w-team"), case).allowed
    assert may_change_case(supervisor(), case).allowed
    assert not may_change_case(worker("w-off"), case).allowed


def opening(opened_by: str, by_supervisor: bool = False) -> OpenCase:
    return OpenCase(
        case_id="case-1",
        organisation=ORG,
        report_ids=["r-1"],
        opened_at=datetime(2025, 6, 1, 8, tzinfo=UTC),
        opened_by=opened_by,
        by_supervisor=by_supervisor,
    )


REF = ReportRef(
    report_id="r-1", organisation=ORG, child_id="child-1", case_id=None, received_by="w-recv"
)


def test_a_case_is_opened_only_from_reports_the_opener_may_see() -> None:
    assert open_case(opening("w-recv"), [REF], "2025-00001")
    assert open_case(opening("s-1", by_supervisor=True), [REF], "2025-00001")
    with pytest.raises(Refused) as hidden:
        open_case(opening("w-off"), [REF], "2025-00001")
    with pytest.raises(Refused) as missing:
        open_case(opening("w-off"), [], "2025-00001")
    # a report the opener may not see is answered as one that does not exist
    assert hidden.value.violations == missing.value.violations
    assert hidden.value.violations[0].code == "unknown_report"
