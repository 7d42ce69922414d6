"""`/v1/cases/{case_id}/...`: grading a case's safety risk (DOMAIN §4, SZ-6.3, Appendix B)
and reading its current grade with the grades it superseded. Workers and supervisors of the
organisation that graded the case."""

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from assessment import handlers
from assessment.domain.refusals import Refused
from assessment.domain.safety_assessment import GradeSafetyRisk
from assessment.domain.safety_risk import SafetyRiskInput
from assessment.events import Assessor
from assessment.queries import CaseRiskPublic, SafetyGradePublic, case_risk, grade_public
from events.app import BackboneDep
from events.auth import Forbidden, Principal, require_roles
from events.envelope import Metadata
from events.problems import Problem

router = APIRouter(prefix="/v1/cases", tags=["safety assessment"])
Staff = Annotated[Principal, Depends(require_roles("worker", "supervisor"))]
CaseId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="makes a retried POST safe"),
]


class SafetyAssessmentCreate(BaseModel):
    """One Appendix B assessment of the case by its assessors."""

    model_config = ConfigDict(extra="forbid")

    assessors: list[Assessor] = Field(
        max_length=20, description="at least two workers, a woman among them for a girl"
    )
    child_gender: Literal["male", "female"] | None = Field(
        None,
        description="the child's gender; needed while intake's case record does not carry it, "
        "refused if it contradicts that record",
    )
    inputs: SafetyRiskInput
    assessed_at: AwareDatetime | None = Field(None, description="default: now")
    notes: str | None = Field(None, max_length=20_000, description="personal: encrypted")
    expected_version: int | None = Field(
        None, ge=0, description="the case's version the assessors read; stale -> 409"
    )


@router.post("/{case_id}/safety-assessments", status_code=201)
async def grade_case_safety(
    case_id: CaseId,
    body: SafetyAssessmentCreate,
    principal: Staff,
    backbone: BackboneDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> SafetyGradePublic:
    """Grade the case's safety risk; a regrade supersedes the current grade (SZ-6.3)."""
    organisation = _organisation(principal)
    seed = _seed(principal, case_id, idempotency_key)
    command = GradeSafetyRisk(
        case_id=case_id,
        assessment_id=handlers.stable_id(seed, "assessment") if seed else _new_id(),
        organisation=organisation,
        assessed_at=body.assessed_at or datetime.now(UTC),
        child_gender=body.child_gender,
        assessors=tuple(body.assessors),
        inputs=body.inputs,
        notes=body.notes,
    )
    try:
        row = await handlers.record_safety_grade(
            backbone.uow,
            command,
            Metadata(actor=principal.subject),
            expected_version=body.expected_version,
            seed=seed,
            fingerprint=_fingerprint(body),
        )
    except Refused as refused:
        raise _rule_violation(refused) from None
    except handlers.NotVisible:
        raise _not_found() from None
    except handlers.KeyReused:
        raise Problem(
            409, "conflict", "Idempotency-Key reused", "this key was sent with another request"
        ) from None
    response.headers["Location"] = f"/v1/cases/{case_id}/risk"
    return grade_public(row)


@router.get("/{case_id}/risk")
async def read_case_risk(
    case_id: CaseId, principal: Staff, backbone: BackboneDep
) -> CaseRiskPublic:
    """The case's current safety grade and the grades it superseded (read model)."""
    organisation = _organisation(principal)
    async with backbone.engine.connect() as conn:
        risk = await case_risk(conn, case_id, organisation)
    if risk is None:
        raise _not_found()
    return risk


def _organisation(principal: Principal) -> str:
    if not principal.organisation:
        raise Forbidden("the token names no organisation")
    return principal.organisation


def _seed(principal: Principal, case_id: str, key: str | None) -> str | None:
    """Scope an Idempotency-Key to its caller, action and case, so keys never collide."""
    if key is None:
        return None
    return f"{principal.organisation}|{principal.subject}|grade-safety|{case_id}|{key}"


def _fingerprint(body: SafetyAssessmentCreate) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def _new_id() -> str:
    return str(uuid.uuid4())


def _rule_violation(refused: Refused) -> Problem:
    return Problem(
        422,
        "rule-violation",
        "The request breaks a rule",
        str(refused),
        rule=refused.rule,
        violations=[v.model_dump() for v in refused.violations],
    )


def _not_found() -> Problem:
    return Problem(404, "not-found", "Not found", "no graded case with this id is visible to you")
