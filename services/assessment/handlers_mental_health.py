"""Application layer of the mental-health service: load the case's stream, fold it, let the
domain decide, append the events and update the read models in one unit of work.

The caseload cap (M-6) spans cases, so a command that puts a case on a worker's caseload takes a
transaction-scoped lock on that worker first: two cases offered to one worker at once are decided
one after the other, and the ninth is refused however the requests interleave.
"""

from collections.abc import Callable
from dataclasses import dataclass

from assessment.domain.mental_health import MentalHealthCase, evolve, fold
from assessment.handlers import NotVisible, UowFactory, stable_id
from assessment.projections import case_row
from assessment.projections_mental_health import lock_worker, open_cases_of, project_mental_health
from events.envelope import Metadata
from events.registry import EventData
from events.store import NewEvent
from events.uow import UnitOfWork

Decide = Callable[[MentalHealthCase, int], list[EventData]]


def mental_health_stream(case_id: str) -> str:
    return f"mental-health-{case_id}"


@dataclass(frozen=True)
class Caller:
    """Who acts: their organisation, and their worker id when they act as a worker (a worker
    may act only on cases they hold, or on a case no one holds yet)."""

    organisation: str
    worker_id: str | None = None


async def execute(
    uows: UowFactory,
    case_id: str,
    caller: Caller,
    decide: Decide,
    meta: Metadata,
    *,
    caseload_of: str | None = None,
    seed: str | None = None,
) -> MentalHealthCase:
    """Run one command on the case; `caseload_of` names the worker whose open cases it counts."""
    async with uows() as uow:
        case, ids = await _load(uow, case_id)
        await _check_visible(uow, case, caller)
        if seed is not None and stable_id(seed, "0") in ids:
            return case  # a retried request: its events are stored already
        open_cases = 0
        if caseload_of is not None:
            await lock_worker(uow.conn, caller.organisation, caseload_of)
            open_cases = await open_cases_of(uow.conn, caller.organisation, caseload_of, case_id)
        events = decide(case, open_cases)
        batch = [
            NewEvent(e, stable_id(seed, str(i)) if seed else None) for i, e in enumerate(events)
        ]
        envelopes = await uow.append(
            mental_health_stream(case_id),
            case.version,
            batch,
            meta,
            key_scope=case_id,
            partition_key=case_id,
        )
        after = case
        for event in events:
            after = evolve(after, event)
        after = after.model_copy(update={"organisation": after.organisation or caller.organisation})
        await project_mental_health(uow.conn, envelopes, events, after)
        await uow.commit()
        return after


async def _load(uow: UnitOfWork, case_id: str) -> tuple[MentalHealthCase, set[str]]:
    envelopes = await uow.store.read_stream(uow.conn, mental_health_stream(case_id))
    events = [await uow.store.decode(e) for e in envelopes]
    return fold(case_id, events), {e.id for e in envelopes}


async def _check_visible(uow: UnitOfWork, case: MentalHealthCase, caller: Caller) -> None:
    opened = await case_row(uow.conn, case.case_id)
    owners = {case.organisation} if case.organisation else set()
    owners |= {opened.organisation} if opened is not None else set()
    if owners - {caller.organisation}:
        raise NotVisible(case.case_id)
    if caller.worker_id is not None and case.worker_id not in (None, caller.worker_id):
        raise NotVisible(case.case_id)
