"""`/v1/cases/{case_id}/...`: the guardianship capacity assessment of a case's family (SZ
Appendix D; required by SZ-6.4.2 and SZ-6.4.3) and reading it back with whether the case's safety
grade requires it. Workers and supervisors of the case's organisation, as for the safety routes."""

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from assessment import handlers
from assessment.api.safety import CaseId, IdempotencyKey, Staff
from assessment.domain.guardianship import GuardianshipFindings, GuardianshipInput
from assessment.domain.guardianship_assessment import AssessGuardianship
from assessment.domain.refusals import Refused
from assessment.events import Assessor
from assessment.handlers_guardianship import record_guardianship
from assessment.queries_guardianship import (
    CaseGuardianshipPublic,
    GuardianshipAssessmentPublic,
    assessment_public,
    case_guardianship,
)
from events.app import BackboneDep
from events.auth import Forbidden, Principal
from events.envelope import Metadata
from events.problems import Problem

router = APIRouter(prefix="/v1/cases", tags=["guardianship assessment"])


class GuardianshipAssessmentCreate(BaseModel):
    """One Appendix D assessment of the case's family by its assessors."""

    model_config = ConfigDict(extra="forbid")

    assessors: list[Assessor] = Field(
        max_length=20, description="at least two workers, a woman among them for a girl"
    )
    child_gender: Literal["male", "female"] | None = Field(
        None, description="needed while intake's case record does not carry it"
    )
    guardian_declares_inability: bool = Field(False, description="SZ-6.4.2 condition")
    guardianship_disputed: bool = Field(False, description="SZ-6.4.2 condition")
    inputs: GuardianshipInput
    findings: GuardianshipFindings | None = Field(None, description="personal: encrypted")
    assessed_at: AwareDatetime | None = Field(None, description="default: now")
    notes: str | None = Field(None, max_length=20_000, description="personal: encrypted")
    expected_version: int | None = Field(
        None, ge=0, description="the version the assessors read; stale -> 409"
    )


@router.post("/{case_id}/guardianship-assessments", status_code=201)
async def assess_case_guardianship(
    case_id: CaseId,
    body: GuardianshipAssessmentCreate,
    principal: Staff,
    backbone: BackboneDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GuardianshipAssessmentPublic:
    """Record the assessment; a reassessment supersedes the current one (Appendix D)."""
    organisation = _organisation(principal)
    seed = (
        f"{organisation}|{principal.subject}|assess-guardianship|{case_id}|{idempotency_key}"
        if idempotency_key
        else None
    )
    command = AssessGuardianship(
        case_id=case_id,
        assessment_id=handlers.stable_id(seed, "assessment") if seed else _new_id(),
        organisation=organisation,
        assessed_at=body.assessed_at or datetime.now(UTC),
        child_gender=body.child_gender,
        guardian_declares_inability=body.guardian_declares_inability,
        guardianship_disputed=body.guardianship_disputed,
        assessors=tuple(body.assessors),
        inputs=body.inputs,
        findings=body.findings,
        notes=body.notes,
    )
    try:
        row = await record_guardianship(
            backbone.uow,
            command,
            Metadata(actor=principal.subject),
            expected_version=body.expected_version,
            seed=seed,
            fingerprint=hashlib.sha256(body.model_dump_json().encode()).hexdigest(),
        )
    except Refused as refused:
        raise Problem(
            422,
            "rule-violation",
            "The request breaks a rule",
            str(refused),
            rule=refused.rule,
            violations=[v.model_dump() for v in refused.violations],
        ) from None
    except handlers.NotVisible:
        raise _not_found() from None
    except handlers.KeyReused:
        raise Problem(
            409, "conflict", "Idempotency-Key reused", "this key was sent with another request"
        ) from None
    response.headers["Location"] = f"/v1/cases/{case_id}/guardianship"
    return assessment_public(row)


@router.get("/{case_id}/guardianship")
async def read_case_guardianship(
    case_id: CaseId, principal: Staff, backbone: BackboneDep
) -> CaseGuardianshipPublic:
    """Whether the case's safety grade requires the assessment, its current one and history."""
    organisation = _organisation(principal)
    async with backbone.engine.connect() as conn:
        view = await case_guardianship(conn, case_id, organisation)
    if view is None:
        raise _not_found()
    return view


def _organisation(principal: Principal) -> str:
    if not principal.organisation:
        raise Forbidden("the token names no organisation")
    return principal.organisation


def _new_id() -> str:
    return str(uuid.uuid4())


def _not_found() -> Problem:
    return Problem(404, "not-found", "Not found", "no assessed or graded case with this id")
