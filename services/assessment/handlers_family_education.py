"""Application layer of family-education orders: load the order's stream, fold it, let the
domain decide, append and update the read model in one unit of work."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Date, Integer, Table, Text, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.family_education_order import Order, evolve_order, fold_order
from assessment.handlers import NotVisible, UowFactory, stable_id
from assessment.projections import case_row, metadata
from events.envelope import Metadata
from events.registry import EventData
from events.store import NewEvent

fe_orders = Table(
    "fe_orders",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("ordered_hours", Integer, nullable=False),
    Column("hours_delivered", Integer, nullable=False),
    Column("extension_months", Integer, nullable=False),
    Column("version", Integer, nullable=False),
)


def order_stream(order_id: str) -> str:
    return f"family-education-{order_id}"


async def execute_order(
    uows: UowFactory,
    case_id: str,
    order_id: str,
    organisation: str,
    decide: Callable[[Order], list[EventData]],
    meta: Metadata,
    seed: str | None = None,
) -> Order:
    """Run one command on the order; the case's data key encrypts, its id keys the partition."""
    async with uows() as uow:
        envelopes = await uow.store.read_stream(uow.conn, order_stream(order_id))
        order = fold_order(order_id, [await uow.store.decode(e) for e in envelopes])
        await _check_visible(uow.conn, case_id, order, organisation)
        if seed is not None and stable_id(seed, "0") in {e.id for e in envelopes}:
            return order
        events = decide(order)
        batch = [
            NewEvent(e, stable_id(seed, str(i)) if seed else None) for i, e in enumerate(events)
        ]
        await uow.append(
            order_stream(order_id),
            order.version,
            batch,
            meta,
            key_scope=case_id,
            partition_key=case_id,
        )
        for event in events:
            order = evolve_order(order, event)
        await _store(uow.conn, order, organisation)
        await uow.commit()
        return order


async def _check_visible(conn: AsyncConnection, case_id: str, order: Order, org: str) -> None:
    opened = await case_row(conn, case_id)
    stored = await order_row(conn, order.order_id)
    owners = {row.organisation for row in (opened, stored) if row is not None}
    if owners - {org} or (order.case_id not in (None, case_id)):
        raise NotVisible(case_id)


async def _store(conn: AsyncConnection, order: Order, organisation: str) -> None:
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
