"""The mental-health service of a case (DOMAIN §6, JX 7.1-7.6, Appendices A-D), rule by rule.
Pure: commands and folded state in, events out; no database, no broker. All data synthetic."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from assessment.domain import mental_health as mh
from assessment.domain import mental_health_rules as mr
from assessment.domain.events import (
    AdjustmentInitiated,
    AgreementSigned,
    ClosureRecorded,
    FeasibilitySubmitted,
    MentalHealthRiskGraded,
    PlanAdjusted,
    ReferralRequired,
    SessionRecorded,
)
from assessment.domain.mental_health_forms import (
    ClientConsent,
    ClosureForm,
    FeasibilityForm,
    PlanForm,
    SessionForm,
)
from events.domain import Conflict, Refused
from events.registry import EventData, registry

CASE = "case-synthetic-mh-1"
ORG = "org-synthetic-a"
WORKER = "w-synthetic-f1"
OTHER_WORKER = "w-synthetic-m1"
SUPERVISOR = "s-synthetic-1"
T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
CONFIRMED = {"by": "guardian", "signed_on": "2025-06-02"}
INSTRUMENT = "SDQ"


def feasibility_form(**changes: Any) -> FeasibilityForm:
    body = {
        "accepted_on": "2025-06-02",
        "intake_measure": {"instrument": INSTRUMENT, "measured_on": "2025-05-30"},
        "problem_type": "anxiety",
        "client_confirmation": CONFIRMED,
        "text": {
            "family_situation": "合成：与祖母同住。",
            "individual_overview": "合成：身体健康，成绩中等。",
            "interview_findings": "合成：情绪低落，愿意交流。",
            "main_problems": "合成：考试焦虑。",
            "problems_to_solve": "合成：缓解焦虑。",
        },
    }
    return FeasibilityForm.model_validate({**body, **changes})


def plan_form(sessions: int = 6, **changes: Any) -> PlanForm:
    body = {
        "problem_type": "anxiety",
        "planned_sessions": sessions,
        "starts_on": "2025-06-09",
        "ends_on": "2025-09-30",
        "consent": CONFIRMED,
        "text": {"background": "合成背景", "cause_analysis": "合成分析", "solution": "合成方案"},
    }
    return PlanForm.model_validate({**body, **changes})


def session_form(start: datetime, minutes: int = 60, **changes: Any) -> SessionForm:
    body = {
        "started_at": start,
        "ended_at": start + timedelta(minutes=minutes),
        "worker_ids": [WORKER],
        "text": {
            "place": "合成：社区服务站",
            "goal": "合成目标",
            "theory": "认知行为疗法",
            "process": "合成过程",
            "effect": "合成效果",
            "reflection": "合成反思",
        },
    }
    return SessionForm.model_validate({**body, **changes})


def closure_form(**changes: Any) -> ClosureForm:
    body = {
        "reason": "goals_met",
        "final_measure": {"instrument": INSTRUMENT, "measured_on": "2025-09-28"},
        "goals": [{"code": "anxiety-down", "achieved": True}],
        "client_satisfaction": 5,
        "client_cooperation": "good",
        "client_confirmation": CONFIRMED,
        "text": {"summary": "合成总结", "change": "合成改变", "reflection": "合成反思"},
    }
    return ClosureForm.model_validate({**body, **changes})


# --- building a case through its own rules -----------------------------------------------------


def apply(case: mh.MentalHealthCase, events: list[EventData]) -> mh.MentalHealthCase:
    for event in events:
        case = mh.evolve(case, event)
    return case


def graded(level: str = "medium", designated_by: str | None = None, **kw: Any) -> list[EventData]:
    command = mh.GradeRisk(
        case_id=CASE,
        grading_id="grading-1",
        organisation=ORG,
        risk_level=level,
        instrument=INSTRUMENT,
        assessed_at=T0,
        graded_by=WORKER,
        designated_by=designated_by,
        **kw,
    )
    return mh.grade_risk(command, mh.MentalHealthCase(case_id=CASE))


def submit_feasibility(case: mh.MentalHealthCase, open_cases: int = 0, **form: Any) -> Any:
    command = mh.SubmitFeasibility(
        case_id=CASE,
        item_id="feasibility-1",
        organisation=ORG,
        worker_id=WORKER,
        submitted_by=WORKER,
        submitted_at=T0,
        form=feasibility_form(**form),
    )
    return mh.submit_feasibility(command, case, open_cases)


def approve(case: mh.MentalHealthCase, by: str = SUPERVISOR, **kw: Any) -> list[EventData]:
    assert case.pending is not None
    command = mh.Review(
        case_id=CASE,
        item_id=case.pending.item_id,
        decision=kw.pop("decision", "approve"),
        reviewed_by=by,
        reviewed_at=T0 + timedelta(hours=1),
        **kw,
    )
    return mh.review(command, case)


def submit_plan(case: mh.MentalHealthCase, form: PlanForm, item: str = "plan-1") -> Any:
    command = mh.SubmitPlan(
        case_id=CASE,
        item_id=item,
        organisation=ORG,
        submitted_by=WORKER,
        submitted_at=T0,
        form=form,
    )
    return mh.submit_plan(command, case)


def assessed(level: str = "medium", **grade: Any) -> mh.MentalHealthCase:
    """Graded, assessed, reviewed and filed with the entrustor (M-3): ready for a plan."""
    case = apply(mh.MentalHealthCase(case_id=CASE), graded(level, **grade))
    case = apply(case, submit_feasibility(case))
    case = apply(case, approve(case))
    return apply(case, filed(case))


def filed(case: mh.MentalHealthCase) -> list[EventData]:
    """M-3 (JX-7.1.3): the reviewed assessment filed with the entrustor."""
    command = mh.FileFeasibility(
        case_id=CASE, entrustor="合成市民政局", filed_by=SUPERVISOR, filed_at=T0
    )
    return mh.file_feasibility(command, case)


def in_service(level: str = "medium", sessions: int = 6) -> mh.MentalHealthCase:
    case = assessed(level)
    case = apply(case, submit_plan(case, plan_form(sessions)))
    return apply(case, approve(case))


def record(case: mh.MentalHealthCase, n: int = 1, **form: Any) -> mh.MentalHealthCase:
    for i in range(n):
        start = T0 + timedelta(days=7 * (len(case.sessions) + 1))
        command = mh.RecordSession(
            case_id=CASE,
            session_id=f"session-{i}-{len(case.sessions)}",
            recorded_by=WORKER,
            form=session_form(start, **form),
        )
        case = apply(case, mh.record_session(command, case))
    return case


def refusal(call: Any, *args: Any, **kwargs: Any) -> tuple[type, list[str], str]:
    with pytest.raises(Refused) as refused:
        call(*args, **kwargs)
    return type(refused.value), [v.code for v in refused.value.violations], refused.value.rule


# --- M-1, M-2: risk grading --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "designated_by", "subject"),
    [
        ("normal", None, False),
        ("low", None, False),
        ("medium", None, True),
        ("high", None, True),
        ("low", "合成县民政局", True),
    ],
)
def test_service_subjects_are_medium_or_high_risk_or_designated(level, designated_by, subject):
    [event] = graded(level, designated_by)
    assert isinstance(event, MentalHealthRiskGraded)
    assert (event.risk_level, event.service_subject) == (level, subject)


@pytest.mark.parametrize(
    "triggers",
    [("danger_to_life",), ("psychotic_or_personality_disorder",), ("beyond_capability",)],
)
def test_each_m2_condition_at_grading_requires_a_referral(triggers):
    events = graded("high", referral_triggers=triggers)
    [_, required] = events
    assert isinstance(required, ReferralRequired)
    assert (required.triggers, required.rule, required.raised_by) == (
        list(triggers),
        "JX-7.1.2",
        "risk_grading",
    )


def test_a_grade_without_an_m2_condition_requires_no_referral():
    assert [type(e) for e in graded("high")] == [MentalHealthRiskGraded]


@pytest.mark.parametrize(
    ("risk", "minimum"), [(None, 6), ("normal", 6), ("low", 6), ("medium", 6), ("high", 12)]
)
def test_the_minimum_number_of_sessions_follows_the_risk_level(risk, minimum):
    assert mh.minimum_sessions(risk) == minimum


# --- M-3, M-6: feasibility and caseload ----------------------------------------------------------


def test_a_feasibility_assessment_puts_the_case_on_the_workers_caseload_awaiting_review():
    case = apply(
        mh.MentalHealthCase(case_id=CASE), submit_feasibility(mh.MentalHealthCase(case_id=CASE))
    )
    assert (case.phase, case.worker_id, case.intake_instrument) == ("assessing", WORKER, "SDQ")
    assert case.pending is not None and case.pending.kind == "feasibility"


@pytest.mark.parametrize(("open_cases", "allowed"), [(0, True), (7, True), (8, False), (9, False)])
def test_a_worker_holds_at_most_eight_open_cases(open_cases, allowed):
    case = mh.MentalHealthCase(case_id=CASE)
    if allowed:
        assert submit_feasibility(case, open_cases)
        return
    kind, codes, rule = refusal(submit_feasibility, case, open_cases)
    assert (kind, codes, rule) == (Conflict, ["caseload_full"], "JX-7.3")
    assert mr.DOMAIN_RULE_BY_CODE["caseload_full"] == "M-6"


def test_an_m2_condition_in_the_feasibility_assessment_concludes_refer():
    case = mh.MentalHealthCase(case_id=CASE)
    submitted, required = submit_feasibility(case, referral_triggers=["danger_to_life"])
    assert isinstance(submitted, FeasibilitySubmitted) and submitted.conclusion == "refer"
    assert isinstance(required, ReferralRequired) and required.raised_by == "feasibility"


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"client_confirmation": None}, "client_confirmation_missing"),
        ({"emergency": True}, "emergency_undescribed"),
    ],
)
def test_an_incomplete_feasibility_form_is_refused(form, code):
    kind, codes, rule = refusal(submit_feasibility, mh.MentalHealthCase(case_id=CASE), 0, **form)
    assert (kind, codes, rule) == (Refused, [code], "JX-7.1.1")


# --- supervisor review ----------------------------------------------------------------------------


def test_a_supervisor_may_return_an_assessment_with_comments_and_the_worker_resubmits():
    case = apply(mh.MentalHealthCase(case_id=CASE), graded())
    case = apply(case, submit_feasibility(case))
    case = apply(case, approve(case, decision="return", comments="合成：补充家庭情况"))
    assert case.pending is not None and case.pending.returned and case.phase == "assessing"
    case = apply(case, submit_feasibility(case))
    case = apply(case, approve(case))
    assert (case.phase, case.pending) == ("assessed", None)


def test_returning_without_comments_is_refused():
    case = apply(
        mh.MentalHealthCase(case_id=CASE), submit_feasibility(mh.MentalHealthCase(case_id=CASE))
    )
    assert refusal(approve, case, SUPERVISOR, decision="return")[1] == ["comments_missing"]


def test_no_one_reviews_their_own_submission():
    case = apply(
        mh.MentalHealthCase(case_id=CASE), submit_feasibility(mh.MentalHealthCase(case_id=CASE))
    )
    assert refusal(approve, case, WORKER)[1:] == (["own_submission"], "JX-7.1.3")


def test_reviewing_an_item_that_is_not_pending_is_a_conflict():
    with pytest.raises(Conflict):
        approve_id(assessed(), "feasibility-1")


def approve_id(case: mh.MentalHealthCase, item: str) -> list[EventData]:
    command = mh.Review(
        case_id=CASE, item_id=item, decision="approve", reviewed_by=SUPERVISOR, reviewed_at=T0
    )
    return mh.review(command, case)


# --- M-4, M-7: plans ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "sessions", "codes", "rule"),
    [
        ("medium", 5, ["too_few_sessions"], "JX-7.2.1"),
        ("high", 5, ["too_few_sessions"], "JX-7.2.1"),
        ("high", 11, ["below_risk_minimum"], "JX-7.3"),
    ],
)
def test_a_plan_below_the_minimum_number_of_sessions_is_refused(level, sessions, codes, rule):
    kind, found, clause = refusal(submit_plan, assessed(level), plan_form(sessions))
    assert (kind, found, clause) == (Refused, codes, rule)


@pytest.mark.parametrize(("level", "sessions"), [("medium", 6), ("high", 12), ("high", 20)])
def test_a_plan_at_or_above_the_minimum_is_accepted(level, sessions):
    assert submit_plan(assessed(level), plan_form(sessions))


@pytest.mark.parametrize(
    ("changes", "code", "rule"),
    [
        ({"consent": None}, "consent_missing", "JX-7.2.3"),
        ({"session_minutes": 45}, "session_length", "JX-7.3"),
        ({"session_minutes": 150}, "session_length", "JX-7.3"),
        ({"frequency": "monthly"}, "first_plan_not_weekly", "JX-7.3"),
        ({"ends_on": "2025-06-01"}, "period_reversed", "JX-7.2.1"),
    ],
)
def test_a_plan_breaking_a_rule_is_refused_naming_its_clause(changes, code, rule):
    _, codes, clause = refusal(submit_plan, assessed(), plan_form(6, **changes))
    assert (codes, clause) == ([code], rule)


def test_a_low_risk_child_not_designated_is_not_a_subject_of_the_service():
    assert refusal(submit_plan, assessed("low"), plan_form())[1:] == (
        ["not_a_service_subject"],
        "JX-5.1",
    )


def test_a_low_risk_child_designated_by_the_department_may_be_served():
    assert submit_plan(assessed("low", designated_by="合成县民政局"), plan_form())


def test_no_plan_is_agreed_while_a_referral_is_required():
    case = assessed("high", referral_triggers=("beyond_capability",))
    assert "referral_required" in refusal(submit_plan, case, plan_form(12))[1]


def test_a_plan_before_the_feasibility_assessment_is_approved_is_a_conflict():
    case = apply(mh.MentalHealthCase(case_id=CASE), graded())
    assert refusal(submit_plan, case, plan_form())[0] is Conflict


def test_the_supervisors_approval_signs_the_agreement_with_the_risk_level():
    case = assessed("high")
    case = apply(case, submit_plan(case, plan_form(12)))
    [signed] = approve(case)
    assert isinstance(signed, AgreementSigned)
    assert (signed.case_id, signed.risk_level, signed.planned_sessions) == (CASE, "high", 12)
    assert (signed.minimum_sessions, signed.worker_id, signed.frequency) == (12, WORKER, "weekly")
    assert apply(case, [signed]).phase == "in_service"


def test_a_regrade_to_high_before_approval_refuses_a_six_session_plan():
    case = assessed("medium")
    case = apply(case, submit_plan(case, plan_form(6)))
    case = apply(case, graded("high"))
    assert refusal(approve, case)[1] == ["below_risk_minimum"]


# --- M-7: sessions -----------------------------------------------------------------------------


def test_a_session_is_numbered_and_counted_against_the_plan():
    case = record(in_service(), 2)
    assert [s.number for s in case.sessions] == [1, 2]


@pytest.mark.parametrize(("minutes", "ok"), [(59, False), (60, True), (120, True), (121, False)])
def test_a_session_lasts_one_to_two_hours(minutes, ok):
    if ok:
        assert record(in_service(), 1, minutes=minutes).sessions
        return
    command = mh.RecordSession(
        case_id=CASE,
        session_id="s",
        recorded_by=WORKER,
        form=session_form(T0 + timedelta(days=7), minutes),
    )
    assert refusal(mh.record_session, command, in_service())[1:] == (["session_length"], "JX-7.3")


@pytest.mark.parametrize(
    ("form", "codes"),
    [
        ({"worker_ids": [OTHER_WORKER]}, ["not_the_case_worker"]),
        (
            {"home_visit": True, "guardian_present": False},
            ["home_visit_alone", "guardian_not_informed"],
        ),
        (
            {"home_visit": True, "guardian_present": False, "worker_ids": [WORKER, OTHER_WORKER]},
            ["guardian_not_informed"],
        ),
    ],
)
def test_a_session_breaking_a_rule_of_jx_7_3_is_refused(form, codes):
    command = mh.RecordSession(
        case_id=CASE,
        session_id="s",
        recorded_by=WORKER,
        form=session_form(T0 + timedelta(days=7), **form),
    )
    assert refusal(mh.record_session, command, in_service())[1] == codes


def test_a_home_visit_with_the_guardian_away_is_fine_with_two_workers_and_the_guardian_told():
    form = {
        "home_visit": True,
        "guardian_present": False,
        "guardian_informed": True,
        "worker_ids": [WORKER, OTHER_WORKER],
    }
    assert record(in_service(), 1, **form).sessions


def test_no_session_is_recorded_before_the_agreement():
    command = mh.RecordSession(
        case_id=CASE, session_id="s", recorded_by=WORKER, form=session_form(T0)
    )
    assert refusal(mh.record_session, command, assessed())[0] is Conflict


def test_the_session_event_carries_what_notify_needs():
    command = mh.RecordSession(
        case_id=CASE, session_id="s", recorded_by=WORKER, form=session_form(T0)
    )
    [event] = mh.record_session(command, in_service())
    assert isinstance(event, SessionRecorded)
    assert (event.case_id, event.number, event.minutes) == (CASE, 1, 60)


# --- M-6: change of worker ----------------------------------------------------------------------


def change(consent: ClientConsent | None, open_cases: int = 0, to: str = OTHER_WORKER) -> Any:
    command = mh.ChangeWorker(
        case_id=CASE, to_worker=to, consent=consent, changed_by=SUPERVISOR, changed_at=T0
    )
    return mh.change_worker(command, in_service(), open_cases)


CONSENT = ClientConsent(given=True, by="client", recorded_at=T0)


def test_a_worker_change_with_the_clients_consent_moves_the_case():
    [event] = change(CONSENT)
    assert (event.from_worker, event.to_worker) == (WORKER, OTHER_WORKER)
    assert apply(in_service(), [event]).worker_id == OTHER_WORKER


@pytest.mark.parametrize(
    "consent", [None, ClientConsent(given=False, by="guardian", recorded_at=T0)]
)
def test_a_worker_change_without_consent_is_refused(consent):
    kind, codes, rule = refusal(change, consent)
    assert (kind, codes, rule) == (Refused, ["client_consent_missing"], "JX-7.3")
    assert mr.DOMAIN_RULE_BY_CODE["client_consent_missing"] == "M-6"


def test_a_worker_change_to_a_worker_with_a_full_caseload_is_a_conflict():
    assert refusal(change, CONSENT, 8)[:2] == (Conflict, ["caseload_full"])


def test_changing_to_the_same_worker_is_refused():
    assert refusal(change, CONSENT, 0, WORKER)[1] == ["same_worker"]


# --- M-9: client requests; M-4: adjustments -----------------------------------------------------


def request(case: mh.MentalHealthCase, kind: str = "change") -> mh.MentalHealthCase:
    received = mh.ReceiveClientRequest(
        case_id=CASE, request_id="request-1", kind=kind, received_at=T0, received_by=WORKER
    )
    return apply(case, mh.receive_client_request(received, case))


def report(case: mh.MentalHealthCase) -> mh.MentalHealthCase:
    reported = mh.ReportClientRequest(
        case_id=CASE, request_id="request-1", reported_at=T0, reported_by=WORKER
    )
    return apply(case, mh.report_client_request(reported, case))


def codes_due(case: mh.MentalHealthCase) -> list[str]:
    return [item.code for item in mh.next_due(case)]


def test_a_client_request_is_due_for_report_within_two_working_days_then_adjustment():
    case = request(in_service())
    [item] = [i for i in mh.next_due(case) if i.code == "report_client_request"]
    assert (item.within_working_days, item.rule, item.domain_rule) == (2, "JX-7.4.2", "M-9")
    case = report(case)
    assert "adjust_for_client_request" in codes_due(case)


def test_a_request_reported_twice_is_a_conflict():
    with pytest.raises(Conflict):
        report(report(request(in_service())))


def test_a_revised_plan_approved_resolves_the_reported_request_as_adjusted():
    case = report(request(in_service()))
    case = apply(case, submit_plan(case, plan_form(8, frequency="fortnightly"), "plan-2"))
    [adjusted] = approve(case)
    assert isinstance(adjusted, PlanAdjusted) and adjusted.client_request_ids == ["request-1"]
    case = apply(case, [adjusted])
    assert case.plan is not None and case.plan.frequency == "fortnightly"
    assert "adjust_for_client_request" not in codes_due(case)


def test_a_revision_without_an_open_adjustment_is_a_conflict():
    assert refusal(submit_plan, in_service(), plan_form(8), "plan-2")[0] is Conflict


def test_an_adjustment_is_due_within_five_working_days():
    command = mh.InitiateAdjustment(
        case_id=CASE,
        adjustment_id="adj-1",
        reason="worker_decision",
        initiated_by=WORKER,
        initiated_at=T0,
    )
    case = apply(in_service(), mh.initiate_adjustment(command, in_service()))
    [item] = [i for i in mh.next_due(case) if i.code == "adjust_plan"]
    assert (item.within_working_days, item.rule) == (5, "JX-7.2.2")


# --- M-8: mid-term review -------------------------------------------------------------------------


def midterm(case: mh.MentalHealthCase, **kw: Any) -> list[EventData]:
    command = mh.ReviewMidterm(
        case_id=CASE, review_id="mid-1", reviewed_by=SUPERVISOR, reviewed_at=T0, **kw
    )
    return mh.review_midterm(command, case)


@pytest.mark.parametrize(
    ("findings", "code"),
    [
        ({"trend": "deteriorated", "significant_deterioration": True}, "must_refer"),
        ({"trend": "unchanged", "referral_triggers": ("danger_to_life",)}, "must_refer"),
        ({"trend": "unchanged", "expected_effect_unlikely": True}, "must_adjust_or_refer"),
    ],
)
def test_deterioration_or_an_m2_condition_at_midterm_cannot_continue(findings, code):
    with pytest.raises(Refused) as refused:
        midterm(record(in_service(), 3), decision="continue", **findings)
    assert [v.code for v in refused.value.violations] == [code]
    assert refused.value.rule == "JX-7.4.1"


def test_deterioration_at_midterm_refers_at_once():
    events = midterm(
        record(in_service(), 3),
        trend="deteriorated",
        significant_deterioration=True,
        decision="refer",
    )
    required = events[-1]
    assert isinstance(required, ReferralRequired)
    assert (required.triggers, required.rule) == (["significant_deterioration"], "JX-7.4.1")


def test_a_midterm_decision_to_adjust_opens_an_adjustment():
    events = midterm(record(in_service(), 3), trend="unchanged", decision="adjust")
    assert isinstance(events[-1], AdjustmentInitiated)


def test_the_midterm_review_falls_due_at_half_the_planned_sessions():
    assert "midterm_review" not in codes_due(record(in_service(), 2))
    assert "midterm_review" in codes_due(record(in_service(), 3))


# --- M-10: closure and the indicators of §10 -----------------------------------------------------


def submit_closure(case: mh.MentalHealthCase, **form: Any) -> list[EventData]:
    command = mh.SubmitClosure(
        case_id=CASE,
        item_id="closure-1",
        organisation=ORG,
        submitted_by=WORKER,
        submitted_at=T0,
        form=closure_form(**form),
    )
    return mh.submit_closure(command, case)


def test_a_closure_approved_closes_the_case_with_its_indicators():
    case = record(in_service(), 6)
    case = apply(case, submit_closure(case))
    [closed] = approve(case)
    assert isinstance(closed, ClosureRecorded)
    assert (closed.case_id, closed.reason, closed.sessions_done) == (CASE, "goals_met", 6)
    assert closed.indicators.plan_completion_rate == 1.0
    assert closed.indicators.goal_achievement_rate == 1.0
    assert closed.indicators.sessions_on_schedule_rate == 1.0
    assert closed.indicators.same_instrument_as_intake is True
    assert apply(case, [closed]).phase == "closed"
    [follow_up] = mh.next_due(apply(case, [closed]))
    assert (follow_up.code, follow_up.rule, follow_up.domain_rule) == (
        "post_closure_follow_up",
        "SZ-6.6",
        "§5",
    )


@pytest.mark.parametrize(
    ("sessions", "form", "codes", "rule"),
    [
        (
            6,
            {"final_measure": {"instrument": "SCL-90", "measured_on": "2025-09-28"}},
            ["instrument_changed"],
            "JX-7.5.2",
        ),
        (6, {"final_measure": None}, ["final_measure_missing"], "JX-7.5.2"),
        (5, {}, ["too_few_sessions_held"], "JX-7.3"),
        (
            6,
            {"goals": [{"code": "g", "achieved": False}]},
            ["goals_not_met", "unmet_goals_unanalysed"],
            "JX-7.5.1",
        ),
        (6, {"reason": "client_stopped"}, ["no_stop_request"], "JX-7.4.2"),
        (6, {"reason": "referred"}, ["no_referral"], "JX-7.1.2"),
        (6, {"client_confirmation": None}, ["client_confirmation_missing"], "JX-7.5.1"),
    ],
)
def test_a_closure_breaking_a_rule_is_refused(sessions, form, codes, rule):
    case = record(in_service(), sessions)
    with pytest.raises(Refused) as refused:
        submit_closure(case, **form)
    assert [v.code for v in refused.value.violations] == codes
    assert refused.value.rule == rule


def test_an_agreed_end_before_the_minimum_with_unmet_goals_analysed_is_accepted():
    case = record(in_service(), 2)
    text = {
        "summary": "合成",
        "change": "合成",
        "reflection": "合成",
        "unmet_goal_analysis": "合成分析",
        "follow_up": "合成跟进",
    }
    form = {"reason": "agreed_end", "goals": [{"code": "g", "achieved": False}], "text": text}
    [submitted] = submit_closure(case, **form)
    case = apply(case, [submitted])
    [closed] = approve(case)
    assert closed.indicators.plan_completion_rate == round(2 / 6, 4)
    assert closed.indicators.goal_achievement_rate == 0.0


def test_a_client_who_asked_to_stop_may_be_closed_without_a_closing_test():
    case = record(request(in_service(), "stop"), 1)
    assert submit_closure(case, reason="client_stopped", final_measure=None)


def test_a_case_to_be_referred_may_be_closed_as_referred_before_any_plan():
    case = assessed("high", referral_triggers=("danger_to_life",))
    assert submit_closure(case, reason="referred", final_measure=None, client_confirmation=None)


def test_a_closed_case_takes_no_more_commands():
    case = record(in_service(), 6)
    case = apply(case, submit_closure(case))
    case = apply(case, approve(case))
    with pytest.raises(Conflict):
        mh.grade_risk(
            mh.GradeRisk(
                case_id=CASE,
                grading_id="g2",
                organisation=ORG,
                risk_level="low",
                instrument=INSTRUMENT,
                assessed_at=T0,
                graded_by=WORKER,
            ),
            case,
        )


# --- what is due next -------------------------------------------------------------------------


def test_a_high_risk_grade_starts_the_five_working_day_start_item():
    case = apply(mh.MentalHealthCase(case_id=CASE), graded("high"))
    [item] = [i for i in mh.next_due(case) if i.code == "start_service_high_risk"]
    assert (item.within_working_days, item.since, item.domain_rule) == (
        5,
        T0,
        "M-5",
    )  # JX-7.3 start: M-5, not M-7


def test_after_the_agreement_the_service_starts_within_fifteen_working_days():
    assert [
        i.within_working_days for i in mh.next_due(in_service()) if i.code == "start_service"
    ] == [15]


def test_the_next_weekly_session_falls_due_seven_days_after_the_last():
    case = record(in_service(), 1)
    [item] = [i for i in mh.next_due(case) if i.code == "next_session"]
    assert item.due_at == case.sessions[-1].started_at + timedelta(days=7)


def test_closure_falls_due_once_every_planned_session_is_held():
    assert "closure" in codes_due(record(in_service(), 6))


def test_a_pending_item_shows_as_awaiting_the_supervisor():
    case = assessed()
    case = apply(case, submit_plan(case, plan_form()))
    assert codes_due(case)[0] == "supervisor_review_plan"


# --- the event types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "personal"),
    [
        ("assessment.mental_health_assessment.risk_graded.v1", {"notes"}),
        ("assessment.mental_health_assessment.referral_required.v1", set()),
        ("assessment.mental_health_assessment.feasibility_submitted.v1", {"form"}),
        ("assessment.service_plan.submitted.v1", {"form"}),
        ("assessment.service_plan.agreement_signed.v1", {"comments"}),
        ("assessment.service_plan.adjustment_initiated.v1", {"notes"}),
        ("assessment.service_plan.adjusted.v1", {"comments"}),
        ("assessment.service_plan.client_request_received.v1", {"detail"}),
        ("assessment.service_plan.client_request_reported.v1", set()),
        ("assessment.service_plan.worker_changed.v1", {"reason"}),
        ("assessment.session.recorded.v1", {"text"}),
        ("assessment.service_plan.midterm_reviewed.v1", {"findings"}),
        ("assessment.closure.submitted.v1", {"form"}),
        ("assessment.closure.recorded.v1", {"comments"}),
        ("assessment.closure.followup_recorded.v1", {"notes"}),
        ("assessment.closure.fully_closed.v1", {"notes"}),
    ],
)
def test_every_mental_health_event_declares_its_free_text_personal(name, personal):
    assert registry.info(name).personal == frozenset(personal)


def test_every_name_notify_expects_from_assessment_is_an_event_type():
    from notify.domain.clocks import EVENT_CATALOG

    expected = {n for n in EVENT_CATALOG if n.startswith("assessment.")}
    known = {info.name for info in registry.types()}
    assert not expected - known


def test_the_agreement_and_grade_carry_the_case_id_and_risk_level_notify_reads():
    grade = graded("medium")[0].model_dump(mode="json")
    assert {grade["case_id"], grade["risk_level"]} == {CASE, "medium"}
    case = assessed()
    case = apply(case, submit_plan(case, plan_form()))
    signed = approve(case)[0].model_dump(mode="json")
    assert (signed["case_id"], signed["risk_level"]) == (CASE, "medium")
    assert date.fromisoformat(signed["starts_on"]) == date(2025, 6, 9)


# --- the rule table ------------------------------------------------------------------------------


def test_every_clause_the_rules_cite_maps_to_a_rulebook_number():
    clauses = {value for name, value in vars(mr).items() if name.isupper() and _is_clause(value)}
    assert clauses <= set(mr.DOMAIN_RULES)
    assert all(m.startswith(("M-", "§")) for m in mr.DOMAIN_RULES.values())


def _is_clause(value: object) -> bool:
    return isinstance(value, str) and value.startswith("JX-") and value != mr.RULE_SET_ID


def test_every_resolution_cites_a_jx_clause_and_the_words_it_resolves():
    assert len({r.id for r in mr.RESOLUTIONS}) == len(mr.RESOLUTIONS)
    for resolution in mr.RESOLUTIONS:
        assert resolution.clause in mr.DOMAIN_RULES
        assert resolution.text and resolution.source_text


def test_the_numbers_are_the_standards():
    assert (mr.MIN_PLAN_SESSIONS, dict(mr.MIN_SESSIONS_BY_RISK)) == (6, {"medium": 6, "high": 12})
    assert (mr.CASELOAD_CAP, mr.SESSION_MINUTES) == (8, (60, 120))
    assert (mr.START_AFTER_AGREEMENT, dict(mr.START_BY_RISK)) == (15, {"medium": 10, "high": 5})
    assert (mr.REPORT_REQUEST_DAYS, mr.ADJUST_DAYS) == (2, 5)


def test_the_agreement_and_the_closure_name_the_rule_set_they_were_decided_under():
    case = record(in_service(), 6)
    case = apply(case, submit_closure(case))
    [closed] = approve(case)
    assert closed.rule_set == mr.RULE_SET.id == "JX-2025-MH"
    assert mr.RULE_SET.resolutions == mr.RESOLUTIONS


# --- SZ-6.6: follow-up after closure and full closure ----------------------------------------


def closed_case() -> mh.MentalHealthCase:
    case = record(in_service(), 6)
    case = apply(case, submit_closure(case))
    return apply(case, approve(case))


def follow_up(case: mh.MentalHealthCase, after: timedelta) -> list[EventData]:
    assert case.closed_at is not None
    command = mh.RecordFollowUp(
        case_id=CASE,
        followup_id="follow-1",
        method="phone",
        followed_up_at=case.closed_at + after,
        recorded_by=WORKER,
    )
    return mh.record_follow_up(command, case)


def close_fully(case: mh.MentalHealthCase, met: bool = True) -> list[EventData]:
    command = mh.CloseFully(
        case_id=CASE, assessed_by=SUPERVISOR, assessed_at=T0, conditions_met=met
    )
    return mh.close_fully(command, case)


@pytest.mark.parametrize(
    ("after", "within"), [(timedelta(days=30), True), (timedelta(days=200), False)]
)
def test_a_follow_up_records_whether_it_fell_within_six_months_of_closure(after, within):
    [event] = follow_up(closed_case(), after)
    assert (event.number, event.within_window) == (1, within)


def test_no_follow_up_before_the_case_is_closed():
    command = mh.RecordFollowUp(
        case_id=CASE, followup_id="f", method="phone", followed_up_at=T0, recorded_by=WORKER
    )
    with pytest.raises(Conflict):
        mh.record_follow_up(command, in_service())


def test_a_follow_up_dated_before_the_closure_is_refused():
    assert refusal(follow_up, closed_case(), timedelta(days=-1))[1:] == (
        ["before_closure"],
        "SZ-6.6",
    )


def test_full_closure_needs_a_follow_up_and_conditions_met():
    case = closed_case()
    assert refusal(close_fully, case)[1] == ["no_follow_up"]
    case = apply(case, follow_up(case, timedelta(days=30)))
    assert mh.next_due(case)[0].code == "full_closure_assessment"
    assert refusal(close_fully, case, False)[1] == ["conditions_not_met"]
    case = apply(case, close_fully(case))
    assert mh.next_due(case) == []
    with pytest.raises(Conflict):
        close_fully(case)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 8, 31, 9, tzinfo=UTC), datetime(2026, 2, 28, 9, tzinfo=UTC)),
        (datetime(2025, 6, 15, 9, tzinfo=UTC), datetime(2025, 12, 15, 9, tzinfo=UTC)),
        (datetime(2027, 8, 31, 9, tzinfo=UTC), datetime(2028, 2, 29, 9, tzinfo=UTC)),
    ],
)
def test_six_months_after_closure_is_read_off_the_calendar(moment, expected):
    assert mh.add_months(moment, 6) == expected


def test_every_event_that_starts_or_stops_a_notify_clock_names_its_case_in_clear():
    from notify.domain.clocks import CLOCK_TABLE

    names = {
        name
        for rule in CLOCK_TABLE
        for name in (*rule.starts_on, *rule.stopped_by, *rule.satisfied_by)
        if name.startswith("assessment.")
    }
    # a task names its case only (contract with notify, which finds the case's organisation)
    starting = {
        n
        for rule in CLOCK_TABLE
        for n in rule.starts_on
        if n.startswith("assessment.") and n != "assessment.task.set"
    }
    for name in names:
        info = registry.info(f"{name}.v1")
        assert "case_id" in info.model.model_fields and "case_id" not in info.personal, name
        if name in starting:
            assert "organisation" in info.model.model_fields, name
