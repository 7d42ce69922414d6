"""Cases: one child per case (JX-9.1), investigation team per MZ-6.2.2 (I-5) and MZ-7.1.3 (§12)."""

import random
from datetime import UTC, date, datetime

import pytest

from events.domain import Refused
from events.problems import refusal_problem
from intake.domain import Gender
from intake.domain.cases import (
    AssignTeam,
    OpenCase,
    ReportRef,
    assign_team,
    case_state,
    domain_rule_of,
    open_case,
    remove_suspended,
)
from intake.domain.events import CaseOpened, TeamAssigned, WorkerRemoved
from tests.synthetic import DEFAULT_ON, fake_staff_member

ORG = "org-a"


def ref(report_id: str, child_id: str = "child-1", case_id: str | None = None) -> ReportRef:
    return ReportRef(
        report_id=report_id,
        organisation=ORG,
        child_id=child_id,
        case_id=case_id,
        received_by="worker-1",
    )


def opening(*report_ids: str) -> OpenCase:
    return OpenCase(
        case_id="case-1",
        organisation=ORG,
        report_ids=list(report_ids),
        opened_at=datetime(2025, 6, 1, 8, tzinfo=UTC),
        opened_by="supervisor-1",
        by_supervisor=True,
    )


def opened_case():
    return case_state(open_case(opening("r-1"), [ref("r-1")], "2025-00001"))


def staff(seed: int, gender: Gender, **kw):
    member = fake_staff_member(random.Random(seed), gender=gender, **kw)
    return member.model_copy(update={"organisation": ORG, "id": f"w-{seed}"})


def team_command(*members) -> AssignTeam:
    return AssignTeam(
        case_id="case-1", worker_ids=[m.id for m in members], on=DEFAULT_ON, assigned_by="s-1"
    )


def test_a_case_is_opened_from_reports_about_one_child_with_its_number() -> None:
    events = open_case(opening("r-1", "r-2"), [ref("r-1"), ref("r-2")], "2025-00007")
    assert len(events) == 1 and isinstance(events[0], CaseOpened)
    assert events[0].case_number == "2025-00007" and events[0].child_id == "child-1"
    assert events[0].report_ids == ["r-1", "r-2"]


def test_reports_about_different_children_do_not_make_one_case() -> None:
    with pytest.raises(Refused) as refused:
        open_case(opening("r-1", "r-2"), [ref("r-1"), ref("r-2", "child-2")], "n")
    assert refused.value.rule == "JX-9.1" and refused.value.status == 422


def test_a_report_already_in_a_case_cannot_open_another() -> None:
    with pytest.raises(Refused) as refused:
        open_case(opening("r-1"), [ref("r-1", case_id="case-0")], "n")
    assert refused.value.status == 409


def test_an_unknown_or_foreign_report_is_refused() -> None:
    foreign = ReportRef(
        report_id="r-1", organisation="org-b", child_id="c", case_id=None, received_by="w-b"
    )
    with pytest.raises(Refused):
        open_case(opening("r-1"), [foreign], "n")


def test_two_cleared_qualified_workers_with_a_woman_investigate_a_girls_case() -> None:
    team = [staff(1, Gender.FEMALE), staff(2, Gender.MALE)]
    events = assign_team(team_command(*team), opened_case(), team, Gender.FEMALE)
    assert isinstance(events[0], TeamAssigned) and events[0].rule == "MZ-6.2.2"
    assert case_state([*open_case(opening("r-1"), [ref("r-1")], "n"), *events]).team == (
        "w-1",
        "w-2",
    )


def test_one_worker_alone_is_refused_as_a_bad_command_naming_mz_6_2_2() -> None:
    team = [staff(1, Gender.FEMALE)]
    with pytest.raises(Refused) as refused:
        assign_team(team_command(*team), opened_case(), team, Gender.MALE)
    assert refused.value.status == 422 and refused.value.rule == "MZ-6.2.2"


def test_two_men_for_a_girl_are_refused() -> None:
    team = [staff(1, Gender.MALE), staff(2, Gender.MALE)]
    with pytest.raises(Refused) as refused:
        assign_team(team_command(*team), opened_case(), team, Gender.FEMALE)
    assert [v.code for v in refused.value.violations] == ["team_no_female_worker"]


def test_a_suspended_member_makes_the_team_a_conflict_naming_mz_7_1_3_first_if_only_that():
    team = [staff(1, Gender.FEMALE), staff(2, Gender.MALE), staff(3, Gender.MALE, suspended=True)]
    with pytest.raises(Refused) as refused:
        assign_team(team_command(*team), opened_case(), team, Gender.MALE)
    assert refused.value.status == 409 and refused.value.rule == "MZ-7.1.3"


def test_a_team_refusal_names_its_rulebook_number_i_5_or_12() -> None:
    alone = [staff(1, Gender.FEMALE)]
    uncleared = [
        staff(1, Gender.FEMALE),
        staff(2, Gender.MALE),
        staff(3, Gender.MALE, suspended=True),
    ]
    numbers = []
    for team in (alone, uncleared):
        with pytest.raises(Refused) as refused:
            assign_team(team_command(*team), opened_case(), team, Gender.MALE)
        numbers.append(refusal_problem(refused.value, domain_rule_of).members()["domain_rule"])
    assert numbers == ["I-5", "§12"]


def test_staff_of_another_organisation_cannot_be_assigned() -> None:
    outsider = staff(4, Gender.FEMALE).model_copy(update={"organisation": "org-b"})
    team = [staff(1, Gender.FEMALE), outsider]
    with pytest.raises(Refused) as refused:
        assign_team(team_command(*team), opened_case(), team, Gender.MALE)
    assert [v.code for v in refused.value.violations] == ["unknown_worker"]


def test_a_suspended_worker_is_taken_off_the_case_at_once() -> None:
    team = [staff(1, Gender.FEMALE), staff(2, Gender.MALE)]
    history = [*open_case(opening("r-1"), [ref("r-1")], "n")]
    history += assign_team(team_command(*team), case_state(history), team, Gender.MALE)
    removed = remove_suspended(case_state(history), "w-2", date(2025, 6, 2))
    assert isinstance(removed[0], WorkerRemoved) and removed[0].rule == "MZ-7.1.3"
    assert case_state([*history, *removed]).team == ("w-1",)
    assert remove_suspended(case_state(history), "w-9", date(2025, 6, 2)) == []
