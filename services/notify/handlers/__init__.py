"""Notify's application layer, one module per aggregate: `deadlines`, `notifications`,
`subscriptions`, `calendar`. A handler `verb(command, uow, ctx)` asks the domain, records the
events and commits; the non-committing steps it is made of are shared with the reactions, which
run in the consumer's inbox transaction and leave the commit to it."""

from collections.abc import Sequence

from events.envelope import Envelope, Metadata
from events.store import NewEvent
from events.uow import UnitOfWork
from notify.projections.projector import project


async def record(
    uow: UnitOfWork,
    stream_id: str,
    events: Sequence[NewEvent],
    meta: Metadata,
    *,
    expected_version: int | None = None,
    partition_key: str | None = None,
    key_scope: str | None = None,
) -> list[Envelope]:
    """Append `events` and project each into the read models, in the caller's transaction."""
    envelopes = await uow.append(
        stream_id, expected_version, events, meta, key_scope=key_scope, partition_key=partition_key
    )
    for event, envelope in zip(events, envelopes, strict=True):
        await project(event.data, envelope, uow.conn)
    return envelopes
