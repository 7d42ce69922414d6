"""`/v1/reports`: receiving reports (DOMAIN §2) and mandatory reports with their
acknowledgements (DOMAIN §3). Workers and supervisors of the reporting organisation only."""

from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.app import BackboneDep
from events.auth import Principal, require_roles
from events.backbone import Backbone
from events.errors import KeyShredded
from events.problems import Problem
from intake import handlers
from intake.api.common import (
    IdempotencyKey,
    fingerprint,
    gone,
    lookup_key_of,
    metadata,
    not_found,
    now,
    organisation_of,
    problem_of,
    seed,
)
from intake.domain.events import ChildDetails, Reporter, Source
from intake.domain.refusals import Refused
from intake.domain.reports import AcknowledgeMandatoryReport, ReceiveReport
from intake.handlers import History, load, report_stream, stable_id
from intake.projections import report_row
from intake.queries import (
    MAX_PAGE,
    Acknowledgement,
    ReportPage,
    ReportPublic,
    decode_cursor,
    report_page,
    report_public,
)

router = APIRouter(prefix="/v1/reports", tags=["reports"])
Staff = Annotated[Principal, Depends(require_roles("worker", "supervisor"))]


class ReporterIn(Reporter):
    name: str = Field(min_length=1, max_length=100)
    organisation: str | None = Field(None, max_length=200)
    contact: str | None = Field(None, max_length=200)


class ChildIn(ChildDetails):
    name: str = Field(min_length=1, max_length=100)
    resident_id: str | None = Field(None, max_length=40, description="checked under I-7")
    address: str | None = Field(None, max_length=500)


class WhatHappened(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occurred_at: AwareDatetime | None = None
    place: str | None = Field(None, max_length=500)
    description: str = Field(min_length=1, max_length=20_000)


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Source
    received_at: AwareDatetime | None = Field(None, description="default: now")
    reporter: ReporterIn
    child: ChildIn
    what_happened: WhatHappened
    triggers: list[int] = Field([], max_length=20, description="situations 1-9 of SZ-5.2.2")
    emergency: bool = Field(
        False,
        description="serious domestic violence or unlawful "
        "infringement: first visit within 24 h (I-3)",
    )


class AcknowledgementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient: str = Field(description="police, place_responsible or civil_affairs")
    acknowledged_by: str = Field(min_length=1, max_length=200)
    acknowledged_at: AwareDatetime
    reference: str | None = Field(None, max_length=200)


@router.post("", status_code=201)
async def receive(
    body: ReportCreate, principal: Staff, backbone: BackboneDep, key: IdempotencyKey = None
) -> ReportPublic:
    """Receive a report; a trigger or an emergency also files the mandatory report (SZ-5.2)."""
    command = _receive_command(body, principal, seed(principal, "report", key))
    try:
        report_id = await handlers.receive_report(
            backbone.uow,
            command,
            metadata(principal),
            seed(principal, "report", key),
            fingerprint(body.model_dump(mode="json")),
            lookup_key_of(backbone),
        )
    except Refused as refused:
        raise problem_of(refused) from None
    return report_public(await _history(backbone, principal, report_id))


@router.get("")
async def list_reports(
    principal: Staff,
    backbone: BackboneDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    emergency: bool | None = None,
    mandatory: bool | None = None,
    source: Source | None = None,
    child_id: str | None = None,
) -> ReportPage:
    """The organisation's reports, newest first, a page at a time (`next_cursor`)."""
    before = decode_cursor(cursor) if cursor is not None else None
    if cursor is not None and before is None:
        raise Problem(400, "bad-cursor", "Bad cursor", "use the next_cursor of a previous page")
    filters = {
        "emergency": emergency,
        "mandatory": mandatory,
        "source": source,
        "child_id": child_id,
    }
    async with backbone.uow() as uow:
        return await report_page(
            uow.conn, organisation_of(principal), before=before, limit=limit, filters=filters
        )


@router.get("/{report_id}")
async def read(report_id: str, principal: Staff, backbone: BackboneDep) -> ReportPublic:
    """One report with its mandatory report and acknowledgements."""
    return report_public(await _history(backbone, principal, report_id))


@router.get("/{report_id}/acknowledgements")
async def acknowledgements(
    report_id: str, principal: Staff, backbone: BackboneDep
) -> list[Acknowledgement]:
    report = report_public(await _history(backbone, principal, report_id))
    return report.mandatory_report.acknowledgements if report.mandatory_report else []


@router.post("/{report_id}/acknowledgements", status_code=201)
async def acknowledge(
    report_id: str,
    body: AcknowledgementCreate,
    principal: Staff,
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> list[Acknowledgement]:
    """Record that a recipient acknowledged the mandatory report (SZ-5.2.1)."""
    await _history(backbone, principal, report_id)
    command = AcknowledgeMandatoryReport(
        **body.model_dump(), recorded_by=principal.subject, now=now()
    )
    try:
        await handlers.acknowledge(
            backbone.uow,
            report_id,
            command,
            metadata(principal),
            seed(principal, f"ack:{report_id}", key),
        )
    except Refused as refused:
        raise problem_of(refused) from None
    return await acknowledgements(report_id, principal, backbone)


def _receive_command(body: ReportCreate, principal: Principal, key: str | None) -> ReceiveReport:
    received_at = body.received_at or now()
    return ReceiveReport(
        report_id=stable_id(key, "report") if key else str(uuid4()),
        organisation=organisation_of(principal),
        child_id=f"child-{stable_id(key, 'child') if key else uuid4()}",
        source=body.source,
        received_at=received_at,
        received_by=principal.subject,
        reporter=Reporter(**body.reporter.model_dump()),
        child=ChildDetails(**body.child.model_dump()),
        **body.what_happened.model_dump(),
        triggers=body.triggers,
        emergency=body.emergency,
        now=now(),
    )


async def _history(backbone: Backbone, principal: Principal, report_id: str) -> History:
    """The report's events, if the caller's organisation filed it (else 404)."""
    async with backbone.uow() as uow:
        row = await report_row(uow.conn, report_id)
        if row is None or row.organisation != organisation_of(principal):
            raise not_found("report")
        try:
            return await load(uow, report_stream(report_id))
        except KeyShredded:
            raise gone() from None
