"""Read model `fe_orders`: each family-education order as its folded state says (no guardian,
no notes), written in the unit of work that appends the order's events."""

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.family_education_order import Order
from assessment.projections.tables import fe_orders


async def store_order(conn: AsyncConnection, order: Order, organisation: str) -> None:
    row = {
        "order_id": order.order_id,
        "case_id": order.case_id,
        "organisation": organisation,
        "status": order.status,
        "starts_on": order.starts_on,
        "ends_on": order.ends_on,
        "ordered_hours": order.ordered_hours,
        "hours_delivered": order.hours_delivered,
        "extension_months": order.extension_months,
        "version": order.version,
    }
    await conn.execute(
        pg_insert(fe_orders)
        .values(row)
        .on_conflict_do_update(index_elements=[fe_orders.c.order_id], set_=row)
    )
