"""The deadline scheduler: wakes up, and in one transaction per batch fires the clocks that owe
a reminder or a miss (`handlers.deadlines.fire_due`: the events they owe, their rows moved on,
the subscribers' notifications queued), so a reminder is never recorded without being queued.

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
from typing import Protocol

from events.context import Context
from events.envelope import Metadata
from events.status import ComponentStatus
from events.uow import UnitOfWork
from notify.domain import WorkingCalendar
from notify.domain.calendar import SettleCalendar
from notify.domain.tracking import FireDueClocks
from notify.handlers import calendar as calendar_handlers
from notify.handlers import deadlines

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
        self.ctx = Context(Metadata(actor=ACTOR))
        self.status = ComponentStatus("scheduler:notify")

    async def tick(self) -> int:
        """Fire one batch of owing clocks in one transaction; returns how many were fired."""
        now = self.clock.now()
        try:
            await self.settle_calendar(now)
        except Exception as exc:  # a calendar problem must not stop clocks from firing
            log.warning("calendar years not settled; retrying next tick: %r", exc)
        async with self.uow_factory() as uow:
            command = FireDueClocks(now, self.batch)
            return await deadlines.fire_due(command, uow, self.ctx, calendar=self.calendar)

    async def settle_calendar(self, now: datetime) -> int:
        """Load the stored calendar years and recompute the provisional clocks they settle;
        returns how many were recomputed."""
        async with self.uow_factory() as uow:
            command = SettleCalendar(now)
            return await calendar_handlers.settle(command, uow, self.ctx, calendar=self.calendar)

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
