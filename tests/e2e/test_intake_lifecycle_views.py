"""What intake learns of a case from assessment's and notify's events (issue 14, item 1): the
current safety grade (SZ-6.3), the open tasks (SZ-6.4) and the clocks that fall due first,
against a real PostgreSQL (event store, key store and read models of a throwaway database; no
broker: each reaction is called as the consumer runner calls it). Synthetic data only."""

from datetime import UTC, datetime, timedelta
from typing import Any

from intake.handlers.shared import load
from intake.projections.learnt import case_learnt
from intake.projections.rows import case_row
from tests.e2e.test_intake_reactions import a_case, fact, react, status_of
from tests.integration import intake_support
from tests.integration.intake_support import Uows

uows = intake_support.uows  # the fixture: intake's handlers on a throwaway database
DUE = datetime(2026, 12, 20, 9, tzinfo=UTC)


async def learnt(uows: Uows, case_id: str) -> dict[str, Any]:
    async with uows() as uow:
        row = await case_row(uow.conn, case_id)
        return await case_learnt(uow.conn, case_id, row.child_id, list(row.report_ids))


def clock(deadline_id: str, subject: str, subject_id: str, due_at: datetime) -> dict[str, Any]:
    return {
        "deadline_id": deadline_id,
        "rule": "assessment.task" if subject == "task" else "intake.investigation",
        "clause": "SZ-6.4" if subject == "task" else "SZ-6.2.1",
        "subject": subject,
        "subject_id": subject_id,
        "organisation": "org-syn",
        "workers": ["w-1"],
        "due_at": due_at.isoformat(),
        "provisional": False,
    }


async def test_a_grade_its_tasks_and_their_clocks_show_on_the_case_until_they_end(uows):
    now = datetime.now(UTC)
    case_id = await a_case(uows, "org-syn", emergency=False, received_at=now)
    result = {
        "grade": "B",
        "label": "中危",
        "grade_clause": "SZ-B.2",
        "required_actions": [{"code": "report_police", "clause": "SZ-6.4.3"}],
    }
    graded = fact(
        "assessment.safety.risk_graded",
        case_id,
        assessment_id="a-1",
        assessed_at=now.isoformat(),
        rule_set="SZ-2023-B",
        result=result,
        notes={"$enc": "sealed"},
    )
    await react(uows, graded)
    task = {"task_id": "t-1", "code": "report_police", "clause": "SZ-6.4.3"}
    await react(uows, fact("assessment.task.set", case_id, **task, due_at=DUE.isoformat()))
    async with uows() as uow:
        report_id = (await case_row(uow.conn, case_id)).report_ids[0]
    await react(uows, fact("notify.deadline.set", case_id, **clock("d-task", "task", "t-1", DUE)))
    later = now + timedelta(hours=72)
    await react(
        uows, fact("notify.deadline.set", case_id, **clock("d-72h", "report", report_id, later))
    )
    await react(uows, fact("notify.deadline.set", case_id, **clock("d-x", "worker", "w-1", now)))

    seen = await learnt(uows, case_id)
    assert seen["safety"]["grade"] == "B" and seen["safety"]["rule_set"] == "SZ-2023-B"
    assert [t["task_id"] for t in seen["open_tasks"]] == ["t-1"]
    assert [d["deadline_id"] for d in seen["next_deadlines"]] == ["d-72h", "d-task"]
    # not investigated yet (SZ-6.2.1): the grade is recorded, the case waits in open
    assert await status_of(uows, case_id) == "open"
    async with uows() as uow:
        types = [e.type for e in (await load(uow, case_id)).envelopes]
    assert types[-1] == "intake.case.milestone_learnt.v1" and len(types) == 2

    await react(uows, fact("notify.deadline.missed", case_id, deadline_id="d-72h"))
    await react(
        uows,
        fact("notify.deadline.recomputed", case_id, deadline_id="d-task", due_at=later.isoformat()),
    )
    seen = await learnt(uows, case_id)
    assert [(d["deadline_id"], d["status"]) for d in seen["next_deadlines"]] == [
        ("d-72h", "missed"),
        ("d-task", "open"),
    ]
    cancelled = {"task_id": "t-1", "code": "report_police", "reason_code": "superseded"}
    await react(uows, fact("assessment.task.cancelled", case_id, **cancelled))
    await react(uows, fact("notify.deadline.cancelled", case_id, deadline_id="d-task", reason="x"))
    await react(uows, fact("notify.deadline.met", case_id, deadline_id="d-72h"))
    seen = await learnt(uows, case_id)
    assert seen["open_tasks"] == [] and seen["next_deadlines"] == []


async def test_a_regrade_assessed_earlier_than_the_current_grade_does_not_replace_it(uows):
    now = datetime.now(UTC)
    case_id = await a_case(uows, "org-syn", emergency=False, received_at=now)
    for assessment_id, grade, at in (("a-2", "C", now), ("a-1", "A", now - timedelta(days=1))):
        result = {"grade": grade, "required_actions": []}
        data = {"assessment_id": assessment_id, "assessed_at": at.isoformat()}
        await react(
            uows,
            fact(
                "assessment.safety.risk_graded",
                case_id,
                **data,
                rule_set="SZ-2023-B",
                result=result,
            ),
        )
    assert (await learnt(uows, case_id))["safety"]["grade"] == "C"
    async with uows() as uow:  # a grade requiring nothing calls the case nowhere
        assert len((await load(uow, case_id)).envelopes) == 1
