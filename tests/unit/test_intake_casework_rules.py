"""The rules apply to the work, not only to the team on paper (issue 14 items 4 and 5): visits
and the investigation name who did them; until the initial statement that is two qualified,
cleared workers of the team, a woman for a girl (MZ-6.2.2, I-5); a visit with the guardian
away two workers (JX-7.3); nothing is dated before the case's first report or in the future.
Pure decisions, synthetic ids."""

from datetime import date, timedelta

import pytest

from events.domain import Refused
from intake.domain import Gender
from intake.domain.assignment import StaffMember
from intake.domain.casework import (
    RecordInvestigation,
    RecordStatement,
    Workplace,
    record_investigation,
    record_statement,
    record_visit,
)
from intake.domain.events import CaseUnderstaffed, InvestigationRecorded, VisitRecorded
from intake.domain.staff import understaffed
from tests.unit.test_intake_casework import (
    FINDINGS,
    NOW,
    STATEMENT,
    case_with_team,
    investigate,
    then,
    visit,
)

TEAM = ("w-woman", "w-man", "w-man2")


def member(worker_id: str, gender: Gender, **changes) -> StaffMember:
    values = {
        "id": worker_id,
        "organisation": "org-a",
        "gender": gender,
        "qualified": True,
        "years_in_child_services": 3,
        "background_check_date": NOW.date() - timedelta(days=30),
        "background_check_clean": True,
        **changes,
    }
    return StaffMember(**values)


def workplace(girl: bool = True, **replaced: StaffMember) -> Workplace:
    staff = {
        "w-woman": member("w-woman", Gender.FEMALE),
        "w-man": member("w-man", Gender.MALE),
        "w-man2": member("w-man2", Gender.MALE),
        **replaced,
    }
    return Workplace(
        reports_from=NOW - timedelta(hours=6),
        staff=staff,
        child_gender=Gender.FEMALE if girl else Gender.MALE,
    )


def refused(decide) -> Refused:
    with pytest.raises(Refused) as caught:
        decide()
    return caught.value


def codes(refusal: Refused) -> list[str]:
    return [v.code for v in refusal.violations]


def test_a_lone_male_worker_s_first_visit_to_a_girl_is_refused_mz_6_2_2():
    case = case_with_team(*TEAM)
    refusal = refused(lambda: record_visit(visit("w-man"), case, workplace()))
    assert refusal.status == 422 and refusal.rule == "MZ-6.2.2"
    assert codes(refusal) == ["team_too_few_qualified", "team_no_female_worker"]


def test_two_men_on_a_girl_s_first_visit_are_refused_for_want_of_a_woman_mz_6_2_2():
    case = case_with_team(*TEAM)
    refusal = refused(lambda: record_visit(visit("w-man", "w-man2"), case, workplace()))
    assert codes(refusal) == ["team_no_female_worker"]


def test_two_men_may_make_a_boy_s_first_visit_and_a_woman_and_a_man_a_girl_s():
    case = case_with_team(*TEAM)
    [boy] = record_visit(visit("w-man", "w-man2"), case, workplace(girl=False))
    [girl] = record_visit(visit("w-woman", "w-man"), case, workplace())
    assert isinstance(girl, VisitRecorded) and girl.worker_ids == ["w-man", "w-woman"]
    assert isinstance(boy, VisitRecorded) and boy.first_visit


def test_an_unqualified_worker_does_not_count_towards_the_two_mz_6_2_2():
    case = case_with_team(*TEAM)
    place = workplace(**{"w-man": member("w-man", Gender.MALE, qualified=False)})
    refusal = refused(lambda: record_visit(visit("w-woman", "w-man"), case, place))
    assert codes(refusal) == ["team_too_few_qualified"]


def test_a_suspended_visitor_is_refused_mz_7_1_3():
    case = case_with_team(*TEAM)
    place = workplace(**{"w-man2": member("w-man2", Gender.MALE, suspended=True)})
    refusal = refused(lambda: record_visit(visit("w-woman", "w-man", "w-man2"), case, place))
    assert refusal.status == 409 and refusal.rule == "MZ-7.1.3"
    assert codes(refusal) == ["staff_suspended"]


def test_a_visitor_on_the_team_but_not_registered_staff_of_the_organisation_is_refused():
    case = case_with_team(*TEAM)
    elsewhere = member("w-man", Gender.MALE, organisation="org-b")
    refusal = refused(
        lambda: record_visit(visit("w-woman", "w-man"), case, workplace(**{"w-man": elsewhere}))
    )
    assert codes(refusal) == ["unknown_worker"] and refusal.rule == "MZ-6.2.2"


def after_statement(place: Workplace):
    case = case_with_team(*TEAM)
    work = [*record_visit(visit("w-woman", "w-man"), case, place), *investigate(case, place)]
    stated = record_statement(
        RecordStatement(
            case_id="case-1", stated_at=NOW, statement=STATEMENT, recorded_by="w-1", now=NOW
        ),
        then(case, work),
        place,
    )
    return then(case, [*work, *stated])


def test_after_the_statement_one_worker_visits_while_the_guardian_is_home_jx_7_3():
    place = workplace()
    case = after_statement(place)
    [event] = record_visit(visit("w-man"), case, place)
    assert isinstance(event, VisitRecorded) and not event.first_visit


def test_after_the_statement_a_visit_with_the_guardian_away_still_needs_two_jx_7_3():
    place = workplace()
    case = after_statement(place)
    refusal = refused(
        lambda: record_visit(visit("w-man", present=False, informed=True), case, place)
    )
    assert refusal.rule == "JX-7.3" and codes(refusal) == ["home_visit_too_few_workers"]


def test_after_the_statement_a_visitor_must_still_be_cleared_mz_7_1_3():
    place = workplace()
    case = after_statement(place)
    expired = member("w-man", Gender.MALE, background_check_date=date(2023, 1, 1))
    refusal = refused(lambda: record_visit(visit("w-man"), case, workplace(**{"w-man": expired})))
    assert codes(refusal) == ["background_check_expired"]


def investigation(*investigators: str, **kw) -> RecordInvestigation:
    return RecordInvestigation(
        case_id="case-1",
        investigated_at=kw.pop("at", NOW - timedelta(minutes=30)),
        investigator_ids=list(investigators),
        findings=FINDINGS,
        recorded_by="w-woman",
        now=NOW,
    )


def test_the_investigation_records_who_investigated_mz_6_2_2():
    case = case_with_team(*TEAM)
    [event] = record_investigation(investigation("w-woman", "w-man"), case, workplace())
    assert isinstance(event, InvestigationRecorded)
    assert event.investigator_ids == ["w-man", "w-woman"]


def test_an_investigation_by_one_man_about_a_girl_is_refused_mz_6_2_2():
    case = case_with_team(*TEAM)
    refusal = refused(lambda: record_investigation(investigation("w-man"), case, workplace()))
    assert refusal.rule == "MZ-6.2.2"
    assert codes(refusal) == ["team_too_few_qualified", "team_no_female_worker"]


def test_an_investigator_off_the_team_is_refused():
    case = case_with_team("w-woman", "w-man")
    place = workplace()
    refusal = refused(lambda: record_investigation(investigation("w-woman", "w-man2"), case, place))
    assert codes(refusal) == ["visitor_not_on_team"]


@pytest.mark.parametrize(
    "work",
    ["visit", "investigation", "statement"],
)
def test_work_dated_before_the_case_s_first_report_is_refused(work):
    place = workplace()
    case = case_with_team(*TEAM)
    before = place.reports_from - timedelta(minutes=1)
    decide = {
        "visit": lambda: record_visit(visit("w-woman", "w-man", at=before), case, place),
        "investigation": lambda: record_investigation(
            investigation("w-woman", "w-man", at=before), case, place
        ),
        "statement": lambda: record_statement(
            RecordStatement(
                case_id="case-1", stated_at=before, statement=STATEMENT, recorded_by="w", now=NOW
            ),
            case,
            place,
        ),
    }[work]
    refusal = refused(decide)
    assert refusal.status == 422 and codes(refusal) == ["before_report"]
    assert (
        refusal.rule
        == {"visit": "JX-7.3", "investigation": "SZ-6.2.2", "statement": "SZ-6.2.1"}[work]
    )


def test_work_dated_at_the_report_s_receipt_is_recorded():
    place = workplace()
    case = case_with_team(*TEAM)
    assert record_visit(visit("w-woman", "w-man", at=place.reports_from), case, place)


def test_an_investigation_dated_beyond_the_clock_skew_is_refused():
    case = case_with_team(*TEAM)
    later = investigation("w-woman", "w-man", at=NOW + timedelta(minutes=3))
    refusal = refused(lambda: record_investigation(later, case, workplace()))
    assert codes(refusal) == ["in_the_future"]


# --- a suspension that leaves a case short flags it (issue 14 item 4) -------------------------


def test_a_removal_that_leaves_one_worker_flags_the_case_for_the_supervisor_mz_6_2_2():
    case = case_with_team("w-woman", "w-man")
    left = [member("w-woman", Gender.FEMALE)]
    [flag] = understaffed(case, "w-man", left, Gender.FEMALE, NOW.date())
    assert isinstance(flag, CaseUnderstaffed)
    assert (flag.case_id, flag.organisation, flag.child_id) == ("case-1", "org-a", "child-1")
    assert flag.remaining_worker_ids == ["w-woman"] and flag.removed_worker_id == "w-man"
    assert flag.shortfalls == ["team_too_few_qualified"] and flag.rule == "MZ-6.2.2"
    assert flag.notify_roles == ["supervisor"] and flag.flagged_on == NOW.date()


def test_a_girl_s_case_left_without_a_woman_is_flagged_mz_6_2_2():
    case = case_with_team(*TEAM)
    left = [member("w-man", Gender.MALE), member("w-man2", Gender.MALE)]
    [flag] = understaffed(case, "w-woman", left, Gender.FEMALE, NOW.date())
    assert flag.shortfalls == ["team_no_female_worker"]  # type: ignore[attr-defined]


def test_a_team_still_complete_after_a_removal_is_not_flagged():
    case = case_with_team(*TEAM)
    left = [member("w-woman", Gender.FEMALE), member("w-man", Gender.MALE)]
    assert understaffed(case, "w-man2", left, Gender.FEMALE, NOW.date()) == []
