"""What the routes of an assessment of a case by a team share (safety, Appendix B; guardianship,
Appendix D): the request body and the command fields it gives, reading a case's assessments,
and the supervisor's review route of each kind. The routes of both kinds take the record-level
rule (`api.access`) and refuse dates out of range (`domain.bounds`)."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.api.access import Reviewing
from assessment.api.paths import CaseId, Id
from assessment.domain.assessment_review import Kind, ReviewAssessment
from assessment.domain.bounds import refuse_out_of_range
from assessment.domain.events import Assessor
from assessment.handlers import review as reviews
from assessment.handlers.shared import NotVisible, Sent
from events.api import IdempotencyKey, Now, context, organisation_of
from events.app import BackboneDep
from events.auth import Principal
from events.backbone import Backbone
from events.context import Context
from events.domain import Text

MAX_VERSION = 1_000_000  # far beyond any case's assessments; a larger one is no version read


class AssessmentCreate(BaseModel):
    """What every assessment of a case by a team is sent with; each kind adds its inputs."""

    model_config = ConfigDict(extra="forbid")

    assessors: list[Assessor] = Field(
        max_length=20,
        description="registered, cleared social workers of the organisation: at least two, "
        "a woman among them for a girl (MZ-6.2.2, MZ-7.1.3)",
    )
    child_gender: Literal["male", "female"] | None = Field(
        None,
        description="the child's gender; needed while intake has not recorded it, refused if "
        "it contradicts intake's record",
    )
    assessed_at: AwareDatetime | None = Field(None, description="default: now; not ahead")
    notes: Text | None = Field(None, description="personal: encrypted")
    expected_version: int | None = Field(
        None, ge=0, le=MAX_VERSION, description="the version the assessors read; stale -> 409"
    )


def assessment_fields(
    case_id: str, organisation: str, body: Any, ctx: Context, now: datetime
) -> dict[str, Any]:
    """What every assessment command takes from the caller and the request body; a retried
    request (same Idempotency-Key) names the same assessment id."""
    return {
        "case_id": case_id,
        "assessment_id": ctx.id_for("assessment"),
        "organisation": organisation,
        "assessed_at": body.assessed_at or now,
        "child_gender": body.child_gender,
        "assessors": tuple(body.assessors),
        "inputs": body.inputs,
        "notes": body.notes,
        "expected_version": body.expected_version,
    }


async def read(
    backbone: Backbone,
    principal: Principal,
    query: Callable[[AsyncConnection, str, str], Awaitable[Any]],
    case_id: str,
    missing: str,
) -> Any:
    """`query(conn, case_id, organisation)` for the caller's organisation, or 404."""
    async with backbone.engine.connect() as conn:
        found = await query(conn, case_id, organisation_of(principal))
    if found is None:
        raise NotVisible(missing)
    return found


class ReviewCreate(BaseModel):
    """A supervisor's decision on an assessment awaiting review."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "return"]
    comments: Text | None = Field(None, description="required to return; personal: encrypted")
    reviewed_at: AwareDatetime | None = Field(None, description="default: now; not ahead")


class ReviewPublic(BaseModel):
    item_id: str
    case_id: str
    kind: str
    status: str
    submitted_by: str
    submitted_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None


def add_review_route(router: APIRouter, kind: Kind) -> None:
    """`POST /{case_id}/<kind>-assessments/{assessment_id}/review`: approve or return."""

    @router.post(f"/{{case_id}}/{kind}-assessments/{{assessment_id}}/review", status_code=201)
    async def review(
        case_id: CaseId,
        assessment_id: Id,
        body: ReviewCreate,
        principal: Reviewing,
        backbone: BackboneDep,
        now: Now,
        key: IdempotencyKey = None,
    ) -> ReviewPublic:
        """Approve the assessment, or return it with comments (supervisor, not an assessor)."""
        refuse_out_of_range(body, now)
        command = ReviewAssessment(
            case_id=case_id,
            assessment_id=assessment_id,
            kind=kind,
            decision=body.decision,
            reviewed_by=principal.subject,
            reviewed_at=body.reviewed_at or now,
            comments=body.comments,
        )
        sent = Sent(command, organisation_of(principal))
        ctx = context(principal, f"review|{kind}|{case_id}|{assessment_id}", key, body)
        async with backbone.uow() as uow:
            row = await reviews.review(sent, uow, ctx)
        return ReviewPublic.model_validate(row._asdict())
