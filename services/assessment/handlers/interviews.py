"""Application layer of the child's interviews (I-6, MZ-5.2.3): load the case's interviews,
fold, let the domain decide, append on `interviews-<case id>` (keyed and sealed by the case
id), update the read model, commit. `read_record` opens one record for the case's team: the
record every later step reads instead of asking the child again."""

from typing import Any

from assessment.domain import interviews as iv
from assessment.domain.events import ChildInterviewRecorded
from assessment.handlers.shared import CaseGone, NotVisible, Sent
from assessment.projections.interviews import store_interviews
from events.context import Context
from events.errors import KeyShredded
from events.uow import UnitOfWork

MISSING = "interview"


def interview_stream(case_id: str) -> str:
    return f"interviews-{case_id}"


async def execute(sent: Sent[iv.RecordInterview], uow: UnitOfWork, ctx: Context) -> str:
    """Record the interview; its id (the first request's, on a retry)."""
    command = sent.command
    stream = interview_stream(command.case_id)
    try:
        envelopes = await uow.store.read_stream(uow.conn, stream)
        stored = [await uow.store.decode(e) for e in envelopes]
    except KeyShredded:
        raise CaseGone() from None
    if any(getattr(e, "organisation", sent.organisation) != sent.organisation for e in stored):
        raise NotVisible(MISSING)
    if ctx.retried({e.id for e in envelopes}):
        return command.interview_id  # the id derives from the same key
    state = iv.fold(command.case_id, stored)
    events = iv.record_interview(command, state)
    appended = await uow.append(
        stream,
        state.version,
        ctx.keyed(events),
        ctx.metadata,
        key_scope=command.case_id,
        partition_key=command.case_id,
    )
    await store_interviews(
        uow.conn, appended, [e for e in events if isinstance(e, ChildInterviewRecorded)]
    )
    await uow.commit()
    return command.interview_id


async def read_record(uow: UnitOfWork, case_id: str, interview_id: str, org: str) -> dict[str, Any]:
    """The interview as recorded, its sealed fields opened (404 when not the caller's)."""
    try:
        for envelope in await uow.store.read_stream(uow.conn, interview_stream(case_id)):
            event = await uow.store.decode(envelope)
            if isinstance(event, ChildInterviewRecorded) and event.interview_id == interview_id:
                if event.organisation != org:
                    break
                return event.model_dump(mode="json")
    except KeyShredded:
        raise CaseGone() from None
    raise NotVisible(MISSING)
