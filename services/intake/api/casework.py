"""`/v1/cases/{id}/...`: work on a case by the workers assigned to it (or a supervisor):
home visits (JX-7.3), investigation (I-4), initial statement (I-2), consent (JX-7.2.3), the
child's categories with evidence (SZ-5.8.1) and household."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.api import IdempotencyKey, Staff, context, now
from events.app import BackboneDep
from intake.api.cases import reach
from intake.domain.casework import RecordConsent, RecordInvestigation, RecordStatement, RecordVisit
from intake.domain.categories import RecordHousehold, SetCategories
from intake.domain.events import (
    ChildCategory,
    ConsentScope,
    FamilyMember,
    Guardian,
    InitialStatement,
    Investigation,
    Minor,
)
from intake.handlers import casework, children
from intake.projections.queries import CasePublic

router = APIRouter(prefix="/v1/cases", tags=["case work"])
Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class VisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visited_at: AwareDatetime
    worker_ids: list[str] = Field(min_length=1, max_length=10, description="the team present")
    guardian_present: bool
    guardian_informed: bool = False
    place: str | None = Field(None, max_length=500)
    notes: str | None = Field(None, max_length=20_000)


class InvestigationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    investigated_at: AwareDatetime
    findings: Investigation


class StatementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stated_at: AwareDatetime
    statement: InitialStatement


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_by: Name
    relation: str = Field(min_length=1, max_length=50, description="child, 母亲, 祖父, ...")
    scopes: list[ConsentScope] = Field(min_length=1)
    given_at: AwareDatetime
    note: str | None = Field(None, max_length=2000)


class CategoriesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evidence: dict[ChildCategory, Text] = Field(description="each category with its evidence")


class HouseholdUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guardians: list[Guardian] = Field([], max_length=10)
    members: list[FamilyMember] = Field([], max_length=30)
    other_minors: list[Minor] = Field([], max_length=20, description="not registered here")
    sibling_ids: list[str] = Field([], max_length=20, description="registered children")


@router.post("/{case_id}/visits", status_code=201)
async def record_visit(
    case_id: str,
    body: VisitCreate,
    principal: Staff,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """A home visit; while the guardian is away two workers and the guardian told (JX-7.3)."""
    await reach(backbone, principal, case_id, change=True)
    ctx = context(principal, f"{case_id}/visit", key)
    command = RecordVisit(
        case_id=case_id,
        **body.model_dump(),
        visit_id=ctx.id_for("visit"),
        recorded_by=principal.subject,
        now=now(),
    )
    async with backbone.uow() as uow:
        await casework.record(command, uow, ctx)
    return await reach(backbone, principal, case_id)


@router.post("/{case_id}/investigations", status_code=201)
async def record_investigation(
    case_id: str,
    body: InvestigationCreate,
    principal: Staff,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    await reach(backbone, principal, case_id, change=True)
    command = RecordInvestigation(
        case_id=case_id, **dict(body), recorded_by=principal.subject, now=now()
    )
    async with backbone.uow() as uow:
        await casework.record(command, uow, context(principal, f"{case_id}/investigation", key))
    return await reach(backbone, principal, case_id)


@router.post("/{case_id}/initial-statement", status_code=201)
async def record_statement(
    case_id: str,
    body: StatementCreate,
    principal: Staff,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """The initial case statement (I-2), once, after a visit and the investigation."""
    await reach(backbone, principal, case_id, change=True)
    command = RecordStatement(
        case_id=case_id, **dict(body), recorded_by=principal.subject, now=now()
    )
    async with backbone.uow() as uow:
        await casework.record(command, uow, context(principal, f"{case_id}/statement", key))
    return await reach(backbone, principal, case_id)


@router.post("/{case_id}/consents", status_code=201)
async def record_consent(
    case_id: str,
    body: ConsentCreate,
    principal: Staff,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    await reach(backbone, principal, case_id, change=True)
    ctx = context(principal, f"{case_id}/consent", key)
    command = RecordConsent(
        case_id=case_id,
        **dict(body),
        consent_id=ctx.id_for("consent"),
        recorded_by=principal.subject,
        now=now(),
    )
    async with backbone.uow() as uow:
        await casework.record(command, uow, ctx)
    return await reach(backbone, principal, case_id)


@router.put("/{case_id}/categories")
async def set_categories(
    case_id: str,
    body: CategoriesUpdate,
    principal: Staff,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """The child's categories, each with evidence; the follow-up category goes to notify."""
    await reach(backbone, principal, case_id, change=True)
    command = SetCategories(case_id=case_id, evidence=body.evidence, at=now(), by=principal.subject)
    async with backbone.uow() as uow:
        await children.set_categories(
            command, uow, context(principal, f"{case_id}/categories", key)
        )
    return await reach(backbone, principal, case_id)


@router.put("/{case_id}/household")
async def record_household(
    case_id: str,
    body: HouseholdUpdate,
    principal: Staff,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """Guardians, family members, other minors; a registered sibling by child id only."""
    await reach(backbone, principal, case_id, change=True)
    command = RecordHousehold(case_id=case_id, **dict(body), at=now(), by=principal.subject)
    async with backbone.uow() as uow:
        await children.record_household(
            command, uow, context(principal, f"{case_id}/household", key)
        )
    return await reach(backbone, principal, case_id)
