"""Read model of the child's interviews (I-6, MZ-5.2.3): who, when, about which matter, and
which one a later interview repeats and why (a code); the record itself stays sealed in the
event store and is read from there (`handlers.interviews.read_record`)."""

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.events import ChildInterviewRecorded
from assessment.domain.interviews import RULE
from assessment.projections.tables import child_interviews
from events.envelope import Envelope


class InterviewPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    interview_id: str
    matter: str
    held_at: datetime
    interviewer_ids: list[str]
    repeat_of: str | None
    repeat_reason_code: str | None
    recorded_by: str
    recorded_at: datetime
    rule: str = RULE
    domain_rule: str = "I-6"


async def store_interviews(
    conn: AsyncConnection, envelopes: Sequence[Envelope], events: Sequence[ChildInterviewRecorded]
) -> None:
    for envelope, event in zip(envelopes, events, strict=True):
        row = event.model_dump(
            include={
                "interview_id",
                "case_id",
                "organisation",
                "matter",
                "held_at",
                "interviewer_ids",
                "repeat_of",
                "repeat_reason_code",
                "recorded_by",
            }
        )
        await conn.execute(child_interviews.insert().values(**row, recorded_at=envelope.time))


async def interviews_of(
    conn: AsyncConnection, case_id: str, organisation: str
) -> list[InterviewPublic]:
    """The case's interviews of the child, oldest first: the first of each matter is its record."""
    query = (
        select(child_interviews)
        .where(
            child_interviews.c.case_id == case_id, child_interviews.c.organisation == organisation
        )
        .order_by(child_interviews.c.held_at)
    )
    rows = (await conn.execute(query)).all()
    fields = set(InterviewPublic.model_fields) - {"rule", "domain_rule"}
    return [InterviewPublic.model_validate({f: getattr(r, f) for f in fields}) for r in rows]
