"""Application layer of the mental-health service: load the case's stream, fold it, let the
domain decide, append the events and update the read models in one unit of work.

The caseload cap (M-6) spans cases, so a command that puts a case on a worker's caseload takes a
transaction-scoped lock on that worker first: two cases offered to one worker at once are decided
one after the other, and the ninth is refused however the requests interleave. That worker must
be on the case's team (ARCHITECTURE, Security), or they would hold a case they may not see.
"""

from assessment.domain import mental_health as mh
from assessment.domain.access import may_hold
from assessment.domain.mental_health import MentalHealthCase, evolve, fold
from assessment.handlers.shared import CaseGone, NotVisible, Sent
from assessment.projections.projector_mental_health import project_mental_health
from assessment.projections.queries import case_row
from assessment.projections.queries_mental_health import lock_worker, open_cases_of
from assessment.projections.queries_staff import team_of
from events.context import Context
from events.domain import refuse
from events.errors import KeyShredded
from events.uow import UnitOfWork

MISSING = "mental-health case"


def mental_health_stream(case_id: str) -> str:
    return f"mental-health-{case_id}"


async def execute(sent: Sent[mh.Command], uow: UnitOfWork, ctx: Context) -> MentalHealthCase:
    """Run one command on its case: a worker acts on the cases they hold or that nobody holds
    yet, anyone only on their organisation's. The case as the domain sees it afterwards."""
    try:
        return await _execute(sent, uow, ctx)
    except KeyShredded:
        raise CaseGone() from None


async def _execute(sent: Sent[mh.Command], uow: UnitOfWork, ctx: Context) -> MentalHealthCase:
    case_id = sent.command.case_id
    case, ids = await _load(uow, case_id)
    await _check_visible(uow, case, sent)
    if ctx.retried(ids):
        return case  # a retried request: its events are stored already
    await _check_holder(uow, sent.command)
    open_cases = await _caseload(uow, sent, case_id)
    events = mh.decide(sent.command, case, open_cases)
    envelopes = await uow.append(
        mental_health_stream(case_id),
        case.version,
        ctx.keyed(events),
        ctx.metadata,
        key_scope=case_id,
        partition_key=case_id,
    )
    after = case
    for event in events:
        after = evolve(after, event)
    after = after.model_copy(update={"organisation": after.organisation or sent.organisation})
    await project_mental_health(uow.conn, envelopes, events, after)
    await uow.commit()
    return after


async def _load(uow: UnitOfWork, case_id: str) -> tuple[MentalHealthCase, set[str]]:
    envelopes = await uow.store.read_stream(uow.conn, mental_health_stream(case_id))
    events = [await uow.store.decode(e) for e in envelopes]
    return fold(case_id, events), {e.id for e in envelopes}


async def _check_visible(uow: UnitOfWork, case: MentalHealthCase, sent: Sent[mh.Command]) -> None:
    opened = await case_row(uow.conn, case.case_id)
    owners = {case.organisation} if case.organisation else set()
    owners |= {opened.organisation} if opened is not None else set()
    if owners - {sent.organisation}:
        raise NotVisible(MISSING)
    if sent.worker_id is not None and case.worker_id not in (None, sent.worker_id):
        raise NotVisible(MISSING)


async def _check_holder(uow: UnitOfWork, command: mh.Command) -> None:
    """The worker the command gives the case to is on its team (422 otherwise)."""
    worker = mh.caseload_worker(command)
    if worker is None:
        return
    opened = await case_row(uow.conn, command.case_id)
    owner = opened.organisation if opened is not None else None
    access = may_hold(worker, owner, await team_of(uow.conn, command.case_id))
    if not access.allowed:
        field = "to_worker" if isinstance(command, mh.ChangeWorker) else "worker_id"
        raise refuse("worker_not_on_team", access.rule, access.reason, field=field)


async def _caseload(uow: UnitOfWork, sent: Sent[mh.Command], case_id: str) -> int:
    """The open cases of the worker the command puts the case on, counted under their lock."""
    worker = mh.caseload_worker(sent.command)
    if worker is None:
        return 0
    await lock_worker(uow.conn, sent.organisation, worker)
    return await open_cases_of(uow.conn, sent.organisation, worker, case_id)
