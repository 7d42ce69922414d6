"""Application layer of the intake service: load a stream, let the domain decide, append the
events with their read-model changes in one unit of work.

A command given an idempotency seed gets deterministic event ids (uuid5), so a retried request
finds its events stored and returns what the first one recorded, instead of recording twice.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from sqlalchemy.exc import IntegrityError

from events.envelope import Envelope, Metadata
from events.errors import ConcurrencyError, IdempotencyConflict
from events.registry import EventData
from events.store import NewEvent
from events.uow import UnitOfWork
from intake import lookup as lookups
from intake.domain import Gender, casework
from intake.domain import cases as case_rules
from intake.domain import categories as category_rules
from intake.domain import children as child_rules
from intake.domain import reports as report_rules
from intake.domain import staff as staff_rules
from intake.domain.events import (
    ChildRegistered,
    FollowupCategorySet,
    ReportReceived,
    WorkerDeregistered,
    WorkerSuspended,
)
from intake.domain.refusals import Kind, refuse
from intake.projections import (
    add_child,
    cases_of_worker,
    child_row,
    child_rows,
    child_with_id_digest,
    next_case_number,
    project,
    report_row,
    report_rows,
    staff_from_row,
    staff_rows,
)

ID_NAMESPACE = uuid.UUID("3f9d4a52-6a51-4b0e-9a53-5c1b0f6e7d21")
UowFactory = Callable[[], UnitOfWork]
REPORT_REF = ("report_id", "organisation", "child_id", "case_id")


def stable_id(seed: str, part: str) -> str:
    """The same id for the same seed and part, every time."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{seed}/{part}"))


def worker_stream(worker_id: str) -> str:
    return f"worker-{worker_id}"


def report_stream(report_id: str) -> str:
    return f"report-{report_id}"


def staff_scope(organisation: str, worker_id: str) -> str:
    """The data key of a staff member's facts (name, check results, why they were suspended or
    left): shredding it erases them without touching any child's data, and the other way round."""
    return f"staff:{organisation}:{worker_id}"


@dataclass(frozen=True)
class History:
    envelopes: list[Envelope]
    events: list[EventData]

    @property
    def version(self) -> int:
        return self.envelopes[-1].stream_version if self.envelopes else 0

    def holds(self, event_id: str | None) -> bool:
        return event_id is not None and any(e.id == event_id for e in self.envelopes)


async def load(uow: UnitOfWork, stream_id: str) -> History:
    """A stream's envelopes and their decrypted events (KeyShredded if its key is gone)."""
    envelopes = await uow.store.read_stream(uow.conn, stream_id)
    return History(envelopes, [await uow.store.decode(e) for e in envelopes])


def _batch(events: list[EventData], seed: str | None) -> list[EventData | NewEvent]:
    """The events to append; with a seed, each gets the id a retry would give it too."""
    if seed is None:
        return list(events)
    return [NewEvent(e, stable_id(seed, str(i))) for i, e in enumerate(events)]


def _retried(history: History, seed: str | None) -> bool:
    """Did an earlier request with this seed append already?"""
    return seed is not None and history.holds(stable_id(seed, "0"))


async def append(
    uow: UnitOfWork,
    stream_id: str,
    history: History,
    events: list[EventData],
    meta: Metadata,
    seed: str | None,
    *,
    key_scope: str | None = None,
    fingerprint: str | None = None,
    partition: str | None = None,
) -> list[Envelope]:
    """Append and project. Kafka key = `partition`, else the stream id (a case's stream id is
    its case id): whatever is about a case is keyed by the case id once it exists, so its
    consumers see it in order (libs/events/README.md, "Kafka keys")."""
    batch = _batch(events, seed)
    try:
        envelopes = await uow.append(
            stream_id, history.version, batch, meta, key_scope=key_scope, partition_key=partition
        )
    except IdempotencyConflict:
        # the same Idempotency-Key is being served by a concurrent request: answer 409
        raise ConcurrencyError(stream_id, history.version, history.version + 1) from None
    await project(uow.conn, envelopes, events, fingerprint)
    return envelopes


async def register_worker(
    uows: UowFactory, command: staff_rules.RegisterWorker, meta: Metadata, seed: str | None
) -> None:
    stream = worker_stream(command.worker_id)
    async with uows() as uow:
        history = await load(uow, stream)
        if _retried(history, seed):
            return  # a retry of the request that registered this person
        events = staff_rules.register_worker(command, staff_rules.staff_state(history.events))
        scope = staff_scope(command.organisation, command.worker_id)
        await append(uow, stream, history, events, meta, seed, key_scope=scope)
        await uow.commit()


async def record_background_check(
    uows: UowFactory,
    command: staff_rules.RecordBackgroundCheck,
    meta: Metadata,
    seed: str | None,
) -> bool:
    """Record the check; False when there is no such staff member."""
    decide = partial(staff_rules.record_background_check, command)
    return await _change_staff(uows, command.worker_id, command.today, decide, meta, seed)


async def deregister_worker(
    uows: UowFactory,
    command: staff_rules.DeregisterWorker,
    meta: Metadata,
    seed: str | None,
) -> bool:
    """Deregister the person; False when there is no such staff member."""
    decide = partial(staff_rules.deregister_worker, command)
    return await _change_staff(uows, command.worker_id, command.today, decide, meta, seed)


async def _change_staff(
    uows: UowFactory,
    worker_id: str,
    today: date,
    decide: Callable[[staff_rules.Staff], list[EventData]],
    meta: Metadata,
    seed: str | None,
) -> bool:
    """Append what `decide` makes of the staff member; one suspended or deregistered leaves
    every case at once, in the same transaction. False when there is no such staff member."""
    stream = worker_stream(worker_id)
    async with uows() as uow:
        history = await load(uow, stream)
        state = staff_rules.staff_state(history.events)
        if state is None:
            return False
        if _retried(history, seed):
            return True
        events = decide(state)
        scope = staff_scope(state.organisation, worker_id)
        await append(uow, stream, history, events, meta, seed, key_scope=scope)
        for event in events:
            if isinstance(event, WorkerSuspended | WorkerDeregistered):
                await _remove_from_cases(uow, worker_id, today, meta, event.reason, event.rule)
        await uow.commit()
        return True


async def _remove_from_cases(
    uow: UnitOfWork, worker_id: str, on: date, meta: Metadata, reason: str, rule: str
) -> None:
    for case_id in await cases_of_worker(uow.conn, worker_id):
        history = await load(uow, case_id)
        state = case_rules.case_state(history.events)
        if state is not None:
            events = case_rules.remove_suspended(state, worker_id, on, reason, rule)
            await append(uow, case_id, history, events, meta, None, key_scope=state.child_id)


async def receive_report(
    uows: UowFactory,
    command: report_rules.ReceiveReport,
    meta: Metadata,
    seed: str | None,
    fingerprint: str,
    lookup: bytes,
) -> str:
    """Receive a report about a registered child (same resident ID) or a new one; with a seed,
    a retry of the same request records nothing new. Returns the report id."""
    async with uows() as uow:
        row = await report_row(uow.conn, command.report_id)
        if row is not None:
            if row.fingerprint != fingerprint:
                message = "this Idempotency-Key was used for a different report"
                raise refuse(Kind.CONFLICT, "idempotency_key_reused", "I-1", message)
            return command.report_id
        known = await _known_child(uow, command, lookup)
        if known is not None:
            command = command.model_copy(update={"child_id": known})
        events = report_rules.receive_report(command)
        await _register_child(uow, events[0], known is not None, meta, seed, lookup)
        stream = report_stream(command.report_id)
        await append(
            uow,
            stream,
            await load(uow, stream),
            events,
            meta,
            seed,
            key_scope=command.child_id,
            fingerprint=fingerprint,
            partition=command.report_id,  # no case holds a report yet
        )
        await uow.commit()
        return command.report_id


async def _known_child(
    uow: UnitOfWork, command: report_rules.ReceiveReport, lookup: bytes
) -> str | None:
    """The registered child with the report's resident ID number, if there is one."""
    if command.child.resident_id is None:
        return None
    digest = lookups.id_digest(lookup, command.child.resident_id)
    row = await child_with_id_digest(uow.conn, command.organisation, digest)
    return None if row is None else str(row.child_id)


async def _register_child(
    uow: UnitOfWork,
    received: EventData,
    known: bool,
    meta: Metadata,
    seed: str | None,
    lookup: bytes,
) -> None:
    assert isinstance(received, ReportReceived)
    events = child_rules.register_child(received, known)
    if not events:
        return
    child = received.child
    batch = _batch(events, f"{seed}/child" if seed else None)
    # Keyed like the report that names the child first, so both reach consumers in order.
    envelopes = await uow.append(
        received.child_id,
        0,
        batch,
        meta,
        key_scope=received.child_id,
        partition_key=received.report_id,
    )
    registered = events[0]
    assert isinstance(registered, ChildRegistered)
    try:
        await add_child(
            uow.conn,
            envelopes[0],
            registered,
            lookups.id_digest(lookup, child.resident_id) if child.resident_id else None,
            lookups.birth_digest(lookup, child.birth_date) if child.birth_date else None,
        )
    except IntegrityError:
        message = "a report naming this child was received meanwhile; send the report again"
        raise refuse(Kind.CONFLICT, "child_registered_meanwhile", "JX-9.1", message) from None


async def acknowledge(
    uows: UowFactory,
    report_id: str,
    command: report_rules.AcknowledgeMandatoryReport,
    meta: Metadata,
    seed: str | None,
) -> None:
    stream = report_stream(report_id)
    async with uows() as uow:
        history = await load(uow, stream)
        state = report_rules.report_state(history.events)
        if state is None:
            raise LookupError(report_id)
        if _retried(history, seed):
            return
        events = report_rules.acknowledge(command, state)
        key = await _report_key(uow, report_id)
        await append(
            uow, stream, history, events, meta, seed, key_scope=state.child_id, partition=key
        )
        await uow.commit()


async def _report_key(uow: UnitOfWork, report_id: str) -> str:
    """The case id once a case holds the report, else the report id. The row is locked: a case
    being opened from the report meanwhile has it locked until it commits, and then its id is
    read here (unlocked, the not yet committed case would be missed and the key be stale)."""
    row = await report_row(uow.conn, report_id, lock=True)
    return str(row.case_id) if row is not None and row.case_id else report_id


async def open_case(
    uows: UowFactory, command: case_rules.OpenCase, meta: Metadata, seed: str | None
) -> None:
    """Open a case from reports; the case number is drawn in the same transaction."""
    async with uows() as uow:
        history = await load(uow, command.case_id)
        if _retried(history, seed):
            return
        rows = await report_rows(uow.conn, command.report_ids)
        refs = [case_rules.ReportRef(**{k: r._mapping[k] for k in REPORT_REF}) for r in rows]
        year = report_rules.local_date(command.opened_at).year
        number = await next_case_number(uow.conn, command.organisation, year)
        events = case_rules.open_case(command, refs, number)
        child_id = refs[0].child_id
        await append(uow, command.case_id, history, events, meta, seed, key_scope=child_id)
        await uow.commit()


async def assign_team(
    uows: UowFactory,
    case_id: str,
    command: case_rules.AssignTeam,
    meta: Metadata,
    seed: str | None,
) -> None:
    """Set the case's investigation team, checked against I-5 and §12 on the day."""
    async with uows() as uow:
        history = await load(uow, case_id)
        state = case_rules.case_state(history.events)
        if state is None:
            raise LookupError(case_id)
        if _retried(history, seed):
            return
        members = [
            staff_from_row(r).as_member() for r in await staff_rows(uow.conn, command.worker_ids)
        ]
        child = await child_row(uow.conn, state.child_id)
        events = case_rules.assign_team(command, state, members, Gender(child.gender))
        await append(uow, case_id, history, events, meta, seed, key_scope=state.child_id)
        await uow.commit()


CaseDecision = Callable[[case_rules.Case], list[EventData]]


async def on_case(
    uows: UowFactory, case_id: str, decide: CaseDecision, meta: Metadata, seed: str | None
) -> None:
    """Load the case, let the domain decide, append; a retry with the same seed is a no-op."""
    async with uows() as uow:
        history, state = await _case(uow, case_id)
        if _retried(history, seed):
            return
        events = decide(state)
        await append(uow, case_id, history, events, meta, seed, key_scope=state.child_id)
        await uow.commit()


async def _case(uow: UnitOfWork, case_id: str) -> tuple[History, case_rules.Case]:
    history = await load(uow, case_id)
    state = case_rules.case_state(history.events)
    if state is None:
        raise LookupError(case_id)
    return history, state


async def record_visit(
    uows: UowFactory, case_id: str, command: casework.RecordVisit, meta: Metadata, seed: str | None
) -> None:
    await on_case(uows, case_id, partial(casework.record_visit, command), meta, seed)


async def record_investigation(
    uows: UowFactory,
    case_id: str,
    command: casework.RecordInvestigation,
    meta: Metadata,
    seed: str | None,
) -> None:
    await on_case(uows, case_id, partial(casework.record_investigation, command), meta, seed)


async def record_statement(
    uows: UowFactory,
    case_id: str,
    command: casework.RecordStatement,
    meta: Metadata,
    seed: str | None,
) -> None:
    await on_case(uows, case_id, partial(casework.record_statement, command), meta, seed)


async def record_consent(
    uows: UowFactory,
    case_id: str,
    command: casework.RecordConsent,
    meta: Metadata,
    seed: str | None,
) -> None:
    await on_case(uows, case_id, partial(casework.record_consent, command), meta, seed)


async def change_status(
    uows: UowFactory,
    case_id: str,
    command: case_rules.ChangeStatus,
    meta: Metadata,
    seed: str | None,
) -> None:
    await on_case(uows, case_id, partial(case_rules.change_status, command), meta, seed)


async def set_categories(
    uows: UowFactory,
    case_id: str,
    command: category_rules.SetCategories,
    meta: Metadata,
    seed: str | None,
) -> None:
    """Record the child's categories on the child's stream; a changed follow-up category is
    announced on the case's stream (`intake.case.followup_category_set`), one transaction."""
    async with uows() as uow:
        case_history, case = await _case(uow, case_id)
        child_history = await load(uow, case.child_id)
        if _retried(child_history, seed):
            return
        current = category_rules.categories_of(child_history.events)
        events = category_rules.set_categories(command, case, current)
        on_case_: list[EventData] = [e for e in events if isinstance(e, FollowupCategorySet)]
        on_child = [e for e in events if not isinstance(e, FollowupCategorySet)]
        await append(
            uow,
            case.child_id,
            child_history,
            on_child,
            meta,
            seed,
            key_scope=case.child_id,
            partition=case_id,
        )
        if on_case_:
            await append(
                uow,
                case_id,
                case_history,
                on_case_,
                meta,
                f"{seed}/case" if seed else None,
                key_scope=case.child_id,
                partition=case_id,
            )
        await uow.commit()


async def record_household(
    uows: UowFactory,
    case_id: str,
    command: category_rules.RecordHousehold,
    meta: Metadata,
    seed: str | None,
) -> None:
    async with uows() as uow:
        _, case = await _case(uow, case_id)
        child_history = await load(uow, case.child_id)
        if _retried(child_history, seed):
            return
        rows = await child_rows(uow.conn, case.organisation, command.sibling_ids)
        known = {str(r.child_id) for r in rows}
        events = category_rules.record_household(command, case, known)
        await append(
            uow,
            case.child_id,
            child_history,
            events,
            meta,
            seed,
            key_scope=case.child_id,
            partition=case_id,
        )
        await uow.commit()
