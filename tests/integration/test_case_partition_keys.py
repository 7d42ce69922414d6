"""Kafka keys of intake's events (Backbone correctness, item 12): per-case order holds only per
partition key, so whatever is about a case is keyed by the case id once the case exists, and by
the report id before that. Checked on the `outbox.key` column the relay publishes with, through
intake's handlers on a real PostgreSQL. Synthetic data only."""

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from events.uow import UnitOfWork
from intake.domain.categories import RecordHousehold, SetCategories
from intake.domain.events import ChildCategory, Guardian
from intake.domain.reports import AcknowledgeMandatoryReport
from intake.handlers import cases, children, reports
from tests.integration import intake_support
from tests.integration.intake_support import (
    CTX,
    Uows,
    an_emergency_report,
    handle,
    opening,
    outbox_rows,
)

uows = intake_support.uows  # the fixture: intake's handlers on a throwaway database
ORG = "org-synthetic-keys"


def acknowledgement(report_id: str, recipient: str = "police") -> AcknowledgeMandatoryReport:
    now = datetime.now(UTC)
    return AcknowledgeMandatoryReport(
        report_id=report_id,
        recipient=recipient,
        acknowledged_by="合成接警员",
        acknowledged_at=now,
        reference=None,
        recorded_by="dev-worker",
        now=now,
    )


async def test_after_a_case_is_opened_its_reports_childs_and_own_events_carry_the_case_id(
    uows: Uows,
) -> None:
    """Backbone correctness item 12 (per-case order = per partition key): before the case the
    report's and the new child's events are keyed by the report id; from the case's opening on,
    the report's acknowledgement, the child's categories and household and the case's own
    events by the case id."""
    report_id, _ = await an_emergency_report(uows, ORG)
    case = opening(ORG, report_id)
    await handle(uows, cases.open_case, case)
    await handle(uows, reports.acknowledge, acknowledgement(report_id))
    now = datetime.now(UTC)
    evidence = {ChildCategory.POOR_FAMILY: "合成：低保证明"}
    categories = SetCategories(case_id=case.case_id, evidence=evidence, at=now, by="dev-worker")
    await handle(uows, children.set_categories, categories)
    guardian = Guardian(name="合成祖母", relation="祖母")
    household = RecordHousehold(
        case_id=case.case_id,
        guardians=[guardian],
        members=[],
        other_minors=[],
        sibling_ids=[],
        at=now,
        by="dev-worker",
    )
    await handle(uows, children.record_household, household)

    keys = [(row.type, row.key) for row in await outbox_rows(uows)]
    assert keys == [
        ("intake.child.registered.v1", report_id),
        ("intake.report.received.v1", report_id),
        ("intake.mandatory_report.filed.v1", report_id),
        ("intake.report.civil_affairs_notified.v1", report_id),  # by the filing (SZ-6.2.1)
        ("intake.case.opened.v1", case.case_id),
        ("intake.mandatory_report.acknowledged.v1", case.case_id),
        ("intake.child.categories_set.v2", case.case_id),
        ("intake.case.followup_category_set.v1", case.case_id),
        ("intake.child.household_recorded.v1", case.case_id),
    ]


class HeldAtCommit(UnitOfWork):
    """A unit of work that stops just before its commit until `release` is set: a case being
    opened, its rows written but not committed yet."""

    reached: asyncio.Event
    release: asyncio.Event

    async def commit(self) -> None:
        self.reached.set()
        await self.release.wait()
        await super().commit()


async def waiting_for_a_lock(uows: Uows, task: asyncio.Task[None]) -> bool:
    """True once another session of this database waits for a row lock (False if `task`
    finished first, or after 10 s)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(200):
        if task.done():
            return False
        async with uows() as uow:
            if (await uow.conn.execute(query)).scalar_one():
                return True
        await asyncio.sleep(0.05)
    return False


async def test_an_acknowledgement_racing_the_cases_opening_is_keyed_by_the_case_id(
    uows: Uows,
) -> None:
    """Backbone correctness item 12: an acknowledgement racing the case's opening waits for
    the report's row and is keyed by the case id; without the lock it read the report as
    caseless and went out under the report id after the case was opened."""
    report_id, _ = await an_emergency_report(uows, ORG)
    case = opening(ORG, report_id)
    reached, release = asyncio.Event(), asyncio.Event()

    async def open_held() -> None:
        uow = uows()
        async with HeldAtCommit(uow.engine, uow.store, uow.topic) as held:
            held.reached, held.release = reached, release
            await cases.open_case(case, held, CTX)

    opened = asyncio.ensure_future(open_held())
    await asyncio.wait_for(reached.wait(), 10)
    acknowledged = asyncio.ensure_future(
        handle(uows, reports.acknowledge, acknowledgement(report_id))
    )
    try:
        assert await waiting_for_a_lock(uows, acknowledged)
    finally:
        release.set()
        await asyncio.gather(opened, acknowledged)

    keys = {row.type: row.key for row in await outbox_rows(uows)}
    assert keys["intake.case.opened.v1"] == case.case_id
    assert keys["intake.mandatory_report.acknowledged.v1"] == case.case_id
