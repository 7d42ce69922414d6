"""What intake learns of a case from other services' events, for the case view (`GET
/v1/cases/{id}`): the current safety grade and the open tasks (assessment), the clocks still
running (notify). Written by `intake.reactions` in the consumer's inbox transaction; never by
calling the other services. Only codes, clauses, ids and times: the other services' personal
fields stay sealed.

A clock names its subject (a report, the case, the child or a task), not always the case: its
row keeps the subject's id and the case view finds it through the case's reports, child and
tasks, so a clock that started before its report was in a case shows once the case holds it.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from events.domain import EventData
from intake.domain.events import (
    ClosingStepRecorded,
    EndingNoticeGiven,
    FollowupDone,
    FollowupPlanned,
    FullClosureAssessed,
    MilestoneLearnt,
    ServiceReportRecorded,
)
from intake.projections.tables import case_safety, case_tasks, deadlines

NEXT_DEADLINES = 5  # the case view shows the few that fall due first
CASE_SUBJECTS = ("report", "case", "child", "task")  # a worker's clock belongs to no case


async def grade_set(conn: AsyncConnection, row: dict[str, Any]) -> None:
    """The grade assessed last is the case's current one (a regrade supersedes)."""
    insert = pg_insert(case_safety).values(row)
    newer = insert.excluded.assessed_at >= case_safety.c.assessed_at
    changes = {k: insert.excluded[k] for k in row if k != "case_id"}
    await conn.execute(
        insert.on_conflict_do_update(index_elements=["case_id"], set_=changes, where=newer)
    )


async def task_set(conn: AsyncConnection, row: dict[str, Any]) -> None:
    insert = pg_insert(case_tasks).values({**row, "status": "open"})
    await conn.execute(insert.on_conflict_do_nothing(index_elements=["task_id"]))


async def task_ended(conn: AsyncConnection, task_id: str, status: str) -> None:
    """Completed or cancelled (a regrade supersedes the tasks of the grade it replaces)."""
    where = (case_tasks.c.task_id == task_id) & (case_tasks.c.status == "open")
    await conn.execute(update(case_tasks).where(where).values(status=status))


async def deadline_set(conn: AsyncConnection, row: dict[str, Any]) -> None:
    if row["subject"] not in CASE_SUBJECTS:
        return
    insert = pg_insert(deadlines).values({**row, "status": "open"})
    await conn.execute(insert.on_conflict_do_nothing(index_elements=["deadline_id"]))


async def deadline_ended(conn: AsyncConnection, deadline_id: str, status: str) -> None:
    """Met, missed or cancelled: a missed clock stays in view (overdue) until it is met late
    or cancelled (its case closed)."""
    ended_from = ["open"] if status == "missed" else ["open", "missed"]
    where = (deadlines.c.deadline_id == deadline_id) & deadlines.c.status.in_(ended_from)
    await conn.execute(update(deadlines).where(where).values(status=status))


async def deadline_moved(conn: AsyncConnection, deadline_id: str, due_at: datetime) -> None:
    """A provisional clock recomputed once its year's calendar was loaded (§13)."""
    where = deadlines.c.deadline_id == deadline_id
    await conn.execute(update(deadlines).where(where).values(due_at=due_at, provisional=False))


async def case_learnt(
    conn: AsyncConnection, case_id: str, child_id: str, report_ids: list[str]
) -> dict[str, Any]:
    """The case's current grade, open tasks and the clocks that fall due first."""
    grade = (
        await conn.execute(select(case_safety).where(case_safety.c.case_id == case_id))
    ).first()
    open_tasks = select(case_tasks).where(
        case_tasks.c.case_id == case_id, case_tasks.c.status == "open"
    )
    tasks = (await conn.execute(open_tasks.order_by(case_tasks.c.due_at))).all()
    task_ids = select(case_tasks.c.task_id).where(case_tasks.c.case_id == case_id)
    about_case = or_(
        deadlines.c.subject_id.in_([case_id, child_id, *report_ids]),
        deadlines.c.subject_id.in_(task_ids.scalar_subquery()),
    )
    running = select(deadlines).where(about_case, deadlines.c.status.in_(["open", "missed"]))
    clocks = (await conn.execute(running.order_by(deadlines.c.due_at).limit(NEXT_DEADLINES))).all()
    return {
        "safety": dict(grade._mapping) if grade else None,
        "open_tasks": [dict(t._mapping) for t in tasks],
        "next_deadlines": [dict(d._mapping) for d in clocks],
    }


class SafetyGrade(BaseModel):
    """The case's current safety grade (SZ-6.3, rule set SZ-2023-B)."""

    assessment_id: str
    grade: str
    label: str | None
    grade_clause: str | None
    rule_set: str
    assessed_at: datetime


class OpenTask(BaseModel):
    """An intervention the grade requires, not yet done (SZ-6.4)."""

    task_id: str
    code: str
    clause: str
    due_at: datetime


class NextDeadline(BaseModel):
    """A clock notify keeps on the case, its reports, its child or its tasks; `missed` when it
    ran out before its stop event."""

    deadline_id: str
    rule: str
    clause: str
    subject: str
    subject_id: str
    due_at: datetime
    provisional: bool
    status: str


CLOSING_EVENTS = (
    MilestoneLearnt,
    ClosingStepRecorded,
    EndingNoticeGiven,
    ServiceReportRecorded,
    FollowupPlanned,
    FollowupDone,
    FullClosureAssessed,
)
CASE_FIELDS = {"case_id", "organisation", "child_id"}


def closing_entries(events: Sequence[EventData]) -> list[dict[str, Any]]:
    """The case's closing work, follow-ups and the facts of other services it learnt, in order,
    decrypted (the case file)."""
    return [
        {"kind": event.event_name, **event.model_dump(mode="json", exclude=CASE_FIELDS)}
        for event in events
        if isinstance(event, CLOSING_EVENTS)
    ]
