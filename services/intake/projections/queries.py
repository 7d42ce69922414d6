"""What the intake API shows: staff, report and case summaries from the read models; a
report's details and a case's file decrypted from their streams' events (the read models keep
no personal data of the child)."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from events.api import Page, page_of
from events.domain import EventData, Violation
from intake.domain.access import Caller, may_see
from intake.domain.assignment import clearance_violations
from intake.domain.events import (
    Addressee,
    CaseStatusChanged,
    ChildCategoriesSet,
    ChildDetails,
    CivilAffairsNotified,
    ConsentRecorded,
    ConsentScope,
    Finding,
    Ground,
    HouseholdRecorded,
    InitialStatement,
    InitialStatementRecorded,
    Investigation,
    InvestigationRecorded,
    MandatoryReportAcknowledged,
    MandatoryReportFiled,
    Reporter,
    ReportReceived,
    ReportWarningsConfirmed,
    Source,
    VisitRecorded,
)
from intake.projections.learnt import NextDeadline, OpenTask, SafetyGrade, closing_entries
from intake.projections.rows import report_holding, staff_from_row
from intake.projections.tables import case_team, cases, children, reports, staff


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
    deregistered_on: date | None = None
    deregistration_reason: str | None = None
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


class CivilAffairsNotice(BaseModel):
    """The report to the supervising civil-affairs department (SZ-6.2.1)."""

    notified_at: datetime
    notified_by: str
    reference: str | None


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
    confirmed_warnings: list[Finding] = []  # what the worker confirmed on receipt (I-7)
    civil_affairs_notice: CivilAffairsNotice | None = None  # SZ-6.2.1


class ReportSummary(BaseModel):
    """A report in a list. Lists (reports, cases, duplicate hints) carry no ID number, masked or
    whole, for any role: who needs it opens the child's record, which the record rule guards
    (SZ-7.3.3), and a list holds no more than it needs (JX-9.3, minimum necessary)."""

    report_id: str
    child_id: str
    source: Source
    received_at: datetime
    emergency: bool
    mandatory: bool
    triggers: list[int]
    acknowledged_by: list[str]


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


def report_public(events: Sequence[EventData]) -> ReportPublic:
    """The report as its stream's events tell it."""
    received = next(e for e in events if isinstance(e, ReportReceived))
    filed = next((e for e in events if isinstance(e, MandatoryReportFiled)), None)
    acks = [
        Acknowledgement(**e.model_dump(include=set(Acknowledgement.model_fields)))
        for e in events
        if isinstance(e, MandatoryReportAcknowledged)
    ]
    mandatory = None
    if filed is not None:
        mandatory = MandatoryReportPublic(**dict(filed), acknowledgements=acks)
    return ReportPublic(**dict(received), mandatory_report=mandatory, **_report_facts(events))


def _report_facts(events: Sequence[EventData]) -> dict[str, Any]:
    """The warnings confirmed on receipt and the notice to civil affairs, if recorded."""
    facts: dict[str, Any] = {}
    for e in events:
        if isinstance(e, ReportWarningsConfirmed):
            facts["confirmed_warnings"] = e.warnings
        elif isinstance(e, CivilAffairsNotified):
            facts["civil_affairs_notice"] = CivilAffairsNotice(**dict(e))
    return facts


async def report_page(
    conn: AsyncConnection,
    organisation: str,
    caller: Caller,
    *,
    before: int | None,
    limit: int,
    filters: dict[str, Any],
) -> Page[ReportSummary]:
    """The reports `caller` may see, newest first; `before` is the sequence number the previous
    page ended on. The query keeps a worker to the reports they received or whose case's team
    they are on; the record rule (`access.may_see`) then decides each row."""
    on_team = _on_team_of_report(caller.subject).label("on_team")
    query = select(reports, on_team).where(reports.c.organisation == organisation)
    if not caller.supervisor:
        query = query.where(or_(reports.c.received_by == caller.subject, on_team))
    for name, value in filters.items():
        if value is not None:
            query = query.where(reports.c[name] == value)
    if before is not None:
        query = query.where(reports.c.seq < before)
    rows = (await conn.execute(query.order_by(reports.c.seq.desc()).limit(limit + 1))).all()
    page = page_of(list(rows), limit, lambda row: row)
    items = [_report_summary(row) for row in page.items if _may_see_report(caller, row)]
    return Page[ReportSummary](items=items, next_cursor=page.next_cursor)


def _on_team_of_report(worker_id: str) -> Any:
    held = case_team.c.case_id == reports.c.case_id
    return exists().where(held, case_team.c.worker_id == worker_id)


def _may_see_report(caller: Caller, row: Any) -> bool:
    team = frozenset({caller.subject}) if row.on_team else frozenset()
    return may_see(caller, report_holding(row, team)).allowed


def _report_summary(row: Any) -> ReportSummary:
    return ReportSummary(**{k: getattr(row, k) for k in ReportSummary.model_fields})


# --- cases ---------------------------------------------------------------------------------


class CasePublic(BaseModel):
    case_id: str
    case_number: str
    organisation: str
    child_id: str
    report_ids: list[str]
    opened_at: datetime
    opened_by: str
    team: list[str]
    status: str
    emergency: bool
    visit_due_at: datetime | None
    statement_due_at: datetime | None
    first_visit_at: datetime | None
    statement_at: datetime | None
    visits: int
    investigations: int
    consents: int
    categories: list[str]
    overdue: bool
    # learnt from other services' events (`projections.learnt`); shown on one case, not in lists
    safety: SafetyGrade | None = None
    open_tasks: list[OpenTask] = []
    next_deadlines: list[NextDeadline] = []
    # where facts of other services call the case, and what it lacks to get there (SZ-6.1)
    closing_work: list[str] = []
    moving_to: str | None = None
    waiting_for: list[Violation] = []


class Visit(BaseModel):
    visit_id: str
    visited_at: datetime
    worker_ids: list[str]
    guardian_present: bool
    guardian_informed: bool
    first_visit: bool
    place: str | None
    notes: str | None
    recorded_by: str


class InvestigationEntry(BaseModel):
    investigated_at: datetime
    investigator_ids: list[str] = []  # who investigated (MZ-6.2.2); none named before v2
    findings: Investigation
    recorded_by: str


class StatementEntry(BaseModel):
    stated_at: datetime
    statement: InitialStatement
    recorded_by: str


class Consent(BaseModel):
    consent_id: str
    given_by: str
    relation: str
    scopes: list[ConsentScope]
    given_at: datetime
    note: str | None
    recorded_by: str


class StatusEntry(BaseModel):
    from_status: str
    to_status: str
    changed_at: datetime
    changed_by: str
    reason: str | None
    cause: str | None
    rule: str


class CaseFile(BaseModel):
    """What was recorded on the case and about its child, decrypted from their streams."""

    case_id: str
    visits: list[Visit]
    investigations: list[InvestigationEntry]
    initial_statement: StatementEntry | None
    consents: list[Consent]
    status_history: list[StatusEntry]
    categories: dict[str, str]  # category -> evidence
    household: dict[str, Any] | None
    closing: list[dict[str, Any]] = []  # closing work, follow-ups, facts learnt (SZ-6.5, SZ-6.6)


def overdue(now: datetime) -> Any:
    """A first visit (emergency: 24 h) or the initial statement (72 h) not recorded by the time
    it fell due: still missing after it, or recorded late (SZ-6.2.1, I-2, I-3)."""
    return or_(
        _missed(cases.c.visit_due_at, cases.c.first_visit_at, now),
        _missed(cases.c.statement_due_at, cases.c.statement_at, now),
    )


def _missed(due: Any, done: Any, now: datetime) -> Any:
    return and_(due.is_not(None), or_(and_(done.is_(None), due < now), done > due))


def case_public(row: Any, team: list[str], categories: list[str], now: datetime) -> CasePublic:
    late = _late(row.visit_due_at, row.first_visit_at, now) or _late(
        row.statement_due_at, row.statement_at, now
    )
    fields = {k: getattr(row, k) for k in CasePublic.model_fields if hasattr(row, k)}
    return CasePublic(**fields | {"team": team, "categories": categories, "overdue": late})


def _late(due: datetime | None, done: datetime | None, now: datetime) -> bool:
    if due is None:
        return False
    return done > due if done is not None else due < now


async def case_page(
    conn: AsyncConnection,
    organisation: str,
    *,
    member: str | None,
    before: int | None,
    limit: int,
    filters: dict[str, Any],
    now: datetime,
) -> Page[CasePublic]:
    """Newest first. `member`: only cases with this person on the team or opened by them."""
    query = (
        select(cases, children.c.categories)
        .join(children, children.c.child_id == cases.c.child_id)
        .where(cases.c.organisation == organisation)
    )
    for condition in _case_filters(filters, now) + _membership(member):
        query = query.where(condition)
    if before is not None:
        query = query.where(cases.c.seq < before)
    rows = list((await conn.execute(query.order_by(cases.c.seq.desc()).limit(limit + 1))).all())
    teams = await _teams(conn, [r.case_id for r in rows[:limit]])
    return page_of(
        rows, limit, lambda r: case_public(r, teams.get(r.case_id, []), r.categories, now)
    )


def _case_filters(filters: dict[str, Any], now: datetime) -> list[Any]:
    conditions = []
    if filters.get("status") is not None:
        conditions.append(cases.c.status == filters["status"])
    if filters.get("emergency") is not None:
        conditions.append(cases.c.emergency == filters["emergency"])
    if filters.get("category") is not None:
        conditions.append(children.c.categories.contains([filters["category"]]))
    if filters.get("worker_id") is not None:
        conditions.append(_on_team(filters["worker_id"]))
    if filters.get("overdue") is not None:
        late = overdue(now)
        conditions.append(late if filters["overdue"] else ~late)
    return conditions


def _membership(member: str | None) -> list[Any]:
    return [] if member is None else [or_(_on_team(member), cases.c.opened_by == member)]


def _on_team(worker_id: str) -> Any:
    on_case = case_team.c.case_id == cases.c.case_id
    return exists().where(on_case, case_team.c.worker_id == worker_id)


async def _teams(conn: AsyncConnection, case_ids: list[str]) -> dict[str, list[str]]:
    query = select(case_team).where(case_team.c.case_id.in_(case_ids))
    query = query.order_by(case_team.c.worker_id)
    teams: dict[str, list[str]] = {}
    for row in await conn.execute(query):
        teams.setdefault(row.case_id, []).append(row.worker_id)
    return teams


def case_file(
    case_id: str, events: Sequence[EventData], about_child: Sequence[EventData]
) -> CaseFile:
    """The case's file from its stream's events and its child's."""
    statement = next((e for e in events if isinstance(e, InitialStatementRecorded)), None)
    categories = next((e for e in reversed(about_child) if isinstance(e, ChildCategoriesSet)), None)
    household = next((e for e in reversed(about_child) if isinstance(e, HouseholdRecorded)), None)
    return CaseFile(
        case_id=case_id,
        visits=_entries(Visit, events, VisitRecorded),
        investigations=_entries(InvestigationEntry, events, InvestigationRecorded),
        initial_statement=_entry(StatementEntry, statement) if statement else None,
        consents=_entries(Consent, events, ConsentRecorded),
        status_history=_entries(StatusEntry, events, CaseStatusChanged),
        closing=closing_entries(events),
        categories=categories.evidence if categories else {},
        household=household.model_dump(
            mode="json", include={"guardians", "members", "other_minors", "sibling_ids"}
        )
        if household
        else None,
    )


def _entries(model: Any, events: Sequence[EventData], kind: type) -> list[Any]:
    return [_entry(model, e) for e in events if isinstance(e, kind)]


def _entry(model: Any, event: Any) -> Any:
    return model(**event.model_dump(include=set(model.model_fields)))
