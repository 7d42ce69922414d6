"""What the assessment handlers share: who sent a command, the problems a handler answers with
when the caller may not see the record or reuses a key, and appending to a case's streams."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from events.context import Context
from events.domain import EventData
from events.envelope import Envelope
from events.problems import Problem
from events.store import NewEvent
from events.uow import UnitOfWork

C = TypeVar("C", covariant=True)  # a Sent[IssueOrder] is a Sent[Command]


@dataclass(frozen=True)
class Sent(Generic[C]):
    """A domain command as a caller sent it: the organisation that must own the record it
    changes and, when the caller acts as a worker, their id (a worker acts on their cases)."""

    command: C
    organisation: str
    worker_id: str | None = None


class NotVisible(Problem):
    """The record belongs to another organisation or caller: answered as if it did not exist,
    so its existence is not disclosed."""

    def __init__(self, what: str) -> None:
        detail = f"no {what} with this id is visible to you"
        super().__init__(404, "not-found", "Not found", detail)


class KeyReused(Problem):
    """An Idempotency-Key was sent again with a different request."""

    def __init__(self) -> None:
        detail = "this key was sent with another request"
        super().__init__(409, "conflict", "Idempotency-Key reused", detail)


class CaseGone(Problem):
    """The case's data key was destroyed when its archive was handed over."""

    def __init__(self) -> None:
        detail = "this case's data key was destroyed"
        super().__init__(410, "gone", "Archive handed over", detail)


async def append_to_case(
    uow: UnitOfWork,
    stream: str,
    events: Sequence[EventData | NewEvent],
    ctx: Context,
    case_id: str,
) -> list[Envelope]:
    """Append at the stream's present version, keyed and encrypted by the case id."""
    if not events:
        return []
    version = await uow.store.version(uow.conn, stream)
    return await uow.append(
        stream, version, list(events), ctx.metadata, key_scope=case_id, partition_key=case_id
    )


def as_first_answered(
    envelopes: Sequence[Envelope], events: Sequence[EventData], ctx: Context
) -> list[EventData]:
    """A stream's events as a retried request first left them: up to the last one it appended
    (its ids are the ones `ctx.keyed` gives), so the retry answers what the first answer said."""
    mine = {new.event_id for new in ctx.keyed(events)}
    last = max(i for i, e in enumerate(envelopes) if e.id in mine)
    return list(events[: last + 1])
