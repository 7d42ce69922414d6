"""Reports (DOMAIN §2) and mandatory reports (§3): receive a report, registering the child it
names when the registry does not know them, and record a recipient's acknowledgement."""

from collections.abc import Callable
from functools import partial

from sqlalchemy.exc import IntegrityError

from events.context import Context
from events.domain import EventData, conflict
from events.errors import ConcurrencyError, IdempotencyConflict
from events.store import StreamAppend
from events.uow import UnitOfWork
from intake.domain import reports as rules
from intake.handlers.children import known_child, registration
from intake.handlers.shared import append, load
from intake.projections.projector import ChildRow, add_report
from intake.projections.rows import report_row


def report_stream(report_id: str) -> str:
    return f"report-{report_id}"


async def receive_report(
    command: rules.ReceiveReport, uow: UnitOfWork, ctx: Context, *, lookup_key: bytes
) -> list[EventData]:
    """Receive a report about a registered child (same resident ID) or a new one; a retry of
    the same request (same Idempotency-Key and body) records nothing new. Returns the report's
    events, which are its answer: no second read. `lookup_key` makes the registry's digests
    (`intake.domain.children`)."""
    stream = report_stream(command.report_id)
    if ctx.seed is not None and (row := await report_row(uow.conn, command.report_id)):
        if row.fingerprint != ctx.fingerprint:
            message = "this Idempotency-Key was used for a different report"
            raise conflict("idempotency_key_reused", "I-1", message)
        return (await load(uow, stream)).events
    # Without a key the report id is new (uuid4), and with one no row means no events either
    # (row and events commit together): the stream is empty, nothing to read.
    known = await known_child(uow, command, lookup_key)
    if known is not None:
        command = command.model_copy(update={"child_id": known})
    events = rules.receive_report(command)
    child = registration(events[0], known is not None, ctx, lookup_key)
    # Keyed by the report id: no case holds the report yet. A new child's stream goes first,
    # in the same statement: one round trip for both streams.
    report = StreamAppend(
        stream, 0, ctx.keyed(events), key_scope=command.child_id, key=command.report_id
    )
    appends = [report] if child is None else [child.stream, report]
    try:
        *registered, envelopes = await uow.append_streams(appends, ctx.metadata)
    except IdempotencyConflict:
        # The same Idempotency-Key is being served by a concurrent request: 409. The child's
        # events are written first, so a new child's clash is theirs, told as such.
        if child is not None:
            raise
        raise ConcurrencyError(stream, 0, 1) from None
    row = None
    if child is not None:
        row = ChildRow(registered[0][0], child.event, child.id_digest, child.birth_digest)
    try:
        await add_report(uow.conn, envelopes, events, ctx.fingerprint, row)
    except IntegrityError:
        if row is None:
            raise
        # the child's row clashed (as a report's row can only clash along with it)
        message = "a report naming this child was received meanwhile; send the report again"
        raise conflict("child_registered_meanwhile", "JX-9.1", message) from None
    await uow.commit()
    return events


async def acknowledge(
    command: rules.AcknowledgeMandatoryReport, uow: UnitOfWork, ctx: Context
) -> None:
    """Record that one recipient acknowledged the mandatory report (SZ-5.2.1)."""
    await _on_report(command.report_id, partial(rules.acknowledge, command), uow, ctx)


async def notify_civil_affairs(
    command: rules.NotifyCivilAffairs, uow: UnitOfWork, ctx: Context
) -> None:
    """Record the report to the supervising civil-affairs department (SZ-6.2.1)."""
    await _on_report(command.report_id, partial(rules.notify_civil_affairs, command), uow, ctx)


async def _on_report(
    report_id: str,
    decide: Callable[[rules.Report], list[EventData]],
    uow: UnitOfWork,
    ctx: Context,
) -> None:
    """Load the report, let the domain decide, append keyed as the report's case is (a retry
    is a no-op); LookupError when there is no such report."""
    stream = report_stream(report_id)
    history = await load(uow, stream)
    state = rules.report_state(history.events)
    if state is None:
        raise LookupError(report_id)
    if history.retried(ctx):
        return
    events = decide(state)
    key = await _report_key(uow, report_id)
    await append(uow, stream, history, events, ctx, key_scope=state.child_id, partition=key)
    await uow.commit()


async def _report_key(uow: UnitOfWork, report_id: str) -> str:
    """The case id once a case holds the report, else the report id. The row is locked: a case
    being opened from the report meanwhile has it locked until it commits, and then its id is
    read here (unlocked, the not yet committed case would be missed and the key be stale)."""
    row = await report_row(uow.conn, report_id, lock=True)
    return str(row.case_id) if row is not None and row.case_id else report_id
