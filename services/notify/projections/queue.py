"""The durable delivery queue: deliveries queued in the transaction of the event that causes
them, claimed by a dispatcher under a lease, and moved on after each attempt. Its tables are
in `tables.py`; a delivered or failed one is closed by its event (`projector.py`)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notify.projections.tables import PENDING, deliveries, subscriptions

#: PostgreSQL NOTIFY channel: delivered on commit of a transaction that queued deliveries.
WAKE_CHANNEL = "careledger_notify_deliveries"


async def enqueue(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Queue deliveries (a notification already queued, same id, is left as it is) and wake
    the dispatchers when the transaction commits."""
    if rows:
        await conn.execute(pg_insert(deliveries).values(list(rows)).on_conflict_do_nothing())
        await conn.execute(text(f"NOTIFY {WAKE_CHANNEL}"))


async def due(
    conn: AsyncConnection, now: datetime, limit: int, skip: Sequence[str], busy: Sequence[str]
) -> list[Any]:
    """Pending deliveries due at `now`, locked (rows another dispatcher holds are skipped),
    leaving out those in flight here (`skip`) and targets with no room (`busy`)."""
    query = (
        select(deliveries, subscriptions.c.secret_token, subscriptions.c.created_event_id)
        .join(
            subscriptions,
            subscriptions.c.subscription_id == deliveries.c.subscription_id,
        )
        .where(deliveries.c.state == PENDING, deliveries.c.next_attempt_at <= now)
        .order_by(deliveries.c.next_attempt_at)
        .limit(limit)
        .with_for_update(of=deliveries, skip_locked=True)
    )
    if skip:
        query = query.where(deliveries.c.notification_id.not_in(list(skip)))
    if busy:
        query = query.where(deliveries.c.target.not_in(list(busy)))
    return list((await conn.execute(query)).all())


async def lease(conn: AsyncConnection, notification_ids: Sequence[str], until: datetime) -> None:
    """Move the next attempt of deliveries being sent to `until`: another dispatcher (or this
    one after a crash) takes them again only if the lease runs out."""
    if notification_ids:
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.notification_id.in_(list(notification_ids)))
            .values(next_attempt_at=until)
        )


async def pending_row(conn: AsyncConnection, notification_id: str) -> Any:
    """The delivery, locked, if it is still pending."""
    query = (
        select(deliveries)
        .where(deliveries.c.notification_id == notification_id, deliveries.c.state == PENDING)
        .with_for_update()
    )
    return (await conn.execute(query)).one_or_none()


async def retry_later(
    conn: AsyncConnection, notification_id: str, attempts: int, error: str, at: datetime
) -> None:
    """Count a failed attempt and plan the next one at `at`."""
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.notification_id == notification_id)
        .values(attempts=attempts, last_error=error, next_attempt_at=at)
    )
