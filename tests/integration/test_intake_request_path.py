"""The request path of `POST /v1/reports` (issue 12, section 5): a report about a new child is
its events, its child's events and their read-model rows, written without reading what cannot
exist yet (a stream with a fresh id, a row no key could have made) and answered from the events
just appended, not read back. Both streams are appended in one statement and both rows written
in one more. Synthetic data only."""

import asyncio
import os
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from events.domain import Conflict
from events.envelope import Metadata
from events.errors import ConcurrencyError
from events.store import StreamAppend
from intake.domain import children as registry_rules
from intake.domain.events import ChildDetails
from intake.domain.reports import ReceiveReport
from intake.handlers import reports
from intake.handlers.reports import report_stream
from intake.handlers.shared import load
from tests.integration import intake_support
from tests.integration.intake_support import CTX, synthetic_report
from tests.sample_events import CaseNoted
from tests.synthetic import fake_child

uows = intake_support.uows  # the fixture: intake's handlers on a throwaway database
ORG = "org-synthetic-path"


def statements(engine: Any) -> tuple[list[str], Any]:
    """The statements sent on `engine` from now on, and the listener to remove."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    return sent, record


def naming_a_resident_id(report: ReceiveReport) -> ReceiveReport:
    """The report, its child given a (synthetic) resident ID number."""
    child = fake_child(random.Random(report.report_id), (3, 15), on=report.received_at.date())
    details = ChildDetails(
        name=child.name,
        gender=child.gender,
        birth_date=child.birth_date,
        resident_id=child.resident_id,
    )
    return report.model_copy(update={"child": details})


async def test_a_report_about_a_new_child_is_two_writes_and_answers_from_its_events(uows):
    report = synthetic_report(ORG, datetime.now(UTC), emergency=True)
    async with uows() as uow:
        sent, record = statements(uow.engine)
        answered = await reports.receive_report(report, uow, CTX, lookup_key=os.urandom(32))
        event.remove(uow.engine.sync_engine, "before_cursor_execute", record)
    # Both streams' events and outbox rows in one statement; the children row and the report's
    # row (at the version of the mandatory report filed with it) in one more. Before: the child
    # stream, the children row, the report stream, its row, and an UPDATE marking it filed.
    assert len(sent) == 2
    assert "INSERT INTO events" in sent[0] and "INSERT INTO outbox" in sent[0]
    assert "INSERT INTO children" in sent[1] and "INSERT INTO reports" in sent[1]
    assert not any(s.startswith("UPDATE") for s in sent)
    async with uows() as uow:
        stored = (await load(uow, report_stream(report.report_id))).events
        row = (
            await uow.conn.execute(
                text("SELECT version, mandatory FROM reports WHERE report_id = :r"),
                {"r": report.report_id},
            )
        ).one()
        child = await uow.conn.scalar(
            text("SELECT count(*) FROM children WHERE child_id = :c"), {"c": report.child_id}
        )
        published = (await uow.conn.execute(text("SELECT type, key FROM outbox ORDER BY id"))).all()
    assert answered == stored
    # the filing to civil affairs is also the notice of SZ-6.2.1 (issue 14 item 7)
    assert [type(e).__name__ for e in answered] == [
        "ReportReceived",
        "MandatoryReportFiled",
        "CivilAffairsNotified",
    ]
    assert (row.version, row.mandatory, child) == (3, True, 1)
    # the child's registration goes out first, keyed by the report like the report's events
    assert [t.split(".v")[0] for t, _ in published] == [
        "intake.child.registered",
        "intake.report.received",
        "intake.mandatory_report.filed",
        "intake.report.civil_affairs_notified",
    ]
    assert {key for _, key in published} == {report.report_id}


async def test_a_report_about_a_registered_child_is_a_lookup_and_two_writes(uows):
    key = os.urandom(32)
    first = naming_a_resident_id(synthetic_report(ORG, datetime.now(UTC), emergency=False))
    await intake_support.handle(uows, reports.receive_report, first, lookup_key=key)
    again = synthetic_report(ORG, datetime.now(UTC), emergency=True)
    again = again.model_copy(update={"child": first.child})
    async with uows() as uow:
        sent, record = statements(uow.engine)
        answered = await reports.receive_report(again, uow, CTX, lookup_key=key)
        event.remove(uow.engine.sync_engine, "before_cursor_execute", record)
    assert [s.split()[0] for s in sent] == ["SELECT", "WITH", "INSERT"]
    assert "INSERT INTO children" not in sent[2]
    assert answered[0].child_id == first.child_id  # type: ignore[attr-defined]
    async with uows() as uow:
        version = await uow.conn.scalar(
            text("SELECT version FROM reports WHERE report_id = :r"), {"r": again.report_id}
        )
    assert version == 3  # received, filed, civil affairs notified


async def test_a_child_registered_meanwhile_by_another_report_is_a_conflict(uows):
    """The registry row is written after both appends now: a clash there still refuses the
    report (409, JX-9.1), and nothing of it stays."""
    key = os.urandom(32)
    report = naming_a_resident_id(synthetic_report(ORG, datetime.now(UTC), emergency=False))
    digest = registry_rules.id_digest(key, report.child.resident_id or "")
    async with uows() as other:  # another report registering the same child, not committed
        await other.conn.execute(
            text(
                "INSERT INTO children (child_id, organisation, gender, id_digest, "
                "registered_at, categories, sibling_ids) "
                "VALUES ('child-other', :o, 'female', :d, now(), '[]', '[]')"
            ),
            {"o": ORG, "d": digest},
        )
        racing = asyncio.create_task(
            intake_support.handle(uows, reports.receive_report, report, lookup_key=key)
        )
        await asyncio.sleep(1.0)  # it waits on the uncommitted registry row
        assert not racing.done()
        await other.commit()
    with pytest.raises(Conflict) as refused:
        await racing
    assert refused.value.violations[0].rule == "JX-9.1"
    async with uows() as uow:
        assert await uow.store.version(uow.conn, report_stream(report.report_id)) == 0
        assert await uow.store.version(uow.conn, report.child_id) == 0


async def test_streams_appended_together_are_written_together_or_not_at_all(engine, store):
    meta = Metadata(actor="worker-7")
    async with engine.begin() as conn:
        await store.append(conn, "case-1", 0, [CaseNoted(note_code="a")], meta)
    together = [
        StreamAppend("case-2", 0, [CaseNoted(note_code="b")]),
        StreamAppend("case-1", 0, [CaseNoted(note_code="stale")]),
    ]
    with pytest.raises(ConcurrencyError) as refused:
        async with engine.begin() as conn:
            await store.append_streams(conn, together, meta)
    assert (refused.value.stream_id, refused.value.expected, refused.value.actual) == (
        "case-1",
        0,
        1,
    )
    together[1] = StreamAppend("case-1", 1, [CaseNoted(note_code="c"), CaseNoted(note_code="d")])
    async with engine.begin() as conn:
        assert await store.version(conn, "case-2") == 0
        second, first = await store.append_streams(conn, together, meta)
    assert [e.stream_version for e in second.envelopes] == [1]
    assert [e.stream_version for e in first.envelopes] == [2, 3]
    positions = [e.position or 0 for e in second.envelopes + first.envelopes]
    assert positions == sorted(positions)  # in the order given
