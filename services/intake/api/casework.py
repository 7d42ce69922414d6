"""`/v1/cases/{id}/...`: work on a case by the workers assigned to it (or a supervisor):
home visits (JX-7.3), investigation (I-4), initial statement (I-2), consent (JX-7.2.3), the
child's categories with evidence (SZ-5.8.1) and household. Request bodies are bounded
(`intake.api.inputs`): the domain's parts (`Investigation`, `Guardian`...) stay unbounded, as
the events that carry them must read back whatever was stored before the bounds."""

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from events.api import IdempotencyKey, context, now
from events.app import BackboneDep
from events.domain import Line, Text
from intake.api.cases import CaseWorker, reach
from intake.api.inputs import BirthDate, Moment, Name, Note, PathId, RecordId, Relation, Story
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


class VisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visited_at: Moment
    worker_ids: list[RecordId] = Field(
        min_length=1,
        max_length=10,
        description="who went: team members, cleared (MZ-7.1.3); until the initial statement "
        "two qualified, a woman among them for a girl (MZ-6.2.2)",
    )
    guardian_present: bool
    guardian_informed: bool = False
    place: Line | None = None
    notes: Text | None = None


class InvestigationIn(Investigation):
    """The items of SZ-6.2.2 (I-4), each free text of at most `events.domain.TEXT_MAX`."""

    harm_type: Story
    degree: Story
    time_and_place: Story
    environment_or_perpetrator: Story
    related_persons: Text | None = None
    social_support: Text | None = None
    usable_resources: Text | None = None
    other: Text | None = None


class InvestigationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    investigated_at: Moment
    investigator_ids: list[RecordId] = Field(
        min_length=1,
        max_length=10,
        description="who investigated: two qualified workers of the team at least, a woman "
        "among them for a girl (MZ-6.2.2)",
    )
    findings: InvestigationIn


class StatementIn(InitialStatement):
    basic_info: Story
    situation: Story
    needs: Story
    next_steps: Story


class StatementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stated_at: Moment
    statement: StatementIn


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_by: Name
    relation: Relation = Field(description="child, 母亲, 祖父, ...")
    scopes: list[ConsentScope] = Field(min_length=1, max_length=len(ConsentScope))
    given_at: Moment
    note: Note | None = None


class CategoriesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evidence: dict[ChildCategory, Story] = Field(description="each category with its evidence")


class GuardianIn(Guardian):
    name: Name
    relation: Relation
    contact: Line | None = None


class MemberIn(FamilyMember):
    name: Name
    relation: Relation


class MinorIn(Minor):
    name: Name
    relation: Relation
    birth_date: BirthDate | None = Field(None, description="under 18 (I-7)")


class HouseholdUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guardians: list[GuardianIn] = Field([], max_length=10)
    members: list[MemberIn] = Field([], max_length=30)
    other_minors: list[MinorIn] = Field([], max_length=20, description="not registered here")
    sibling_ids: list[RecordId] = Field([], max_length=20, description="registered children")


@router.post("/{case_id}/visits", status_code=201)
async def record_visit(
    case_id: PathId,
    body: VisitCreate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """A home visit; while the guardian is away two workers and the guardian told (JX-7.3)."""
    ctx = context(principal, f"{case_id}/visit", key, body)
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
    case_id: PathId,
    body: InvestigationCreate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    command = RecordInvestigation(
        case_id=case_id, **body.model_dump(), recorded_by=principal.subject, now=now()
    )
    async with backbone.uow() as uow:
        await casework.record(
            command, uow, context(principal, f"{case_id}/investigation", key, body)
        )
    return await reach(backbone, principal, case_id)


@router.post("/{case_id}/initial-statement", status_code=201)
async def record_statement(
    case_id: PathId,
    body: StatementCreate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """The initial case statement (I-2), once, after a visit and the investigation."""
    command = RecordStatement(
        case_id=case_id, **body.model_dump(), recorded_by=principal.subject, now=now()
    )
    async with backbone.uow() as uow:
        await casework.record(command, uow, context(principal, f"{case_id}/statement", key, body))
    return await reach(backbone, principal, case_id)


@router.post("/{case_id}/consents", status_code=201)
async def record_consent(
    case_id: PathId,
    body: ConsentCreate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    ctx = context(principal, f"{case_id}/consent", key, body)
    command = RecordConsent(
        case_id=case_id,
        **body.model_dump(),
        consent_id=ctx.id_for("consent"),
        recorded_by=principal.subject,
        now=now(),
    )
    async with backbone.uow() as uow:
        await casework.record(command, uow, ctx)
    return await reach(backbone, principal, case_id)


@router.put("/{case_id}/categories")
async def set_categories(
    case_id: PathId,
    body: CategoriesUpdate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """The child's categories, each with evidence; the follow-up category goes to notify."""
    command = SetCategories(case_id=case_id, evidence=body.evidence, at=now(), by=principal.subject)
    async with backbone.uow() as uow:
        await children.set_categories(
            command, uow, context(principal, f"{case_id}/categories", key, body)
        )
    return await reach(backbone, principal, case_id)


@router.put("/{case_id}/household")
async def record_household(
    case_id: PathId,
    body: HouseholdUpdate,
    principal: CaseWorker,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """Guardians, family members, other minors; a registered sibling by child id only."""
    command = RecordHousehold(case_id=case_id, **body.model_dump(), at=now(), by=principal.subject)
    async with backbone.uow() as uow:
        await children.record_household(
            command, uow, context(principal, f"{case_id}/household", key, body)
        )
    return await reach(backbone, principal, case_id)
