"""The `deadlines` read model (SQLAlchemy Core), written in the unit of work that appends the
events it reflects; the schema is made by `migrations/`. States: open -> overdue (missed) and
open|overdue -> met."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    any_,
    cast,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notify.domain.tracking import PlannedDeadline

OPEN, OVERDUE, MET = "open", "overdue", "met"

metadata = MetaData()

deadlines = Table(
    "deadlines",
    metadata,
    Column("deadline_id", Text, primary_key=True),
    Column("stream_id", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("clause", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("subject_id", Text, nullable=False),
    Column("organisation", Text),
    Column("workers", ARRAY(Text), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("started_by", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("remind_at", DateTime(timezone=True), nullable=False),
    Column("provisional", Boolean, nullable=False),
    Column("missing_years", ARRAY(Integer), nullable=False),
    Column("remind", ARRAY(Text), nullable=False),
    Column("escalate_to", ARRAY(Text), nullable=False),
    Column("state", Text, nullable=False),
    Column("reminded_at", DateTime(timezone=True)),
    Column("missed_at", DateTime(timezone=True)),
    Column("met_at", DateTime(timezone=True)),
    Column("series_id", Text),
    Column("occurrence", Integer),
    Column("series_started_at", DateTime(timezone=True)),
)

case_projects = Table(
    "case_projects",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("project_id", Text, nullable=False),
    Column("entrustor_org", Text, nullable=False),
    Column("organisation", Text),
)

entity_cases = Table(
    "entity_cases",
    metadata,
    Column("entity_id", Text, primary_key=True),
    Column("case_id", Text, primary_key=True),
    Column("linked", BigInteger, Identity(always=True), nullable=False),  # learnt in this order
)

entity_organisations = Table(
    "entity_organisations",
    metadata,
    Column("entity_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
)


async def remember_organisation(
    conn: AsyncConnection, entity_ids: Sequence[str], organisation: str
) -> None:
    """Which organisation a report, case or child belongs to (the first word stays)."""
    if entity_ids:
        rows = [{"entity_id": e, "organisation": organisation} for e in entity_ids]
        await conn.execute(pg_insert(entity_organisations).values(rows).on_conflict_do_nothing())


async def remember_case_links(
    conn: AsyncConnection, case_id: str, entity_ids: Sequence[str]
) -> None:
    """The reports, child and tasks of a case, so their deadlines follow the case's project."""
    rows = [{"entity_id": e, "case_id": case_id} for e in entity_ids if e != case_id]
    if rows:
        await conn.execute(pg_insert(entity_cases).values(rows).on_conflict_do_nothing())


async def partition_of(conn: AsyncConnection, subject_id: str) -> str:
    """The Kafka key of a deadline's events: the newest case its subject (a report, child or
    task) belongs to, once notify knows it, so they keep the order of that case's events; the
    subject's own id before that, and for a case or a staff member."""
    query = (
        select(entity_cases.c.case_id)
        .where(entity_cases.c.entity_id == subject_id)
        .order_by(entity_cases.c.linked.desc())
        .limit(1)
    )
    case_id = (await conn.execute(query)).scalar_one_or_none()
    return case_id or subject_id


async def set_project(
    conn: AsyncConnection,
    case_id: str,
    project_id: str,
    entrustor_org: str,
    organisation: str | None,
) -> None:
    """The case's project now (set again, it moves)."""
    row = {
        "case_id": case_id,
        "project_id": project_id,
        "entrustor_org": entrustor_org,
        "organisation": organisation,
    }
    upsert = pg_insert(case_projects).values(row)
    await conn.execute(upsert.on_conflict_do_update(index_elements=["case_id"], set_=row))


async def organisation_of(conn: AsyncConnection, entity_id: str) -> str | None:
    query = select(entity_organisations.c.organisation).where(
        entity_organisations.c.entity_id == entity_id
    )
    return (await conn.execute(query)).scalar_one_or_none()


async def add_deadline(conn: AsyncConnection, plan: PlannedDeadline, started_by: str) -> None:
    """Record a clock that was set; a second recording of the same run changes nothing."""
    row = {
        "deadline_id": plan.deadline_id,
        "stream_id": plan.stream_id,
        "rule": plan.rule.code,
        "clause": plan.clause,
        "subject": plan.rule.subject.value,
        "subject_id": plan.subject_id,
        "organisation": plan.organisation,
        "workers": list(plan.workers),
        "started_at": plan.started_at,
        "started_by": started_by,
        "due_at": plan.due.due_at,
        "remind_at": plan.remind_at,
        "provisional": plan.due.provisional,
        "missing_years": sorted(plan.due.missing_years),
        "remind": [role.value for role in plan.rule.remind],
        "escalate_to": [role.value for role in plan.rule.escalate_to],
        "state": OPEN,
        "series_id": plan.series.series_id if plan.series else None,
        "occurrence": plan.occurrence,
        "series_started_at": plan.series.started_at if plan.series else None,
    }
    await conn.execute(pg_insert(deadlines).values(row).on_conflict_do_nothing())


async def running_of(conn: AsyncConnection, rule: str, subject_id: str) -> list[Any]:
    """Open or overdue runs of `rule` on the subject, locked until the transaction ends."""
    query = (
        select(deadlines)
        .where(
            deadlines.c.rule == rule,
            deadlines.c.subject_id == subject_id,
            deadlines.c.state.in_([OPEN, OVERDUE]),
        )
        .order_by(deadlines.c.started_at, deadlines.c.deadline_id)
        .with_for_update()
    )
    return list((await conn.execute(query)).all())


async def claim_due(conn: AsyncConnection, now: datetime, limit: int) -> list[Any]:
    """Open clocks owing a reminder or a miss at `now`, locked; rows another scheduler holds
    are skipped (it is firing them), so two schedulers never fire one clock."""
    owing = or_(
        deadlines.c.due_at <= now,
        and_(deadlines.c.reminded_at.is_(None), deadlines.c.remind_at <= now),
    )
    query = (
        select(deadlines)
        .where(deadlines.c.state == OPEN, owing)
        .order_by(deadlines.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(query)).all())


async def provisional_on(conn: AsyncConnection, years: Sequence[int]) -> list[Any]:
    """Open provisional clocks that counted one of `years` Monday-Friday, locked."""
    query = (
        select(deadlines)
        .where(
            deadlines.c.state == OPEN,
            deadlines.c.provisional.is_(True),
            deadlines.c.missing_years.overlap(cast(list(years), ARRAY(Integer))),
        )
        .order_by(deadlines.c.due_at)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(query)).all())


async def mark(conn: AsyncConnection, deadline_id: str, **values: Any) -> None:
    await conn.execute(
        update(deadlines).where(deadlines.c.deadline_id == deadline_id).values(**values)
    )


async def list_deadlines(
    conn: AsyncConnection,
    *,
    organisation: str | None,
    state: str | None = None,
    worker: str | None = None,
    project: str | None = None,
    entrustor: str | None = None,
    limit: int = 200,
) -> Sequence[Any]:
    """Deadlines soonest due first: of `organisation` (None: any), of the cases in `project`
    and, for an entrustor, only of the cases in the projects it commissions."""
    query = select(deadlines)
    if organisation is not None:
        query = query.where(deadlines.c.organisation == organisation)
    if project is not None or entrustor is not None:
        query = query.where(deadlines.c.subject_id.in_(_project_subjects(project, entrustor)))
    if state is not None:
        query = query.where(deadlines.c.state == state)
    if worker is not None:
        query = query.where(literal(worker) == any_(deadlines.c.workers))
    query = query.order_by(deadlines.c.due_at, deadlines.c.deadline_id).limit(limit)
    return (await conn.execute(query)).all()


def _project_subjects(project: str | None, entrustor: str | None) -> Any:
    """Ids of the cases of the projects chosen, and of their reports, children and tasks."""
    chosen = select(case_projects.c.case_id)
    if project is not None:
        chosen = chosen.where(case_projects.c.project_id == project)
    if entrustor is not None:
        chosen = chosen.where(case_projects.c.entrustor_org == entrustor)
    linked = select(entity_cases.c.entity_id).where(entity_cases.c.case_id.in_(chosen))
    return chosen.union(linked)
