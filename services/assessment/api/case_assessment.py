"""What the routes of an assessment of a case by a team share (safety, Appendix B; guardianship,
Appendix D): path and header types, the caller's idempotency seed, refusals as problems, and
the supervisor's review route of each kind."""

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.api.common import now, organisation_of, problem_of
from assessment.domain.assessment_review import Kind, ReviewAssessment
from assessment.domain.events import Assessor
from assessment.domain.refusals import Refused
from assessment.handlers import AssessmentKind, KeyReused, NotVisible, stable_id
from assessment.handlers_review import record_review
from events.app import BackboneDep
from events.auth import Principal, require_roles
from events.backbone import Backbone
from events.envelope import Metadata
from events.problems import Problem

Staff = Annotated[Principal, Depends(require_roles("worker", "supervisor"))]
Supervisor = Annotated[Principal, Depends(require_roles("supervisor"))]
Id = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
CaseId = Id
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="makes a retried POST safe"),
]


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
    assessed_at: AwareDatetime | None = Field(None, description="default: now")
    notes: str | None = Field(None, max_length=20_000, description="personal: encrypted")
    expected_version: int | None = Field(
        None, ge=0, description="the version the assessors read; stale -> 409"
    )


class Identity(BaseModel):
    """Who records, for which organisation, and the ids a retried request gets again."""

    organisation: str
    actor: str
    seed: str | None
    assessment_id: str

    def command_fields(self, case_id: str, body: Any) -> dict[str, Any]:
        """What every assessment command takes from the caller and the request body."""
        return {
            "case_id": case_id,
            "assessment_id": self.assessment_id,
            "organisation": self.organisation,
            "assessed_at": body.assessed_at or now(),
            "child_gender": body.child_gender,
            "assessors": tuple(body.assessors),
            "inputs": body.inputs,
            "notes": body.notes,
        }


def identity(principal: Principal, action: str, case_id: str, key: str | None) -> Identity:
    """An Idempotency-Key scoped to its caller, action and case, so keys never collide."""
    organisation = organisation_of(principal)
    seed = f"{organisation}|{principal.subject}|{action}|{case_id}|{key}" if key else None
    assessment_id = stable_id(seed, "assessment") if seed else str(uuid.uuid4())
    return Identity(
        organisation=organisation, actor=principal.subject, seed=seed, assessment_id=assessment_id
    )


def fingerprint(body: BaseModel) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


async def record(
    kind: AssessmentKind, backbone: Backbone, who: Identity, command: Any, body: Any, missing: str
) -> Any:
    """Record the assessment through its kind; the stored row, or a problem."""
    return await recorded(
        lambda: kind.record(
            backbone.uow,
            command,
            Metadata(actor=who.actor),
            expected_version=body.expected_version,
            seed=who.seed,
            fingerprint=fingerprint(body),
        ),
        missing,
    )


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
        raise not_found(missing)
    return found


async def recorded(record: Callable[[], Awaitable[Any]], missing: str) -> Any:
    """Run a recording handler, its refusals answered as problems."""
    try:
        return await record()
    except Refused as refused:
        raise problem_of(refused) from None
    except NotVisible:
        raise not_found(missing) from None
    except KeyReused:
        raise Problem(
            409, "conflict", "Idempotency-Key reused", "this key was sent with another request"
        ) from None


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", "Not found", f"no {what} with this id is visible to you")


class ReviewCreate(BaseModel):
    """A supervisor's decision on an assessment awaiting review."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "return"]
    comments: str | None = Field(
        None, max_length=20_000, description="required to return; personal: encrypted"
    )
    reviewed_at: AwareDatetime | None = Field(None, description="default: now")


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
        principal: Supervisor,
        backbone: BackboneDep,
    ) -> ReviewPublic:
        """Approve the assessment, or return it with comments (supervisor, not an assessor)."""
        command = ReviewAssessment(
            case_id=case_id,
            assessment_id=assessment_id,
            kind=kind,
            decision=body.decision,
            reviewed_by=principal.subject,
            reviewed_at=body.reviewed_at or now(),
            comments=body.comments,
        )
        meta = Metadata(actor=principal.subject)
        org = organisation_of(principal)
        row = await recorded(
            lambda: record_review(backbone.uow, command, org, meta), f"{kind} assessment"
        )
        return ReviewPublic.model_validate(row._asdict())
