"""Events to read-model rows, one registered function per event type, run in the unit of work
that appends the events. An event type without a function changes no row (the child's
registration is added with its digests, in the statement of the report naming the child, by
`add_report`; a case's project and follow-up category are read by other services, not by
intake's lists).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
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
    CivilAffairsNotified,
    ConsentRecorded,
    EmergencyAccessGranted,
    HouseholdRecorded,
    InitialStatementRecorded,
    InvestigationRecorded,
    MandatoryReportAcknowledged,
    MandatoryReportFiled,
    ReportReceived,
    ReportWarningsConfirmed,
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


# A received report's row: driver SQL, its values bound per call (no statement built, compiled
# or processed column by column on every report's request path). The registry row of a child
# registered with the report rides in the same statement.
REPORT_ROW = (
    "INSERT INTO reports (report_id, organisation, child_id, child_gender, source, received_at, "
    "received_by, emergency, mandatory, triggers, acknowledged_by, fingerprint, version) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, '[]'::jsonb, $11, $12)"
)
CHILD_AND_REPORT_ROWS = (
    "WITH child AS (INSERT INTO children (child_id, organisation, gender, id_digest, "
    "birth_digest, registered_at, categories, sibling_ids) "
    "VALUES ($13, $14, $15, $16, $17, $18, '[]'::jsonb, '[]'::jsonb)) " + REPORT_ROW
)


@dataclass(frozen=True)
class ChildRow:
    """A registry row: who the child is stays encrypted in the stream, only digests here (made
    with the registry's key, which the event does not carry)."""

    envelope: Envelope
    event: ChildRegistered
    id_digest: str | None
    birth_digest: str | None

    def parameters(self) -> tuple[Any, ...]:
        event, registered_at = self.event, self.envelope.time
        gender = event.child.gender.value
        return (
            event.child_id,
            event.organisation,
            gender,
            self.id_digest,
            self.birth_digest,
            registered_at,
        )


async def add_report(
    conn: AsyncConnection,
    envelopes: Sequence[Envelope],
    events: Sequence[EventData],
    fingerprint: str | None,
    child: ChildRow | None = None,
) -> None:
    """The rows of a report just received (`envelopes`/`events`: its stream's, the received
    report first) and of the child registered with it, in one statement. A mandatory report
    filed with it changes nothing of the row but its version, so the row is written once at
    that version instead of inserted and then updated."""
    received = events[0]
    assert isinstance(received, ReportReceived)
    last = 1
    while last < len(events) and _only_versions(events[last], received.report_id):
        last += 1
    row = _report_row(received, fingerprint, envelopes[last - 1].stream_version)
    if child is None:
        await conn.exec_driver_sql(REPORT_ROW, row)
    else:
        await conn.exec_driver_sql(CHILD_AND_REPORT_ROWS, row + child.parameters())
    for envelope, event in zip(envelopes[last:], events[last:], strict=True):
        await _apply(event, envelope, conn, fingerprint)


def _only_versions(event: EventData, report_id: str) -> bool:
    """Does `event` change nothing of the report's row but its version?"""
    facts = MandatoryReportFiled | CivilAffairsNotified | ReportWarningsConfirmed
    return isinstance(event, facts) and event.report_id == report_id


def _report_row(event: ReportReceived, fingerprint: str | None, version: int) -> tuple[Any, ...]:
    return (
        event.report_id,
        event.organisation,
        event.child_id,
        event.child.gender.value,
        event.source.value,
        event.received_at,
        event.received_by,
        event.emergency,
        event.mandatory,
        json.dumps(event.triggers),
        fingerprint,
        version,
    )


@_apply.register
async def _report_received(
    event: ReportReceived, envelope: Envelope, conn: AsyncConnection, fingerprint: str | None
) -> None:
    await conn.exec_driver_sql(REPORT_ROW, _report_row(event, fingerprint, envelope.stream_version))


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


@_apply.register
async def _report_fact(
    event: ReportWarningsConfirmed | CivilAffairsNotified,
    envelope: Envelope,
    conn: AsyncConnection,
    fingerprint: str | None,
) -> None:
    """A confirmation (I-7) or the notice to civil affairs (SZ-6.2.1): the row's version only;
    the report's view reads them from its stream."""
    await _update_report(conn, event.report_id, envelope)


async def _update_report(
    conn: AsyncConnection, report_id: str, envelope: Envelope, **changes: Any
) -> None:
    version = envelope.stream_version
    where = reports.c.report_id == report_id
    await conn.execute(update(reports).where(where).values(**changes, version=version))


# --- the child registry -----------------------------------------------------------------------


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
