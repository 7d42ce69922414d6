"""What the mental-health read endpoints answer, from the read models only (nothing decrypted),
and the caseload a command on a case counts under the worker's lock (M-6)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain import mental_health_rules as mr
from assessment.domain.mental_health import DueItem, Pending
from assessment.projections.tables import mh_cases, mh_review_items, mh_sessions


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class SessionCount(_Public):
    """Sessions held against the plan (M-7): `required` is the plan's number once agreed, else
    the minimum the risk level asks."""

    done: int
    planned: int | None
    minimum: int
    required: int


class MentalHealthCasePublic(_Public):
    case_id: str
    worker_id: str | None
    phase: str
    risk_level: str | None
    service_subject: bool
    referral_open: bool
    frequency: str | None
    agreement_signed_at: datetime | None
    last_session_at: datetime | None
    midterm_reviewed_at: datetime | None
    closed_at: datetime | None
    followups_done: int
    fully_closed_at: datetime | None
    sessions: SessionCount
    pending: Pending | None
    due: list[DueItem]
    version: int


class SessionPublic(_Public):
    """One session as the read model keeps it; its record stays encrypted in the event store."""

    session_id: str
    number: int
    worker_ids: list[str]
    started_at: datetime
    ended_at: datetime
    minutes: int
    home_visit: bool
    recorded_by: str


class CaseloadPublic(_Public):
    """A worker's open mental-health cases against the cap of M-6 (JX-7.3)."""

    worker_id: str
    cap: int
    open_cases: int
    cases: list[MentalHealthCasePublic]


class ReviewItemPublic(_Public):
    item_id: str
    case_id: str
    kind: str
    submitted_by: str
    submitted_at: datetime


def case_public(row: Any) -> MentalHealthCasePublic:
    planned = row.planned_sessions
    count = SessionCount(
        done=row.sessions_done,
        planned=planned,
        minimum=row.minimum_sessions,
        required=planned if planned is not None else row.minimum_sessions,
    )
    fields = {
        name: getattr(row, name)
        for name in MentalHealthCasePublic.model_fields
        if name not in ("sessions",)
    }
    return MentalHealthCasePublic.model_validate({**fields, "sessions": count})


async def mental_health_case(
    conn: AsyncConnection, case_id: str, organisation: str
) -> MentalHealthCasePublic | None:
    row = await mh_case(conn, case_id)
    if row is None or row.organisation != organisation:
        return None
    return case_public(row)


async def sessions(conn: AsyncConnection, case_id: str) -> list[SessionPublic]:
    rows = await sessions_of(conn, case_id)
    return [
        SessionPublic.model_validate({n: getattr(r, n) for n in SessionPublic.model_fields})
        for r in rows
    ]


async def caseload_of(conn: AsyncConnection, organisation: str, worker_id: str) -> CaseloadPublic:
    cases = [case_public(row) for row in await caseload(conn, organisation, worker_id)]
    return CaseloadPublic(
        worker_id=worker_id, cap=mr.CASELOAD_CAP, open_cases=len(cases), cases=cases
    )


async def queue_of(conn: AsyncConnection, organisation: str) -> list[ReviewItemPublic]:
    return [
        ReviewItemPublic.model_validate({n: getattr(r, n) for n in ReviewItemPublic.model_fields})
        for r in await review_queue(conn, organisation)
    ]


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
