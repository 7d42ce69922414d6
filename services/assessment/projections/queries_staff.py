"""What assessment knows of intake's registries: the staff an assessing team is checked
against (MZ-6.2.2, MZ-7.1.3), a child's registered gender, and who is on a case's team
(ARCHITECTURE, record-level rules)."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.assessors import StaffRecord
from assessment.projections.tables import case_team, children, staff


async def staff_records(
    conn: AsyncConnection, organisation: str, worker_ids: Iterable[str]
) -> dict[str, StaffRecord]:
    """`organisation`'s registry entries of these ids, by id: a staff id names one person
    within one organisation, so another organisation's person with the same id is not here."""
    query = select(staff).where(
        staff.c.organisation == organisation, staff.c.worker_id.in_(list(worker_ids))
    )
    rows = (await conn.execute(query)).all()
    return {row.worker_id: StaffRecord.model_validate(row._asdict()) for row in rows}


async def child_gender(conn: AsyncConnection, child_id: str | None) -> Any:
    """The gender intake registered for the child, or None."""
    if child_id is None:
        return None
    query = select(children.c.gender).where(children.c.child_id == child_id)
    return (await conn.execute(query)).scalar_one_or_none()


async def team_of(conn: AsyncConnection, case_id: str) -> dict[str, str]:
    """Each worker on the case and the organisation that assigned them: the organisation to
    look their staff record up in (`staff_records`), as their id names a person only there."""
    query = select(case_team.c.worker_id, case_team.c.organisation)
    rows = await conn.execute(query.where(case_team.c.case_id == case_id))
    return {worker: organisation for worker, organisation in rows}
