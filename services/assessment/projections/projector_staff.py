"""Read models `staff`, `children` and `case_team`, written by the reactions to intake's staff
registry, child registry and case teams: work identities, genders and check dates only; no
name, no identity number."""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.projections.tables import case_team, children, staff


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


async def add_child(conn: AsyncConnection, child_id: str, organisation: str, gender: str) -> None:
    row = {"child_id": child_id, "organisation": organisation, "gender": gender}
    await conn.execute(pg_insert(children).values(row).on_conflict_do_nothing())


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
