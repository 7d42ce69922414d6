"""Durable deadlines of the notify service against the real PostgreSQL and Kafka: clocks set
from other services' events, stopped by their stop events, and fired by a scheduler exactly once
across crashes, restarts and a second replica.

Envelopes are built as intake and assessment publish them and handed to notify's handlers inside
a unit of work (as the consumer runner does); one test takes the whole road through Kafka. Time
is frozen: the scheduler reads it from a hand-written clock. All data is synthetic.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from events import devissuer, kafka, migrate
from events.canonical import GENESIS_HASH
from events.consumer import ConsumerRunner
from events.crypto import FieldCipher
from events.envelope import Envelope, Metadata, make_envelope
from events.keystore import KeyStore
from events.outbox import OutboxRelay
from events.registry import registry
from events.store import EventStore
from events.uow import UnitOfWork
from notify.api import deadlines as deadlines_api
from notify.app import create_app  # noqa: F401  (imports the composition root: it must load)
from notify.domain import WorkingCalendar
from notify.projections.tables import deadlines
from notify.reactions import reactions
from notify.workers.scheduler import Scheduler
from tests.integration.harness import envelopes as decode_records
from tests.integration.harness import eventually, read_topic, served

NOTIFY_MIGRATIONS = "services/notify/migrations"
ORG = "org-synthetic-1"
RECEIVED = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 China time
HANDLERS = reactions(WorkingCalendar())


@dataclass
class FrozenClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


@dataclass
class Notify:
    """notify's database, store and topic, without the Backbone (no relay, no consumer)."""

    engine: AsyncEngine
    store: EventStore
    topic: str

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.store, self.topic)

    def scheduler(self, at: datetime, **kw: Any) -> Scheduler:
        return Scheduler(self.uow, FrozenClock(at), **kw)

    async def handle(self, envelope: Envelope, *, claim: bool = True) -> None:
        """As the consumer runner does: inbox row and effects in one transaction."""
        async with self.uow() as uow:
            if not claim or await uow.claim("notify", envelope):
                await HANDLERS[envelope.event_name](envelope, uow)
            await uow.commit()

    async def rows(self, **where: str) -> dict[str, Any]:
        """Deadline rows by rule code."""
        query = select(deadlines).where(*(getattr(deadlines.c, k) == v for k, v in where.items()))
        async with self.engine.connect() as conn:
            return {r.rule: r for r in (await conn.execute(query)).all()}

    async def stream(self, rule: str, subject_id: str) -> list[str]:
        async with self.engine.connect() as conn:
            found = await self.store.read_stream(conn, f"deadline-{rule}-{subject_id}")
        return [e.type for e in found]


@pytest.fixture
async def notify(database_url: str, keystore: KeyStore) -> AsyncIterator[Notify]:
    from pathlib import Path

    engine = create_async_engine(database_url)
    await migrate.upgrade(engine, "store")
    await migrate.upgrade_tree(engine, Path(NOTIFY_MIGRATIONS), "alembic_version_notify")
    store = EventStore(registry, FieldCipher(keystore), source="/careledger/notify")
    yield Notify(engine, store, kafka.events_topic("notify"))
    await engine.dispose()


def published(name: str, data: dict[str, Any], at: datetime, stream: str) -> Envelope:
    """An event as another service stores and publishes it (personal fields left out here)."""
    source = name.split(".", 1)[0]
    return make_envelope(
        source=f"/careledger/{source}",
        event_type=f"{name}.v1",
        dataschema=f"urn:careledger:schema:{name}.v1",
        stream_id=stream,
        version=1,
        meta=Metadata(actor="worker-synthetic-1"),
        key_scope=data.get("child_id", stream),
        data=data,
        prev_hash=GENESIS_HASH,
        time=at,
    )


def report_received(report_id: str, *, emergency: bool, at: datetime = RECEIVED) -> Envelope:
    data = {
        "report_id": report_id,
        "organisation": ORG,
        "child_id": f"child-{report_id}",
        "source": "hotline",
        "received_at": at.isoformat(),
        "received_by": "worker-synthetic-1",
        "emergency": emergency,
        "mandatory": False,
        "triggers": [],
    }
    return published("intake.report.received", data, at + timedelta(minutes=5), report_id)


def visit_recorded(report_id: str, at: datetime) -> Envelope:
    data = {
        "case_id": f"case-{report_id}",
        "organisation": ORG,
        "child_id": f"child-{report_id}",
        "report_ids": [report_id],
        "visit_id": f"visit-{uuid4().hex[:8]}",
        "visited_at": at.isoformat(),
        "worker_ids": ["worker-synthetic-1", "worker-synthetic-2"],
        "first_visit": True,
    }
    return published("intake.case.visit_recorded", data, at, f"case-{report_id}")


def risk_graded(case_id: str, level: str, at: datetime) -> Envelope:
    data = {
        "case_id": case_id,
        "organisation": ORG,
        "risk_level": level,
        "assessed_at": at.isoformat(),
    }
    return published("assessment.mental_health_assessment.risk_graded", data, at, case_id)


def case_opened(case_id: str, at: datetime) -> Envelope:
    data = {
        "case_id": case_id,
        "organisation": ORG,
        "child_id": f"child-{case_id}",
        "report_ids": [],
        "opened_at": at.isoformat(),
    }
    return published("intake.case.opened", data, at, case_id)


def adjustment_initiated(case_id: str, at: datetime) -> Envelope:
    data = {
        "case_id": case_id,
        "adjustment_id": f"adjustment-{uuid4().hex[:8]}",
        "reason": "worker_decision",
        "initiated_by": "worker-synthetic-3",
        "initiated_at": at.isoformat(),
    }
    return published("assessment.service_plan.adjustment_initiated", data, at, case_id)


def new_report() -> str:
    return f"report-{uuid4().hex[:10]}"


def civil_affairs_notified(report_id: str, at: datetime) -> Envelope:
    data = {
        "report_id": report_id,
        "organisation": ORG,
        "child_id": f"child-{report_id}",
        "notified_at": at.isoformat(),
        "notified_by": "worker-synthetic-1",
        "reference": None,
        "rule": "SZ-6.2.1",
    }
    return published("intake.report.civil_affairs_notified", data, at, report_id)


async def receive(notify: "Notify", report_id: str, *, emergency: bool) -> None:
    """A report received, and civil affairs told of it within the hour (SZ-6.2.1), so only
    the visit and investigation clocks are left running."""
    await notify.handle(report_received(report_id, emergency=emergency))
    await notify.handle(civil_affairs_notified(report_id, RECEIVED + timedelta(minutes=30)))


async def test_an_emergency_report_sets_a_24_hour_and_a_72_hour_clock_from_its_receipt(notify):
    report = new_report()
    await notify.handle(report_received(report, emergency=True))
    rows = await notify.rows(subject_id=report)
    assert set(rows) == {
        "intake.first_visit",
        "intake.investigation",
        "intake.civil_affairs_report",
    }
    first, investigation = rows["intake.first_visit"], rows["intake.investigation"]
    assert (first.due_at, first.remind_at) == (
        RECEIVED + timedelta(hours=24),
        RECEIVED + timedelta(hours=18),
    )
    assert investigation.due_at == RECEIVED + timedelta(hours=72)
    assert investigation.remind_at == RECEIVED + timedelta(hours=54)
    assert first.clause == investigation.clause == "SZ-6.2.1"
    assert first.state == "open" and not first.provisional
    assert first.organisation == ORG and first.workers == ["worker-synthetic-1"]
    assert await notify.stream("intake.first_visit", report) == ["notify.deadline.set.v3"]


async def test_a_report_that_is_no_emergency_sets_only_the_72_hour_clock(notify):
    report = new_report()
    await notify.handle(report_received(report, emergency=False))
    assert set(await notify.rows(subject_id=report)) == {
        "intake.investigation",
        "intake.civil_affairs_report",  # every intake (SZ-6.2.1)
    }


async def test_a_redelivered_report_creates_no_second_clock_even_past_the_inbox(notify):
    report = new_report()
    envelope = report_received(report, emergency=True)
    await notify.handle(envelope)
    await notify.handle(envelope)  # the inbox skips it
    await notify.handle(envelope, claim=False)  # and if it did not, the derived ids would
    assert len(await notify.rows(subject_id=report)) == 3
    assert await notify.stream("intake.investigation", report) == ["notify.deadline.set.v3"]


async def test_five_working_days_for_a_high_risk_child_run_across_national_day_2026(notify):
    # graded Tue 29 Sep 2026: 30 Sep, [1-7 Oct National Day], 8, 9, Sat 10 Oct worked, 12 Oct
    graded = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)
    case = f"case-{uuid4().hex[:10]}"
    await notify.handle(risk_graded(case, "high", graded))
    row = (await notify.rows(subject_id=case))["mental_health.start_high_risk"]
    assert row.due_at == datetime(2026, 10, 12, 15, 59, 59, tzinfo=UTC)  # 23:59:59 China time
    assert row.clause == "JX-7.3"
    assert row.provisional is False and row.missing_years == []


async def test_a_working_day_span_into_2027_is_set_now_and_marked_provisional(notify):
    # 2027's notice is not loaded: 29, 30, 31 Dec 2026, then Mon 4 and Tue 5 Jan counted Mon-Fri,
    # less New Year's Day, a holiday whose date the State Council's rules fix (§13)
    graded = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)
    case = f"case-{uuid4().hex[:10]}"
    await notify.handle(risk_graded(case, "high", graded))
    row = (await notify.rows(subject_id=case))["mental_health.start_high_risk"]
    assert row.provisional is True and row.missing_years == [2027]
    assert row.due_at == datetime(2027, 1, 5, 15, 59, 59, tzinfo=UTC)
    async with notify.engine.connect() as conn:
        (stored,) = await notify.store.read_stream(conn, row.stream_id)
    set_event = await notify.store.decode(stored)
    assert set_event.provisional is True and set_event.missing_years == [2027]


async def test_a_clock_started_by_an_event_without_organisation_belongs_to_the_cases_owner(
    notify,
):
    case = f"case-{uuid4().hex[:10]}"
    initiated = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday
    await notify.handle(case_opened(case, initiated - timedelta(days=30)))
    await notify.handle(adjustment_initiated(case, initiated))
    row = (await notify.rows(subject_id=case))["mental_health.plan_adjustment"]
    assert row.organisation == ORG and row.workers == ["worker-synthetic-3"]
    assert row.clause == "JX-7.2.2"
    assert row.due_at == datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)  # 5 working days (M-4)


async def test_a_first_visit_stops_the_24_hour_clock_and_the_scheduler_leaves_it_alone(notify):
    report = new_report()
    await receive(notify, report, emergency=True)
    await notify.handle(visit_recorded(report, RECEIVED + timedelta(hours=20)))
    rows = await notify.rows(subject_id=report)
    assert rows["intake.first_visit"].state == "met"
    assert rows["intake.investigation"].state == "open"  # stopped by the initial statement only
    assert await notify.scheduler(RECEIVED + timedelta(hours=30)).tick() == 0
    assert await notify.stream("intake.first_visit", report) == [
        "notify.deadline.set.v3",
        "notify.deadline.met.v1",
    ]


async def test_the_scheduler_reminds_once_then_records_the_miss_and_escalates_once(notify):
    report = new_report()
    await receive(notify, report, emergency=True)
    assert await notify.scheduler(RECEIVED + timedelta(hours=17)).tick() == 0
    assert await notify.scheduler(RECEIVED + timedelta(hours=18)).tick() == 1
    assert await notify.scheduler(RECEIVED + timedelta(hours=19)).tick() == 0
    assert await notify.scheduler(RECEIVED + timedelta(hours=24)).tick() == 1
    assert await notify.scheduler(RECEIVED + timedelta(hours=25)).tick() == 0
    assert await notify.stream("intake.first_visit", report) == [
        "notify.deadline.set.v3",
        "notify.reminder.sent.v1",
        "notify.deadline.missed.v1",
        "notify.escalated.v2",
    ]
    row = (await notify.rows(subject_id=report))["intake.first_visit"]
    assert row.state == "overdue" and row.missed_at == RECEIVED + timedelta(hours=24)
    async with notify.engine.connect() as conn:
        escalation = (await notify.store.read_stream(conn, row.stream_id))[-1]
    escalated = await notify.store.decode(escalation)
    assert escalated.escalate_to == ["supervisor", "org_admin"] and escalated.clause == "SZ-6.2.1"


async def test_a_clock_that_ran_out_while_the_service_was_down_fires_once_on_restart(
    notify, database_url, keystore
):
    report = new_report()
    await receive(notify, report, emergency=False)
    await notify.engine.dispose()  # the service goes down before the reminder or the due time
    restarted = Notify(create_async_engine(database_url), notify.store, notify.topic)
    try:
        later = RECEIVED + timedelta(hours=100)
        assert await restarted.scheduler(later).tick() == 1
        assert await restarted.scheduler(later).tick() == 0  # and again after another restart
    finally:
        await restarted.engine.dispose()
    assert await notify.stream("intake.investigation", report) == [
        "notify.deadline.set.v3",
        "notify.deadline.missed.v1",  # no reminder once the clock has run out
        "notify.escalated.v2",
    ]


async def test_two_schedulers_at_once_fire_each_clock_exactly_once(notify):
    reports = [new_report() for _ in range(6)]
    for report in reports:
        await receive(notify, report, emergency=True)
    later = RECEIVED + timedelta(hours=80)
    fired = await asyncio.gather(*(notify.scheduler(later, batch=3).tick() for _ in range(4)))
    assert sum(fired) == 12
    for report in reports:
        for rule in ("intake.first_visit", "intake.investigation"):
            assert (await notify.stream(rule, report)).count("notify.deadline.missed.v1") == 1


class CrashingUnitOfWork(UnitOfWork):
    async def commit(self) -> None:
        raise ConnectionResetError("the process died before the commit")


async def test_a_crash_before_the_commit_fires_nothing_and_the_next_wake_up_fires_it(notify):
    report = new_report()
    await receive(notify, report, emergency=False)
    later = RECEIVED + timedelta(hours=73)
    crashing = Scheduler(
        lambda: CrashingUnitOfWork(notify.engine, notify.store, notify.topic), FrozenClock(later)
    )
    with pytest.raises(ConnectionResetError):
        await crashing.tick()
    assert await notify.stream("intake.investigation", report) == ["notify.deadline.set.v3"]
    assert await notify.scheduler(later).tick() == 1
    assert (await notify.rows(subject_id=report))["intake.investigation"].state == "overdue"


async def test_a_stop_event_after_the_miss_closes_the_clock_as_met_late(notify):
    report = new_report()
    await receive(notify, report, emergency=True)
    await notify.scheduler(RECEIVED + timedelta(hours=25)).tick()
    await notify.handle(visit_recorded(report, RECEIVED + timedelta(hours=26)))
    row = (await notify.rows(subject_id=report))["intake.first_visit"]
    assert row.state == "met" and row.missed_at is not None
    async with notify.engine.connect() as conn:
        met = (await notify.store.read_stream(conn, row.stream_id))[-1]
    assert met.type == "notify.deadline.met.v1" and met.data["late"] is True


@pytest.fixture
async def supervisors(notify, tmp_path_factory) -> AsyncIterator[httpx.AsyncClient]:
    backbone = SimpleNamespace(engine=notify.engine)  # only its engine is read
    async with served(tmp_path_factory, deadlines_api.router, backbone=backbone) as client:
        yield client


def bearer(role: str, org: str = ORG, subject: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {devissuer.issue_token(role, org=org, subject=subject)}"}


async def test_a_supervisor_lists_the_organisations_open_and_overdue_deadlines(notify, supervisors):
    overdue, running = new_report(), new_report()
    await notify.handle(report_received(overdue, emergency=False, at=RECEIVED - timedelta(days=5)))
    await notify.handle(report_received(running, emergency=False))
    await notify.scheduler(RECEIVED).tick()

    async def listed(**params: str) -> list[str]:
        response = await supervisors.get(
            "/v1/deadlines", params=params, headers=bearer("supervisor")
        )
        assert response.status_code == 200, response.text
        return list(dict.fromkeys(d["subject_id"] for d in response.json()))  # several clocks

    assert await listed(state="overdue") == [overdue]
    assert await listed(state="open") == [running]
    assert await listed(worker="worker-synthetic-1") == [overdue, running]
    assert await listed(worker="worker-synthetic-9") == []

    async def seen_by(worker: str) -> list[str]:  # ARCHITECTURE: a worker sees their own
        headers = bearer("worker", subject=worker)
        response = await supervisors.get("/v1/deadlines", headers=headers)
        assert response.status_code == 200, response.text
        return list(dict.fromkeys(d["subject_id"] for d in response.json()))

    assert await seen_by("worker-synthetic-1") == [overdue, running]
    assert await seen_by("worker-synthetic-9") == []


async def test_a_worker_is_refused_others_deadlines_and_staff_other_organisations(
    notify, supervisors
):
    async def status(params: dict[str, str], headers: dict[str, str]) -> int:
        return (await supervisors.get("/v1/deadlines", params=params, headers=headers)).status_code

    mine = bearer("worker", subject="worker-synthetic-1")
    assert await status({"worker": "worker-synthetic-2"}, mine) == 403
    assert await status({"worker": "worker-synthetic-1"}, mine) == 200
    assert await status({"organisation": "org-other"}, bearer("supervisor")) == 403
    assert await status({"state": "late"}, bearer("supervisor")) == 422


async def test_clocks_start_from_events_consumed_from_kafka_and_escalations_are_published(
    notify, new_topic, bootstrap
):
    source, published_to, dlq = await new_topic(3), await new_topic(1), await new_topic(1)
    notify.topic = published_to
    runner = ConsumerRunner(
        name=f"notify-{uuid4().hex[:8]}",
        topics=[source],
        handlers=HANDLERS,
        uow_factory=notify.uow,
        consumer_factory=lambda t: kafka.make_consumer(bootstrap, f"notify-{source}", t, "n"),
        producer_factory=lambda: kafka.make_producer(bootstrap, "notify-dlq"),
        dlq_topic=dlq,
        backoff_seconds=0.05,
    )
    relay = OutboxRelay(
        notify.engine,
        lambda: kafka.make_producer(bootstrap, "notify-relay"),
        name="notify",
        idle_seconds=0.2,
        retry_seconds=0.2,
    )
    report = new_report()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    tasks = [asyncio.create_task(runner.run()), asyncio.create_task(relay.run())]
    try:
        envelope = report_received(report, emergency=False)  # investigation, civil affairs
        await producer.send_and_wait(
            source, json.dumps(envelope.to_wire()).encode(), key=report.encode()
        )

        async def both_clocks_set() -> bool:
            return len(await notify.rows(subject_id=report)) == 2

        await eventually(both_clocks_set)
        assert await notify.scheduler(RECEIVED + timedelta(hours=60)).tick() == 2
        records = await read_topic(bootstrap, published_to, expect=5)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
    types = sorted(e.type for e in decode_records(records))
    assert types == [
        "notify.deadline.missed.v1",
        "notify.deadline.set.v3",
        "notify.deadline.set.v3",
        "notify.escalated.v2",
        "notify.reminder.sent.v1",
    ]
    assert {r.key for r in records} == {report.encode()}
