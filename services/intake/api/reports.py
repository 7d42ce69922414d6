"""`/v1/reports`: receiving reports (DOMAIN §2) and mandatory reports with their
acknowledgements (DOMAIN §3). Workers and supervisors of the reporting organisation, as the
record rule allows (`intake.domain.access`, SZ-7.3.3): a supervisor every report, a worker
those they received or whose case they are on the team of."""

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from events.api import (
    Before,
    IdempotencyKey,
    Limit,
    Page,
    Staff,
    context,
    now,
    organisation_of,
)
from events.app import BackboneDep
from events.auth import Principal
from events.backbone import Backbone
from events.context import Context
from events.domain import EventData, Line
from events.errors import KeyShredded
from intake.api.access import caller_of, visible_report
from intake.api.common import gone, lookup_key_of
from intake.api.inputs import BirthDate, Moment, Name, PathId, QueryId, Story, Words
from intake.domain.events import ChildDetails, Reporter, Source
from intake.domain.identity import GENDER_WARNING
from intake.domain.reports import AcknowledgeMandatoryReport, NotifyCivilAffairs, ReceiveReport
from intake.handlers import reports as handlers
from intake.handlers.reports import report_stream
from intake.handlers.shared import load
from intake.projections.queries import (
    Acknowledgement,
    ReportPublic,
    ReportSummary,
    report_page,
    report_public,
)

router = APIRouter(prefix="/v1/reports", tags=["reports"])


class Confirmable(StrEnum):
    """A warning the worker may confirm to have the report received (I-7)."""

    ID_GENDER_MISMATCH = GENDER_WARNING


class ReporterIn(Reporter):
    name: Name
    organisation: Line | None = None
    contact: Line | None = None


class ChildIn(ChildDetails):
    name: Name
    birth_date: BirthDate | None = Field(None, description="born by the report, under 18 (I-7)")
    resident_id: Annotated[Line, Field(max_length=40)] | None = Field(
        None, description="checked under I-7"
    )
    address: Line | None = None


class WhatHappened(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occurred_at: Moment | None = Field(None, description="after the birth, by the receipt")
    place: Line | None = None
    description: Story


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Source
    received_at: Moment | None = Field(None, description="default: now; from 2000, not later")
    reporter: ReporterIn
    child: ChildIn
    what_happened: WhatHappened
    triggers: list[Annotated[int, Field(ge=1, le=99)]] = Field(
        [], max_length=20, description="situations 1-9 of SZ-5.2.2"
    )
    emergency: bool = Field(
        False,
        description="serious domestic violence or unlawful "
        "infringement: first visit within 24 h (I-3)",
    )
    confirm_warnings: list[Confirmable] = Field(
        [],
        max_length=1,
        description="warnings the worker confirms, recorded with the report (I-7: the ID "
        "number's gender digit differs from the stated gender); unconfirmed, they are a 422",
    )


class CivilAffairsNoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notified_at: Moment = Field(description="between the report's receipt and now")
    reference: Line | None = Field(None, description="the department's reference, if any")


class AcknowledgementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient: Annotated[Line, Field(max_length=50)] = Field(
        description="police, place_responsible or civil_affairs"
    )
    acknowledged_by: Words
    acknowledged_at: Moment
    reference: Line | None = None


@router.post("", status_code=201)
async def receive(
    body: ReportCreate, principal: Staff, backbone: BackboneDep, key: IdempotencyKey = None
) -> ReportPublic:
    """Receive a report; a trigger or an emergency also files the mandatory report (SZ-5.2)."""
    ctx = context(principal, "report", key, body)
    command = _receive_command(body, principal, ctx)
    async with backbone.uow() as uow:
        events = await handlers.receive_report(
            command, uow, ctx, lookup_key=lookup_key_of(backbone)
        )
    return report_public(events)


@router.get("")
async def list_reports(
    principal: Staff,
    backbone: BackboneDep,
    before: Before,
    limit: Limit = 50,
    emergency: bool | None = None,
    mandatory: bool | None = None,
    source: Source | None = None,
    child_id: QueryId = None,
) -> Page[ReportSummary]:
    """The reports the caller may see (a supervisor: the organisation's; a worker: those they
    received or whose case they are on the team of), newest first, a page at a time."""
    filters = {
        "emergency": emergency,
        "mandatory": mandatory,
        "source": source,
        "child_id": child_id,
    }
    caller = caller_of(principal)
    async with backbone.uow() as uow:
        return await report_page(
            uow.conn,
            organisation_of(principal),
            caller,
            before=before,
            limit=limit,
            filters=filters,
        )


@router.get("/{report_id}")
async def read(report_id: PathId, principal: Staff, backbone: BackboneDep) -> ReportPublic:
    """One report with its mandatory report and acknowledgements."""
    return report_public(await _events(backbone, principal, report_id))


@router.get("/{report_id}/acknowledgements")
async def acknowledgements(
    report_id: PathId, principal: Staff, backbone: BackboneDep
) -> list[Acknowledgement]:
    report = report_public(await _events(backbone, principal, report_id))
    return report.mandatory_report.acknowledgements if report.mandatory_report else []


async def report_seen(report_id: PathId, principal: Staff, backbone: BackboneDep) -> Principal:
    """The record rule before the body is validated: 404 whatever is sent, as for no report."""
    async with backbone.uow() as uow:
        await visible_report(uow.conn, principal, report_id)
    return principal


@router.post("/{report_id}/acknowledgements", status_code=201)
async def acknowledge(
    report_id: PathId,
    body: AcknowledgementCreate,
    principal: Annotated[Principal, Depends(report_seen)],
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> list[Acknowledgement]:
    """Record that a recipient acknowledged the mandatory report (SZ-5.2.1)."""
    command = AcknowledgeMandatoryReport(
        report_id=report_id, **body.model_dump(), recorded_by=principal.subject, now=now()
    )
    async with backbone.uow() as uow:
        ctx = context(principal, f"ack:{report_id}", key, body)
        await handlers.acknowledge(command, uow, ctx)
    return await acknowledgements(report_id, principal, backbone)


@router.post("/{report_id}/civil-affairs-notice", status_code=201)
async def notify_civil_affairs(
    report_id: PathId,
    body: CivilAffairsNoticeCreate,
    principal: Annotated[Principal, Depends(report_seen)],
    backbone: BackboneDep,
    key: IdempotencyKey = None,
) -> ReportPublic:
    """Record that the supervising civil-affairs department was told of the report, on every
    intake (SZ-6.2.1); once (409), dated between the receipt and now (422). A mandatory report
    addressed to civil affairs records it when filed."""
    command = NotifyCivilAffairs(
        report_id=report_id, **body.model_dump(), notified_by=principal.subject, now=now()
    )
    async with backbone.uow() as uow:
        ctx = context(principal, f"civil-affairs:{report_id}", key, body)
        await handlers.notify_civil_affairs(command, uow, ctx)
    return await read(report_id, principal, backbone)


def _receive_command(body: ReportCreate, principal: Principal, ctx: Context) -> ReceiveReport:
    received_at = body.received_at or now()
    return ReceiveReport(
        report_id=ctx.id_for("report"),
        organisation=organisation_of(principal),
        child_id=f"child-{ctx.id_for('child')}",
        source=body.source,
        received_at=received_at,
        received_by=principal.subject,
        reporter=Reporter(**body.reporter.model_dump()),
        child=ChildDetails(**body.child.model_dump()),
        **body.what_happened.model_dump(),
        triggers=body.triggers,
        emergency=body.emergency,
        now=now(),
        confirmed=frozenset(body.confirm_warnings),
    )


async def _events(backbone: Backbone, principal: Principal, report_id: str) -> list[EventData]:
    """The report's events, if the caller may see it (else 404, as for no report)."""
    async with backbone.uow() as uow:
        await visible_report(uow.conn, principal, report_id)
        try:
            return (await load(uow, report_stream(report_id))).events
        except KeyShredded:
            raise gone() from None
