"""Issue 14 item 3: assessment accepts work on a case only in a status of intake's that allows
it (SZ-6.5 closing, SZ-6.6 follow-up; closed SZ-6.6, transferred JX-6.2.1, handed over
JX-9.4.2 take none). Pure. All data synthetic."""

import pytest

from assessment.domain.case_status import FINAL, WORK, may_work
from assessment.domain.rulebook import domain_rule_of
from events.domain import Conflict

ACTIVE = ("open", "in_service")


@pytest.mark.parametrize("status", ACTIVE)
@pytest.mark.parametrize("work", sorted(WORK))
def test_an_open_or_served_case_takes_every_kind_of_work(status, work):
    assert may_work(status, work).rule in ("SZ-6.2.1", "SZ-6.4")


@pytest.mark.parametrize(
    ("status", "rule", "domain_rule"),
    [
        ("closed", "SZ-6.6", "§5"),
        ("transferred", "JX-6.2.1", "§9"),
        ("handed_over", "JX-9.4.2", "§11"),
    ],
)
@pytest.mark.parametrize("work", sorted(WORK))
def test_a_case_in_a_final_status_takes_no_work_naming_the_status_and_its_rule(
    status, rule, domain_rule, work
):
    with pytest.raises(Conflict) as refused:
        may_work(status, work)
    (violation,) = refused.value.violations
    assert (violation.code, violation.rule, refused.value.state) == (
        f"case_status_{status}",
        rule,
        status,
    )
    assert status.replace("_", " ") in violation.message
    assert domain_rule_of(violation) == domain_rule
    assert set(FINAL) == {"closed", "transferred", "handed_over"}


@pytest.mark.parametrize(
    ("status", "refused", "rule"),
    [
        # SZ-6.5: closing sums up, consolidates and ends the relationship: nothing new starts.
        ("closing", {"start_service"}, "SZ-6.5"),
        # SZ-6.6: after closure, 1-2 follow-ups and the assessment for full closure only.
        ("follow_up", {"start_service", "serve"}, "SZ-6.6"),
    ],
)
def test_closing_and_follow_up_take_closure_records_and_follow_up_assessments_only(
    status, refused, rule
):
    for work in sorted(WORK):
        if work in refused:
            with pytest.raises(Conflict) as conflict:
                may_work(status, work)
            assert conflict.value.rule == rule
            assert conflict.value.violations[0].code == f"case_status_{status}"
        else:
            assert may_work(status, work).rule == rule
    for kept in ("assess", "close", "follow_up", "crisis", "interview", "review", "task"):
        assert may_work(status, kept)


def test_a_status_the_rules_do_not_know_takes_no_work():
    """Fail closed: a status intake adds later is not taken for an open one."""
    with pytest.raises(Conflict) as refused:
        may_work("suspended_by_court", "assess")
    assert refused.value.violations[0].code == "case_status_unknown"


def test_a_case_that_ends_cancels_its_open_tasks_naming_why_not_as_met():
    """A closed or transferred case's open tasks end undone, published as cancelled with the
    case's status as the reason (so notify shows them cancelled, not met)."""
    from assessment.domain.safety_tasks import Task, tasks_ended_by_case

    def task(code: str, status: str = "open") -> Task:
        return Task(
            task_id=f"t-{code}",
            case_id="case-synthetic-1",
            code=code,
            status=status,  # type: ignore[arg-type]
            assignee_ids=("w-synthetic-f1",),
        )

    open_and_done = [task("follow_up_visits"), task("supportive_services", "completed")]
    (cancelled,) = tasks_ended_by_case(open_and_done, "closed")
    assert (cancelled.task_id, cancelled.reason_code) == ("t-follow_up_visits", "case_closed")
    assert tasks_ended_by_case(open_and_done, "follow_up") == []


def test_the_choices_for_closing_follow_up_and_the_end_are_reviewable_resolutions():
    from assessment.domain import rulesets as rs

    work = rs.RULE_SETS["CASE-WORK-2026"]
    assert {r.id: r.clause for r in work.resolutions} == {
        "R-CASE-01": "SZ-6.5",
        "R-CASE-02": "SZ-6.6",
        "R-CASE-03": "SZ-6.6",
        "R-I6-01": "MZ-5.2.3",
    }
