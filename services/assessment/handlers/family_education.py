"""Application layer of family-education orders: load the order's stream, fold it, let the
domain decide, append and update the read model in one unit of work. The case's data key
encrypts the order's events and its id keys their partition. A request retried with its
Idempotency-Key appends nothing and answers the order as that request first left it."""

from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain import family_education_order as fe
from assessment.domain.events import FamilyEducationOrdered
from assessment.domain.family_education_order import Order, evolve_order, fold_order
from assessment.handlers.shared import NotVisible, Sent, as_first_answered
from assessment.handlers.tasks import meet_by_order
from assessment.projections.projector_family_education import store_order
from assessment.projections.queries import case_row
from assessment.projections.queries_family_education import order_row
from events.context import Context
from events.uow import UnitOfWork


def order_stream(order_id: str) -> str:
    return f"family-education-{order_id}"


async def execute(sent: Sent[fe.Command], uow: UnitOfWork, ctx: Context) -> Order:
    """Run one command on its order; the order as the domain sees it afterwards."""
    command = sent.command
    stream = order_stream(command.order_id)
    envelopes = await uow.store.read_stream(uow.conn, stream)
    stored = [await uow.store.decode(e) for e in envelopes]
    order = fold_order(command.order_id, stored)
    await _check_visible(uow.conn, command.case_id, order, sent.organisation)
    if ctx.retried({e.id for e in envelopes}):
        return fold_order(command.order_id, as_first_answered(envelopes, stored, ctx))
    events = fe.decide(command, order)
    await uow.append(
        stream,
        order.version,
        ctx.keyed(events),
        ctx.metadata,
        key_scope=command.case_id,
        partition_key=command.case_id,
    )
    for event in events:
        order = evolve_order(order, event)
        if isinstance(event, FamilyEducationOrdered):
            await meet_by_order(uow, event, ctx)
    await store_order(uow.conn, order, sent.organisation)
    await uow.commit()
    return order


async def _check_visible(conn: AsyncConnection, case_id: str, order: Order, org: str) -> None:
    opened = await case_row(conn, case_id)
    stored = await order_row(conn, order.order_id)
    owners = {row.organisation for row in (opened, stored) if row is not None}
    if owners - {org} or (order.case_id not in (None, case_id)):
        raise NotVisible("family-education order")
