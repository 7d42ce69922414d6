"""Recurring clocks and assessment task clocks of the notify service against the real PostgreSQL:
follow-up series (SZ-5.8.2), weekly support in placement (NX-6.1.6), the yearly staff check
(MZ-7.1.3) and tasks whose due time assessment states (SZ-6.4). Time is frozen; all data is
synthetic.
"""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from events.envelope import Envelope
from notify.workers.scheduler import Scheduler
from tests.integration import test_notify_deadlines
from tests.integration.test_notify_deadlines import (
    ORG,
    CrashingUnitOfWork,
    FrozenClock,
    Notify,
    case_opened,
    published,
)

notify = test_notify_deadlines.notify  # the fixture: notify's database and store

SET = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 China time
WEEKLY = "followup.weekly_after_serious_violence"


def category_set(child: str, category: str, at: datetime = SET) -> Envelope:
    data = {
        "case_id": f"case-{child}",
        "organisation": ORG,
        "child_id": child,
        "category": category,
        "set_at": at.isoformat(),
        "set_by": "worker-synthetic-1",
    }
    return published("intake.case.followup_category_set", data, at, f"case-{child}")


def visit(child: str, at: datetime) -> Envelope:
    data = {
        "case_id": f"case-{child}",
        "organisation": ORG,
        "child_id": child,
        "report_ids": [],
        "visit_id": f"visit-{uuid4().hex[:8]}",
        "visited_at": at.isoformat(),
        "worker_ids": ["worker-synthetic-1"],
        "first_visit": False,
    }
    return published("intake.case.visit_recorded", data, at, f"case-{child}")


def new_child() -> str:
    return f"child-{uuid4().hex[:10]}"


async def occurrences(notify: Notify, rule: str, subject_id: str) -> list[Any]:
    from sqlalchemy import select

    from notify.projections.tables import deadlines

    query = (
        select(deadlines)
        .where(deadlines.c.rule == rule, deadlines.c.subject_id == subject_id)
        .order_by(deadlines.c.occurrence, deadlines.c.started_at)
    )
    async with notify.engine.connect() as conn:
        return list((await conn.execute(query)).all())


async def test_a_visit_meets_the_current_week_and_sets_the_next_one_sz_5_8_2(notify):
    child = new_child()
    await notify.handle(category_set(child, "serious_violence"))
    (first,) = await occurrences(notify, WEEKLY, child)
    assert (first.occurrence, first.state, first.due_at) == (1, "open", SET + timedelta(days=7))
    await notify.handle(visit(child, SET + timedelta(days=3)))
    first, second = await occurrences(notify, WEEKLY, child)
    assert first.state == "met" and first.met_at == SET + timedelta(days=3)
    assert (second.occurrence, second.state) == (2, "open")
    assert (second.started_at, second.due_at) == (SET + timedelta(days=7), SET + timedelta(days=14))
    assert second.remind_at == SET + timedelta(days=12)
    assert second.series_id == first.series_id and second.series_started_at == SET
    # a second visit in the same week does not count for next week
    await notify.handle(visit(child, SET + timedelta(days=4)))
    assert [r.state for r in await occurrences(notify, WEEKLY, child)] == ["met", "open"]
    assert await notify.stream(WEEKLY, child) == [
        "notify.deadline.set.v2",
        "notify.deadline.met.v1",
        "notify.deadline.set.v2",
    ]


async def test_a_missed_week_escalates_and_the_next_week_is_still_set(notify):
    child = new_child()
    await notify.handle(category_set(child, "serious_violence"))
    assert await notify.scheduler(SET + timedelta(days=5)).tick() == 1  # reminder, 2 days ahead
    assert await notify.scheduler(SET + timedelta(days=7)).tick() == 1  # the miss
    assert await notify.scheduler(SET + timedelta(days=7, hours=1)).tick() == 0
    first, second = await occurrences(notify, WEEKLY, child)
    assert first.state == "overdue" and second.state == "open"
    assert second.due_at == SET + timedelta(days=14)
    assert await notify.stream(WEEKLY, child) == [
        "notify.deadline.set.v2",
        "notify.reminder.sent.v1",
        "notify.deadline.missed.v1",
        "notify.escalated.v1",
        "notify.deadline.set.v2",
    ]
    # a late visit closes the missed week late and counts for the current one
    await notify.handle(visit(child, SET + timedelta(days=8)))
    rows = await occurrences(notify, WEEKLY, child)
    assert [(r.occurrence, r.state) for r in rows] == [(1, "met"), (2, "met"), (3, "open")]
    async with notify.engine.connect() as conn:
        found = await notify.store.read_stream(conn, rows[0].stream_id)
    late = [e.data["late"] for e in found if e.type == "notify.deadline.met.v1"]
    assert late == [True, False]


async def test_the_weekly_series_ends_after_its_3_month_window(notify):
    child = new_child()
    await notify.handle(category_set(child, "serious_violence"))
    later = SET + timedelta(days=200)  # the service was down all along
    fired = [await notify.scheduler(later).tick() for _ in range(15)]
    assert fired == [1] * 13 + [0, 0]  # 13 weekly occurrences fit in 3 months, each fired once
    rows = await occurrences(notify, WEEKLY, child)
    assert [r.occurrence for r in rows] == list(range(1, 14))
    assert {r.state for r in rows} == {"overdue"}


async def test_a_new_category_ends_the_weekly_series_and_starts_the_six_monthly_one(notify):
    child = new_child()
    await notify.handle(category_set(child, "serious_violence"))
    changed = category_set(child, "scattered_orphan", SET + timedelta(days=90))
    await notify.handle(changed)
    await notify.handle(changed, claim=False)  # a redelivery stops nothing it started itself
    (weekly,) = await occurrences(notify, WEEKLY, child)
    assert weekly.state == "met"
    (six,) = await occurrences(notify, "followup.every_6_months", child)
    assert six.state == "open" and six.occurrence == 1
    assert six.due_at.astimezone(UTC) == datetime(2027, 7, 31, 2, 0, tzinfo=UTC)


async def test_ending_a_placement_ends_weekly_psychological_support_nx_6_1_6(notify):
    child = new_child()
    started = {"child_id": child, "organisation": ORG, "placement_id": "p-1"}
    await notify.handle(
        published("referral.placement.temporary_care_started", started, SET, f"p-{child}")
    )
    session = {**started, "session_id": "s-1"}
    await notify.handle(
        published(
            "referral.placement.support_session_recorded",
            session,
            SET + timedelta(days=6),
            f"p-{child}",
        )
    )
    await notify.handle(
        published("referral.placement.ended", started, SET + timedelta(days=9), f"p-{child}")
    )
    rows = await occurrences(notify, "placement.weekly_psychological_support", child)
    assert [(r.occurrence, r.state) for r in rows] == [(1, "met"), (2, "met")]
    assert await notify.scheduler(SET + timedelta(days=30)).tick() == 0


async def test_the_yearly_background_check_recurs_per_worker_mz_7_1_3(notify):
    worker = f"worker-{uuid4().hex[:8]}"
    data = {"worker_id": worker, "organisation": ORG, "registered_at": SET.isoformat()}
    await notify.handle(published("intake.worker.registered", data, SET, worker))
    checked = SET + timedelta(days=300)
    await notify.handle(published("intake.worker.background_check_recorded", data, checked, worker))
    first, second = await occurrences(notify, "staff.background_check", worker)
    assert first.state == "met" and second.state == "open"
    assert second.due_at == datetime(2028, 11, 2, 2, 0, tzinfo=UTC)  # two years from the start
    assert second.escalate_to == ["org_admin", "entrustor"]


async def test_a_worker_who_leaves_has_no_yearly_check_due_any_more_dom_12(notify):
    worker = f"worker-{uuid4().hex[:8]}"
    data = {"worker_id": worker, "organisation": ORG, "registered_at": SET.isoformat()}
    await notify.handle(published("intake.worker.registered", data, SET, worker))
    left = SET + timedelta(days=100)
    deregistered = {
        "worker_id": worker,
        "organisation": ORG,
        "deregistered_on": left.date().isoformat(),
        "reason": "left_organisation",
        "rule": "§12",
    }
    await notify.handle(published("intake.worker.deregistered", deregistered, left, worker))
    [only] = await occurrences(notify, "staff.background_check", worker)
    assert only.state == "met"
    assert await notify.scheduler(SET + timedelta(days=800)).tick() == 0


async def test_a_crash_while_a_week_is_missed_loses_no_occurrence_and_fires_none_twice(
    notify, database_url
):
    from sqlalchemy.ext.asyncio import create_async_engine

    child = new_child()
    await notify.handle(category_set(child, "serious_violence"))
    due = SET + timedelta(days=7)
    crashing = Scheduler(
        lambda: CrashingUnitOfWork(notify.engine, notify.store, notify.topic), FrozenClock(due)
    )
    with pytest.raises(ConnectionResetError):
        await crashing.tick()
    assert len(await occurrences(notify, WEEKLY, child)) == 1
    restarted = Notify(create_async_engine(database_url), notify.store, notify.topic)
    try:
        assert await restarted.scheduler(due).tick() == 1
        assert await restarted.scheduler(due).tick() == 0
    finally:
        await restarted.engine.dispose()
    rows = await occurrences(notify, WEEKLY, child)
    assert [(r.occurrence, r.state) for r in rows] == [(1, "overdue"), (2, "open")]
    assert (await notify.stream(WEEKLY, child)).count("notify.deadline.missed.v1") == 1


# --- assessment tasks (the agreed contract of assessment.task.*) ------------------------------


def task_set(case_id: str, task_id: str, due: datetime, at: datetime = SET) -> Envelope:
    data = {
        "task_id": task_id,
        "case_id": case_id,
        "code": "protection_order_application",
        "clause": "SZ-6.4.1",
        "due_at": due.isoformat(),
        "assignee_ids": ["worker-synthetic-7"],
        "source_event_id": str(uuid4()),
    }
    return published("assessment.task.set", data, at, case_id)


def task_ended(name: str, case_id: str, task_id: str, at: datetime, **extra: str) -> Envelope:
    data = {"task_id": task_id, "case_id": case_id, "code": "protection_order_application"}
    return published(f"assessment.task.{name}", {**data, **extra}, at, case_id)


async def test_a_task_clock_is_due_when_assessment_says_and_escalates_to_the_supervisor(notify):
    case, task = f"case-{uuid4().hex[:8]}", str(uuid4())
    await notify.handle(case_opened(case, SET - timedelta(days=1)))
    await notify.handle(task_set(case, task, SET + timedelta(hours=72)))
    row = (await notify.rows(subject_id=task))["assessment.task"]
    assert row.organisation == ORG and row.workers == ["worker-synthetic-7"]
    assert (row.due_at, row.remind_at) == (SET + timedelta(hours=72), SET + timedelta(hours=54))
    assert row.clause == "SZ-6.4.1" and row.subject == "task"
    assert await notify.scheduler(SET + timedelta(hours=54)).tick() == 1
    assert await notify.scheduler(SET + timedelta(hours=72)).tick() == 1
    async with notify.engine.connect() as conn:
        escalation = (await notify.store.read_stream(conn, row.stream_id))[-1]
    assert escalation.data["escalate_to"] == ["supervisor"]
    assert escalation.data["clause"] == "SZ-6.4.1"


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("completed", {"completed_at": SET.isoformat()}),
        ("cancelled", {"reason_code": "superseded"}),
    ],
)
async def test_a_completed_or_cancelled_task_stops_its_clock(notify, name, extra):
    case, task = f"case-{uuid4().hex[:8]}", str(uuid4())
    await notify.handle(task_set(case, task, SET + timedelta(days=3)))
    await notify.handle(task_ended(name, case, task, SET + timedelta(days=1), **extra))
    assert (await notify.rows(subject_id=task))["assessment.task"].state == "met"
    assert await notify.scheduler(SET + timedelta(days=5)).tick() == 0
