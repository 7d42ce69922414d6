"""Read models `staff`, `children` and `case_team`, written by the reactions to intake's staff
registry, child registry and case teams: work identities, genders and check dates only; no
name, no identity number. A staff id names one person within one organisation (intake_0006), so
every staff row is keyed, found and changed by (organisation, worker id)."""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import ColumnElement, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.projections.tables import case_team, children, staff


def _person(organisation: str, worker_id: str) -> ColumnElement[bool]:
    """A staff id names one person within one organisation (intake_0006): the row is found by
    both, never by the id alone."""
    return (staff.c.organisation == organisation) & (staff.c.worker_id == worker_id)


async def register_staff(
    conn: AsyncConnection, organisation: str, worker_id: str, gender: str, qualified: bool
) -> None:
    """A registration (again) sets who the person is; checks and suspension stay as they were.
    Another organisation registering the same id is another person: another row."""
    row = {"gender": gender, "qualified": qualified}
    insert = pg_insert(staff).values(
        organisation=organisation, worker_id=worker_id, suspended=False, **row
    )
    key = [staff.c.organisation, staff.c.worker_id]
    await conn.execute(insert.on_conflict_do_update(index_elements=key, set_=row))


async def record_check(
    conn: AsyncConnection, organisation: str, worker_id: str, on: date, clean: bool | None
) -> None:
    """Keep the latest check; an older one arriving late changes nothing. `clean` None: the
    result could not be read, which clears nobody (MZ-7.1.3)."""
    later = (staff.c.background_check_on.is_(None)) | (staff.c.background_check_on <= on)
    query = update(staff).where(_person(organisation, worker_id), later)
    await conn.execute(query.values(background_check_on=on, background_check_clean=clean))


async def suspend(conn: AsyncConnection, organisation: str, worker_id: str) -> None:
    await conn.execute(update(staff).where(_person(organisation, worker_id)).values(suspended=True))


async def unregister(conn: AsyncConnection, organisation: str, worker_id: str) -> None:
    await conn.execute(delete(staff).where(_person(organisation, worker_id)))


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


async def remove_from_team(
    conn: AsyncConnection, case_id: str, organisation: str, worker_id: str
) -> None:
    """Take off the case the worker `organisation` assigned (its person with that id)."""
    on_case = (
        (case_team.c.case_id == case_id)
        & (case_team.c.worker_id == worker_id)
        & (case_team.c.organisation == organisation)
    )
    await conn.execute(delete(case_team).where(on_case))
