"""Read model of a case's crises (M-11, JX-7.6.1): conditions, required and done actions as
codes, what is outstanding; the summary and notes stay sealed in the event store."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.crisis import RULE, Crises
from assessment.projections.tables import crises


class CrisisPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    crisis_id: str
    detected_at: datetime
    conditions: list[str]
    required: list[str]
    done: list[str]
    outstanding: list[str]
    rule: str = RULE
    domain_rule: str = "M-11"


async def store_crises(conn: AsyncConnection, state: Crises, at: datetime) -> None:
    """Every crisis of the case as the domain now sees it."""
    for crisis in state.crises.values():
        row = {
            "case_id": state.case_id,
            "organisation": state.organisation or "",
            "detected_at": crisis.detected_at,
            "conditions": list(crisis.conditions),
            "required": list(crisis.required),
            "done": list(crisis.done),
            "outstanding": list(crisis.outstanding),
            "updated_at": at,
        }
        statement = pg_insert(crises).values(crisis_id=crisis.crisis_id, **row)
        await conn.execute(
            statement.on_conflict_do_update(index_elements=[crises.c.crisis_id], set_=row)
        )


async def crises_of(conn: AsyncConnection, case_id: str, organisation: str) -> list[CrisisPublic]:
    """The case's crises, latest first, as its organisation sees them."""
    query = (
        select(crises)
        .where(crises.c.case_id == case_id, crises.c.organisation == organisation)
        .order_by(crises.c.detected_at.desc())
    )
    rows = (await conn.execute(query)).all()
    fields = set(CrisisPublic.model_fields) - {"rule", "domain_rule"}
    return [CrisisPublic.model_validate({f: getattr(r, f) for f in fields}) for r in rows]
