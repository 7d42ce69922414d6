"""Recurring clocks and assessment task clocks of the notify service against the real PostgreSQL:
follow-up series (SZ-5.8.2), weekly support in placement (NX-6.1.6), the yearly staff check
(MZ-7.1.3) and tasks whose due time assessment states (SZ-6.4). Time is frozen; all data is
synthetic.
"""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from events.envelope import Envelope
from notify.workers.scheduler import Scheduler
from tests.integration import test_notify_deadlines
from tests.integration.test_notify_deadlines import (
    ORG,
    CrashingUnitOfWork,
    FrozenClock,
    Notify,
    case_opened,
    published,
)

notify = test_notify_deadlines.notify  # the fixture: notify's database and store

SET = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 China time
WEEKLY = "followup.weekly_after_serious_violence"


def category_set(child: str, category: str, at: datetime = SET) -> Envelope:
    data = {
        "case_id": f"case-{child}",
        "organisation": ORG,
        "child_id": child,
        "category": category,
        "set_at": at.isoformat(),
        "set_by": "worker-synthetic-1",
    }
    return published("intake.case.followup_category_set", data, at, f"case-{child}")


def visit(child: str, at: datetime) -> Envelope:
    data = {
        "case_id": f"case-{child}",
        "organisation": ORG,
        "child_id": child,
        "report_ids": [],
        "visit_id": f"visit-{uuid4().hex[:8]}",
        "visited_at": at.isoformat(),
        "worker_ids": ["worker-synthetic-1"],
        "first_visit": False,
    }
    return published("intake.case.visit_recorded", data, at, f"case-{child}")


def new_child() -> str:
    return f"child-{uuid4().hex[:10]}"


async def occurrences(notify: Notify, rule: str, subject_id: str) -> list[Any]:
    from sqlalchemy import select

    from notify.projections.tables import deadlines

    query = (
        select(deadlines)
        .where(deadlines.c.rule == rule, deadlines.c.subject_id == subject_id)
        .order_by(deadlines.c.occurrence, deadlines.c.started_at)
    )
    async with notify.engine.connect() as conn:
        return list((await conn.execute(query)).all())


async def test_a_visit_meets_the_current_week_and_sets_the_next_one_sz_5_8_2(notify):
    child = new_child()
    await notify.handle(category_set(child, "serious_violence"))
    (first,) = await occurrences(notify, WEEKLY, child)
    assert (first.occurrence, first.state, first.due_at) == (1, "open", SET + timedelta(days=7))
    await notify.handle(visit(child, SET + timedelta(days=3)))
    first, second = await occurrences(notify, WEEKLY, child)
    assert first.state == "met" and first.met_at == SET + timedelta(days=3)
    assert (second.occurrence, second.state) == (2, "open")
    assert (second.started_at, second.due_at) == (SET + timedelta(days=7), SET + timedelta(days=14))
    assert second.remind_at == SET + timedelta(days=12)
    assert second.series_id == first.series_id and second.series_started_at == SET
    # a second visit in the same week does not count for next week
    await notify.handle(visit(child, SET + timedelta(days=4)))
    assert [r.state for r in await occurrences(notify, WEEKLY, child)] == ["met", "open"]
    assert await notify.stream(WEEKLY, child) == [
        "notify.deadline.set.v3",
        "notify.deadline.met.v1",
        "notify.deadline.set.v3",
    ]


async def test_a_missed_week_escalates_and_the_next_week_is_still_set(notify):
    child = new_child()
    await notify.handle(category_set(child, "serious_violence"))
    assert await notify.scheduler(SET + timedelta(days=5)).tick() == 1  # reminder, 2 days ahead
    assert await notify.scheduler(SET + timedelta(days=7)).tick() == 1  # the miss
    assert await notify.scheduler(SET + timedelta(days=7, hours=1)).tick() == 0
    first, second = await occurrences(notify, WEEKLY, child)
    assert first.state == "overdue" and second.state == "open"
    assert second.due_at == SET + timedelta(days=14)
    assert await notify.stream(WEEKLY, child) == [
        "notify.deadline.set.v3",
        "notify.reminder.sent.v1",
        "notify.deadline.missed.v1",
        "notify.escalated.v2",
        "notify.deadline.set.v3",
    ]
    # a late visit closes the missed week late and counts for the current one
    await notify.handle(visit(child, SET + timedelta(days=8)))
    rows = await occurrences(notify, WEEKLY, child)
    assert [(r.occurrence, r.state) for r in rows] == [(1, "met"), (2, "met"), (3, "open")]
    async with notify.engine.connect() as conn:
        found = await notify.store.read_stream(conn, rows[0].stream_id)
    late = [e.data["late"] for e in found if e.type == "notify.deadline.met.v1"]
    assert late == [True, False]


async def test_the_weekly_series_ends_after_its_3_month_window(notify):
    child = new_child()
    await notify.handle(category_set(child, "serious_violence"))
    later = SET + timedelta(days=200)  # the service was down all along
    fired = [await notify.scheduler(later).tick() for _ in range(15)]
    assert fired == [1] * 13 + [0, 0]  # 13 weekly occurrences fit in 3 months, each fired once
    rows = await occurrences(notify, WEEKLY, child)
    assert [r.occurrence for r in rows] == list(range(1, 14))
    assert {r.state for r in rows} == {"overdue"}


async def test_a_new_category_ends_the_weekly_series_and_starts_the_six_monthly_one(notify):
    child = new_child()
    await notify.handle(category_set(child, "serious_violence"))
    changed = category_set(child, "scattered_orphan", SET + timedelta(days=90))
    await notify.handle(changed)
    await notify.handle(changed, claim=False)  # a redelivery stops nothing it started itself
    (weekly,) = await occurrences(notify, WEEKLY, child)
    # superseded by the new schedule: cancelled, neither met nor missed (issue 14 item 13)
    assert (weekly.state, weekly.cancel_reason) == (
        "cancelled",
        "intake.case.followup_category_set",
    )
    (six,) = await occurrences(notify, "followup.every_6_months", child)
    assert six.state == "open" and six.occurrence == 1
    assert six.due_at.astimezone(UTC) == datetime(2027, 7, 31, 2, 0, tzinfo=UTC)


async def test_ending_a_placement_ends_weekly_psychological_support_nx_6_1_6(notify):
    child = new_child()
    started = {"child_id": child, "organisation": ORG, "placement_id": "p-1"}
    await notify.handle(
        published("referral.placement.temporary_care_started", started, SET, f"p-{child}")
    )
    session = {**started, "session_id": "s-1"}
    await notify.handle(
        published(
            "referral.placement.support_session_recorded",
            session,
            SET + timedelta(days=6),
            f"p-{child}",
        )
    )
    await notify.handle(
        published("referral.placement.ended", started, SET + timedelta(days=9), f"p-{child}")
    )
    rows = await occurrences(notify, "placement.weekly_psychological_support", child)
    assert [(r.occurrence, r.state) for r in rows] == [(1, "met"), (2, "met")]
    assert await notify.scheduler(SET + timedelta(days=30)).tick() == 0


ORG_B = "org-synthetic-2"
CHECK = "staff.background_check"


def staff_event(name: str, worker: str, organisation: str, at: datetime, **extra: str) -> Envelope:
    """An event of `organisation`'s staff member `worker`, as intake publishes it since staff
    ids are per organisation (stream per organisation and id; personal fields left out)."""
    data = {"worker_id": worker, "organisation": organisation, **extra}
    return published(name, data, at, f"staff-{organisation}/{worker}")


async def staff_clocks(notify: Notify, worker: str, organisation: str) -> list[Any]:
    """The yearly-check occurrences of `organisation`'s person `worker`, whatever form their
    subject id was written in (the worker id alone before ids were per organisation)."""
    from sqlalchemy import any_, literal, select

    from notify.projections.tables import deadlines

    query = (
        select(deadlines)
        .where(
            deadlines.c.rule == CHECK,
            deadlines.c.organisation == organisation,
            literal(worker) == any_(deadlines.c.workers),
        )
        .order_by(deadlines.c.started_at, deadlines.c.occurrence)
    )
    async with notify.engine.connect() as conn:
        return list((await conn.execute(query)).all())


async def test_the_yearly_background_check_recurs_per_worker_mz_7_1_3(notify):
    worker = f"worker-{uuid4().hex[:8]}"
    data = {"worker_id": worker, "organisation": ORG, "registered_at": SET.isoformat()}
    await notify.handle(published("intake.worker.registered", data, SET, worker))
    checked = SET + timedelta(days=300)
    done = {**data, "checked_on": checked.date().isoformat()}  # 29 Aug 2027
    await notify.handle(published("intake.worker.background_check_recorded", done, checked, worker))
    first, second = await occurrences(notify, CHECK, f"{ORG}/{worker}")  # per organisation
    assert first.state == "met" and second.state == "open"
    assert await staff_clocks(notify, worker, ORG) == [first, second]
    assert second.due_at == end_of_china_day(2028, 8, 29)  # a year after the check
    assert second.escalate_to == ["org_admin", "entrustor"]


def end_of_china_day(year: int, month: int, day: int) -> datetime:
    """23:59:59 China time (UTC+8) of that date, in UTC: a clock counted from a date gives the
    whole of its last day."""
    return datetime(year, month, day, 15, 59, 59, tzinfo=UTC)


async def test_each_check_restarts_the_yearly_series_from_its_date_mz_7_1_3(notify):
    """MZ-7.1.3, DOMAIN §12 (issue 14 item 8): the check recorded at registration meets the
    first occurrence, and the next check is due one year after that check (not two years after
    registration); a check eight months later moves it to one year after itself."""
    worker = f"worker-{uuid4().hex[:8]}"
    await notify.handle(
        staff_event("intake.worker.registered", worker, ORG, SET, registered_at=SET.isoformat())
    )
    at_registration = SET + timedelta(hours=1)
    await notify.handle(
        staff_event(
            "intake.worker.background_check_recorded",
            worker,
            ORG,
            at_registration,
            checked_on="2026-11-02",
        )
    )
    first, restarted = await staff_clocks(notify, worker, ORG)
    assert (first.occurrence, first.state, first.met_at) == (1, "met", at_registration)
    assert (restarted.occurrence, restarted.state) == (1, "open")
    assert restarted.series_id != first.series_id
    assert restarted.subject_id == first.subject_id == f"{ORG}/{worker}"
    assert restarted.series_started_at == end_of_china_day(2026, 11, 2)
    assert restarted.due_at == end_of_china_day(2027, 11, 2)  # one year after the check
    assert restarted.remind_at == end_of_china_day(2027, 10, 2)  # a month before
    assert restarted.escalate_to == ["org_admin", "entrustor"]

    eight_months = datetime(2027, 7, 1, 2, 0, tzinfo=UTC)
    await notify.handle(
        staff_event(
            "intake.worker.background_check_recorded",
            worker,
            ORG,
            eight_months,
            checked_on="2027-06-30",
        )
    )
    rows = await staff_clocks(notify, worker, ORG)
    assert [(r.occurrence, r.state) for r in rows] == [(1, "met"), (1, "met"), (1, "open")]
    assert rows[1].met_at == eight_months and rows[1].missed_at is None  # met on time
    assert rows[2].due_at == end_of_china_day(2028, 6, 30)
    assert await notify.scheduler(end_of_china_day(2027, 11, 3)).tick() == 0  # nothing owed


async def test_a_second_check_the_same_day_leaves_one_yearly_clock_running_mz_7_1_3(notify):
    """The series restarted by the first check has not begun (it runs from the end of the
    check's day): the second check cancels it as superseded and restarts once more."""
    worker = f"worker-{uuid4().hex[:8]}"
    await notify.handle(staff_event("intake.worker.registered", worker, ORG, SET))
    done = {"checked_on": "2026-11-02"}
    for minutes in (10, 20):
        at = SET + timedelta(minutes=minutes)
        await notify.handle(
            staff_event("intake.worker.background_check_recorded", worker, ORG, at, **done)
        )
    by_state = {r.state: r for r in await staff_clocks(notify, worker, ORG)}
    assert sorted(by_state) == ["cancelled", "met", "open"]
    reason = "intake.worker.background_check_recorded: series restarted"
    assert by_state["cancelled"].cancel_reason == reason
    assert by_state["open"].due_at == end_of_china_day(2027, 11, 2)


async def test_a_worker_who_leaves_has_no_yearly_check_due_any_more_dom_12(notify):
    worker = f"worker-{uuid4().hex[:8]}"
    data = {"worker_id": worker, "organisation": ORG, "registered_at": SET.isoformat()}
    await notify.handle(published("intake.worker.registered", data, SET, worker))
    left = SET + timedelta(days=100)
    deregistered = {
        "worker_id": worker,
        "organisation": ORG,
        "deregistered_on": left.date().isoformat(),
        "reason": "left_organisation",
        "rule": "§12",
    }
    await notify.handle(published("intake.worker.deregistered", deregistered, left, worker))
    [only] = await staff_clocks(notify, worker, ORG)
    assert only.state == "cancelled"  # no longer owed: neither met nor missed
    assert await notify.scheduler(SET + timedelta(days=800)).tick() == 0


async def test_a_check_in_one_organisation_meets_only_its_own_persons_clock_mz_7_1_3(notify):
    """Two organisations register the same staff id for two people (DOMAIN §12): each person
    has their own yearly clock; B's check meets B's and leaves A's running, and B's
    deregistration ends B's series only."""
    worker = f"worker-{uuid4().hex[:8]}"
    for org in (ORG, ORG_B):
        await notify.handle(staff_event("intake.worker.registered", worker, org, SET))
    checked = SET + timedelta(days=300)
    done = {"checked_on": checked.date().isoformat()}
    await notify.handle(
        staff_event("intake.worker.background_check_recorded", worker, ORG_B, checked, **done)
    )
    [a_first] = await staff_clocks(notify, worker, ORG)
    assert (a_first.occurrence, a_first.state) == (1, "open")
    b_first, b_second = await staff_clocks(notify, worker, ORG_B)
    assert (b_first.state, b_second.state) == ("met", "open")  # restarted from B's check
    assert a_first.subject_id != b_first.subject_id
    assert a_first.stream_id != b_first.stream_id

    left = SET + timedelta(days=320)
    gone = {"deregistered_on": left.date().isoformat(), "reason": "left_organisation"}
    await notify.handle(staff_event("intake.worker.deregistered", worker, ORG_B, left, **gone))
    assert [r.state for r in await staff_clocks(notify, worker, ORG_B)] == ["met", "cancelled"]
    assert [r.state for r in await staff_clocks(notify, worker, ORG)] == ["open"]


async def test_through_kafka_a_check_meets_only_its_own_organisations_clock(
    notify, new_topic, bootstrap
):
    """The same as consumed from Kafka (consumer runner, inbox) and published by the relay:
    A's and B's people with one id each get a series of their own, keyed by their subject,
    and B's check meets B's only."""
    import asyncio
    import json

    from aiokafka import AIOKafkaProducer

    from events import kafka
    from events.consumer import ConsumerRunner
    from events.outbox import OutboxRelay
    from tests.integration.harness import envelopes as decode_records
    from tests.integration.harness import eventually, read_topic
    from tests.integration.test_notify_deadlines import HANDLERS

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
    worker = f"worker-{uuid4().hex[:8]}"
    checked = SET + timedelta(days=300)
    done = {"checked_on": checked.date().isoformat()}
    sent = [
        staff_event("intake.worker.registered", worker, ORG, SET),
        staff_event("intake.worker.registered", worker, ORG_B, SET),
        staff_event("intake.worker.background_check_recorded", worker, ORG_B, checked, **done),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    tasks = [asyncio.create_task(runner.run()), asyncio.create_task(relay.run())]
    try:
        for envelope in sent:  # one key: consumed in this order
            wire = json.dumps(envelope.to_wire()).encode()
            await producer.send_and_wait(source, wire, key=worker.encode())

        async def all_taken_in() -> bool:
            return len(await staff_clocks(notify, worker, ORG_B)) == 2 and bool(
                await staff_clocks(notify, worker, ORG)
            )

        await eventually(all_taken_in)
        records = await read_topic(bootstrap, published_to, expect=4)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
    assert [r.state for r in await staff_clocks(notify, worker, ORG)] == ["open"]
    assert [r.state for r in await staff_clocks(notify, worker, ORG_B)] == ["met", "open"]
    events = zip(records, decode_records(records), strict=True)
    assert sorted((r.key.decode(), e.type) for r, e in events) == [
        (f"{ORG}/{worker}", "notify.deadline.set.v3"),
        (f"{ORG_B}/{worker}", "notify.deadline.met.v1"),
        (f"{ORG_B}/{worker}", "notify.deadline.set.v3"),
        (f"{ORG_B}/{worker}", "notify.deadline.set.v3"),
    ]


async def test_a_clock_set_before_ids_were_per_organisation_still_follows_its_own_person(notify):
    """A yearly clock set before the change is kept on the worker id alone (its subject, stream
    and series were written so). Another organisation's check of the same id leaves it running;
    its own person's check meets it and restarts the series under that same subject, a year
    after the check (MZ-7.1.3); their suspension ends it."""
    from events.envelope import Metadata
    from notify.domain import WorkingCalendar, rule_for
    from notify.domain.tracking import Series, next_occurrence, series_id_of
    from notify.handlers import deadlines

    worker, registered = f"worker-{uuid4().hex[:8]}", str(uuid4())
    rule, calendar = rule_for(CHECK), WorkingCalendar()
    series = Series(series_id_of(CHECK, worker, registered), SET)  # as the old code derived it
    old = next_occurrence(rule, worker, ORG, (worker,), series, 0, calendar)
    assert old is not None and old.subject_id == worker
    async with notify.uow() as uow:
        await deadlines.set_deadline(uow, old, registered, Metadata(actor="service:notify"), SET)
        await uow.commit()

    await notify.handle(staff_event("intake.worker.registered", worker, ORG_B, SET))
    checked = SET + timedelta(days=300)
    done = {"checked_on": checked.date().isoformat()}
    await notify.handle(
        staff_event("intake.worker.background_check_recorded", worker, ORG_B, checked, **done)
    )
    [legacy] = await staff_clocks(notify, worker, ORG)
    assert (legacy.subject_id, legacy.state) == (worker, "open")  # B's check is not A's

    later = SET + timedelta(days=310)
    done = {"checked_on": later.date().isoformat()}
    await notify.handle(
        staff_event("intake.worker.background_check_recorded", worker, ORG, later, **done)
    )
    first, second = await staff_clocks(notify, worker, ORG)
    assert (first.state, second.state, second.occurrence) == ("met", "open", 1)
    assert second.subject_id == worker and second.stream_id == first.stream_id
    assert second.due_at == end_of_china_day(2028, 9, 8)  # checked 8 Sep 2027

    stopped = SET + timedelta(days=400)
    why = {"suspended_on": stopped.date().isoformat(), "reason": "positive", "rule": "MZ-7.1.3"}
    await notify.handle(staff_event("intake.worker.suspended", worker, ORG, stopped, **why))
    assert [r.state for r in await staff_clocks(notify, worker, ORG)] == ["met", "cancelled"]
    assert [r.state for r in await staff_clocks(notify, worker, ORG_B)] == ["met", "open"]


async def test_an_old_clock_whose_id_reads_like_a_new_subject_stays_its_own_persons(notify):
    """A person registered before the change under the id `<organisation>/<x>` has an old clock
    kept on that id: the very subject id a new clock of the organisation's person `x` gets.
    Each person's check still meets their own clock only (the row names its worker)."""
    from events.envelope import Metadata
    from notify.domain import WorkingCalendar, rule_for
    from notify.domain.tracking import Series, next_occurrence, series_id_of
    from notify.handlers import deadlines

    short = f"w-{uuid4().hex[:8]}"
    slashed, registered = f"{ORG}/{short}", str(uuid4())
    rule, calendar = rule_for(CHECK), WorkingCalendar()
    series = Series(series_id_of(CHECK, slashed, registered), SET)
    old = next_occurrence(rule, slashed, ORG, (slashed,), series, 0, calendar)
    assert old is not None
    async with notify.uow() as uow:
        await deadlines.set_deadline(uow, old, registered, Metadata(actor="service:notify"), SET)
        await uow.commit()
    await notify.handle(staff_event("intake.worker.registered", short, ORG, SET))
    [new] = await staff_clocks(notify, short, ORG)
    assert new.subject_id == old.subject_id == slashed

    checked = SET + timedelta(days=300)
    done = {"checked_on": checked.date().isoformat()}
    await notify.handle(
        staff_event("intake.worker.background_check_recorded", short, ORG, checked, **done)
    )
    assert [r.state for r in await staff_clocks(notify, short, ORG)] == ["met", "open"]
    assert [r.state for r in await staff_clocks(notify, slashed, ORG)] == ["open"]
    await notify.handle(
        staff_event("intake.worker.background_check_recorded", slashed, ORG, checked, **done)
    )
    assert [r.state for r in await staff_clocks(notify, slashed, ORG)] == ["met", "open"]
    assert [r.state for r in await staff_clocks(notify, short, ORG)] == ["met", "open"]


async def test_a_crash_while_a_week_is_missed_loses_no_occurrence_and_fires_none_twice(
    notify, database_url
):
    from sqlalchemy.ext.asyncio import create_async_engine

    child = new_child()
    await notify.handle(category_set(child, "serious_violence"))
    due = SET + timedelta(days=7)
    crashing = Scheduler(
        lambda: CrashingUnitOfWork(notify.engine, notify.store, notify.topic), FrozenClock(due)
    )
    with pytest.raises(ConnectionResetError):
        await crashing.tick()
    assert len(await occurrences(notify, WEEKLY, child)) == 1
    restarted = Notify(create_async_engine(database_url), notify.store, notify.topic)
    try:
        assert await restarted.scheduler(due).tick() == 1
        assert await restarted.scheduler(due).tick() == 0
    finally:
        await restarted.engine.dispose()
    rows = await occurrences(notify, WEEKLY, child)
    assert [(r.occurrence, r.state) for r in rows] == [(1, "overdue"), (2, "open")]
    assert (await notify.stream(WEEKLY, child)).count("notify.deadline.missed.v1") == 1


# --- assessment tasks (the agreed contract of assessment.task.*) ------------------------------


def task_set(case_id: str, task_id: str, due: datetime, at: datetime = SET) -> Envelope:
    data = {
        "task_id": task_id,
        "case_id": case_id,
        "code": "protection_order_application",
        "clause": "SZ-6.4.1",
        "due_at": due.isoformat(),
        "assignee_ids": ["worker-synthetic-7"],
        "source_event_id": str(uuid4()),
    }
    return published("assessment.task.set", data, at, case_id)


def task_ended(name: str, case_id: str, task_id: str, at: datetime, **extra: str) -> Envelope:
    data = {"task_id": task_id, "case_id": case_id, "code": "protection_order_application"}
    return published(f"assessment.task.{name}", {**data, **extra}, at, case_id)


async def test_a_task_clock_is_due_when_assessment_says_and_escalates_to_the_supervisor(notify):
    case, task = f"case-{uuid4().hex[:8]}", str(uuid4())
    await notify.handle(case_opened(case, SET - timedelta(days=1)))
    await notify.handle(task_set(case, task, SET + timedelta(hours=72)))
    row = (await notify.rows(subject_id=task))["assessment.task"]
    assert row.organisation == ORG and row.workers == ["worker-synthetic-7"]
    assert (row.due_at, row.remind_at) == (SET + timedelta(hours=72), SET + timedelta(hours=54))
    assert row.clause == "SZ-6.4.1" and row.subject == "task"
    assert await notify.scheduler(SET + timedelta(hours=54)).tick() == 1
    assert await notify.scheduler(SET + timedelta(hours=72)).tick() == 1
    async with notify.engine.connect() as conn:
        escalation = (await notify.store.read_stream(conn, row.stream_id))[-1]
    assert escalation.data["escalate_to"] == ["supervisor"]
    assert escalation.data["clause"] == "SZ-6.4.1"


@pytest.mark.parametrize(
    ("name", "extra", "state"),
    [
        ("completed", {"completed_at": SET.isoformat()}, "met"),
        ("cancelled", {"reason_code": "superseded"}, "cancelled"),  # issue 14 item 13
    ],
)
async def test_a_completed_or_cancelled_task_stops_its_clock(notify, name, extra, state):
    case, task = f"case-{uuid4().hex[:8]}", str(uuid4())
    await notify.handle(task_set(case, task, SET + timedelta(days=3)))
    await notify.handle(task_ended(name, case, task, SET + timedelta(days=1), **extra))
    assert (await notify.rows(subject_id=task))["assessment.task"].state == state
    assert await notify.scheduler(SET + timedelta(days=5)).tick() == 0
