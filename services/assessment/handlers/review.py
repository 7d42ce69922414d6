"""A supervisor's approval or return of a safety or guardianship assessment. The decision is
appended to `review-<assessment id>` at version 0, so an assessment is decided once even when
two supervisors answer together (the second gets 409). A request retried with its
Idempotency-Key finds its decision stored and answers with it."""

from typing import Any

from assessment.domain.assessment_review import ReviewAssessment, Submitted, review_assessment
from assessment.handlers.shared import NotVisible, Sent
from assessment.projections.projector_review import project_review
from assessment.projections.queries import assessment_of, review_item
from events.context import Context
from events.uow import UnitOfWork


async def review(sent: Sent[ReviewAssessment], uow: UnitOfWork, ctx: Context) -> Any:
    """Decide the pending assessment; its queue row after the decision."""
    command = sent.command
    item = await review_item(uow.conn, command.assessment_id)
    assessed = await assessment_of(uow.conn, command.kind, command.case_id, command.assessment_id)
    if item is None or assessed is None or item.organisation != sent.organisation:
        raise NotVisible(f"{command.kind} assessment")
    stream = f"review-{command.assessment_id}"
    if ctx.retried({e.id for e in await uow.store.read_stream(uow.conn, stream)}):
        return item  # decided once, by this request: the same row
    submitted = Submitted(
        status=item.status,
        submitted_by=item.submitted_by,
        assessor_ids=tuple(a["worker_id"] for a in assessed.assessors),
    )
    event = review_assessment(command, submitted)
    [envelope] = await uow.append(
        stream,
        0,
        ctx.keyed([event]),
        ctx.metadata,
        key_scope=command.case_id,
        partition_key=command.case_id,
    )
    await project_review(uow.conn, envelope, event)
    row = await review_item(uow.conn, command.assessment_id)
    await uow.commit()
    return row
