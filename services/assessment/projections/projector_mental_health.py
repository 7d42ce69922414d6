"""Read models of the mental-health service, written in the unit of work that appends the
events. The case row is the domain's own summary of the folded state, so the read side shows
exactly what the rules see; no free text is copied here."""

from collections.abc import Sequence
from datetime import datetime
from functools import singledispatch
from typing import Any

from sqlalchemy import update
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
from assessment.projections.tables import mh_cases, mh_review_items, mh_sessions
from events.domain import EventData
from events.envelope import Envelope

KIND = {FeasibilitySubmitted: "feasibility", PlanSubmitted: "plan", ClosureSubmitted: "closure"}


async def project_mental_health(
    conn: AsyncConnection,
    envelopes: Sequence[Envelope],
    events: Sequence[EventData],
    case: MentalHealthCase,
) -> None:
    """Apply freshly appended events, then store the case as the domain now sees it."""
    for envelope, event in zip(envelopes, events, strict=True):
        await _project(event, conn, envelope, case.organisation or "")
    await _store_case(conn, case, envelopes[-1].time)


@singledispatch
async def _project(event: EventData, conn: AsyncConnection, envelope: Envelope, org: str) -> None:
    """The rows one event adds or changes besides the case row, one function per event type."""


@_project.register(SessionRecorded)
async def _session(
    event: SessionRecorded, conn: AsyncConnection, envelope: Envelope, org: str
) -> None:
    await conn.execute(mh_sessions.insert().values(_session_row(envelope, event)))


@_project.register(FeasibilitySubmitted)
@_project.register(PlanSubmitted)
@_project.register(ClosureSubmitted)
async def _submitted(
    event: FeasibilitySubmitted | PlanSubmitted | ClosureSubmitted,
    conn: AsyncConnection,
    envelope: Envelope,
    org: str,
) -> None:
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


@_project.register(AgreementSigned)
@_project.register(PlanAdjusted)
@_project.register(ClosureRecorded)
async def _approved(
    event: AgreementSigned | PlanAdjusted | ClosureRecorded,
    conn: AsyncConnection,
    envelope: Envelope,
    org: str,
) -> None:
    await _decided(conn, event.item_id, "approved", event.approved_by, envelope.time)


@_project.register(FeasibilityApproved)
async def _feasibility_approved(
    event: FeasibilityApproved, conn: AsyncConnection, envelope: Envelope, org: str
) -> None:
    await _decided(conn, event.item_id, "approved", event.reviewed_by, envelope.time)


@_project.register(FeasibilityReturned)
@_project.register(PlanReturned)
@_project.register(ClosureReturned)
async def _returned(
    event: FeasibilityReturned | PlanReturned | ClosureReturned,
    conn: AsyncConnection,
    envelope: Envelope,
    org: str,
) -> None:
    await _decided(conn, event.item_id, "returned", event.reviewed_by, envelope.time)


async def _decided(conn: AsyncConnection, item_id: str, status: str, by: str, at: datetime) -> None:
    await conn.execute(
        update(mh_review_items)
        .where(mh_review_items.c.item_id == item_id)
        .values(status=status, reviewed_by=by, reviewed_at=at)
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
