"""Application layer of crises (M-11, JX-7.6.1): load the case's crises, fold, let the domain
decide, append on `crises-<case id>` (keyed and sealed by the case id), update the read model,
commit. A request retried with its Idempotency-Key appends nothing and answers what the first
one left."""

from assessment.domain import crisis as cr
from assessment.handlers.shared import CaseGone, NotVisible, Sent, as_first_answered
from assessment.projections.crises import store_crises
from events.context import Context
from events.errors import KeyShredded
from events.uow import UnitOfWork

Command = cr.RecordCrisis | cr.RecordAction


def crisis_stream(case_id: str) -> str:
    return f"crises-{case_id}"


async def execute(sent: Sent[Command], uow: UnitOfWork, ctx: Context) -> cr.Crises:
    try:
        return await _execute(sent, uow, ctx)
    except KeyShredded:
        raise CaseGone() from None


async def _execute(sent: Sent[Command], uow: UnitOfWork, ctx: Context) -> cr.Crises:
    case_id = sent.command.case_id
    stream = crisis_stream(case_id)
    envelopes = await uow.store.read_stream(uow.conn, stream)
    stored = [await uow.store.decode(e) for e in envelopes]
    state = cr.fold(case_id, stored)
    if state.organisation not in (None, sent.organisation):
        raise NotVisible("crisis")
    if ctx.retried({e.id for e in envelopes}):
        return cr.fold(case_id, as_first_answered(envelopes, stored, ctx))
    events = cr.decide(sent.command, state)
    appended = await uow.append(
        stream,
        state.version,
        ctx.keyed(events),
        ctx.metadata,
        key_scope=case_id,
        partition_key=case_id,
    )
    for event in events:
        state = cr.evolve(state, event)
    await store_crises(uow.conn, state, appended[-1].time)
    await uow.commit()
    return state
