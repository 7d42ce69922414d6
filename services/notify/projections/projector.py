"""Events as rows. Notify's own events, one function per event type, run in the unit of work
that appends them (`handlers.record`), so the read models never differ from the streams; and
the facts notify learns from other services' events: who owns a report, case or child, which
case they belong to, and the project a case is in."""

from collections.abc import Sequence
from functools import singledispatch
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from events.domain import EventData
from events.envelope import Envelope
from notify.domain.events import (
    CalendarYearLoaded,
    DeadlineCancelled,
    DeadlineMet,
    DeadlineMissed,
    DeadlineReassigned,
    DeadlineRecomputed,
    DeadlineSetV2,
    NotificationDelivered,
    NotificationFailed,
    ReminderSent,
    SubscriptionCreated,
    SubscriptionDeleted,
)
from notify.projections.tables import (
    CANCELLED,
    DELIVERED,
    FAILED,
    MET,
    OPEN,
    OVERDUE,
    PENDING,
    calendar_years,
    case_closures,
    case_projects,
    case_records,
    case_teams,
    deadlines,
    deliveries,
    entity_cases,
    entity_organisations,
    subscriptions,
)


@singledispatch
async def project(event: EventData, envelope: Envelope, conn: AsyncConnection) -> None:
    """Events without a row of their own (an escalation, a year needed) change nothing."""


@project.register
async def _deadline_set(event: DeadlineSetV2, envelope: Envelope, conn: AsyncConnection) -> None:
    """A clock was set; recording the same run again changes nothing."""
    row = {**event.model_dump(), "stream_id": envelope.subject, "state": OPEN}
    await conn.execute(pg_insert(deadlines).values(row).on_conflict_do_nothing())


@project.register
async def _reassigned(event: DeadlineReassigned, envelope: Envelope, conn: AsyncConnection) -> None:
    await _deadline(conn, event.deadline_id, workers=event.workers, supervisors=event.supervisors)


@project.register
async def _cancelled(event: DeadlineCancelled, envelope: Envelope, conn: AsyncConnection) -> None:
    await _deadline(
        conn,
        event.deadline_id,
        state=CANCELLED,
        cancelled_at=event.cancelled_at,
        cancel_reason=event.reason,
    )


@project.register
async def _recomputed(event: DeadlineRecomputed, envelope: Envelope, conn: AsyncConnection) -> None:
    await _deadline(
        conn,
        event.deadline_id,
        due_at=event.due_at,
        remind_at=event.remind_at,
        provisional=event.provisional,
        missing_years=event.missing_years,
    )


@project.register
async def _reminded(event: ReminderSent, envelope: Envelope, conn: AsyncConnection) -> None:
    await _deadline(conn, event.deadline_id, reminded_at=event.sent_at)


@project.register
async def _missed(event: DeadlineMissed, envelope: Envelope, conn: AsyncConnection) -> None:
    await _deadline(conn, event.deadline_id, state=OVERDUE, missed_at=event.missed_at)


@project.register
async def _met(event: DeadlineMet, envelope: Envelope, conn: AsyncConnection) -> None:
    await _deadline(conn, event.deadline_id, state=MET, met_at=event.met_at)


@project.register
async def _year_loaded(
    event: CalendarYearLoaded, envelope: Envelope, conn: AsyncConnection
) -> None:
    """The year as loaded last (a replacement overwrites it)."""
    row = {
        "year": event.year,
        "holidays": {h.date.isoformat(): h.name for h in event.holidays},
        "extra_workdays": [d.isoformat() for d in event.extra_workdays],
        "replaced_library": event.replaced_library,
        "event_id": envelope.id,
        "loaded_by": event.loaded_by,
        "loaded_at": event.loaded_at,
    }
    upsert = pg_insert(calendar_years).values(row)
    await conn.execute(upsert.on_conflict_do_update(index_elements=["year"], set_=upsert.excluded))


@project.register
async def _subscribed(
    event: SubscriptionCreated, envelope: Envelope, conn: AsyncConnection
) -> None:
    row = {
        **event.model_dump(exclude={"secret"}),
        "secret_token": envelope.data["secret"],  # the sealed token, never the plain secret
        "created_event_id": envelope.id,
        "created_at": envelope.time,
    }
    await conn.execute(pg_insert(subscriptions).values(row).on_conflict_do_nothing())


@project.register
async def _unsubscribed(
    event: SubscriptionDeleted, envelope: Envelope, conn: AsyncConnection
) -> None:
    """Mark it deleted (its sealed secret dropped) and cancel what it still had pending."""
    await conn.execute(
        update(subscriptions)
        .where(subscriptions.c.subscription_id == event.subscription_id)
        .values(deleted_at=envelope.time, secret_token=None)
    )
    await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.subscription_id == event.subscription_id,
            deliveries.c.state == PENDING,
        )
        .values(state=CANCELLED, finished_at=envelope.time)
    )


@project.register
async def _delivered(
    event: NotificationDelivered, envelope: Envelope, conn: AsyncConnection
) -> None:
    await _delivery(
        conn,
        event.notification_id,
        state=DELIVERED,
        attempts=event.attempts,
        finished_at=event.delivered_at,
    )


@project.register
async def _failed(event: NotificationFailed, envelope: Envelope, conn: AsyncConnection) -> None:
    await _delivery(
        conn,
        event.notification_id,
        state=FAILED,
        attempts=event.attempts,
        last_error=event.last_error,
        finished_at=event.failed_at,
    )


async def _deadline(conn: AsyncConnection, deadline_id: str, **values: Any) -> None:
    await conn.execute(
        update(deadlines).where(deadlines.c.deadline_id == deadline_id).values(**values)
    )


async def _delivery(conn: AsyncConnection, notification_id: str, **values: Any) -> None:
    await conn.execute(
        update(deliveries).where(deliveries.c.notification_id == notification_id).values(**values)
    )


# --- facts learnt from other services' events -----------------------------------------------


async def remember_organisation(
    conn: AsyncConnection, entity_ids: Sequence[str], organisation: str
) -> None:
    """Which organisation a report, case or child belongs to (the first word stays)."""
    if entity_ids:
        rows = [{"entity_id": e, "organisation": organisation} for e in entity_ids]
        await conn.execute(pg_insert(entity_organisations).values(rows).on_conflict_do_nothing())


async def remember_case_links(
    conn: AsyncConnection, case_id: str, entity_ids: Sequence[str]
) -> None:
    """The reports, child and tasks of a case, so their deadlines follow the case's project."""
    rows = [{"entity_id": e, "case_id": case_id} for e in entity_ids if e != case_id]
    if rows:
        await conn.execute(pg_insert(entity_cases).values(rows).on_conflict_do_nothing())


async def learn_case(conn: AsyncConnection, case_id: str, **values: Any) -> None:
    """Keep what an intake event says of the case (child, team, supervisors, status); what
    the event does not say (None) stays as learnt."""
    values = {k: v for k, v in values.items() if v is not None}
    row = {"case_id": case_id, "workers": [], "supervisors": [], "ended": False, **values}
    upsert = pg_insert(case_teams).values(row)
    await conn.execute(upsert.on_conflict_do_update(index_elements=["case_id"], set_=values))


async def set_project(
    conn: AsyncConnection,
    case_id: str,
    project_id: str,
    entrustor_org: str,
    organisation: str | None,
) -> None:
    """The case's project now (set again, it moves)."""
    row = {
        "case_id": case_id,
        "project_id": project_id,
        "entrustor_org": entrustor_org,
        "organisation": organisation,
    }
    upsert = pg_insert(case_projects).values(row)
    await conn.execute(upsert.on_conflict_do_update(index_elements=["case_id"], set_=row))


async def record_case_work(conn: AsyncConnection, case_id: str, kind: str) -> None:
    """The case holds a record of this kind (a visit, the investigation, the initial
    statement): the completeness of the project's records (JX-7.5.3)."""
    row = {"case_id": case_id, "kind": kind}
    await conn.execute(pg_insert(case_records).values(row).on_conflict_do_nothing())


async def record_closure(conn: AsyncConnection, case_id: str, indicators: dict[str, Any]) -> None:
    """The case's share of its project's indicators, as its approved closure states them (a
    later closure of the case replaces it)."""
    row = {"case_id": case_id, "indicators": indicators}
    upsert = pg_insert(case_closures).values(row)
    await conn.execute(
        upsert.on_conflict_do_update(index_elements=["case_id"], set_={"indicators": indicators})
    )
