"""Kafka keys of notify's deadline events (Backbone correctness, item 12): a clock kept on a
report, child or task is keyed by its subject until notify learns which case that belongs to,
then by the case id, so its events share the partition of the case's other events. Checked on
the `outbox.key` column, against the real PostgreSQL. Synthetic data only."""

from datetime import timedelta
from uuid import uuid4

from sqlalchemy import select

from events.tables import events, outbox
from notify.projections import projector, queries
from tests.integration import test_notify_deadlines
from tests.integration.test_notify_deadlines import (
    RECEIVED,
    Notify,
    case_opened,
    receive,
    visit_recorded,
)

notify = test_notify_deadlines.notify  # the fixture: notify's database and store


async def keys(notify: Notify, subject_id: str, *rules: str) -> list[tuple[str, str]]:
    """(type, Kafka key) of the events of the `rules`' clocks kept on `subject_id`, in order."""
    streams = [f"deadline-{rule}-{subject_id}" for rule in rules]
    query = (
        select(outbox.c.type, outbox.c.key)
        .join(events, events.c.id == outbox.c.event_id)
        .where(events.c.stream_id.in_(streams))
        .order_by(outbox.c.id)
    )
    async with notify.engine.connect() as conn:
        return [(t, k) for t, k in (await conn.execute(query)).all()]


async def test_a_reports_clock_is_keyed_by_the_case_id_once_a_case_holds_the_report(notify):
    """Backbone correctness item 12: the 24 h and 72 h clocks are set under the report id (no
    case yet); once `intake.case.opened` names the report, the reminder and the first visit
    that meets the clock go out under the case id, in order with the case's events."""
    report = f"report-{uuid4().hex[:10]}"
    case = f"case-{report}"  # the case visit_recorded names
    await receive(notify, report, emergency=True)  # civil affairs told before the case
    opened = case_opened(case, RECEIVED + timedelta(hours=1))
    opened.data["report_ids"] = [report]
    await notify.handle(opened)
    assert await notify.scheduler(RECEIVED + timedelta(hours=18)).tick() == 1
    await notify.handle(visit_recorded(report, RECEIVED + timedelta(hours=20)))

    assert await keys(notify, report, "intake.first_visit", "intake.investigation") == [
        ("notify.deadline.set.v3", report),
        ("notify.deadline.set.v3", report),
        ("notify.reminder.sent.v1", case),
        ("notify.deadline.met.v1", case),
    ]


async def test_a_subject_in_two_cases_is_keyed_by_the_newest_and_one_in_none_by_itself(notify):
    """Backbone correctness item 12: the clocks of a child with a second case follow the
    newer case; a staff member's clock (no case) keeps the worker id."""
    child = f"child-{uuid4().hex[:10]}"
    async with notify.uow() as uow:
        await projector.remember_case_links(uow.conn, "case-first", [child])
        await projector.remember_case_links(uow.conn, "case-second", [child])
        await projector.remember_case_links(uow.conn, "case-first", [child])  # known already
        assert await queries.partition_of(uow.conn, child) == "case-second"
        assert await queries.partition_of(uow.conn, "w-synthetic-9") == "w-synthetic-9"
