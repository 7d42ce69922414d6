"""Application layer of subscriptions: create (a new webhook secret, sealed in the event and
the read model, returned to the caller once) and delete (the secret's data key shredded)."""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import uuid4

from events.envelope import Metadata
from events.keystore import KeyStore
from events.store import NewEvent
from events.uow import UnitOfWork
from notify import queue
from notify.dispatcher import secret_scope
from notify.domain.events import SubscriptionCreated, SubscriptionDeleted
from notify.domain.subscriptions import Channel, Language, check_subscription


@dataclass(frozen=True)
class CreateSubscription:
    organisation: str
    agency: str | None
    channel: Channel
    target: str
    event_types: list[str]
    language: Language
    actor: str


def stream_of(subscription_id: str) -> str:
    return f"subscription-{subscription_id}"


async def create(uow: UnitOfWork, command: CreateSubscription) -> tuple[str, str | None]:
    """Record the subscription; returns its id and the webhook secret (None for e-mail)."""
    check_subscription(command.channel, command.target, command.event_types)
    subscription_id = str(uuid4())
    secret = secrets.token_urlsafe(32) if command.channel is Channel.WEBHOOK else None
    created = SubscriptionCreated(
        subscription_id=subscription_id,
        organisation=command.organisation,
        agency=command.agency,
        channel=command.channel.value,
        target=command.target,
        event_types=sorted(set(command.event_types)),
        language=command.language.value,
        secret=secret,
        created_by=command.actor,
    )
    (envelope,) = await uow.append(
        stream_of(subscription_id),
        0,
        [NewEvent(created)],
        Metadata(actor=command.actor),
        key_scope=secret_scope(subscription_id),
    )
    row = {
        **created.model_dump(exclude={"secret"}),
        "secret_token": envelope.data["secret"],  # the sealed token, never the plain secret
        "created_event_id": envelope.id,
        "created_at": envelope.time,
    }
    await queue.add_subscription(uow.conn, row)
    return subscription_id, secret


async def delete(uow: UnitOfWork, keys: KeyStore, subscription_id: str, actor: str) -> None:
    row = await queue.subscription(uow.conn, subscription_id)
    if row is None:
        return
    deleted = SubscriptionDeleted(
        subscription_id=subscription_id, organisation=row.organisation, deleted_by=actor
    )
    await uow.append(stream_of(subscription_id), None, [deleted], Metadata(actor=actor))
    await queue.delete_subscription(uow.conn, subscription_id, datetime.now(UTC))
    await uow.commit()
    await keys.shred(secret_scope(subscription_id), "subscription deleted")
