"""The deadline scheduler: wakes up, claims the clocks that owe a reminder or a miss, and in one
transaction per batch appends what they owe, moves their rows on and queues the notifications
of the subscribers (`notifications.py`), so a reminder is never recorded without being queued.

A missed occurrence of a recurring clock sets the next occurrence in the same transaction, so a
series never loses an occurrence to a crash. Each tick also learns the calendar years another
replica loaded and recomputes the provisional clocks they settle (DOMAIN §13).

Rows are claimed `FOR UPDATE SKIP LOCKED`, events carry ids derived from the deadline (uuid5),
and the row changes in the transaction that appends them: a crash before commit fires nothing,
after commit the row no longer owes it, and two schedulers (two replicas) never fire one clock
twice. A clock whose due time passed while the service was down is claimed on the first wake-up.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from events.envelope import Metadata
from events.status import ComponentStatus
from events.store import NewEvent
from events.uow import UnitOfWork
from notify import calendar_store, ledger, projections
from notify.domain import WorkingCalendar
from notify.domain.events import DeadlineMissed, Escalated, ReminderSent
from notify.domain.tracking import Firing, derived_id, firing_due
from notify.notifications import queue_for_deadline

ACTOR = "service:notify"
log = logging.getLogger(__name__)


class Clock(Protocol):
    """Where the scheduler reads the time; tests pass a frozen one."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Scheduler:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        calendar: WorkingCalendar | None = None,
        batch: int = 100,
        idle_seconds: float = 5.0,
    ) -> None:
        self.uow_factory, self.clock = uow_factory, clock
        self.calendar = calendar or WorkingCalendar()
        self.batch, self.idle_seconds = batch, idle_seconds
        self.status = ComponentStatus("scheduler:notify")

    async def tick(self) -> int:
        """Fire one batch of owing clocks in one transaction; returns how many were fired."""
        now = self.clock.now()
        try:
            await self.settle_calendar(now)
        except Exception as exc:  # a calendar problem must not stop clocks from firing
            log.warning("calendar years not settled; retrying next tick: %r", exc)
        async with self.uow_factory() as uow:
            rows = await projections.claim_due(uow.conn, now, self.batch)
            fired = 0
            for row in rows:
                fired += await _fire(uow, row, now, self.calendar)
            await uow.commit()
        return fired

    async def settle_calendar(self, now: datetime) -> int:
        """Load the stored calendar years and recompute the provisional clocks they settle;
        returns how many were recomputed."""
        async with self.uow_factory() as uow:
            years = await calendar_store.sync(uow.conn, self.calendar)
            recomputed = await calendar_store.recompute(uow, self.calendar, years, now)
            await uow.commit()
        return recomputed

    async def run(self) -> None:
        """Tick until cancelled (the backbone starts it after the migrations); a failing tick
        is retried after the idle time (nothing was committed, so nothing is lost)."""
        self.status.set("running")
        log.info("deadline scheduler started (every %.1f s when idle)", self.idle_seconds)
        while True:
            try:
                full = await self.tick() >= self.batch
                self.status.set("running")
            except Exception as exc:
                log.warning("deadline scheduler failed; retrying: %r", exc)
                self.status.set("reconnecting", exc)
                self.status.restarts += 1
                full = False
            if not full:
                await asyncio.sleep(self.idle_seconds)


async def _fire(uow: UnitOfWork, row: Any, now: datetime, calendar: WorkingCalendar) -> int:
    firing = firing_due(row.due_at, row.remind_at, row.reminded_at is not None, now)
    if firing is None:
        return 0
    meta = Metadata(actor=ACTOR, correlation_id=row.deadline_id, causation_id=row.started_by)
    if firing is Firing.REMIND:
        await _remind(uow, row, now, meta)
    else:
        await _miss(uow, row, now, meta)
        missed_by = derived_id("missed", row.deadline_id)  # the miss sets the next occurrence
        await ledger.set_next_occurrence(uow, row, missed_by, meta, now, calendar)
    return 1


async def _remind(uow: UnitOfWork, row: Any, now: datetime, meta: Metadata) -> None:
    reminder = ReminderSent(
        deadline_id=row.deadline_id,
        rule=row.rule,
        subject_id=row.subject_id,
        organisation=row.organisation,
        remind=list(row.remind),
        workers=list(row.workers),
        due_at=row.due_at,
        sent_at=now,
    )
    event = NewEvent(reminder, derived_id("reminder", row.deadline_id))
    key = await projections.partition_of(uow.conn, row.subject_id)
    await uow.append(row.stream_id, None, [event], meta, partition_key=key)
    await projections.mark(uow.conn, row.deadline_id, reminded_at=now)
    assert event.event_id is not None
    await queue_for_deadline(uow.conn, ReminderSent.event_name, event.event_id, row)


async def _miss(uow: UnitOfWork, row: Any, now: datetime, meta: Metadata) -> None:
    """The clock ran out (rule's clause): record the miss and escalate, together, to the roles
    the rule named when the clock was set (a later edit of the table does not reroute it)."""
    missed = DeadlineMissed(
        deadline_id=row.deadline_id,
        rule=row.rule,
        clause=row.clause,
        subject_id=row.subject_id,
        due_at=row.due_at,
        missed_at=now,
    )
    escalated = Escalated(
        deadline_id=row.deadline_id,
        rule=row.rule,
        clause=row.clause,
        subject_id=row.subject_id,
        organisation=row.organisation,
        escalate_to=list(row.escalate_to),
        escalated_at=now,
    )
    events = [
        NewEvent(missed, derived_id("missed", row.deadline_id)),
        NewEvent(escalated, derived_id("escalated", row.deadline_id)),
    ]
    key = await projections.partition_of(uow.conn, row.subject_id)
    await uow.append(row.stream_id, None, events, meta, partition_key=key)
    await projections.mark(uow.conn, row.deadline_id, state=projections.OVERDUE, missed_at=now)
    for event in events:
        assert event.event_id is not None
        await queue_for_deadline(uow.conn, event.data.event_name, event.event_id, row)
