"""The intake service's application layer on a throwaway database (event store, key store and
read models; no broker): handlers are called as the API calls them, each in a unit of work of
its own (`handle`). Synthetic data only."""

import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

import intake
from events import migrate
from events.context import Context
from events.crypto import FieldCipher
from events.envelope import Metadata
from events.kafka import events_topic
from events.keystore import KeyStore
from events.registry import registry
from events.store import EventStore
from events.tables import events, outbox
from events.uow import UnitOfWork
from intake.domain import Gender
from intake.domain import events as _types  # noqa: F401  (registers the intake event types)
from intake.domain.cases import AssignTeam, OpenCase
from intake.domain.events import ChildDetails, Qualification, Reporter, Source, StaffRole
from intake.domain.reports import ReceiveReport
from intake.domain.staff import RecordBackgroundCheck, RegisterWorker
from intake.handlers import cases, reports, staff
from tests.synthetic import fake_child, fake_name

MIGRATIONS = Path(intake.__file__).parent / "migrations"
CTX = Context(Metadata(actor="dev-supervisor"))
Uows = Callable[[], UnitOfWork]
Handler = Callable[..., Awaitable[None]]


@pytest.fixture
async def uows(database_url: str, keystore: KeyStore) -> AsyncIterator[Uows]:
    engine = create_async_engine(database_url)
    await migrate.upgrade(engine, "store")
    await migrate.upgrade_tree(engine, MIGRATIONS, "alembic_version_intake")
    store = EventStore(registry, FieldCipher(keystore), source="/careledger/intake")
    yield lambda: UnitOfWork(engine, store, events_topic("intake"))
    await engine.dispose()


async def handle(uows: Uows, handler: Handler, command: Any, **dependencies: Any) -> None:
    """Call a handler as a route does: a unit of work of its own, the handler commits."""
    async with uows() as uow:
        await handler(command, uow, CTX, **dependencies)


def synthetic_report(
    org: str, received_at: datetime, *, emergency: bool, report_id: str | None = None
) -> ReceiveReport:
    """A report about a new synthetic child, received by `dev-worker` on the hotline."""
    rng = random.Random(received_at.timestamp())
    child = fake_child(rng, on=received_at.date())
    return ReceiveReport(
        report_id=report_id or str(uuid4()),
        organisation=org,
        child_id=f"child-{uuid4()}",
        source=Source.HOTLINE,
        received_at=received_at,
        received_by="dev-worker",
        reporter=Reporter(name=fake_name(rng)),
        child=ChildDetails(name=child.name, gender=child.gender, birth_date=child.birth_date),
        occurred_at=None,
        place=None,
        description="合成描述：报告人反映儿童近期情绪低落。",
        triggers=[],
        emergency=emergency,
        now=received_at,
    )


async def an_emergency_report(uows: Uows, org: str) -> tuple[str, str]:
    """(report id, child id): an emergency report about a new child, so a mandatory report is
    filed with it (SZ-5.2.1) and the child is registered."""
    report = synthetic_report(org, datetime.now(UTC), emergency=True)
    await handle(uows, reports.receive_report, report, lookup_key=os.urandom(32))
    return report.report_id, report.child_id


def opening(org: str, report_id: str) -> OpenCase:
    return OpenCase(
        case_id=f"case-{uuid4()}",
        organisation=org,
        report_ids=[report_id],
        opened_at=datetime.now(UTC),
        opened_by="dev-supervisor",
        by_supervisor=True,
    )


async def a_worker(uows: Uows, org: str, gender: Gender, worker_id: str | None = None) -> str:
    """A qualified worker with a clean check today."""
    worker_id = worker_id or f"w-{uuid4().hex[:8]}"
    today = datetime.now(UTC).date()
    register = RegisterWorker(
        worker_id=worker_id,
        organisation=org,
        role=StaffRole.WORKER,
        name=fake_name(random.Random(worker_id)),
        gender=gender,
        qualifications=frozenset({Qualification.SOCIAL_WORKER}),
        years_in_child_services=3,
    )
    await handle(uows, staff.register_worker, register)
    check = RecordBackgroundCheck(
        organisation=org, worker_id=worker_id, checked_on=today, clean=True, today=today
    )
    await handle(uows, staff.record_background_check, check)
    return worker_id


async def a_team(uows: Uows, org: str, case_id: str) -> list[str]:
    """Two cleared, qualified workers, a woman among them, set as the case's team (I-5)."""
    workers = [await a_worker(uows, org, g) for g in (Gender.FEMALE, Gender.MALE)]
    today = datetime.now(UTC).date()
    assign = AssignTeam(case_id=case_id, worker_ids=workers, on=today, assigned_by="dev-supervisor")
    await handle(uows, cases.assign_team, assign)
    return workers


async def outbox_rows(uows: Uows) -> list[Any]:
    """Every queued Kafka message (key, type, payload, stream), in the order appended."""
    query = (
        select(outbox.c.key, outbox.c.type, outbox.c.payload, events.c.stream_id)
        .join(events, events.c.id == outbox.c.event_id)
        .order_by(outbox.c.id)
    )
    async with uows() as uow:
        return list((await uow.conn.execute(query)).all())
