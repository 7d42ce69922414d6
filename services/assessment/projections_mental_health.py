"""Read models of the mental-health service (SQLAlchemy Core), written in the unit of work that
appends the events. The case row is the domain's own summary of the folded state, so the read
side shows exactly what the rules see; no free text is copied here."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    Table,
    Text,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.events import (
    AgreementSigned,
    ClosureRecorded,
    ClosureReturned,
    ClosureSubmitted,
    FeasibilityApproved,
    FeasibilityReturned,
    FeasibilitySubmitted,
    PlanAdjusted,
    PlanReturned,
    PlanSubmitted,
    SessionRecorded,
)
from assessment.domain.mental_health import MentalHealthCase, next_due
from assessment.projections import metadata
from events.envelope import Envelope
from events.registry import EventData

mh_cases = Table(
    "mh_cases",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("worker_id", Text),
    Column("phase", Text, nullable=False),
    Column("risk_level", Text),
    Column("service_subject", Boolean, nullable=False),
    Column("referral_open", Boolean, nullable=False),
    Column("planned_sessions", Integer),
    Column("minimum_sessions", Integer, nullable=False),
    Column("sessions_done", Integer, nullable=False),
    Column("frequency", Text),
    Column("agreement_signed_at", DateTime(timezone=True)),
    Column("last_session_at", DateTime(timezone=True)),
    Column("midterm_reviewed_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("followups_done", Integer, nullable=False),
    Column("fully_closed_at", DateTime(timezone=True)),
    Column("pending", JSONB),
    Column("due", JSONB, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

mh_sessions = Table(
    "mh_sessions",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("session_id", Text, nullable=False),
    Column("case_id", Text, nullable=False),
    Column("number", Integer, nullable=False),
    Column("worker_ids", JSONB, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("home_visit", Boolean, nullable=False),
    Column("recorded_by", Text, nullable=False),
)

mh_review_items = Table(
    "mh_review_items",
    metadata,
    Column("item_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("submitted_by", Text, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_by", Text),
    Column("reviewed_at", DateTime(timezone=True)),
)

SUBMITTED = (FeasibilitySubmitted, PlanSubmitted, ClosureSubmitted)
KIND = {FeasibilitySubmitted: "feasibility", PlanSubmitted: "plan", ClosureSubmitted: "closure"}
APPROVED = (FeasibilityApproved, AgreementSigned, PlanAdjusted, ClosureRecorded)
RETURNED = (FeasibilityReturned, PlanReturned, ClosureReturned)


async def project_mental_health(
    conn: AsyncConnection,
    envelopes: Sequence[Envelope],
    events: Sequence[EventData],
    case: MentalHealthCase,
) -> None:
    """Apply freshly appended events, then store the case as the domain now sees it."""
    for envelope, event in zip(envelopes, events, strict=True):
        await _one(conn, envelope, event, case.organisation or "")
    await _store_case(conn, case, envelopes[-1].time)


async def _one(conn: AsyncConnection, envelope: Envelope, event: EventData, org: str) -> None:
    if isinstance(event, SessionRecorded):
        await conn.execute(mh_sessions.insert().values(_session_row(envelope, event)))
    elif isinstance(event, SUBMITTED):
        row = {
            "item_id": event.item_id,
            "case_id": event.case_id,
            "organisation": org,
            "kind": KIND[type(event)],
            "status": "pending",
            "submitted_by": event.submitted_by,
            "submitted_at": event.submitted_at,
        }
        await conn.execute(mh_review_items.insert().values(row))
    elif isinstance(event, (*APPROVED, *RETURNED)):
        status = "approved" if isinstance(event, APPROVED) else "returned"
        by = (
            event.approved_by
            if isinstance(event, (AgreementSigned, PlanAdjusted, ClosureRecorded))
            else event.reviewed_by
        )
        await conn.execute(
            update(mh_review_items)
            .where(mh_review_items.c.item_id == event.item_id)
            .values(status=status, reviewed_by=by, reviewed_at=envelope.time)
        )


def _session_row(envelope: Envelope, event: SessionRecorded) -> dict[str, Any]:
    return {
        "event_id": envelope.id,
        "session_id": event.session_id,
        "case_id": event.case_id,
        "number": event.number,
        "worker_ids": event.worker_ids,
        "started_at": event.started_at,
        "ended_at": event.ended_at,
        "minutes": event.minutes,
        "home_visit": event.home_visit,
        "recorded_by": event.recorded_by,
    }


async def _store_case(conn: AsyncConnection, case: MentalHealthCase, at: datetime) -> None:
    row = case_row_of(case, at)
    await conn.execute(
        pg_insert(mh_cases)
        .values(row)
        .on_conflict_do_update(index_elements=[mh_cases.c.case_id], set_=row)
    )


def case_row_of(case: MentalHealthCase, at: datetime) -> dict[str, Any]:
    """The case's read-model row: codes, counts and dates only."""
    plan = case.plan
    return {
        "case_id": case.case_id,
        "organisation": case.organisation or "",
        "worker_id": case.worker_id,
        "phase": case.phase,
        "risk_level": case.risk_level,
        "service_subject": case.service_subject,
        "referral_open": case.referral_open,
        "planned_sessions": plan.planned_sessions if plan else None,
        "minimum_sessions": case.minimum_sessions,
        "sessions_done": len(case.sessions),
        "frequency": plan.frequency if plan else None,
        "agreement_signed_at": case.agreement_signed_at,
        "last_session_at": case.sessions[-1].started_at if case.sessions else None,
        "midterm_reviewed_at": case.midterm_reviewed_at,
        "closed_at": case.closed_at,
        "followups_done": len(case.followups),
        "fully_closed_at": case.fully_closed_at,
        "pending": case.pending.model_dump(mode="json") if case.pending else None,
        "due": [item.model_dump(mode="json") for item in next_due(case)],
        "version": case.version,
        "updated_at": at,
    }


async def lock_worker(conn: AsyncConnection, organisation: str, worker_id: str) -> None:
    """Serialise caseload decisions about one worker until the transaction ends (M-6)."""
    key = f"mh-caseload|{organisation}|{worker_id}"
    await conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
    )


async def open_cases_of(
    conn: AsyncConnection, organisation: str, worker_id: str, but: str | None = None
) -> int:
    """How many open cases the worker holds, leaving out case `but`."""
    query = select(func.count()).where(
        mh_cases.c.organisation == organisation,
        mh_cases.c.worker_id == worker_id,
        mh_cases.c.phase != "closed",
    )
    if but is not None:
        query = query.where(mh_cases.c.case_id != but)
    return int((await conn.execute(query)).scalar_one())


async def mh_case(conn: AsyncConnection, case_id: str) -> Any:
    query = select(mh_cases).where(mh_cases.c.case_id == case_id)
    return (await conn.execute(query)).one_or_none()


async def sessions_of(conn: AsyncConnection, case_id: str) -> list[Any]:
    query = select(mh_sessions).where(mh_sessions.c.case_id == case_id).order_by("number")
    return list((await conn.execute(query)).all())


async def caseload(conn: AsyncConnection, organisation: str, worker_id: str) -> list[Any]:
    query = (
        select(mh_cases)
        .where(
            mh_cases.c.organisation == organisation,
            mh_cases.c.worker_id == worker_id,
            mh_cases.c.phase != "closed",
        )
        .order_by(mh_cases.c.case_id)
    )
    return list((await conn.execute(query)).all())


async def review_queue(conn: AsyncConnection, organisation: str) -> list[Any]:
    query = (
        select(mh_review_items)
        .where(
            mh_review_items.c.organisation == organisation, mh_review_items.c.status == "pending"
        )
        .order_by(mh_review_items.c.submitted_at)
    )
    return list((await conn.execute(query)).all())
