"""What every intake handler does around the domain's decision: read a stream (its envelopes
and decrypted events), append with the command's context and project, in the caller's unit of
work. The handlers commit; the reactions leave the commit to the consumer's inbox transaction.

A command whose context has a seed (an Idempotency-Key, or the event a reaction follows) gets
deterministic event ids, so a retry finds its events stored (`History.retried`) and records
nothing twice.
"""

from dataclasses import dataclass

from events.context import Context
from events.envelope import Envelope
from events.errors import ConcurrencyError, IdempotencyConflict
from events.registry import EventData
from events.uow import UnitOfWork
from intake.projections.projector import project


@dataclass(frozen=True)
class History:
    envelopes: list[Envelope]
    events: list[EventData]

    @property
    def version(self) -> int:
        return self.envelopes[-1].stream_version if self.envelopes else 0

    def retried(self, ctx: Context) -> bool:
        """Did an earlier request with this context's seed append to the stream already?"""
        return ctx.retried([e.id for e in self.envelopes])


EMPTY = History([], [])  # a stream known to be new


async def load(uow: UnitOfWork, stream_id: str) -> History:
    """A stream's envelopes and their decrypted events (KeyShredded if its key is gone)."""
    envelopes = await uow.store.read_stream(uow.conn, stream_id)
    return History(envelopes, [await uow.store.decode(e) for e in envelopes])


async def append(
    uow: UnitOfWork,
    stream_id: str,
    history: History,
    events: list[EventData],
    ctx: Context,
    *,
    key_scope: str,
    partition: str | None = None,
) -> list[Envelope]:
    """Append after `history` and project. `key_scope`: whose data key seals the personal
    fields. Kafka key = `partition`, else the stream id (a case's stream id is its case id):
    whatever is about a case is keyed by the case id once it exists, so its consumers see it in
    order (libs/events/README.md, "Kafka keys")."""
    try:
        envelopes = await uow.append(
            stream_id,
            history.version,
            ctx.keyed(events),
            ctx.metadata,
            key_scope=key_scope,
            partition_key=partition,
        )
    except IdempotencyConflict:
        # the same Idempotency-Key is being served by a concurrent request: answer 409
        raise ConcurrencyError(stream_id, history.version, history.version + 1) from None
    await project(uow.conn, envelopes, events, ctx.fingerprint)
    return envelopes


def within(ctx: Context, part: str) -> Context:
    """The context of a second stream one command appends to: its own seed under the command's,
    so the two streams' event ids never collide."""
    seed = f"{ctx.seed}/{part}" if ctx.seed is not None else None
    return Context(ctx.metadata, seed, ctx.fingerprint)
