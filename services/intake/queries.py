"""What the intake API shows: staff and report summaries from the read models, a report's
details decrypted from its stream (the read model keeps no personal data of the child)."""

import base64
import binascii
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain import Violation
from intake.domain.assignment import clearance_violations
from intake.events import (
    Addressee,
    ChildDetails,
    Finding,
    Ground,
    MandatoryReportAcknowledged,
    MandatoryReportFiled,
    Reporter,
    ReportReceived,
    Source,
)
from intake.handlers import History
from intake.projections import reports, staff, staff_from_row

MAX_PAGE = 100


class BackgroundCheck(BaseModel):
    checked_on: date
    clean: bool


class StaffPublic(BaseModel):
    worker_id: str
    organisation: str
    role: str
    name: str
    gender: str
    qualifications: list[str]
    years_in_child_services: float
    background_check: BackgroundCheck | None
    suspended: bool
    suspended_on: date | None
    suspension_rule: str | None
    clearance: list[Violation]


class Acknowledgement(BaseModel):
    recipient: str
    acknowledged_by: str
    acknowledged_at: datetime
    reference: str | None
    recorded_by: str


class MandatoryReportPublic(BaseModel):
    filed_at: datetime
    filed_by: str
    recipients: list[Addressee]
    grounds: list[Ground]
    warnings: list[Finding]
    acknowledgements: list[Acknowledgement]


class ReportPublic(BaseModel):
    report_id: str
    organisation: str
    child_id: str
    source: Source
    received_at: datetime
    received_by: str
    reporter: Reporter
    child: ChildDetails
    occurred_at: datetime | None
    place: str | None
    description: str
    triggers: list[int]
    emergency: bool
    mandatory: bool
    mandatory_report: MandatoryReportPublic | None


class ReportSummary(BaseModel):
    report_id: str
    child_id: str
    source: Source
    received_at: datetime
    emergency: bool
    mandatory: bool
    triggers: list[int]
    acknowledged_by: list[str]


class ReportPage(BaseModel):
    items: list[ReportSummary]
    next_cursor: str | None


def staff_public(row: Any, on: date) -> StaffPublic:
    """The staff member with what stops them working with children on `on` (MZ-7.1.3)."""
    check = (
        BackgroundCheck(checked_on=row.background_check_date, clean=row.background_check_clean)
        if row.background_check_date is not None
        else None
    )
    return StaffPublic(
        **{k: getattr(row, k) for k in StaffPublic.model_fields if hasattr(row, k)},
        background_check=check,
        clearance=clearance_violations(staff_from_row(row).as_member(), on),
    )


async def staff_of(conn: AsyncConnection, organisation: str) -> list[Any]:
    query = select(staff).where(staff.c.organisation == organisation).order_by(staff.c.worker_id)
    return list((await conn.execute(query)).all())


def report_public(history: History) -> ReportPublic:
    received = next(e for e in history.events if isinstance(e, ReportReceived))
    filed = next((e for e in history.events if isinstance(e, MandatoryReportFiled)), None)
    acks = [
        Acknowledgement(**e.model_dump(include=set(Acknowledgement.model_fields)))
        for e in history.events
        if isinstance(e, MandatoryReportAcknowledged)
    ]
    mandatory = None
    if filed is not None:
        mandatory = MandatoryReportPublic(**dict(filed), acknowledgements=acks)
    return ReportPublic(**dict(received), mandatory_report=mandatory)


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode()


def decode_cursor(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, value = text.partition(":")
    return int(value) if kind == "seq" and value.isdigit() else None


async def report_page(
    conn: AsyncConnection,
    organisation: str,
    *,
    before: int | None,
    limit: int,
    filters: dict[str, Any],
) -> ReportPage:
    """Newest first; `before` is the sequence number the previous page ended on."""
    query = select(reports).where(reports.c.organisation == organisation)
    for name, value in filters.items():
        if value is not None:
            query = query.where(reports.c[name] == value)
    if before is not None:
        query = query.where(reports.c.seq < before)
    rows = (await conn.execute(query.order_by(reports.c.seq.desc()).limit(limit + 1))).all()
    page = rows[:limit]
    items = [ReportSummary(**{k: getattr(r, k) for k in ReportSummary.model_fields}) for r in page]
    more = len(rows) > limit
    return ReportPage(items=items, next_cursor=encode_cursor(page[-1].seq) if more else None)
