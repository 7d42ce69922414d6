"""The request path of `POST /v1/reports` (issue 12, section 5): a report about a new child is
its events, its child's events and their read-model rows, written without reading what cannot
exist yet (a stream with a fresh id, a row no key could have made) and answered from the events
just appended, not read back. Synthetic data only."""

import os
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from intake.handlers import reports
from intake.handlers.reports import report_stream
from intake.handlers.shared import load
from tests.integration import intake_support
from tests.integration.intake_support import CTX, synthetic_report

uows = intake_support.uows  # the fixture: intake's handlers on a throwaway database


async def test_a_report_about_a_new_child_is_five_writes_and_answers_from_its_events(uows):
    report = synthetic_report("org-synthetic-path", datetime.now(UTC), emergency=True)
    async with uows() as uow:
        sent: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            sent.append(statement.split()[0])

        event.listen(uow.engine.sync_engine, "before_cursor_execute", record)
        answered = await reports.receive_report(report, uow, CTX, lookup_key=os.urandom(32))
        event.remove(uow.engine.sync_engine, "before_cursor_execute", record)
    # child stream, children row, report stream (received + mandatory report filed), its row,
    # the row marked as filed; before: a read of the report row and of the empty report stream
    assert sent == ["WITH", "INSERT", "WITH", "INSERT", "UPDATE"]
    async with uows() as uow:
        stored = (await load(uow, report_stream(report.report_id))).events
    assert answered == stored
    assert [type(e).__name__ for e in answered] == ["ReportReceived", "MandatoryReportFiled"]
