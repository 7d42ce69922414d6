"""The case lifecycle as pure rules (issue 14, items 1 and 2): a case moves into service,
closing, follow-up and full closure only with what SZ-6.2.1, SZ-6.5, MZ-6.4.2 and SZ-6.6 ask
(`cases.readiness`, a 422 naming the clause), and facts of other services (a safety grade with
interventions, a signed plan, an approved closure, a full-closure assessment) move it by
themselves, up SZ-6.1's ladder as far as those rules allow, each move naming its cause. All data
synthetic."""

from datetime import UTC, date, datetime, timedelta

import pytest

from events.domain import Refused
from intake.domain import closing
from intake.domain.cases import (
    AUTOMATIC,
    Case,
    ChangeStatus,
    Learn,
    Status,
    apply,
    change_status,
    learn,
    readiness,
    then_moves_due,
)
from intake.domain.events import (
    CaseStatusChanged,
    ClosingWork,
    FollowupMethod,
    InitialStatement,
    InitialStatementRecorded,
    MilestoneLearnt,
    ServiceReport,
    TeamAssigned,
    VisitRecorded,
)

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)
CLOSURE = "assessment.closure.recorded"
GRADED = "assessment.safety.risk_graded"
SZ65_WORK = {ClosingWork.EFFECT_SUMMARY, ClosingWork.ENDING_NOTICE, ClosingWork.CLOSING_RECORD}
REPORTED = frozenset(
    {ClosingWork.EFFECT_SUMMARY, ClosingWork.CLOSING_RECORD, ClosingWork.SERVICE_REPORT}
)


def opened() -> Case:
    return Case(case_id="case-1", organisation="org-a", child_id="child-1", report_ids=("r-1",))


def investigated(status: Status = Status.OPEN) -> Case:
    """A team, a first visit and the initial statement (MZ-6.2.2, SZ-6.2.1)."""
    return opened().model_copy(
        update={"team": ("w-1", "w-2"), "visits": 1, "statement_recorded": True, "status": status}
    )


def move(case: Case, to: Status, cause: str | None = None) -> list:
    command = ChangeStatus(case_id=case.case_id, to=to, at=NOW, by="s-1", cause=cause)
    return change_status(command, case)


def codes(refused: pytest.ExceptionInfo[Refused]) -> list[tuple[str, str]]:
    return [(v.code, v.rule) for v in refused.value.violations]


def fact(name: str, target: Status | None, counts: frozenset = frozenset(), fid: str = "e-1"):
    return Learn(
        case_id="case-1",
        fact=name,
        fact_id=fid,
        occurred_at=NOW,
        target=target,
        counts_as=counts,
        rule="JX-7.5",
        at=NOW,
    )


def _fold(case: Case, events: list) -> Case:
    return apply(case, events)


# --- item 2: refused without what the standards ask ---------------------------------------


@pytest.mark.parametrize("to", [Status.IN_SERVICE, Status.CLOSING])
def test_service_or_closing_without_team_visit_and_statement_is_refused_naming_the_clauses(to):
    """MZ-6.2.2 (a team), SZ-6.2.1 (the first visit, the initial statement)."""
    with pytest.raises(Refused) as refused:
        move(opened(), to)
    assert refused.value.status == 422 and refused.value.rule == "MZ-6.2.2"
    assert codes(refused) == [
        ("team_missing", "MZ-6.2.2"),
        ("first_visit_missing", "SZ-6.2.1"),
        ("initial_statement_missing", "SZ-6.2.1"),
    ]


def test_follow_up_without_the_closing_work_is_refused_naming_sz_6_5_mz_6_4_2_and_sz_6_6():
    with pytest.raises(Refused) as refused:
        move(investigated(Status.CLOSING), Status.FOLLOW_UP)
    assert refused.value.status == 422 and refused.value.rule == "SZ-6.5"
    assert codes(refused) == [
        ("effect_summary_missing", "SZ-6.5"),
        ("ending_notice_missing", "SZ-6.5"),
        ("closing_record_missing", "SZ-6.5"),
        ("service_report_missing", "MZ-6.4.2"),
        ("followup_missing", "SZ-6.6"),
    ]


def test_follow_up_straight_from_service_needs_the_same_closing_work():
    with pytest.raises(Refused) as refused:
        move(investigated(Status.IN_SERVICE), Status.FOLLOW_UP)
    assert refused.value.rule == "SZ-6.5"


def test_with_the_closing_work_and_a_follow_up_scheduled_the_case_goes_to_follow_up():
    work = frozenset({*SZ65_WORK, ClosingWork.SERVICE_REPORT, ClosingWork.FOLLOWUP_PLANNED})
    case = investigated(Status.CLOSING).model_copy(update={"closing_work": work})
    [moved] = move(case, Status.FOLLOW_UP)
    assert moved.to_status == "follow_up" and moved.rule == "SZ-6.6"


def test_closed_only_after_a_follow_up_and_an_assessment_finding_full_closure_met():
    """SZ-6.6: 1-2 follow-ups within 6 months, full closure only after the assessment."""
    case = investigated(Status.FOLLOW_UP)
    with pytest.raises(Refused) as refused:
        move(case, Status.CLOSED)
    assert codes(refused) == [
        ("followup_not_done", "SZ-6.6"),
        ("full_closure_not_assessed", "SZ-6.6"),
    ]
    done = case.model_copy(
        update={"closing_work": frozenset({ClosingWork.FOLLOWUP_DONE, ClosingWork.FULL_CLOSURE})}
    )
    [moved] = move(done, Status.CLOSED)
    assert moved.to_status == "closed"


def test_a_transfer_needs_nothing_more_a_case_is_referred_at_any_time():
    """M-2 (JX-7.1.2): referral at intake or at any time."""
    assert readiness(opened(), Status.TRANSFERRED) == []
    [moved] = move(opened(), Status.TRANSFERRED)
    assert moved.to_status == "transferred"


def test_a_move_the_table_forbids_is_still_a_409_before_readiness():
    with pytest.raises(Refused) as refused:
        move(opened(), Status.CLOSED)
    assert refused.value.status == 409 and refused.value.state == "open"


# --- item 1: facts of other services move the case --------------------------------------


def test_an_approved_closure_of_an_open_ready_case_climbs_to_follow_up_naming_its_cause():
    """JX-7.5: the approved closure stands for the summary, the closing record and the service
    report; the notice and the follow-up plan were recorded here (SZ-6.5, SZ-6.6)."""
    work = frozenset({ClosingWork.ENDING_NOTICE, ClosingWork.FOLLOWUP_PLANNED})
    case = investigated().model_copy(update={"closing_work": work})
    events = learn(fact(CLOSURE, Status.FOLLOW_UP, REPORTED), case)
    assert isinstance(events[0], MilestoneLearnt) and events[0].fact_id == "e-1"
    moves = [(e.from_status, e.to_status, e.cause, e.changed_by) for e in events[1:]]
    assert moves == [
        ("open", "in_service", CLOSURE, AUTOMATIC),
        ("in_service", "closing", CLOSURE, AUTOMATIC),
        ("closing", "follow_up", CLOSURE, AUTOMATIC),
    ]
    assert _fold(case, events).status == Status.FOLLOW_UP


def test_an_approved_closure_without_the_notice_stops_at_closing_and_moves_on_once_recorded():
    case = investigated(Status.IN_SERVICE)
    events = learn(fact(CLOSURE, Status.FOLLOW_UP, REPORTED), case)
    assert [e.to_status for e in events[1:]] == ["closing"]
    waiting = _fold(case, events)
    assert waiting.status == Status.CLOSING and waiting.pending == Status.FOLLOW_UP
    assert [v.code for v in readiness(waiting, Status.FOLLOW_UP)] == [
        "ending_notice_missing",
        "followup_missing",
    ]
    notice = closing.give_ending_notice(
        closing.GiveEndingNotice(
            case_id="case-1",
            told=["合成儿童", "合成监护人"],
            contact="合成：机构热线",
            told_at=NOW - timedelta(days=10),
            ends_on=date(2026, 3, 1),
            recorded_by="w-1",
            now=NOW,
        ),
        waiting,
    )
    assert then_moves_due(waiting, notice, NOW) == notice  # the follow-up plan is still missing
    after_notice = _fold(waiting, notice)
    plan = closing.plan_followup(
        closing.PlanFollowup(
            case_id="case-1",
            followup_id="f-1",
            planned_on=date(2026, 5, 1),
            method=FollowupMethod.HOME_VISIT,
            recorded_by="w-1",
            now=NOW,
        ),
        after_notice,
    )
    [planned, moved] = then_moves_due(after_notice, plan, NOW)
    assert planned == plan[0]
    assert (moved.from_status, moved.to_status, moved.cause) == ("closing", "follow_up", CLOSURE)


def test_a_safety_grade_before_the_statement_waits_and_the_statement_moves_the_case():
    """SZ-6.3/6.4.1: the grade's interventions are service; SZ-6.2.1 asks the statement first."""
    case = opened().model_copy(update={"team": ("w-1", "w-2"), "visits": 1})
    [learnt] = learn(fact(GRADED, Status.IN_SERVICE), case)
    waiting = _fold(case, [learnt])
    assert waiting.status == Status.OPEN and waiting.pending == Status.IN_SERVICE
    statement = InitialStatementRecorded(
        case_id="case-1",
        organisation="org-a",
        child_id="child-1",
        report_ids=["r-1"],
        stated_at=NOW,
        statement=InitialStatement(
            basic_info="合成", situation="合成", needs="合成", next_steps="合成"
        ),
        recorded_by="w-1",
        rule="SZ-6.2.1",
    )
    [_, moved] = then_moves_due(waiting, [statement], NOW)
    assert (moved.to_status, moved.cause, moved.changed_by) == ("in_service", GRADED, AUTOMATIC)


def test_a_fact_that_tells_nothing_new_records_nothing():
    case = investigated(Status.IN_SERVICE)
    assert learn(fact(GRADED, Status.IN_SERVICE), case) == []  # already in service
    case = case.model_copy(update={"status": Status.CLOSED})
    assert learn(fact(CLOSURE, Status.FOLLOW_UP, REPORTED), case) == []  # no longer active


def test_a_task_of_the_grade_counts_once_the_second_is_no_news():
    case = investigated().model_copy(update={"statement_recorded": False})
    first = learn(fact("assessment.task.set", Status.IN_SERVICE), case)
    assert len(first) == 1
    assert (
        learn(fact("assessment.task.set", Status.IN_SERVICE, fid="e-2"), _fold(case, first)) == []
    )


def test_a_person_sending_the_case_back_to_service_drops_what_the_closure_called_for():
    case = investigated(Status.IN_SERVICE)
    waiting = _fold(case, learn(fact(CLOSURE, Status.FOLLOW_UP, REPORTED), case))
    assert waiting.status == Status.CLOSING and waiting.pending == Status.FOLLOW_UP
    back = _fold(waiting, move(waiting, Status.IN_SERVICE))
    assert back.status == Status.IN_SERVICE and back.pending is None


def test_full_closure_assessed_by_assessment_closes_a_followed_up_case():
    work = frozenset({*SZ65_WORK, ClosingWork.SERVICE_REPORT, ClosingWork.FOLLOWUP_DONE})
    case = investigated(Status.FOLLOW_UP).model_copy(update={"closing_work": work})
    fully = fact(
        "assessment.closure.fully_closed", Status.CLOSED, frozenset({ClosingWork.FULL_CLOSURE})
    )
    events = learn(fully, case)
    assert [(e.to_status, e.cause) for e in events[1:]] == [("closed", fully.fact)]


# --- the closing work's own rules ----------------------------------------------------------


def test_the_ending_is_told_in_advance_with_a_way_to_ask_for_new_help():
    """SZ-6.5 (解除工作关系): told ahead of the day, and how to reach the service agreed."""
    command = closing.GiveEndingNotice(
        case_id="case-1",
        told=["合成监护人"],
        told_at=NOW,
        ends_on=NOW.date(),
        contact="合成：机构热线",
        recorded_by="w",
        now=NOW,
    )
    with pytest.raises(Refused) as refused:
        closing.give_ending_notice(command, investigated(Status.CLOSING))
    assert codes(refused) == [("notice_not_in_advance", "SZ-6.5")]
    ahead = command.model_copy(update={"ends_on": date(2026, 3, 20), "contact": None})
    with pytest.raises(Refused) as refused:
        closing.give_ending_notice(ahead, investigated(Status.CLOSING))
    assert codes(refused) == [("notice_without_contact", "SZ-6.5")]


@pytest.mark.parametrize("planned_on", [date(2026, 3, 1), date(2026, 9, 3)])
def test_a_follow_up_is_planned_from_today_to_six_months_ahead(planned_on):
    command = closing.PlanFollowup(
        case_id="case-1",
        followup_id="f",
        planned_on=planned_on,
        method=FollowupMethod.PHONE,
        recorded_by="w",
        now=NOW,
    )
    with pytest.raises(Refused) as refused:
        closing.plan_followup(command, investigated(Status.CLOSING))
    assert codes(refused) == [("followup_out_of_window", "SZ-6.6")]
    assert closing.months_after(date(2026, 8, 31), 6) == date(2027, 2, 28)


def test_a_follow_up_is_done_after_closure_and_full_closure_assessed_after_a_follow_up():
    followup = closing.RecordFollowup(
        case_id="case-1",
        followup_id="f",
        followed_up_at=NOW,
        method=FollowupMethod.PHONE,
        recorded_by="w",
        now=NOW,
    )
    with pytest.raises(Refused) as refused:
        closing.record_followup(followup, investigated(Status.CLOSING))
    assert refused.value.status == 409 and refused.value.state == "closing"
    assess = closing.AssessFullClosure(
        case_id="case-1", assessed_at=NOW, conditions_met=True, recorded_by="w", now=NOW
    )
    with pytest.raises(Refused) as refused:
        closing.assess_full_closure(assess, investigated(Status.FOLLOW_UP))
    assert codes(refused) == [("followup_not_done", "SZ-6.6")]
    followed = investigated(Status.FOLLOW_UP)
    followed = _fold(followed, closing.record_followup(followup, followed))
    assert followed.followups_done == 1
    [assessed] = closing.assess_full_closure(assess, followed)
    assert _fold(followed, [assessed]).closing_work >= {ClosingWork.FULL_CLOSURE}


def test_the_state_folds_the_team_visit_statement_and_the_service_report():
    team = TeamAssigned(
        case_id="case-1",
        organisation="org-a",
        child_id="child-1",
        worker_ids=["w-1", "w-2"],
        assigned_on=NOW.date(),
        assigned_by="s",
        rule="MZ-6.2.2",
    )
    visit = VisitRecorded(
        case_id="case-1",
        organisation="org-a",
        child_id="child-1",
        report_ids=["r-1"],
        visit_id="v",
        visited_at=NOW,
        worker_ids=["w-1", "w-2"],
        guardian_present=True,
        guardian_informed=True,
        first_visit=True,
        place=None,
        notes=None,
        recorded_by="w-1",
        rule="JX-7.3",
    )
    report = closing.record_service_report(
        closing.RecordServiceReport(
            case_id="case-1",
            reported_at=NOW,
            report=ServiceReport(
                goals_achieved="合成",
                plan_implementation="合成",
                effect_evaluation="合成",
                reflection="合成",
                opinions_heard="合成",
            ),
            recorded_by="w-1",
            now=NOW,
        ),
        opened(),
    )
    state = _fold(opened(), [team, visit, *report])
    assert state.team == ("w-1", "w-2") and state.visits == 1
    assert state.closing_work == {ClosingWork.SERVICE_REPORT}
    assert isinstance(move(investigated(), Status.IN_SERVICE)[0], CaseStatusChanged)
