"""Case work: home visits (JX-7.3), investigation (SZ-6.2.2, I-4), the initial case statement
(SZ-6.2.1, I-2) and consent (JX-7.2.3), as pure decisions on a case's state."""

from datetime import UTC, datetime, timedelta

import pytest

from events.domain import Refused
from intake.domain import Gender
from intake.domain.assignment import StaffMember
from intake.domain.cases import Case, ChangeStatus, Status, apply, case_state, change_status
from intake.domain.casework import (
    RecordConsent,
    RecordInvestigation,
    RecordStatement,
    RecordVisit,
    Workplace,
    record_consent,
    record_investigation,
    record_statement,
    record_visit,
)
from intake.domain.events import (
    CaseOpened,
    ClosingWork,
    ConsentScope,
    InitialStatement,
    InitialStatementRecorded,
    Investigation,
    TeamAssigned,
    VisitRecorded,
)

NOW = datetime(2025, 6, 2, 9, tzinfo=UTC)
FINDINGS = Investigation(  # synthetic
    harm_type="疑似家庭暴力",
    degree="手臂多处淤青",
    time_and_place="合成：上周，家中",
    environment_or_perpetrator="合成：与继父同住",
    social_support="祖母每周探望",
)
STATEMENT = InitialStatement(
    basic_info="合成儿童，9岁，小学三年级",
    situation="合成：疑似遭受家庭暴力",
    needs="安全保障、心理支持",
    next_steps="联系派出所与学校，安排每周家访",
)


def _cleared(worker_id: str, gender: Gender) -> StaffMember:
    return StaffMember(
        id=worker_id,
        organisation="org-a",
        gender=gender,
        qualified=True,
        years_in_child_services=3,
        background_check_date=NOW.date() - timedelta(days=30),
        background_check_clean=True,
    )


# A girl's case; w-1 a cleared woman and w-2 a cleared man of the organisation (MZ-6.2.2).
PLACE = Workplace(
    reports_from=NOW - timedelta(hours=6),
    staff={"w-1": _cleared("w-1", Gender.FEMALE), "w-2": _cleared("w-2", Gender.MALE)},
    child_gender=Gender.FEMALE,
)


def opening(*workers: str) -> list:
    """A case opened from two reports, with its team set (synthetic ids)."""
    return [
        CaseOpened(
            case_id="case-1",
            case_number="2025-00001",
            organisation="org-a",
            child_id="child-1",
            report_ids=["r-1", "r-2"],
            opened_at=NOW - timedelta(hours=5),
            opened_by="s-1",
        ),
        TeamAssigned(
            case_id="case-1",
            organisation="org-a",
            child_id="child-1",
            worker_ids=list(workers),
            assigned_on=NOW.date(),
            assigned_by="s-1",
            rule="MZ-6.2.2",
        ),
    ]


def case_with_team(*workers: str) -> Case:
    state = case_state(opening(*workers))
    assert state is not None
    return state


def visit(*workers: str, present: bool = True, informed: bool = False, **kw) -> RecordVisit:
    return RecordVisit(
        case_id="case-1",
        visit_id="v-1",
        visited_at=kw.pop("at", NOW - timedelta(hours=1)),
        worker_ids=list(workers),
        guardian_present=present,
        guardian_informed=informed,
        place="合成地址",
        recorded_by=workers[0] if workers else "w-1",
        now=NOW,
    )


def then(case: Case, events) -> Case:
    """The case after `events`, folded from its opening."""
    state = case_state([*opening(*case.team), *events])
    assert state is not None
    return state


def investigate(case: Case, place: Workplace = PLACE):
    investigators = [w for w in case.team if w in place.staff][:2]
    return record_investigation(
        RecordInvestigation(
            case_id="case-1",
            investigated_at=NOW - timedelta(minutes=30),
            investigator_ids=investigators,
            findings=FINDINGS,
            recorded_by="w-1",
            now=NOW,
        ),
        case,
        place,
    )


def state_it(case: Case):
    command = RecordStatement(
        case_id="case-1", stated_at=NOW, statement=STATEMENT, recorded_by="w-1", now=NOW
    )
    return record_statement(command, case, PLACE)


def test_the_first_home_visit_names_every_report_of_the_case_so_their_24_hour_clocks_stop():
    [event] = record_visit(visit("w-1", "w-2"), case_with_team("w-1", "w-2"), PLACE)
    assert isinstance(event, VisitRecorded)
    assert event.report_ids == ["r-1", "r-2"] and event.first_visit and event.rule == "JX-7.3"


def test_a_second_visit_is_not_the_first():
    case = case_with_team("w-1", "w-2")
    after = then(case, record_visit(visit("w-1", "w-2"), case, PLACE))
    [second] = record_visit(visit("w-1", "w-2"), after, PLACE)
    assert isinstance(second, VisitRecorded) and not second.first_visit


def test_one_worker_alone_while_the_guardian_is_away_and_not_told_is_refused_under_jx_7_3():
    with pytest.raises(Refused) as refused:
        record_visit(visit("w-1", present=False), case_with_team("w-1", "w-2"), PLACE)
    assert refused.value.status == 422
    codes = {v.code for v in refused.value.violations}
    # before the initial statement the visit is investigation work: MZ-6.2.2 too
    assert codes == {
        "home_visit_too_few_workers",
        "guardian_not_informed",
        "team_too_few_qualified",
    }
    assert refused.value.rule == "JX-7.3"


def test_two_workers_may_visit_while_the_guardian_is_away_if_the_guardian_was_told():
    case = case_with_team("w-1", "w-2")
    [event] = record_visit(visit("w-1", "w-2", present=False, informed=True), case, PLACE)
    assert isinstance(event, VisitRecorded) and event.guardian_informed


def test_a_worker_not_on_the_team_cannot_be_recorded_as_present():
    with pytest.raises(Refused) as refused:
        record_visit(visit("w-1", "w-9"), case_with_team("w-1", "w-2"), PLACE)
    assert refused.value.violations[0].code == "visitor_not_on_team"


def test_a_visit_in_the_future_is_refused():
    later = visit("w-1", "w-2", at=NOW + timedelta(hours=2))
    with pytest.raises(Refused) as refused:
        record_visit(later, case_with_team("w-1", "w-2"), PLACE)
    assert refused.value.violations[0].code == "in_the_future"


def test_the_initial_statement_waits_for_a_visit_and_the_investigation():
    case = case_with_team("w-1", "w-2")
    with pytest.raises(Refused) as refused:
        state_it(case)
    assert refused.value.status == 409 and refused.value.rule == "SZ-6.2.1"
    assert "a home visit and the investigation" in refused.value.violations[0].message


def test_the_initial_statement_names_the_reports_whose_72_hour_clocks_it_stops_and_is_made_once():
    case = case_with_team("w-1", "w-2")
    work = [*record_visit(visit("w-1", "w-2"), case, PLACE), *investigate(case)]
    [statement] = state_it(then(case, work))
    assert isinstance(statement, InitialStatementRecorded)
    assert statement.report_ids == ["r-1", "r-2"] and statement.rule == "SZ-6.2.1"
    with pytest.raises(Refused) as again:
        state_it(then(case, [*work, statement]))
    assert again.value.violations[0].code == "statement_already_recorded"


def test_consent_records_who_agreed_to_what_each_scope_once():
    command = RecordConsent(
        case_id="case-1",
        consent_id="c-1",
        given_by="合成监护人",
        relation="母亲",
        scopes=[ConsentScope.SERVICE, ConsentScope.RECORDING, ConsentScope.SERVICE],
        given_at=NOW,
        recorded_by="w-1",
        now=NOW,
    )
    [event] = record_consent(command, case_with_team("w-1", "w-2"), PLACE)
    assert event.scopes == [ConsentScope.RECORDING, ConsentScope.SERVICE]  # type: ignore[attr-defined]
    assert event.rule == "JX-7.2.3"  # type: ignore[attr-defined]


def test_no_visit_is_recorded_on_a_closed_case_and_the_refusal_names_its_state():
    # moved by a person: closed only with what each step asks (`cases.readiness`, SZ-6.6)
    case = case_with_team("w-1", "w-2").model_copy(
        update={"visits": 1, "statement_recorded": True, "closing_work": frozenset(ClosingWork)}
    )
    for to in (Status.IN_SERVICE, Status.FOLLOW_UP, Status.CLOSED):
        moved = change_status(ChangeStatus(case_id=case.case_id, to=to, at=NOW, by="s-1"), case)
        case = apply(case, moved)
    assert case.status == Status.CLOSED
    with pytest.raises(Refused) as refused:
        record_visit(visit("w-1", "w-2"), case, PLACE)
    assert refused.value.status == 409 and refused.value.state == "closed"


def test_a_visit_in_year_0001_is_refused_not_an_overflow():
    ancient = visit("w-1", "w-2", at=datetime.fromisoformat("0001-01-01T00:00:00+08:00"))
    with pytest.raises(Refused) as refused:
        record_visit(ancient, case_with_team("w-1", "w-2"), PLACE)
    assert refused.value.violations[0].code == "too_early" and refused.value.rule == "JX-7.3"


def test_a_visit_a_fast_clock_dates_a_minute_ahead_is_recorded():
    [event] = record_visit(
        visit("w-1", "w-2", at=NOW + timedelta(minutes=1)), case_with_team("w-1", "w-2"), PLACE
    )
    assert event.visited_at == NOW + timedelta(minutes=1)
