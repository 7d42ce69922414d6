"""Read model of subscriptions and the durable delivery queue (SQLAlchemy Core); the schema is
made by `migrations/` (notify_0002). Delivery states: pending -> delivered | failed | cancelled.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    Text,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notify.domain.subscriptions import Route

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
#: PostgreSQL NOTIFY channel: delivered on commit of a transaction that queued deliveries.
WAKE_CHANNEL = "careledger_notify_deliveries"

metadata = MetaData()

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("subscription_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("agency", Text),
    Column("channel", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("event_types", ARRAY(Text), nullable=False),
    Column("language", Text, nullable=False),
    Column("secret_token", JSONB),
    Column("created_event_id", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("notification_id", Text, primary_key=True),
    Column("subscription_id", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("source_event_id", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("finished_at", DateTime(timezone=True)),
)


async def add_subscription(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(pg_insert(subscriptions).values(row).on_conflict_do_nothing())


async def subscription(conn: AsyncConnection, subscription_id: str) -> Any:
    query = select(subscriptions).where(
        subscriptions.c.subscription_id == subscription_id, subscriptions.c.deleted_at.is_(None)
    )
    return (await conn.execute(query)).one_or_none()


async def list_subscriptions(
    conn: AsyncConnection, organisation: str, agency: str | None = None
) -> Sequence[Any]:
    query = select(subscriptions).where(
        subscriptions.c.organisation == organisation, subscriptions.c.deleted_at.is_(None)
    )
    if agency is not None:
        query = query.where(subscriptions.c.agency == agency)
    return (await conn.execute(query.order_by(subscriptions.c.created_at))).all()


async def delete_subscription(conn: AsyncConnection, subscription_id: str, at: datetime) -> None:
    """Mark it deleted and cancel what it still had pending."""
    await conn.execute(
        update(subscriptions)
        .where(subscriptions.c.subscription_id == subscription_id)
        .values(deleted_at=at, secret_token=None)
    )
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.subscription_id == subscription_id, deliveries.c.state == PENDING)
        .values(state=CANCELLED, finished_at=at)
    )


async def routes(conn: AsyncConnection, organisation: str | None) -> list[tuple[Route, Any]]:
    """The organisation's live subscriptions (every organisation's for None), as routes and
    rows."""
    query = select(subscriptions).where(subscriptions.c.deleted_at.is_(None))
    if organisation is not None:
        query = query.where(subscriptions.c.organisation == organisation)
    rows = (await conn.execute(query)).all()
    return [
        (Route(r.subscription_id, r.organisation, r.agency, tuple(r.event_types)), r) for r in rows
    ]


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


async def mark(conn: AsyncConnection, notification_id: str, **values: Any) -> None:
    await conn.execute(
        update(deliveries).where(deliveries.c.notification_id == notification_id).values(**values)
    )
