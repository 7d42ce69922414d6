"""The status of a case as a pure state machine: allowed moves, refusals naming the present
status, and other services' facts that move a case only where the table allows."""

from datetime import UTC, datetime

import pytest

from events.domain import Refused
from intake.domain.cases import (
    ACTIVE,
    PERSON_TARGETS,
    STATUS_RULES,
    TRANSITIONS,
    Case,
    ChangeStatus,
    Status,
    case_state,
    change_status,
    follow_other_service,
)
from intake.domain.events import CaseOpened, CaseStatusChanged, ClosingWork
from intake.reactions import MILESTONES, STATUS_EVENTS

AT = datetime(2025, 6, 3, 10, tzinfo=UTC)


def case_in(status: Status) -> Case:
    """A case with everything each step asks recorded (`cases.readiness`, issue 14 item 2): the
    investigation (MZ-6.2.2, SZ-6.2.1), the closing work (SZ-6.5, MZ-6.4.2), a follow-up done
    and full closure assessed (SZ-6.6); the moves here are about the table alone."""
    return Case(
        case_id="case-1",
        organisation="org-a",
        child_id="child-1",
        status=status,
        team=("w-1", "w-2"),
        visits=1,
        statement_recorded=True,
        closing_work=frozenset(ClosingWork),
        followups_done=1,
    )


def move(status: Status, to: Status) -> list:
    return change_status(
        ChangeStatus(case_id="case-1", to=to, at=AT, by="s-1", reason="合成理由"), case_in(status)
    )


def test_a_new_case_is_open():
    assert Case(case_id="c", organisation="o", child_id="k").status == Status.OPEN


def test_every_status_has_a_row_in_the_table_and_a_clause():
    assert set(TRANSITIONS) == set(Status) == set(STATUS_RULES)


def test_a_handed_over_case_goes_nowhere_and_only_closed_or_transferred_cases_are_handed_over():
    assert TRANSITIONS[Status.HANDED_OVER] == frozenset()
    handed = {s for s, targets in TRANSITIONS.items() if Status.HANDED_OVER in targets}
    assert handed == {Status.CLOSED, Status.TRANSFERRED}


@pytest.mark.parametrize(
    ("start", "to"), [(s, t) for s, targets in TRANSITIONS.items() for t in targets]
)
def test_an_allowed_move_records_from_and_to_with_the_clause_of_the_new_status(start, to):
    [event] = move(start, to)
    assert isinstance(event, CaseStatusChanged)
    assert (event.from_status, event.to_status) == (start.value, to.value)
    assert event.rule == STATUS_RULES[to]
    state = case_state([_opened(), event])
    assert state is not None and state.status == to


@pytest.mark.parametrize(
    ("start", "to"),
    [(s, t) for s in Status for t in Status if t not in TRANSITIONS[s]],
)
def test_a_move_the_table_does_not_allow_is_a_conflict_naming_the_present_status(start, to):
    with pytest.raises(Refused) as refused:
        move(start, to)
    assert refused.value.status == 409 and refused.value.state == start.value
    assert refused.value.violations[0].code == "case_status"
    assert start.value in refused.value.violations[0].message


def test_work_goes_on_while_open_in_service_closing_or_followed_up_only():
    assert {Status.OPEN, Status.IN_SERVICE, Status.CLOSING, Status.FOLLOW_UP} == ACTIVE


def test_a_person_cannot_hand_a_case_over_only_archive_can():
    assert Status.HANDED_OVER not in PERSON_TARGETS


def test_the_names_intake_reacts_to_move_a_case_to_in_service_follow_up_closed_and_handed_over():
    """Facts that climb SZ-6.1's ladder (`MILESTONES`, issue 14 item 1) and the handover."""
    assert STATUS_EVENTS == {"archive.handover.completed": Status.HANDED_OVER}
    targets = {name: m.target for name, m in MILESTONES.items()}
    assert targets == {
        "assessment.safety.risk_graded": Status.IN_SERVICE,
        "assessment.task.set": Status.IN_SERVICE,
        "assessment.service_plan.agreement_signed": Status.IN_SERVICE,
        "assessment.closure.recorded": Status.FOLLOW_UP,
        "assessment.closure.followup_recorded": None,
        "assessment.closure.fully_closed": Status.CLOSED,
    }


def test_another_services_fact_that_the_table_does_not_allow_records_nothing():
    command = ChangeStatus(
        case_id="case-1", to=Status.HANDED_OVER, at=AT, by="service:intake", cause="x"
    )
    assert follow_other_service(command, case_in(Status.OPEN)) == []
    [event] = follow_other_service(command, case_in(Status.CLOSED))
    assert isinstance(event, CaseStatusChanged) and event.cause == "x"


def _opened() -> CaseOpened:
    return CaseOpened(
        case_id="case-1",
        case_number="2025-00001",
        organisation="org-a",
        child_id="child-1",
        report_ids=["r-1"],
        opened_at=AT,
        opened_by="s-1",
    )
