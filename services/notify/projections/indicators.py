"""What a project's indicators are computed from (JX-7.5.3): its cases the caller may see, the
records they hold, their closures and their deadlines by outcome."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from notify.domain.access import OrganisationScope, ProjectScope, Scope
from notify.domain.indicators import Deadlines, Indicators, closure_of, project_indicators
from notify.projections.tables import (
    MET,
    OPEN,
    OVERDUE,
    case_closures,
    case_projects,
    case_records,
    deadlines,
    entity_cases,
)


def granted(project_id: str, scopes: Sequence[Scope]) -> bool:
    """The entrustor whose token names the project sees it even before it has a case."""
    return any(isinstance(s, ProjectScope) and project_id in s.projects for s in scopes)


def _cases(project_id: str, scopes: Sequence[Scope]) -> Any:
    """The project's cases: an entrustor's where it commissions the project, a supervisor's
    (org admin's) where their organisation runs them; a worker's scope grants none."""
    grants = []
    for scope in scopes:
        if isinstance(scope, ProjectScope) and project_id in scope.projects:
            grants.append(case_projects.c.entrustor_org == scope.entrustor)
        elif isinstance(scope, OrganisationScope) and scope.worker is None:
            grants.append(case_projects.c.organisation == scope.organisation)
    if not grants:
        return None
    return select(case_projects.c.case_id).where(
        case_projects.c.project_id == project_id, or_(*grants)
    )


async def indicators_of(
    conn: AsyncConnection, project_id: str, scopes: Sequence[Scope]
) -> Indicators | None:
    """The project's indicators as the caller may see them; None: no such project for them."""
    cases = _cases(project_id, scopes)
    if cases is None:
        return None
    case_ids = list((await conn.execute(cases)).scalars())
    if not case_ids and not granted(project_id, scopes):
        return None
    records = {case_id: frozenset[str]() for case_id in case_ids}
    held = select(case_records).where(case_records.c.case_id.in_(case_ids))
    for row in await conn.execute(held):
        records[row.case_id] |= {row.kind}
    closed = select(case_closures).where(case_closures.c.case_id.in_(case_ids))
    closures = [closure_of(r.case_id, r.indicators) for r in await conn.execute(closed)]
    return project_indicators(project_id, records, closures, await _deadlines(conn, case_ids))


async def _deadlines(conn: AsyncConnection, case_ids: list[str]) -> Deadlines:
    """The deadlines of the cases and of their reports, children and tasks, by outcome;
    cancelled ones count nowhere."""
    linked = select(entity_cases.c.entity_id).where(entity_cases.c.case_id.in_(case_ids))
    late = deadlines.c.missed_at.is_not(None)
    query = (
        select(deadlines.c.state, late.label("late"), func.count().label("n"))
        .where(or_(deadlines.c.subject_id.in_(case_ids), deadlines.c.subject_id.in_(linked)))
        .group_by(deadlines.c.state, late)
    )
    counts = {(r.state, r.late): r.n for r in await conn.execute(query)}
    return Deadlines(
        met_in_time=counts.get((MET, False), 0),
        met_late=counts.get((MET, True), 0),
        overdue=counts.get((OVERDUE, True), 0) + counts.get((OVERDUE, False), 0),
        open=counts.get((OPEN, False), 0) + counts.get((OPEN, True), 0),
    )
