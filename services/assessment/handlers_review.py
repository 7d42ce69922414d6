"""A supervisor's approval or return of a safety or guardianship assessment. The decision is
appended to `review-<assessment id>` at version 0, so an assessment is decided once even when
two supervisors answer together (the second gets 409)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.assessment_review import ReviewAssessment, Submitted, review_assessment
from assessment.handlers import NotVisible, UowFactory
from assessment.handlers_guardianship import guardianship_assessments
from assessment.projections import safety_grades
from assessment.projections_review import project_review, review_item
from events.envelope import Metadata

TABLES = {"safety": safety_grades, "guardianship": guardianship_assessments}


async def record_review(
    uows: UowFactory, command: ReviewAssessment, organisation: str, meta: Metadata
) -> Any:
    """Decide the pending assessment; its queue row after the decision."""
    async with uows() as uow:
        item = await review_item(uow.conn, command.assessment_id)
        assessed = await _assessment(uow.conn, command)
        if item is None or assessed is None or item.organisation != organisation:
            raise NotVisible(command.case_id)
        submitted = Submitted(
            status=item.status,
            submitted_by=item.submitted_by,
            assessor_ids=tuple(a["worker_id"] for a in assessed.assessors),
        )
        event = review_assessment(command, submitted)
        [envelope] = await uow.append(
            f"review-{command.assessment_id}",
            0,
            [event],
            meta,
            key_scope=command.case_id,
            partition_key=command.case_id,
        )
        await project_review(uow.conn, envelope, event)
        row = await review_item(uow.conn, command.assessment_id)
        await uow.commit()
        return row


async def _assessment(conn: AsyncConnection, command: ReviewAssessment) -> Any:
    table = TABLES[command.kind]
    query = select(table).where(
        table.c.assessment_id == command.assessment_id, table.c.case_id == command.case_id
    )
    return (await conn.execute(query)).one_or_none()
