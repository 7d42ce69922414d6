"""Readers of `fe_orders`: one order, and a case's orders as its organisation sees them."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.projections.tables import fe_orders


async def order_row(conn: AsyncConnection, order_id: str) -> Any:
    query = select(fe_orders).where(fe_orders.c.order_id == order_id)
    return (await conn.execute(query)).one_or_none()


async def orders_of(conn: AsyncConnection, case_id: str, organisation: str) -> list[Any]:
    query = (
        select(fe_orders)
        .where(fe_orders.c.case_id == case_id, fe_orders.c.organisation == organisation)
        .order_by(fe_orders.c.starts_on)
    )
    return list((await conn.execute(query)).all())
