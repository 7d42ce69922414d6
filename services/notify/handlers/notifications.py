"""Notifications: queue one delivery per subscription an event goes to, in the transaction of
the event itself (the scheduler's reminder, miss and escalation; the reaction to a mandatory
report), and record how sending it went (`record_attempt`, the dispatcher's). A crash before
commit queues nothing and fires nothing; after commit the dispatcher will deliver it.
Notification ids are uuid5 of the causing event and the subscription, so a redelivered event
queues nothing new.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncConnection

from events.context import Context
from events.envelope import Envelope, Metadata
from events.store import NewEvent
from events.uow import UnitOfWork
from notify.domain.delivery import RecordAttempt, RetryPolicy
from notify.domain.events import NotificationDelivered, NotificationFailed
from notify.domain.messages import message_for
from notify.domain.subscriptions import (
    CALENDAR_YEAR_NEEDED,
    CASE_UNDERSTAFFED,
    DEADLINE_MISSED,
    EMERGENCY_ACCESS_GRANTED,
    ESCALATED,
    MANDATORY_REPORT_FILED,
    REMINDER_SENT,
    Language,
    routes_for,
)
from notify.domain.tracking import derived_id
from notify.handlers import record
from notify.projections import queries, queue
from notify.projections.tables import PENDING

DEADLINE_ROLES = {REMINDER_SENT: "remind", DEADLINE_MISSED: "escalate_to", ESCALATED: "escalate_to"}


async def queue_for_deadline(
    conn: AsyncConnection, event_name: str, event_id: str, row: Any
) -> int:
    """Queue the notifications of a reminder, miss or escalation of the deadline `row`."""
    if row.organisation is None:
        return 0
    roles = list(row.remind if DEADLINE_ROLES[event_name] == "remind" else row.escalate_to)
    fields = {
        "deadline_id": row.deadline_id,
        "rule": row.rule,
        "clause": row.clause,
        "subject": row.subject,
        "subject_id": row.subject_id,
        "organisation": row.organisation,
        "workers": list(row.workers),
        "supervisors": list(row.supervisors),
        "party": row.party,  # the recipient whose acknowledgement is awaited (SZ-5.2.1)
        "due_at": row.due_at,
        DEADLINE_ROLES[event_name]: roles,
        "roles": roles,
    }
    return await queue_notifications(conn, event_name, event_id, row.organisation, fields)


async def queue_for_mandatory_report(conn: AsyncConnection, envelope: Envelope) -> int:
    """Queue the mandatory report (SZ-5.2) to the endpoints of its recipients (police, civil
    affairs, ...) and of the organisation: ids, time and triggers only, the place and harm stay
    sealed in intake (the receiver fetches them with its own token)."""
    data = envelope.data
    organisation = data.get("organisation")
    if not isinstance(organisation, str):
        return 0
    recipients = data.get("recipients")
    keys = [r.get("key") for r in recipients if isinstance(r, dict)] if recipients else []
    fields = {
        "report_id": data.get("report_id"),
        "organisation": organisation,
        "child_id": data.get("child_id"),
        "filed_at": _time(data.get("filed_at")) or envelope.time,
        "triggers": data.get("triggers") or [],
        "emergency": bool(data.get("emergency")),
        "recipients": keys,
        "rule": "SZ-5.2.1",
    }
    return await queue_notifications(
        conn, MANDATORY_REPORT_FILED, envelope.id, organisation, fields
    )


async def queue_for_emergency_access(conn: AsyncConnection, envelope: Envelope) -> int:
    """Tell the case's organisation (its admins' subscriptions) that a supervisor of another
    organisation opened the case in an emergency: who, when, until when; the reason stays
    sealed in intake."""
    data = envelope.data
    organisation = data.get("organisation")
    if not isinstance(organisation, str):
        return 0
    fields = {
        "case_id": data.get("case_id"),
        "organisation": organisation,
        "granted_to": data.get("granted_to"),
        "granted_to_organisation": data.get("granted_to_organisation"),
        "granted_at": _time(data.get("granted_at")) or envelope.time,
        "until": _time(data.get("until")),
        "notify_roles": data.get("notify_roles") or [],
        "rule": "SZ-7.3.3",
    }
    return await queue_notifications(
        conn, EMERGENCY_ACCESS_GRANTED, envelope.id, organisation, fields
    )


async def queue_for_understaffed_case(conn: AsyncConnection, envelope: Envelope) -> int:
    """Tell the case's organisation (the subscribers of the event, addressed to its
    `notify_roles`) that a suspension or departure left the case short of the team MZ-6.2.2
    needs, naming the supervisors who assigned the team (learnt from intake's team events):
    ids, codes and the date only."""
    data = envelope.data
    organisation, case_id = data.get("organisation"), data.get("case_id")
    if not isinstance(organisation, str) or not isinstance(case_id, str):
        return 0
    team = await queries.case_team(conn, case_id)
    fields = {
        "case_id": case_id,
        "organisation": organisation,
        "supervisors": list(team.supervisors) if team is not None else [],
        "remaining_worker_ids": data.get("remaining_worker_ids") or [],
        "removed_worker_id": data.get("removed_worker_id"),
        "shortfalls": data.get("shortfalls") or [],
        "flagged_on": data.get("flagged_on"),
        "notify_roles": data.get("notify_roles") or [],
        "rule": data.get("rule") or "MZ-6.2.2",
    }
    return await queue_notifications(conn, CASE_UNDERSTAFFED, envelope.id, organisation, fields)


async def queue_for_calendar_year(
    conn: AsyncConnection, event_id: str, fields: Mapping[str, object]
) -> int:
    """Queue the alert that a calendar year must be loaded (§13) to the subscribers of every
    organisation: the calendar is shared by the deployment, so each organisation's admins hear."""
    found = await queries.routes(conn, None)
    queued = 0
    for organisation in sorted({route.organisation for route, _ in found}):
        scoped = {**fields, "organisation": organisation}
        queued += await queue_notifications(
            conn, CALENDAR_YEAR_NEEDED, event_id, organisation, scoped
        )
    return queued


async def queue_notifications(
    conn: AsyncConnection,
    event_name: str,
    event_id: str,
    organisation: str,
    fields: Mapping[str, object],
) -> int:
    found = await queries.routes(conn, organisation)
    routes = routes_for(event_name, fields, organisation, [route for route, _ in found])
    chosen = {route.subscription_id for route in routes}
    rows = [
        _delivery(event_name, event_id, fields, sub)
        for route, sub in found
        if route.subscription_id in chosen
    ]
    await queue.enqueue(conn, rows)
    return len(rows)


def _delivery(
    event_name: str, event_id: str, fields: Mapping[str, object], sub: Any
) -> dict[str, Any]:
    notification_id = derived_id("notification", event_id, sub.subscription_id)
    message = message_for(event_name, fields, Language(sub.language))
    body = {
        "notification_id": notification_id,
        "event_type": event_name,
        "source_event_id": event_id,
        "subscription_id": sub.subscription_id,
        "organisation": sub.organisation,
        "data": {k: _plain(v) for k, v in fields.items()},
        "message": {
            "language": message.language.value,
            "title": message.title,
            "text": message.text,
        },
    }
    return {
        "notification_id": notification_id,
        "subscription_id": sub.subscription_id,
        "channel": sub.channel,
        "target": sub.target,
        "event_type": event_name,
        "source_event_id": event_id,
        "body": json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
        "title": message.title,
        "text": message.text,
        "state": PENDING,
        "attempts": 0,
        "queued_at": func.now(),
        "next_attempt_at": func.now(),
    }


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _time(value: object) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


async def record_attempt(
    command: RecordAttempt, uow: UnitOfWork, ctx: Context, *, policy: RetryPolicy
) -> None:
    """Record one attempt to send: delivered, another attempt later, or given up once the
    retry window is over or the attempt was final (with the last error). Nothing when the
    delivery is no longer pending (cancelled meanwhile, or recorded by another dispatcher)."""
    row = await queue.pending_row(uow.conn, command.notification_id)
    if row is None:
        return
    attempts, error, now = row.attempts + 1, command.error, command.at
    retry = error is not None and not command.final
    retry_at = policy.next_attempt(row.queued_at, now, attempts) if retry else None
    if error is None:
        await _record_outcome(uow, ctx, row, _delivered(row, attempts, now))
    elif retry_at is None:
        await _record_outcome(uow, ctx, row, _failed(row, attempts, error, now))
    else:
        await queue.retry_later(uow.conn, row.notification_id, attempts, error, retry_at)
    await uow.commit()


def _delivered(row: Any, attempts: int, now: datetime) -> NewEvent:
    event = NotificationDelivered(
        notification_id=row.notification_id,
        subscription_id=row.subscription_id,
        channel=row.channel,
        event_type=row.event_type,
        source_event_id=row.source_event_id,
        attempts=attempts,
        delivered_at=now,
    )
    return NewEvent(event, derived_id("delivered", row.notification_id))


def _failed(row: Any, attempts: int, error: str, now: datetime) -> NewEvent:
    event = NotificationFailed(
        notification_id=row.notification_id,
        subscription_id=row.subscription_id,
        channel=row.channel,
        event_type=row.event_type,
        source_event_id=row.source_event_id,
        attempts=attempts,
        last_error=error,
        failed_at=now,
    )
    return NewEvent(event, derived_id("failed", row.notification_id))


async def _record_outcome(uow: UnitOfWork, ctx: Context, row: Any, event: NewEvent) -> None:
    meta = Metadata(
        actor=ctx.actor, correlation_id=row.source_event_id, causation_id=row.source_event_id
    )
    stream = f"notification-{row.notification_id}"
    await record(uow, stream, [event], meta, partition_key=row.subscription_id)
