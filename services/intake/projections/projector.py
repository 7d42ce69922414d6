"""Events to read-model rows, one registered function per event type, run in the unit of work
that appends the events. An event type without a function changes no row (the child's
registration is added with its digests by `add_child`; a case's project and follow-up category
are read by other services, not by intake's lists).
"""

from collections.abc import Sequence
from datetime import timedelta
from functools import singledispatch
from typing import Any

from sqlalchemy import case, delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from events.envelope import Envelope
from events.registry import EventData
from intake.domain.events import (
    BackgroundCheckRecorded,
    CaseOpened,
    CaseStatusChanged,
    ChildCategoriesSet,
    ChildRegistered,
    ConsentRecorded,
    EmergencyAccessGranted,
    HouseholdRecorded,
    InitialStatementRecorded,
    InvestigationRecorded,
    MandatoryReportAcknowledged,
    MandatoryReportFiled,
    ReportReceived,
    TeamAssigned,
    VisitRecorded,
    WorkerDeregistered,
    WorkerRegistered,
    WorkerRemoved,
    WorkerSuspended,
)
from intake.projections.tables import (
    case_team,
    cases,
    children,
    emergency_access,
    reports,
    staff,
)

# Built once, a row's values passed as parameters: no new statement with a bound parameter
# object per column on every call (CPU on every report's request path).
INSERT_STAFF = pg_insert(staff)
INSERT_REPORTS = pg_insert(reports)
INSERT_CHILDREN = pg_insert(children)
INSERT_CASES = pg_insert(cases)

FIRST_VISIT_WITHIN = timedelta(hours=24)  # emergency reports (SZ-6.2.1, I-3)
STATEMENT_WITHIN = timedelta(hours=72)  # every report (SZ-6.2.1, I-2)


async def project(
    conn: AsyncConnection,
    envelopes: Sequence[Envelope],
    events: Sequence[EventData],
    fingerprint: str | None = None,
) -> None:
    """Apply freshly appended events (plaintext `events`, stored `envelopes`, same order);
    `fingerprint` is the request body's, kept with a received report (Idempotency-Key)."""
    for envelope, event in zip(envelopes, events, strict=True):
        await _apply(event, envelope, conn, fingerprint)


@singledispatch
async def _apply(
    event: EventData, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    """No read model reflects this event type."""


# --- cases opened in an emergency ------------------------------------------------------------


@_apply.register
async def _emergency_access(
    event: EmergencyAccessGranted,
    envelope: Envelope,
    conn: AsyncConnection,
    fingerprint: str | None,
) -> None:
    row = {
        "case_id": event.case_id,
        "subject": event.granted_to,
        "organisation": event.granted_to_organisation,
        "until": event.until,
    }
    insert = pg_insert(emergency_access).values(row)
    keys = ["case_id", "subject", "organisation"]
    await conn.execute(
        insert.on_conflict_do_update(index_elements=keys, set_={"until": event.until})
    )


# --- staff ------------------------------------------------------------------------------------


@_apply.register
async def _worker_registered(
    event: WorkerRegistered, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    row = {
        "worker_id": event.worker_id,
        "organisation": event.organisation,
        "stream_id": envelope.stream_id,
        "role": event.role.value,
        "name": event.name,
        "gender": event.gender.value,
        "qualifications": [q.value for q in event.qualifications],
        "years_in_child_services": event.years_in_child_services,
        "suspended": False,
        "version": envelope.stream_version,
        "registered_at": envelope.time,
    }
    await conn.execute(INSERT_STAFF, row)


@_apply.register
async def _check_recorded(
    event: BackgroundCheckRecorded,
    envelope: Envelope,
    conn: AsyncConnection,
    fingerprint: str | None,
) -> None:
    """Only a check at least as recent as the one on file replaces it."""
    on_file = staff.c.background_check_date
    newer = on_file.is_(None) | (on_file <= event.checked_on)
    changes = {
        "background_check_date": func.coalesce(_when(newer, event.checked_on), on_file),
        "background_check_clean": func.coalesce(
            _when(newer, event.clean), staff.c.background_check_clean
        ),
    }
    await _update_staff(conn, event, envelope, changes)


@_apply.register
async def _worker_suspended(
    event: WorkerSuspended, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    changes = {"suspended": True, "suspended_on": event.suspended_on, "suspension_rule": event.rule}
    await _update_staff(conn, event, envelope, changes)


@_apply.register
async def _worker_deregistered(
    event: WorkerDeregistered, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    changes = {"deregistered_on": event.deregistered_on, "deregistration_reason": event.reason}
    await _update_staff(conn, event, envelope, changes)


async def _update_staff(
    conn: AsyncConnection,
    event: BackgroundCheckRecorded | WorkerSuspended | WorkerDeregistered,
    envelope: Envelope,
    changes: dict[str, Any],
) -> None:
    """The row of the event's staff member: their id within their organisation."""
    version = envelope.stream_version
    where = (staff.c.organisation == event.organisation) & (staff.c.worker_id == event.worker_id)
    await conn.execute(update(staff).where(where).values(**changes, version=version))


def _when(condition: Any, value: Any) -> Any:
    return case((condition, literal(value)), else_=None)


# --- reports ----------------------------------------------------------------------------------


@_apply.register
async def _report_received(
    event: ReportReceived, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    row = {
        "report_id": event.report_id,
        "organisation": event.organisation,
        "child_id": event.child_id,
        "child_gender": event.child.gender.value,
        "source": event.source.value,
        "received_at": event.received_at,
        "received_by": event.received_by,
        "emergency": event.emergency,
        "mandatory": event.mandatory,
        "triggers": event.triggers,
        "acknowledged_by": [],
        "fingerprint": fingerprint,
        "version": envelope.stream_version,
    }
    await conn.execute(INSERT_REPORTS, row)


@_apply.register
async def _mandatory_report_filed(
    event: MandatoryReportFiled, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    await _update_report(conn, event.report_id, envelope)


@_apply.register
async def _acknowledged(
    event: MandatoryReportAcknowledged,
    envelope: Envelope,
    conn: AsyncConnection,
    fingerprint: str | None,
) -> None:
    acknowledged = reports.c.acknowledged_by.op("||")(func.jsonb_build_array(event.recipient))
    await _update_report(conn, event.report_id, envelope, acknowledged_by=acknowledged)


async def _update_report(
    conn: AsyncConnection, report_id: str, envelope: Envelope, **changes: Any
) -> None:
    version = envelope.stream_version
    where = reports.c.report_id == report_id
    await conn.execute(update(reports).where(where).values(**changes, version=version))


# --- the child registry -----------------------------------------------------------------------


async def add_child(
    conn: AsyncConnection,
    envelope: Envelope,
    event: ChildRegistered,
    id_digest: str | None,
    birth_digest: str | None,
) -> None:
    """A registry row: who the child is stays encrypted in the stream, only digests here (made
    with the registry's key, which the event does not carry)."""
    row: dict[str, Any] = {
        "child_id": event.child_id,
        "organisation": event.organisation,
        "gender": event.child.gender.value,
        "id_digest": id_digest,
        "birth_digest": birth_digest,
        "registered_at": envelope.time,
        "categories": [],
        "sibling_ids": [],
    }
    await conn.execute(INSERT_CHILDREN, row)


@_apply.register
async def _categories_set(
    event: ChildCategoriesSet, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    """Only the codes: the evidence stays encrypted in the stream."""
    await _update_child(conn, event.child_id, categories=[c.value for c in event.categories])


@_apply.register
async def _household_recorded(
    event: HouseholdRecorded, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    """Only the registered siblings' ids: the household stays encrypted in the stream."""
    await _update_child(conn, event.child_id, sibling_ids=event.sibling_ids)


async def _update_child(conn: AsyncConnection, child_id: str, **changes: Any) -> None:
    await conn.execute(update(children).where(children.c.child_id == child_id).values(**changes))


# --- cases ------------------------------------------------------------------------------------


@_apply.register
async def _case_opened(
    event: CaseOpened, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    row: dict[str, Any] = {**event.model_dump(), "version": envelope.stream_version}
    row |= await _deadlines(conn, event)
    row |= {"status": "open", "visits": 0, "investigations": 0, "consents": 0}
    await conn.execute(INSERT_CASES, row)
    in_case = reports.c.report_id.in_(event.report_ids)
    await conn.execute(update(reports).where(in_case).values(case_id=event.case_id))


async def _deadlines(conn: AsyncConnection, event: CaseOpened) -> dict[str, Any]:
    """When the first visit (emergency reports: 24 h) and the initial statement (72 h) fall due:
    from the earliest received report of each kind (every report runs its own clock)."""
    held = reports.c.report_id.in_(event.report_ids)
    first = func.min(reports.c.received_at)
    urgent = func.min(case((reports.c.emergency, reports.c.received_at), else_=None))
    received, emergency_received = (await conn.execute(select(first, urgent).where(held))).one()
    return {
        "emergency": emergency_received is not None,
        "visit_due_at": emergency_received + FIRST_VISIT_WITHIN if emergency_received else None,
        "statement_due_at": received + STATEMENT_WITHIN if received else None,
    }


@_apply.register
async def _team_assigned(
    event: TeamAssigned, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    await _update_case(conn, event.case_id, envelope)
    await conn.execute(delete(case_team).where(case_team.c.case_id == event.case_id))
    rows = [{"case_id": event.case_id, "worker_id": w} for w in event.worker_ids]
    await conn.execute(pg_insert(case_team).values(rows))


@_apply.register
async def _worker_removed(
    event: WorkerRemoved, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    await _update_case(conn, event.case_id, envelope)
    on_case = (case_team.c.case_id == event.case_id) & (case_team.c.worker_id == event.worker_id)
    await conn.execute(delete(case_team).where(on_case))


@_apply.register
async def _visit_recorded(
    event: VisitRecorded, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    first = func.coalesce(cases.c.first_visit_at, event.visited_at)
    await _update_case(
        conn, event.case_id, envelope, visits=cases.c.visits + 1, first_visit_at=first
    )


@_apply.register
async def _investigation_recorded(
    event: InvestigationRecorded, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    await _update_case(conn, event.case_id, envelope, investigations=cases.c.investigations + 1)


@_apply.register
async def _statement_recorded(
    event: InitialStatementRecorded,
    envelope: Envelope,
    conn: AsyncConnection,
    fingerprint: str | None,
) -> None:
    await _update_case(conn, event.case_id, envelope, statement_at=event.stated_at)


@_apply.register
async def _consent_recorded(
    event: ConsentRecorded, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    await _update_case(conn, event.case_id, envelope, consents=cases.c.consents + 1)


@_apply.register
async def _status_changed(
    event: CaseStatusChanged, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    await _update_case(conn, event.case_id, envelope, status=event.to_status)


async def _update_case(
    conn: AsyncConnection, case_id: str, envelope: Envelope, **changes: Any
) -> None:
    version = envelope.stream_version
    where = cases.c.case_id == case_id
    await conn.execute(update(cases).where(where).values(**changes, version=version))
