"""Safety and guardianship assessments in the supervisor's queue: rows of `mh_review_items`
(the organisation's one approval queue, shared with mental-health plans and closures), kind
`safety_assessment` or `guardianship_assessment`, item id = the assessment id."""

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.events import CaseAssessmentApproved, CaseAssessmentReturned
from assessment.projections.tables import mh_review_items
from events.envelope import Envelope

PENDING = "pending"


async def submit_for_review(
    conn: AsyncConnection, envelope: Envelope, event: Any, kind: str
) -> None:
    """Queue the new assessment; the one it supersedes leaves the queue unreviewed."""
    if event.supersedes is not None:
        await _set_status(conn, event.supersedes, "superseded", only_pending=True)
    row = {
        "item_id": event.assessment_id,
        "case_id": event.case_id,
        "organisation": event.organisation,
        "kind": kind,
        "status": PENDING,
        "submitted_by": envelope.actor,
        "submitted_at": envelope.time,
    }
    await conn.execute(mh_review_items.insert().values(row))


async def project_review(
    conn: AsyncConnection,
    envelope: Envelope,
    event: CaseAssessmentApproved | CaseAssessmentReturned,
) -> None:
    status = "approved" if isinstance(event, CaseAssessmentApproved) else "returned"
    await _set_status(conn, event.assessment_id, status, by=event.reviewed_by, at=envelope.time)


async def _set_status(
    conn: AsyncConnection,
    item_id: str,
    status: str,
    *,
    only_pending: bool = False,
    by: str | None = None,
    at: Any = None,
) -> None:
    query = update(mh_review_items).where(mh_review_items.c.item_id == item_id)
    if only_pending:
        query = query.where(mh_review_items.c.status == PENDING)
    await conn.execute(query.values(status=status, reviewed_by=by, reviewed_at=at))
