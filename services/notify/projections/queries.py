"""Readers of notify's read models: what the API shows (typed), and the rows the handlers act
on, locked where two replicas could race for them."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Integer, and_, any_, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from notify.domain import YearSchedule, rule_for
from notify.domain.access import ProjectScope, Scope
from notify.domain.subscriptions import Route
from notify.domain.tracking import StaffMember
from notify.projections.tables import (
    OPEN,
    OVERDUE,
    calendar_years,
    case_projects,
    case_teams,
    deadlines,
    entity_cases,
    entity_organisations,
    subscriptions,
)


class DeadlinePublic(BaseModel):
    deadline_id: str
    rule: str
    clause: str
    subject: str
    subject_id: str
    organisation: str | None
    workers: list[str]
    started_at: datetime
    due_at: datetime
    remind_at: datetime
    provisional: bool
    missing_years: list[int]
    remind: list[str]
    escalate_to: list[str]
    state: str
    reminded_at: datetime | None
    missed_at: datetime | None
    met_at: datetime | None
    series_id: str | None = None  # occurrences of a recurring clock share it
    occurrence: int | None = None
    domain_rule: str | None = None  # the rule's number in DOMAIN.md (M-5, I-2, §3, ...)
    party: str | None = None  # the recipient a per-recipient clock awaits (SZ-5.2.1)
    supervisors: list[str] = []
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None


class SubscriptionPublic(BaseModel):
    subscription_id: str
    organisation: str
    agency: str | None
    channel: str
    target: str
    event_types: list[str]
    language: str
    created_by: str
    created_at: datetime


# --- deadlines ---------------------------------------------------------------------------


async def list_deadlines(
    conn: AsyncConnection,
    *,
    scopes: Sequence[Scope],
    state: str | None = None,
    worker: str | None = None,
    organisation: str | None = None,
    project: str | None = None,
    limit: int = 200,
) -> list[DeadlinePublic]:
    """Deadlines soonest due first: those any of `scopes` grants (none: nothing), narrowed by
    the filters (a state, a worker they name, an organisation, a project's cases)."""
    if not scopes:
        return []
    query = select(deadlines).where(or_(*(_granted(scope) for scope in scopes)))
    if organisation is not None:
        query = query.where(deadlines.c.organisation == organisation)
    if project is not None:
        cases = select(case_projects.c.case_id).where(case_projects.c.project_id == project)
        query = query.where(deadlines.c.subject_id.in_(_with_linked(cases)))
    if state is not None:
        query = query.where(deadlines.c.state == state)
    if worker is not None:
        query = query.where(literal(worker) == any_(deadlines.c.workers))
    query = query.order_by(deadlines.c.due_at, deadlines.c.deadline_id).limit(limit)
    rows = (await conn.execute(query)).all()
    return [_deadline_public(row) for row in rows]


def _deadline_public(row: Any) -> DeadlinePublic:
    """A row as shown, with its rule's DOMAIN number: JX-7.3 holds M-5, M-6 and M-7, so the
    clause alone does not say which duty a clock enforces."""
    try:
        number = rule_for(row.rule).domain_rule
    except KeyError:
        number = None  # the rule left the table; the clock keeps its clause
    return DeadlinePublic.model_validate({**row._asdict(), "domain_rule": number})


def _granted(scope: Scope) -> Any:
    """The deadlines one scope grants; never the whole table."""
    if isinstance(scope, ProjectScope):
        cases = select(case_projects.c.case_id).where(
            case_projects.c.entrustor_org == scope.entrustor,
            case_projects.c.project_id.in_(sorted(scope.projects)),
        )
        return deadlines.c.subject_id.in_(_with_linked(cases))
    own = deadlines.c.organisation == scope.organisation
    if scope.worker is None:
        return own
    return and_(own, literal(scope.worker) == any_(deadlines.c.workers))


def _with_linked(cases: Any) -> Any:
    """Ids of the cases chosen, and of their reports, children and tasks."""
    linked = select(entity_cases.c.entity_id).where(entity_cases.c.case_id.in_(cases))
    return cases.union(linked)


async def running_of(
    conn: AsyncConnection, rule: str, subject_id: str, staff: StaffMember | None = None
) -> list[Any]:
    """Open or overdue runs of `rule` on the subject, locked until the transaction ends.

    A staff member (`staff`) is one person within one organisation: only that organisation's
    clocks naming them are theirs, kept on `subject_id` or, when set before the subject named
    the organisation, on their worker id alone (`StaffMember.legacy_subject_id`)."""
    on_subject: ColumnElement[bool] = deadlines.c.subject_id == subject_id
    if staff is not None:
        on_subject = and_(
            deadlines.c.subject_id.in_([subject_id, staff.legacy_subject_id]),
            deadlines.c.organisation == staff.organisation,
            literal(staff.worker_id) == any_(deadlines.c.workers),
        )
    query = (
        select(deadlines)
        .where(
            deadlines.c.rule == rule,
            on_subject,
            deadlines.c.state.in_([OPEN, OVERDUE]),
        )
        .order_by(deadlines.c.started_at, deadlines.c.deadline_id)
        .with_for_update()
    )
    return list((await conn.execute(query)).all())


async def claim_due(conn: AsyncConnection, now: datetime, limit: int) -> list[Any]:
    """Open clocks owing a reminder or a miss at `now`, locked; rows another scheduler holds
    are skipped (it is firing them), so two schedulers never fire one clock."""
    owing = or_(
        deadlines.c.due_at <= now,
        and_(deadlines.c.reminded_at.is_(None), deadlines.c.remind_at <= now),
    )
    query = (
        select(deadlines)
        .where(deadlines.c.state == OPEN, owing)
        .order_by(deadlines.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(query)).all())


async def provisional_on(conn: AsyncConnection, years: Sequence[int]) -> list[Any]:
    """Open provisional clocks that counted one of `years` Monday-Friday, locked."""
    query = (
        select(deadlines)
        .where(
            deadlines.c.state == OPEN,
            deadlines.c.provisional.is_(True),
            deadlines.c.missing_years.overlap(cast(list(years), ARRAY(Integer))),
        )
        .order_by(deadlines.c.due_at)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(query)).all())


async def partition_of(conn: AsyncConnection, subject_id: str) -> str:
    """The Kafka key of a deadline's events: the newest case its subject (a report, child or
    task) belongs to, once notify knows it, so they keep the order of that case's events; the
    subject's own id before that, and for a case or a staff member."""
    query = (
        select(entity_cases.c.case_id)
        .where(entity_cases.c.entity_id == subject_id)
        .order_by(entity_cases.c.linked.desc())
        .limit(1)
    )
    case_id = (await conn.execute(query)).scalar_one_or_none()
    return case_id or subject_id


# --- what notify learnt of cases (their team and end) ---------------------------------------


async def case_team(conn: AsyncConnection, case_id: str) -> Any | None:
    query = select(case_teams).where(case_teams.c.case_id == case_id)
    return (await conn.execute(query)).one_or_none()


async def covered(conn: AsyncConnection, rule: str, subject_id: str, since: datetime) -> bool:
    """Whether a run of `rule` on the subject covers a fact of `since`: it runs, or it ended
    (met, cancelled) at or after that time (`ClockRule.once_per_fact`)."""
    ended = func.coalesce(deadlines.c.met_at, deadlines.c.cancelled_at)
    query = select(deadlines.c.deadline_id).where(
        deadlines.c.rule == rule,
        deadlines.c.subject_id == subject_id,
        or_(deadlines.c.state.in_([OPEN, OVERDUE]), ended >= since),
    )
    return (await conn.execute(query.limit(1))).first() is not None


async def team_of(conn: AsyncConnection, subject_id: str) -> Any | None:
    """The case a clock's subject belongs to (itself when it is a case; the newest one for a
    report, child or task), as notify learnt it."""
    return await case_team(conn, await partition_of(conn, subject_id))


async def child_of(conn: AsyncConnection, case_id: str) -> str | None:
    row = await case_team(conn, case_id)
    return None if row is None else row.child_id


async def has_other_active_case(conn: AsyncConnection, child_id: str, case_id: str) -> bool:
    """Whether the child is in another case that has not ended (its clocks on the child are
    that case's too)."""
    query = select(case_teams.c.case_id).where(
        case_teams.c.child_id == child_id,
        case_teams.c.case_id != case_id,
        case_teams.c.ended.is_(False),
    )
    return (await conn.execute(query.limit(1))).first() is not None


async def running_of_case(
    conn: AsyncConnection, case_id: str, *, with_child: bool = True
) -> list[Any]:
    """Open or overdue clocks of the case, its reports and tasks (and its child's unless
    `with_child` is False), locked until the transaction ends."""
    linked = select(entity_cases.c.entity_id).where(entity_cases.c.case_id == case_id)
    if not with_child:
        child = await child_of(conn, case_id)
        linked = linked.where(entity_cases.c.entity_id != (child or ""))
    query = (
        select(deadlines)
        .where(
            or_(deadlines.c.subject_id == case_id, deadlines.c.subject_id.in_(linked)),
            deadlines.c.state.in_([OPEN, OVERDUE]),
        )
        .order_by(deadlines.c.started_at, deadlines.c.deadline_id)
        .with_for_update()
    )
    return list((await conn.execute(query)).all())


async def organisation_of(conn: AsyncConnection, entity_id: str) -> str | None:
    query = select(entity_organisations.c.organisation).where(
        entity_organisations.c.entity_id == entity_id
    )
    return (await conn.execute(query)).scalar_one_or_none()


# --- subscriptions -----------------------------------------------------------------------


async def subscription(conn: AsyncConnection, subscription_id: str) -> SubscriptionPublic | None:
    """A live (not deleted) subscription."""
    query = select(subscriptions).where(
        subscriptions.c.subscription_id == subscription_id, subscriptions.c.deleted_at.is_(None)
    )
    row = (await conn.execute(query)).one_or_none()
    return None if row is None else _subscription(row)


async def list_subscriptions(
    conn: AsyncConnection, organisation: str, agency: str | None = None
) -> list[SubscriptionPublic]:
    query = select(subscriptions).where(
        subscriptions.c.organisation == organisation, subscriptions.c.deleted_at.is_(None)
    )
    if agency is not None:
        query = query.where(subscriptions.c.agency == agency)
    rows = (await conn.execute(query.order_by(subscriptions.c.created_at))).all()
    return [_subscription(row) for row in rows]


def _subscription(row: Any) -> SubscriptionPublic:
    return SubscriptionPublic.model_validate(row, from_attributes=True)


async def routes(conn: AsyncConnection, organisation: str | None) -> list[tuple[Route, Any]]:
    """The organisation's live subscriptions (every organisation's for None), as routes and
    rows."""
    query = select(subscriptions).where(subscriptions.c.deleted_at.is_(None))
    if organisation is not None:
        query = query.where(subscriptions.c.organisation == organisation)
    rows = (await conn.execute(query)).all()
    return [
        (Route(r.subscription_id, r.organisation, r.agency, tuple(r.event_types)), r) for r in rows
    ]


# --- calendar years ----------------------------------------------------------------------


async def stored_years(conn: AsyncConnection) -> list[Any]:
    return list((await conn.execute(select(calendar_years).order_by(calendar_years.c.year))).all())


async def stored_year(conn: AsyncConnection, year: int) -> Any | None:
    query = select(calendar_years).where(calendar_years.c.year == year)
    return (await conn.execute(query)).one_or_none()


def schedule_of(row: Any) -> YearSchedule:
    """A stored year as the domain's schedule."""
    holidays = {date.fromisoformat(d): name for d, name in row.holidays.items()}
    workdays = frozenset(date.fromisoformat(d) for d in row.extra_workdays)
    return YearSchedule(row.year, holidays, workdays)
