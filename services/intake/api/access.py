"""The record rule (`intake.domain.access`, SZ-7.3.3) at the edge: who the token names, and
what the read models say about who serves a report, a child or a case. A record the caller may
not see is answered like a missing one (404)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from events.auth import Principal
from intake.api.common import not_found
from intake.domain.access import Caller, Holding, may_see
from intake.projections.rows import (
    child_row,
    report_holding,
    report_row,
    reports_of_child,
    team_of,
    teams_of,
)


def caller_of(principal: Principal) -> Caller:
    return Caller(
        subject=principal.subject,
        organisation=principal.organisation,
        supervisor=principal.has_role("supervisor"),
    )


async def visible_report(conn: AsyncConnection, principal: Principal, report_id: str) -> Any:
    """The report's row if the caller may see it; else 404, as for no report."""
    row = await report_row(conn, report_id)
    if row is None:
        raise not_found("report")
    team = frozenset(await team_of(conn, row.case_id)) if row.case_id else frozenset()
    if not may_see(caller_of(principal), report_holding(row, team)).allowed:
        raise not_found("report")
    return row


async def visible_child(conn: AsyncConnection, principal: Principal, child_id: str) -> list[str]:
    """`child_reach`, or 404 as for no child."""
    report_ids = await child_reach(conn, principal, child_id)
    if report_ids is None:
        raise not_found("child")
    return report_ids


async def child_reach(
    conn: AsyncConnection, principal: Principal, child_id: str
) -> list[str] | None:
    """The ids of the child's reports the caller may see, oldest first, if the caller may see
    the child (on the team of one of its cases, or received one of its reports); else None."""
    row = await child_row(conn, child_id)
    if row is None:
        return None
    reports = await reports_of_child(conn, child_id)
    teams = await teams_of(conn, [r.case_id for r in reports if r.case_id])
    caller = caller_of(principal)
    child = Holding(
        organisation=row.organisation,
        team=frozenset().union(*teams.values()),
        took_in=frozenset(r.received_by for r in reports),
    )
    if not may_see(caller, child).allowed:
        return None
    held = [(r, teams.get(r.case_id, frozenset())) for r in reports]
    return [r.report_id for r, team in held if may_see(caller, report_holding(r, team)).allowed]
