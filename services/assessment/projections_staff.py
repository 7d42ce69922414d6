"""Read models `staff`, `children` and `case_team`: what assessment keeps of intake's staff
registry, child registry and case teams to check an assessing team (MZ-6.2.2, MZ-7.1.3) and who
may work on a case (ARCHITECTURE, record-level rules). Work identities, genders and check dates
only; no name, no identity number."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Column, Date, Table, Text, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.assessors import StaffRecord
from assessment.projections import metadata

staff = Table(
    "staff",
    metadata,
    Column("worker_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("gender", Text, nullable=False),
    Column("qualified", Boolean, nullable=False),
    Column("background_check_on", Date),
    Column("background_check_clean", Boolean),
    Column("suspended", Boolean, nullable=False),
)

children = Table(
    "children",
    metadata,
    Column("child_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("gender", Text, nullable=False),
)

case_team = Table(
    "case_team",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("worker_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
)


async def register_staff(
    conn: AsyncConnection, worker_id: str, organisation: str, gender: str, qualified: bool
) -> None:
    """A registration (again) sets who the person is; checks and suspension stay as they were."""
    row = {"organisation": organisation, "gender": gender, "qualified": qualified}
    insert = pg_insert(staff).values(worker_id=worker_id, suspended=False, **row)
    await conn.execute(insert.on_conflict_do_update(index_elements=[staff.c.worker_id], set_=row))


async def record_check(conn: AsyncConnection, worker_id: str, on: date, clean: bool | None) -> None:
    """Keep the latest check; an older one arriving late changes nothing. `clean` None: the
    result could not be read, which clears nobody (MZ-7.1.3)."""
    later = (staff.c.background_check_on.is_(None)) | (staff.c.background_check_on <= on)
    query = update(staff).where(staff.c.worker_id == worker_id, later)
    await conn.execute(query.values(background_check_on=on, background_check_clean=clean))


async def suspend(conn: AsyncConnection, worker_id: str) -> None:
    await conn.execute(update(staff).where(staff.c.worker_id == worker_id).values(suspended=True))


async def unregister(conn: AsyncConnection, worker_id: str) -> None:
    await conn.execute(delete(staff).where(staff.c.worker_id == worker_id))


async def staff_records(conn: AsyncConnection, worker_ids: Iterable[str]) -> dict[str, StaffRecord]:
    query = select(staff).where(staff.c.worker_id.in_(list(worker_ids)))
    rows = (await conn.execute(query)).all()
    return {row.worker_id: StaffRecord.model_validate(row._asdict()) for row in rows}


async def add_child(conn: AsyncConnection, child_id: str, organisation: str, gender: str) -> None:
    row = {"child_id": child_id, "organisation": organisation, "gender": gender}
    await conn.execute(pg_insert(children).values(row).on_conflict_do_nothing())


async def child_gender(conn: AsyncConnection, child_id: str | None) -> Any:
    """The gender intake registered for the child, or None."""
    if child_id is None:
        return None
    query = select(children.c.gender).where(children.c.child_id == child_id)
    return (await conn.execute(query)).scalar_one_or_none()


async def set_team(
    conn: AsyncConnection, case_id: str, organisation: str, worker_ids: Iterable[str]
) -> None:
    """Intake assigns the whole team at once: the new one replaces the old."""
    await conn.execute(delete(case_team).where(case_team.c.case_id == case_id))
    rows = [{"case_id": case_id, "worker_id": w, "organisation": organisation} for w in worker_ids]
    if rows:
        await conn.execute(pg_insert(case_team).values(rows).on_conflict_do_nothing())


async def remove_from_team(conn: AsyncConnection, case_id: str, worker_id: str) -> None:
    on_case = (case_team.c.case_id == case_id) & (case_team.c.worker_id == worker_id)
    await conn.execute(delete(case_team).where(on_case))


async def team_of(conn: AsyncConnection, case_id: str) -> dict[str, str]:
    """Each worker on the case and the organisation that assigned them."""
    query = select(case_team.c.worker_id, case_team.c.organisation)
    rows = await conn.execute(query.where(case_team.c.case_id == case_id))
    return {worker: organisation for worker, organisation in rows}
