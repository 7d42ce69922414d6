"""The staff registry (DOMAIN §12): register a worker or supervisor, record the yearly
background check (a positive one suspends the person, MZ-7.1.3), deregister a person who
leaves. One suspended or deregistered leaves every case at once, in the same transaction."""

from collections.abc import Callable
from datetime import date
from functools import partial
from urllib.parse import quote

from events.context import Context
from events.registry import EventData
from events.uow import UnitOfWork
from intake.domain import Gender
from intake.domain import cases as case_rules
from intake.domain import staff as rules
from intake.domain.events import WorkerDeregistered, WorkerSuspended
from intake.handlers.shared import append, load
from intake.projections.rows import (
    cases_of_worker,
    child_row,
    staff_from_row,
    staff_row,
    staff_rows,
)


def worker_stream(organisation: str, worker_id: str) -> str:
    """A staff member's stream: per organisation, as the id is (`domain.staff`); both parts
    percent-encoded so that no two (organisation, id) pairs share a stream."""
    return f"staff-{quote(organisation, safe='')}/{quote(worker_id, safe='')}"


async def stream_of(uow: UnitOfWork, organisation: str, worker_id: str) -> str:
    """The stream their registry row names (registrations from before ids were per
    organisation kept `worker-<id>`), else the one a registration would start."""
    row = await staff_row(uow.conn, organisation, worker_id)
    return str(row.stream_id) if row is not None else worker_stream(organisation, worker_id)


def staff_scope(organisation: str, worker_id: str) -> str:
    """The data key of a staff member's facts (name, check results, why they were suspended or
    left): shredding it erases them without touching any child's data, and the other way round."""
    return f"staff:{organisation}:{worker_id}"


async def register_worker(command: rules.RegisterWorker, uow: UnitOfWork, ctx: Context) -> None:
    stream = await stream_of(uow, command.organisation, command.worker_id)
    history = await load(uow, stream)
    if history.retried(ctx):
        return  # a retry of the request that registered this person
    events = rules.register_worker(command, rules.staff_state(history.events))
    scope = staff_scope(command.organisation, command.worker_id)
    await append(uow, stream, history, events, ctx, key_scope=scope)
    await uow.commit()


async def record_background_check(
    command: rules.RecordBackgroundCheck, uow: UnitOfWork, ctx: Context
) -> None:
    decide = partial(rules.record_background_check, command)
    await _change_staff(command.organisation, command.worker_id, command.today, decide, uow, ctx)


async def deregister_worker(command: rules.DeregisterWorker, uow: UnitOfWork, ctx: Context) -> None:
    decide = partial(rules.deregister_worker, command)
    await _change_staff(command.organisation, command.worker_id, command.today, decide, uow, ctx)


async def _change_staff(
    organisation: str,
    worker_id: str,
    today: date,
    decide: Callable[[rules.Staff], list[EventData]],
    uow: UnitOfWork,
    ctx: Context,
) -> None:
    """Append what `decide` makes of the staff member, and take one suspended or deregistered
    off their cases; LookupError when there is no such staff member."""
    stream = await stream_of(uow, organisation, worker_id)
    history = await load(uow, stream)
    state = rules.staff_state(history.events)
    if state is None:
        raise LookupError(worker_id)
    if history.retried(ctx):
        return
    events = decide(state)
    await append(
        uow, stream, history, events, ctx, key_scope=staff_scope(state.organisation, worker_id)
    )
    for event in events:
        if isinstance(event, WorkerSuspended | WorkerDeregistered):
            await _remove_from_cases(uow, state, today, ctx, event.reason, event.rule)
    await uow.commit()


async def _remove_from_cases(
    uow: UnitOfWork, staff: rules.Staff, on: date, ctx: Context, reason: str, rule: str
) -> None:
    """Off every case of their organisation (the same id elsewhere is someone else)."""
    unseeded = Context(ctx.metadata)  # one request, many streams: fresh ids on each case
    worker_id = staff.worker_id
    for case_id in await cases_of_worker(uow.conn, staff.organisation, worker_id):
        history = await load(uow, case_id)
        case = case_rules.case_state(history.events)
        if case is not None:
            events = case_rules.remove_suspended(case, worker_id, on, reason, rule)
            if events:
                events += await _flag_if_short(uow, case, worker_id, on)
            await append(uow, case_id, history, events, unseeded, key_scope=case.child_id)


async def _flag_if_short(
    uow: UnitOfWork, case: case_rules.Case, worker_id: str, on: date
) -> list[EventData]:
    """`intake.case.understaffed` when the team left no longer meets MZ-6.2.2 (the supervisor
    is told to complete it)."""
    left = [w for w in case.team if w != worker_id]
    rows = await staff_rows(uow.conn, case.organisation, left) if left else []
    child = await child_row(uow.conn, case.child_id)
    remaining = [staff_from_row(r).as_member() for r in rows]
    return rules.understaffed(case, worker_id, remaining, Gender(child.gender), on)
