"""Read models of the intake service (SQLAlchemy Core), updated in the unit of work that
appends the events they reflect. The schema is made by `migrations/`.

The reports table keeps nothing that names or describes the child, the reporter or the harm:
those stay encrypted in the event store under the child's data key, so shredding that key
leaves no readable copy here. Staff names are kept: they are adults' work identities.
"""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    case,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
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
from intake.domain.staff import Staff

CaseWork = (
    VisitRecorded
    | InvestigationRecorded
    | InitialStatementRecorded
    | ConsentRecorded
    | CaseStatusChanged
)
metadata = MetaData()
FIRST_VISIT_WITHIN = timedelta(hours=24)  # emergency reports (SZ-6.2.1, I-3)
STATEMENT_WITHIN = timedelta(hours=72)  # every report (SZ-6.2.1, I-2)

staff = Table(
    "staff",
    metadata,
    Column("worker_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("gender", Text, nullable=False),
    Column("qualifications", JSONB, nullable=False),
    Column("years_in_child_services", Float, nullable=False),
    Column("background_check_date", Date),
    Column("background_check_clean", Boolean),
    Column("suspended", Boolean, nullable=False),
    Column("suspended_on", Date),
    Column("suspension_rule", Text),
    Column("deregistered_on", Date),
    Column("deregistration_reason", Text),
    Column("version", Integer, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

children = Table(
    "children",
    metadata,
    Column("child_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("gender", Text, nullable=False),
    Column("id_digest", Text),
    Column("birth_digest", Text),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("categories", JSONB, nullable=False),
    Column("sibling_ids", JSONB, nullable=False),
)

reports = Table(
    "reports",
    metadata,
    Column("seq", BigInteger, nullable=False),
    Column("report_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("child_id", Text, nullable=False),
    Column("child_gender", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("received_by", Text, nullable=False),
    Column("emergency", Boolean, nullable=False),
    Column("mandatory", Boolean, nullable=False),
    Column("triggers", JSONB, nullable=False),
    Column("acknowledged_by", JSONB, nullable=False),
    Column("fingerprint", Text),
    Column("version", Integer, nullable=False),
    Column("case_id", Text),
)

cases = Table(
    "cases",
    metadata,
    Column("seq", BigInteger, nullable=False),
    Column("case_id", Text, primary_key=True),
    Column("case_number", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("child_id", Text, nullable=False),
    Column("report_ids", JSONB, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("emergency", Boolean, nullable=False),
    Column("visit_due_at", DateTime(timezone=True)),
    Column("statement_due_at", DateTime(timezone=True)),
    Column("first_visit_at", DateTime(timezone=True)),
    Column("statement_at", DateTime(timezone=True)),
    Column("visits", Integer, nullable=False),
    Column("investigations", Integer, nullable=False),
    Column("consents", Integer, nullable=False),
)

case_team = Table(
    "case_team",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("worker_id", Text, primary_key=True),
)

case_numbers = Table(
    "case_numbers",
    metadata,
    Column("organisation", Text, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)


async def project(
    conn: AsyncConnection,
    envelopes: Sequence[Envelope],
    events: Sequence[EventData],
    fingerprint: str | None = None,
) -> None:
    """Apply freshly appended events (plaintext `events`, stored `envelopes`, same order)."""
    for envelope, event in zip(envelopes, events, strict=True):
        await _apply(conn, envelope, event, fingerprint)


async def _apply(
    conn: AsyncConnection, envelope: Envelope, event: EventData, fingerprint: str | None
) -> None:
    version = envelope.stream_version
    if isinstance(event, WorkerRegistered):
        await conn.execute(pg_insert(staff).values(**_registered(event, envelope)))
    elif isinstance(event, BackgroundCheckRecorded):
        await conn.execute(_staff_update(event.worker_id, version, _check(event)))
    elif isinstance(event, WorkerSuspended):
        changes = {
            "suspended": True,
            "suspended_on": event.suspended_on,
            "suspension_rule": event.rule,
        }
        await conn.execute(_staff_update(event.worker_id, version, changes))
    elif isinstance(event, WorkerDeregistered):
        changes = {
            "deregistered_on": event.deregistered_on,
            "deregistration_reason": event.reason,
        }
        await conn.execute(_staff_update(event.worker_id, version, changes))
    elif isinstance(event, ReportReceived):
        await conn.execute(pg_insert(reports).values(**_received(event, version, fingerprint)))
    elif isinstance(event, MandatoryReportAcknowledged):
        acknowledged = reports.c.acknowledged_by.op("||")(func.jsonb_build_array(event.recipient))
        await conn.execute(_report_update(event.report_id, version, acknowledged_by=acknowledged))
    elif isinstance(event, MandatoryReportFiled):
        await conn.execute(_report_update(event.report_id, version))
    elif isinstance(event, CaseOpened | TeamAssigned | WorkerRemoved):
        await _apply_case(conn, version, event)
    elif isinstance(event, ChildCategoriesSet | HouseholdRecorded):
        await conn.execute(_child_update(event))
    elif isinstance(event, CaseWork):
        where = cases.c.case_id == event.case_id
        changes = _case_changes(event)
        await conn.execute(update(cases).where(where).values(**changes, version=version))


def _child_update(event: ChildCategoriesSet | HouseholdRecorded) -> Any:
    """Only codes and ids: the evidence and the household stay encrypted in the stream."""
    if isinstance(event, ChildCategoriesSet):
        changes: dict[str, Any] = {"categories": [c.value for c in event.categories]}
    else:
        changes = {"sibling_ids": event.sibling_ids}
    return update(children).where(children.c.child_id == event.child_id).values(**changes)


def _case_changes(event: CaseWork) -> dict[str, Any]:
    """The case row's changes for an event of case work or status."""
    if isinstance(event, VisitRecorded):
        first = func.coalesce(cases.c.first_visit_at, event.visited_at)
        return {"visits": cases.c.visits + 1, "first_visit_at": first}
    if isinstance(event, InvestigationRecorded):
        return {"investigations": cases.c.investigations + 1}
    if isinstance(event, InitialStatementRecorded):
        return {"statement_at": event.stated_at}
    if isinstance(event, ConsentRecorded):
        return {"consents": cases.c.consents + 1}
    return {"status": event.to_status}


async def _apply_case(
    conn: AsyncConnection, version: int, event: CaseOpened | TeamAssigned | WorkerRemoved
) -> None:
    if isinstance(event, CaseOpened):
        row: dict[str, Any] = {**event.model_dump(), "version": version}
        row |= await _deadlines(conn, event)
        row |= {"status": "open", "visits": 0, "investigations": 0, "consents": 0}
        await conn.execute(pg_insert(cases).values(**row))
        in_case = reports.c.report_id.in_(event.report_ids)
        await conn.execute(update(reports).where(in_case).values(case_id=event.case_id))
        return
    await conn.execute(
        update(cases).where(cases.c.case_id == event.case_id).values(version=version)
    )
    if isinstance(event, TeamAssigned):
        await conn.execute(delete(case_team).where(case_team.c.case_id == event.case_id))
        rows = [{"case_id": event.case_id, "worker_id": w} for w in event.worker_ids]
        await conn.execute(pg_insert(case_team).values(rows))
    else:
        on_case = (case_team.c.case_id == event.case_id) & (
            case_team.c.worker_id == event.worker_id
        )
        await conn.execute(delete(case_team).where(on_case))


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


def _registered(event: WorkerRegistered, envelope: Envelope) -> dict[str, Any]:
    return {
        "worker_id": event.worker_id,
        "organisation": event.organisation,
        "role": event.role.value,
        "name": event.name,
        "gender": event.gender.value,
        "qualifications": [q.value for q in event.qualifications],
        "years_in_child_services": event.years_in_child_services,
        "suspended": False,
        "version": envelope.stream_version,
        "registered_at": envelope.time,
    }


def _check(event: BackgroundCheckRecorded) -> dict[str, Any]:
    """Only a check at least as recent as the one on file replaces it."""
    newer = (staff.c.background_check_date.is_(None)) | (
        staff.c.background_check_date <= event.checked_on
    )
    return {
        "background_check_date": func.coalesce(
            _when(newer, event.checked_on), staff.c.background_check_date
        ),
        "background_check_clean": func.coalesce(
            _when(newer, event.clean), staff.c.background_check_clean
        ),
    }


def _when(condition: Any, value: Any) -> Any:
    return case((condition, literal(value)), else_=None)


def _staff_update(worker_id: str, version: int, changes: dict[str, Any]) -> Any:
    return update(staff).where(staff.c.worker_id == worker_id).values(**changes, version=version)


def _received(event: ReportReceived, version: int, fingerprint: str | None) -> dict[str, Any]:
    return {
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
        "version": version,
    }


def _report_update(report_id: str, version: int, **changes: Any) -> Any:
    return (
        update(reports).where(reports.c.report_id == report_id).values(**changes, version=version)
    )


def staff_from_row(row: Any) -> Staff:
    return Staff(
        worker_id=row.worker_id,
        organisation=row.organisation,
        role=row.role,
        gender=row.gender,
        qualifications=frozenset(row.qualifications),
        years_in_child_services=row.years_in_child_services,
        background_check_date=row.background_check_date,
        background_check_clean=row.background_check_clean,
        suspended=row.suspended,
        deregistered=row.deregistered_on is not None,
    )


async def staff_row(conn: AsyncConnection, worker_id: str) -> Any:
    return (await conn.execute(select(staff).where(staff.c.worker_id == worker_id))).first()


async def report_row(conn: AsyncConnection, report_id: str, lock: bool = False) -> Any:
    """The report's row; with `lock`, held (FOR SHARE) until the transaction ends."""
    query = select(reports).where(reports.c.report_id == report_id)
    return (await conn.execute(query.with_for_update(read=True) if lock else query)).first()


async def add_child(
    conn: AsyncConnection,
    envelope: Envelope,
    event: ChildRegistered,
    id_digest: str | None,
    birth_digest: str | None,
) -> None:
    """A registry row: who the child is stays encrypted in the stream, only digests here."""
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
    await conn.execute(pg_insert(children).values(**row))


async def child_row(conn: AsyncConnection, child_id: str) -> Any:
    return (await conn.execute(select(children).where(children.c.child_id == child_id))).first()


async def child_with_id_digest(conn: AsyncConnection, organisation: str, digest: str) -> Any:
    query = select(children).where(
        children.c.organisation == organisation, children.c.id_digest == digest
    )
    return (await conn.execute(query)).first()


async def children_born(conn: AsyncConnection, organisation: str, digest: str) -> list[Any]:
    query = select(children).where(
        children.c.organisation == organisation, children.c.birth_digest == digest
    )
    return list((await conn.execute(query)).all())


async def next_case_number(conn: AsyncConnection, organisation: str, year: int) -> str:
    """`<year>-<n>`, counting per organisation and year; rolled back with its transaction."""
    insert = pg_insert(case_numbers).values(organisation=organisation, year=year, last=1)
    bumped = insert.on_conflict_do_update(
        index_elements=["organisation", "year"], set_={"last": case_numbers.c.last + 1}
    ).returning(case_numbers.c.last)
    number = (await conn.execute(bumped)).scalar_one()
    return f"{year}-{number:05d}"


async def case_row(conn: AsyncConnection, case_id: str) -> Any:
    return (await conn.execute(select(cases).where(cases.c.case_id == case_id))).first()


async def team_of(conn: AsyncConnection, case_id: str) -> list[str]:
    query = select(case_team.c.worker_id).where(case_team.c.case_id == case_id)
    return [w for (w,) in await conn.execute(query.order_by(case_team.c.worker_id))]


async def cases_of_worker(conn: AsyncConnection, worker_id: str) -> list[str]:
    query = select(case_team.c.case_id).where(case_team.c.worker_id == worker_id)
    return [c for (c,) in await conn.execute(query.order_by(case_team.c.case_id))]


async def report_rows(conn: AsyncConnection, report_ids: list[str]) -> list[Any]:
    query = select(reports).where(reports.c.report_id.in_(report_ids))
    return list((await conn.execute(query)).all())


async def staff_rows(conn: AsyncConnection, worker_ids: list[str]) -> list[Any]:
    query = select(staff).where(staff.c.worker_id.in_(worker_ids))
    return list((await conn.execute(query)).all())


async def child_rows(conn: AsyncConnection, organisation: str, child_ids: list[str]) -> list[Any]:
    query = select(children).where(
        children.c.organisation == organisation, children.c.child_id.in_(child_ids)
    )
    return list((await conn.execute(query)).all())
