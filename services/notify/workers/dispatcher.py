"""The dispatcher: a component that drains the delivery queue.

It claims due deliveries under a lease (`queue.due`, `queue.lease`), sends each in its own task,
and records the outcome in its own transaction (`handlers.notifications.record_attempt`):
delivered (`notify.notification.delivered`), another attempt later (exponential backoff, full
jitter), or given up once the retry window is over (`notify.notification.failed` with the last
error). Each target has its own concurrency limit, so a slow or dead receiver holds up only its
own deliveries. Delivery is at least once: a crash after a send and before its record sends it
again, and receivers drop repeats by `CareLedger-Notification-Id`.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from events.context import Context
from events.crypto import DataKeys, open_token
from events.envelope import Metadata
from events.outbox import asyncpg_dsn
from events.status import ComponentStatus
from events.uow import UnitOfWork
from notify.domain.delivery import RecordAttempt, RetryPolicy
from notify.domain.subscriptions import secret_scope
from notify.handlers import notifications
from notify.projections import queue
from notify.workers.senders import DeliveryError, Outgoing, Sender

ACTOR = "service:notify"
log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        keys: DataKeys,
        senders: Mapping[str, Sender],
        policy: RetryPolicy,
        *,
        max_in_flight: int = 200,
        per_target: int = 4,
        lease_seconds: float = 120.0,
        idle_seconds: float = 1.0,
        wake_engine: AsyncEngine | None = None,
    ) -> None:
        self.uow_factory, self.keys, self.senders, self.policy = uow_factory, keys, senders, policy
        self.max_in_flight, self.per_target = max_in_flight, per_target
        self.lease_seconds, self.idle_seconds = lease_seconds, idle_seconds
        self.ctx = Context(Metadata(actor=ACTOR))
        self.status = ComponentStatus("dispatcher:notify")
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._per_target: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._wake_engine = wake_engine
        self._listener: asyncpg.Connection | None = None

    async def run(self) -> None:
        """Claim and start deliveries until cancelled; a failing claim is retried after the
        idle time (the leases it may have taken run out and are claimed again). Between
        claims it waits for the idle time, or less: a commit that queued deliveries (PostgreSQL
        NOTIFY) or a finished delivery wakes it."""
        self.status.set("running")
        log.info("notification dispatcher started")
        try:
            while True:
                await self._ensure_listener()
                try:
                    started = await self.dispatch_due()
                    self.status.set("running")
                except Exception as exc:
                    log.warning("notification dispatcher failed; retrying: %r", exc)
                    self.status.set("reconnecting", exc)
                    self.status.restarts += 1
                    started = 0
                if not started:
                    await self._idle()
        finally:
            await self.stop()

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.idle_seconds)
        self._wake.clear()

    async def _ensure_listener(self) -> None:
        """Listen for queued deliveries; without a listener it still polls."""
        if self._wake_engine is None or (self._listener and not self._listener.is_closed()):
            return
        try:
            async with asyncio.timeout(2):
                listener = await asyncpg.connect(asyncpg_dsn(self._wake_engine))
                await listener.add_listener(queue.WAKE_CHANNEL, lambda *_: self._wake.set())
            self._listener = listener
        except Exception as exc:
            log.debug("no delivery listener (polling only): %r", exc)

    async def dispatch_due(self) -> int:
        """Claim what is due, as far as there is room overall and per target, and start a
        task for each (so a dead target's backlog never takes the room of the others)."""
        room = self.max_in_flight - len(self._in_flight)
        if room <= 0:
            return 0
        busy = [t for t, n in self._per_target.items() if n >= self.per_target]
        now = _now()
        async with self.uow_factory() as uow:
            rows = await queue.due(uow.conn, now, room, list(self._in_flight), busy)
            taken = self._fit(rows)
            until = now + timedelta(seconds=self.lease_seconds)
            await queue.lease(uow.conn, [r.notification_id for r in taken], until)
            await uow.commit()
        for row in taken:
            self._per_target[row.target] = self._per_target.get(row.target, 0) + 1
            task = asyncio.create_task(self._deliver(row), name=f"notify-{row.notification_id}")
            self._in_flight[row.notification_id] = task
        return len(taken)

    def _fit(self, rows: list[Any]) -> list[Any]:
        """The rows each target has room for, oldest first."""
        counts, taken = dict(self._per_target), []
        for row in rows:
            if counts.get(row.target, 0) < self.per_target:
                counts[row.target] = counts.get(row.target, 0) + 1
                taken.append(row)
        return taken

    async def drain(self) -> None:
        """Wait for the deliveries already started (tests and the benchmark)."""
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight.values()), return_exceptions=True)

    async def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._in_flight.clear()

    async def _deliver(self, row: Any) -> None:
        try:
            error, final = await self._attempt(row)
            await self._record(row.notification_id, error, final)
        except Exception as exc:  # its lease runs out and it is claimed again
            log.warning("recording delivery %s failed: %r", row.notification_id, exc)
        finally:
            self._in_flight.pop(row.notification_id, None)
            left = self._per_target.pop(row.target, 1) - 1
            if left > 0:
                self._per_target[row.target] = left
            self._wake.set()  # room for the next one of this target

    async def _attempt(self, row: Any) -> tuple[str | None, bool]:
        """Send once; the error as a string (None when delivered) and whether it is final."""
        try:
            sender = self.senders[row.channel]
            await sender.send(await self._outgoing(row))
        except DeliveryError as exc:
            return str(exc) or type(exc).__name__, exc.final
        except KeyError:
            return f"no sender for channel {row.channel}", False
        return None, False

    async def _outgoing(self, row: Any) -> Outgoing:
        secret = None
        if row.secret_token is not None:
            key = await self.keys.key_for_reading(secret_scope(row.subscription_id))
            secret = open_token(key, row.created_event_id, "secret", row.secret_token)
        return Outgoing(
            notification_id=row.notification_id,
            event_type=row.event_type,
            target=row.target,
            body=row.body,
            title=row.title,
            text=row.text,
            secret=secret,
        )

    async def _record(self, notification_id: str, error: str | None, final: bool) -> None:
        command = RecordAttempt(notification_id, error, _now(), final)
        async with self.uow_factory() as uow:
            await notifications.record_attempt(command, uow, self.ctx, policy=self.policy)


def _now() -> datetime:
    return datetime.now(UTC)
