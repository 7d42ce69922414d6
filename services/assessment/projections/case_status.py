"""The status intake gave a case (`intake.case.status_changed`), kept and read: which work
assessment accepts on the case (`domain.case_status`)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.projections.tables import case_status

OPENED = "open"  # intake opens every case open (SZ-6.2.1)


async def set_status(
    conn: AsyncConnection,
    *,
    case_id: str,
    organisation: str,
    status: str,
    rule: str,
    changed_at: datetime,
    intake_version: int,
) -> None:
    """Keep the change unless a later one of the case's stream is kept already (a redelivered
    or late event does not turn the status back)."""
    row = {
        "organisation": organisation,
        "status": status,
        "rule": rule,
        "changed_at": changed_at,
        "intake_version": intake_version,
    }
    statement = pg_insert(case_status).values(case_id=case_id, **row)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[case_status.c.case_id],
            set_=row,
            where=case_status.c.intake_version < statement.excluded.intake_version,
        )
    )


async def status_of(conn: AsyncConnection, case_id: str) -> str:
    """The case's present status at intake; `open` until intake moves it."""
    query = select(case_status.c.status).where(case_status.c.case_id == case_id)
    return (await conn.execute(query)).scalar_one_or_none() or OPENED
