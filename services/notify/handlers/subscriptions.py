"""Subscriptions: create (a new webhook secret, sealed in the event and the read model, returned
to the caller once; a webhook's host must resolve to public addresses only) and delete (pending
deliveries cancelled, the secret's data key shredded)."""

import secrets
from uuid import uuid4

from events.context import Context
from events.keystore import KeyStore
from events.store import NewEvent
from events.uow import UnitOfWork
from notify.domain.events import SubscriptionCreated, SubscriptionDeleted
from notify.domain.subscriptions import (
    Channel,
    CreateSubscription,
    DeleteSubscription,
    check_subscription,
    secret_scope,
    stream_of,
)
from notify.handlers import record
from notify.handlers.targets import STRICT, TargetPolicy
from notify.projections import queries


async def create(
    command: CreateSubscription,
    uow: UnitOfWork,
    ctx: Context,
    *,
    targets: TargetPolicy = STRICT,
) -> tuple[str, str | None]:
    """Record the subscription; returns its id and the webhook secret (None for e-mail).
    The host is resolved before the first statement, so no transaction waits on DNS."""
    check_subscription(command.channel, command.target, command.event_types)
    if command.channel is Channel.WEBHOOK:
        await targets.vet(command.target)
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
        created_by=ctx.actor,
    )
    await record(
        uow,
        stream_of(subscription_id),
        [NewEvent(created)],
        ctx.metadata,
        expected_version=0,
        key_scope=secret_scope(subscription_id),
    )
    await uow.commit()
    return subscription_id, secret


async def delete(
    command: DeleteSubscription, uow: UnitOfWork, ctx: Context, *, keys: KeyStore
) -> None:
    """Stop notifying it and shred its secret once the deletion is committed."""
    subscription_id = command.subscription_id
    row = await queries.subscription(uow.conn, subscription_id)
    if row is None:
        return
    deleted = SubscriptionDeleted(
        subscription_id=subscription_id, organisation=row.organisation, deleted_by=ctx.actor
    )
    await record(uow, stream_of(subscription_id), [NewEvent(deleted)], ctx.metadata)
    await uow.commit()
    await keys.shred(secret_scope(subscription_id), "subscription deleted")
