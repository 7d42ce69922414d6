"""Rows of the read models as the handlers and routes look them up (one statement each), and
the case-number counter a case's opening draws from in its own transaction."""

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain.access import Holding
from intake.domain.staff import Staff
from intake.projections.tables import (
    case_numbers,
    case_team,
    cases,
    children,
    emergency_access,
    reports,
    staff,
)


def staff_from_row(row: Any) -> Staff:
    """The staff member as the rules see them, from their row."""
    return Staff(
        worker_id=row.worker_id,
        organisation=row.organisation,
        role=row.role,
        gender=row.gender,
        qualifications=frozenset(row.qualifications),
        years_in_child_services=row.years_in_child_services,
        background_check_date=row.background_check_date,
        background_check_clean=row.background_check_clean,
        suspended=row.suspended,
        deregistered=row.deregistered_on is not None,
    )


def report_holding(row: Any, team: frozenset[str]) -> Holding:
    """A report's row as the record rule sees it; `team`: of the case that holds it, if any."""
    return Holding(organisation=row.organisation, team=team, took_in=frozenset({row.received_by}))


def case_holding(
    row: Any, team: list[str] | frozenset[str], emergency: frozenset[tuple[str, str]] = frozenset()
) -> Holding:
    """A case's row as the record rule sees it: its team's, who opened it, and who broke the
    glass to read it."""
    return Holding(
        organisation=row.organisation,
        team=frozenset(team),
        took_in=frozenset({row.opened_by}),
        emergency=emergency,
    )


async def emergency_until(
    conn: AsyncConnection, case_id: str, subject: str, organisation: str | None
) -> Any:
    """When the caller's emergency opening of the case runs out."""
    query = select(emergency_access.c.until).where(
        emergency_access.c.case_id == case_id,
        emergency_access.c.subject == subject,
        emergency_access.c.organisation == (organisation or ""),
    )
    return (await conn.execute(query)).scalar_one()


async def emergency_readers(
    conn: AsyncConnection, case_id: str, now: datetime
) -> frozenset[tuple[str, str]]:
    """Who holds an emergency opening of the case that has not run out."""
    query = select(emergency_access.c.subject, emergency_access.c.organisation).where(
        emergency_access.c.case_id == case_id, emergency_access.c.until > now
    )
    return frozenset((subject, org) for subject, org in await conn.execute(query))


async def staff_row(conn: AsyncConnection, organisation: str, worker_id: str) -> Any:
    """The staff member with this id in this organisation (ids are per organisation)."""
    query = select(staff).where(
        staff.c.organisation == organisation, staff.c.worker_id == worker_id
    )
    return (await conn.execute(query)).first()


async def staff_rows(conn: AsyncConnection, organisation: str, worker_ids: list[str]) -> list[Any]:
    query = select(staff).where(
        staff.c.organisation == organisation, staff.c.worker_id.in_(worker_ids)
    )
    return list((await conn.execute(query)).all())


async def report_row(conn: AsyncConnection, report_id: str, lock: bool = False) -> Any:
    """The report's row; with `lock`, held (FOR SHARE) until the transaction ends."""
    query = select(reports).where(reports.c.report_id == report_id)
    return (await conn.execute(query.with_for_update(read=True) if lock else query)).first()


async def report_rows(conn: AsyncConnection, report_ids: list[str]) -> list[Any]:
    query = select(reports).where(reports.c.report_id.in_(report_ids))
    return list((await conn.execute(query)).all())


async def reports_of_child(conn: AsyncConnection, child_id: str) -> list[Any]:
    """The reports about a child, oldest first."""
    query = select(reports).where(reports.c.child_id == child_id)
    return list((await conn.execute(query.order_by(reports.c.seq))).all())


async def child_row(conn: AsyncConnection, child_id: str) -> Any:
    return (await conn.execute(select(children).where(children.c.child_id == child_id))).first()


async def child_rows(conn: AsyncConnection, organisation: str, child_ids: list[str]) -> list[Any]:
    query = select(children).where(
        children.c.organisation == organisation, children.c.child_id.in_(child_ids)
    )
    return list((await conn.execute(query)).all())


# On every report naming a resident ID: built once, its values bound per call.
CHILD_WITH_ID_DIGEST = select(children).where(
    children.c.organisation == bindparam("organisation"),
    children.c.id_digest == bindparam("digest"),
)


async def child_with_id_digest(conn: AsyncConnection, organisation: str, digest: str) -> Any:
    params = {"organisation": organisation, "digest": digest}
    return (await conn.execute(CHILD_WITH_ID_DIGEST, params)).first()


async def children_born(conn: AsyncConnection, organisation: str, digest: str) -> list[Any]:
    query = select(children).where(
        children.c.organisation == organisation, children.c.birth_digest == digest
    )
    return list((await conn.execute(query)).all())


async def case_row(conn: AsyncConnection, case_id: str) -> Any:
    return (await conn.execute(select(cases).where(cases.c.case_id == case_id))).first()


async def team_of(conn: AsyncConnection, case_id: str) -> list[str]:
    query = select(case_team.c.worker_id).where(case_team.c.case_id == case_id)
    return [w for (w,) in await conn.execute(query.order_by(case_team.c.worker_id))]


async def teams_of(conn: AsyncConnection, case_ids: list[str]) -> dict[str, frozenset[str]]:
    """Each case's team (a case without one is left out)."""
    query = select(case_team).where(case_team.c.case_id.in_(case_ids))
    teams: dict[str, set[str]] = {}
    for row in await conn.execute(query):
        teams.setdefault(row.case_id, set()).add(row.worker_id)
    return {case_id: frozenset(team) for case_id, team in teams.items()}


async def cases_of_worker(conn: AsyncConnection, organisation: str, worker_id: str) -> list[str]:
    """The cases of the organisation whose team the worker is on."""
    query = (
        select(case_team.c.case_id)
        .join(cases, cases.c.case_id == case_team.c.case_id)
        .where(case_team.c.worker_id == worker_id, cases.c.organisation == organisation)
    )
    return [c for (c,) in await conn.execute(query.order_by(case_team.c.case_id))]


async def next_case_number(conn: AsyncConnection, organisation: str, year: int) -> str:
    """`<year>-<n>`, counting per organisation and year; rolled back with its transaction."""
    insert = pg_insert(case_numbers).values(organisation=organisation, year=year, last=1)
    bumped = insert.on_conflict_do_update(
        index_elements=["organisation", "year"], set_={"last": case_numbers.c.last + 1}
    ).returning(case_numbers.c.last)
    number = (await conn.execute(bumped)).scalar_one()
    return f"{year}-{number:05d}"
