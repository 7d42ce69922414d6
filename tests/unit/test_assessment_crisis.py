"""Issue 14 item 16, M-11 (JX-7.6.1): a crisis is recorded as events with what was done and the
rule; what the conditions found require and is not done yet stays outstanding. Pure. All data
synthetic."""

from datetime import UTC, datetime, timedelta

import pytest

from assessment.domain import crisis as cr
from assessment.domain.events import CrisisActionRecorded, CrisisRecorded
from assessment.domain.rulebook import domain_rule_of
from events.domain import Conflict, Refused

CASE = "case-synthetic-crisis"
AT = datetime(2025, 6, 3, 20, 0, tzinfo=UTC)


def action(code: str, after: int = 1, **kw) -> cr.CrisisAction:
    return cr.CrisisAction(code=code, done_at=AT + timedelta(minutes=after), **kw)


def record(conditions: tuple[str, ...], *done: cr.CrisisAction, state=None) -> list:
    command = cr.RecordCrisis(
        case_id=CASE,
        crisis_id="crisis-1",
        organisation="org-synthetic-a",
        detected_at=AT,
        conditions=conditions,
        actions=done,
        recorded_by="w-synthetic-f1",
        summary="合成：儿童表达轻生念头。",
    )
    return cr.record_crisis(command, state or cr.Crises(case_id=CASE))


def folded(events: list) -> cr.Crises:
    return cr.fold(CASE, events)


def test_a_crisis_is_recorded_with_what_was_done_naming_m11():
    events = record(("danger_to_life",), action("reported_to_entrustor"))
    recorded, done = events
    assert isinstance(recorded, CrisisRecorded) and isinstance(done, CrisisActionRecorded)
    assert recorded.rule == done.rule == cr.RULE == "JX-7.6.1"
    assert set(recorded.required) == {
        "safety_assessment_started",
        "reported_to_entrustor",
        "emergency_plan_started",
        "frequency_raised",
        "reliable_carer_present",
    }
    crisis = folded(events).crises["crisis-1"]
    assert "reported_to_entrustor" not in crisis.outstanding
    assert "frequency_raised" in crisis.outstanding


@pytest.mark.parametrize(
    ("condition", "required"),
    [
        ("unsafe_environment", "placement_started"),
        ("beyond_capability", "referral_assisted"),
        ("medical_need", "medical_escort"),
    ],
)
def test_each_condition_of_jx_7_6_1_requires_its_action(condition, required):
    (recorded,) = record((condition,))
    assert {"safety_assessment_started", "reported_to_entrustor", required} == set(
        recorded.required
    )


def test_a_placement_needs_the_support_of_police_procuratorate_court_or_justice():
    with pytest.raises(Refused) as refused:
        record(("unsafe_environment",), action("placement_started"))
    (violation,) = refused.value.violations
    assert (violation.code, violation.rule) == ("placement_without_support", "JX-7.6.1")
    assert domain_rule_of(violation) == "M-11"
    events = record(("unsafe_environment",), action("placement_started", supported_by=("police",)))
    assert events[1].supported_by == ["police"]


def test_an_action_before_the_crisis_was_detected_is_refused():
    with pytest.raises(Refused) as refused:
        record(("danger_to_life",), action("frequency_raised", after=-5))
    assert refused.value.violations[0].code == "action_before_crisis"


def test_a_crisis_without_a_condition_is_refused():
    with pytest.raises(Refused) as refused:
        record(())
    assert refused.value.violations[0].code == "no_crisis_condition"


def test_later_actions_complete_the_crisis_and_a_crisis_is_recorded_once():
    events = record(("beyond_capability",))
    state = folded(events)
    for code in ("safety_assessment_started", "reported_to_entrustor", "referral_assisted"):
        command = cr.RecordAction(
            case_id=CASE, crisis_id="crisis-1", action=action(code), recorded_by="w-synthetic-f1"
        )
        events += cr.record_action(command, state)
        state = folded(events)
    assert state.crises["crisis-1"].outstanding == ()
    with pytest.raises(Conflict):
        record(("danger_to_life",), state=state)


def test_an_action_on_an_unknown_crisis_is_a_conflict():
    command = cr.RecordAction(
        case_id=CASE, crisis_id="nope", action=action("frequency_raised"), recorded_by="w"
    )
    with pytest.raises(Conflict) as refused:
        cr.record_action(command, cr.Crises(case_id=CASE))
    assert refused.value.violations[0].code == "no_such_crisis"
