"""Assessment's reaction to intake's `intake.case.opened` and the grading that relies on it,
against a real PostgreSQL (the event store, key store and read models of a throwaway database;
no broker: the handler is called as the consumer runner calls it)."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

import assessment
from assessment.domain.refusals import Refused
from assessment.domain.safety_assessment import GradeSafetyRisk
from assessment.domain.safety_risk import SafetyRiskInput
from assessment.events import Assessor, SafetyRiskGraded
from assessment.handlers import NotVisible, record_safety_grade, safety_stream
from assessment.projections import case_row, cases
from assessment.reactions import HANDLERS
from events import migrate
from events.canonical import GENESIS_HASH
from events.crypto import FieldCipher
from events.envelope import Envelope, Metadata, make_envelope
from events.kafka import events_topic
from events.keystore import KeyStore
from events.registry import registry
from events.store import EventStore
from events.tables import outbox
from events.uow import UnitOfWork

MIGRATIONS = Path(assessment.__file__).parent / "migrations"
ON_CASE_OPENED = HANDLERS["intake.case.opened"]
WOMAN = Assessor(worker_id="w-synthetic-f1", gender="female")
MAN = Assessor(worker_id="w-synthetic-m1", gender="male")
OTHER_MAN = Assessor(worker_id="w-synthetic-m2", gender="male")
NOTE = "合成测试备注：监护人同意接受家庭教育指导。"  # synthetic free text

Uows = Callable[[], UnitOfWork]


@pytest.fixture
async def uows(database_url: str, keystore: KeyStore) -> AsyncIterator[Uows]:
    engine = create_async_engine(database_url)
    await migrate.upgrade(engine, "store")
    await migrate.upgrade_tree(engine, MIGRATIONS, "alembic_version_assessment")
    store = EventStore(registry, FieldCipher(keystore), source="/careledger/assessment")
    yield lambda: UnitOfWork(engine, store, events_topic("assessment"))
    await engine.dispose()


def case_opened(case_id: str, organisation: str, **extra: Any) -> Envelope:
    """An `intake.case.opened` as intake publishes it (synthetic values)."""
    data = {
        "case_id": case_id,
        "case_number": "SYN-2025-0001",
        "organisation": organisation,
        "child_id": f"child-{uuid4()}",
        "report_ids": [f"report-{uuid4()}"],
        "opened_at": "2025-06-01T01:00:00Z",
        "opened_by": "dev-worker",
        **extra,
    }
    return make_envelope(
        source="/careledger/intake",
        event_type="intake.case.opened.v1",
        dataschema="urn:careledger:schema:intake.case.opened.v1",
        stream_id=case_id,
        version=1,
        meta=Metadata(actor="dev-worker"),
        key_scope=data["child_id"],
        data=data,
        prev_hash=GENESIS_HASH,
    )


async def react(uows: Uows, envelope: Envelope) -> None:
    async with uows() as uow:
        await ON_CASE_OPENED(envelope, uow)
        await uow.commit()


def grading(
    case_id: str, organisation: str, *assessors: Assessor, child_gender: str | None = None
) -> GradeSafetyRisk:
    return GradeSafetyRisk.model_validate(
        {
            "case_id": case_id,
            "assessment_id": str(uuid4()),
            "organisation": organisation,
            "assessed_at": datetime(2025, 6, 2, 10, 0, tzinfo=UTC),
            "child_gender": child_gender,
            "assessors": assessors,
            "inputs": SafetyRiskInput.model_validate({"b2": {"neglect": "C"}}),
            "notes": NOTE,
        }
    )


async def grade(uows: Uows, command: GradeSafetyRisk) -> Any:
    return await record_safety_grade(uows, command, Metadata(actor="dev-worker"))


async def test_an_opened_case_is_recorded_with_its_organisation_and_child(uows):
    case_id = f"case-{uuid4()}"
    opened = case_opened(case_id, "org-synthetic-a")
    await react(uows, opened)
    async with uows() as uow:
        row = await case_row(uow.conn, case_id)
    assert (row.organisation, row.child_id) == ("org-synthetic-a", opened.data["child_id"])
    assert row.child_gender is None  # intake does not publish it yet


async def test_a_redelivered_case_opened_changes_nothing(uows):
    case_id = f"case-{uuid4()}"
    await react(uows, case_opened(case_id, "org-synthetic-a"))
    await react(uows, case_opened(case_id, "org-synthetic-b"))
    async with uows() as uow:
        count = await uow.conn.scalar(
            select(func.count()).select_from(cases).where(cases.c.case_id == case_id)
        )
        row = await case_row(uow.conn, case_id)
    assert (count, row.organisation) == (1, "org-synthetic-a")


async def test_a_case_opened_without_an_organisation_is_refused_for_retry_and_dead_letter(uows):
    broken = case_opened(f"case-{uuid4()}", "org-synthetic-a")
    data = {k: v for k, v in broken.data.items() if k != "organisation"}
    with pytest.raises(ValidationError):
        await react(uows, broken.model_copy(update={"data": data}))


async def test_only_the_organisation_that_opened_the_case_may_grade_it(uows):
    case_id = f"case-{uuid4()}"
    await react(uows, case_opened(case_id, "org-synthetic-a"))
    with pytest.raises(NotVisible):
        await grade(uows, grading(case_id, "org-synthetic-b", WOMAN, MAN, child_gender="male"))
    row = await grade(uows, grading(case_id, "org-synthetic-a", WOMAN, MAN, child_gender="male"))
    assert (row.grade, row.child_gender_source) == ("C", "request")


async def test_a_gender_published_with_the_case_decides_the_team_rule(uows):
    case_id = f"case-{uuid4()}"
    await react(uows, case_opened(case_id, "org-synthetic-a", child_gender="female"))
    with pytest.raises(Refused) as refused:
        await grade(uows, grading(case_id, "org-synthetic-a", MAN, OTHER_MAN))
    assert [v.code for v in refused.value.violations] == ["no_female_assessor"]
    row = await grade(uows, grading(case_id, "org-synthetic-a", WOMAN, MAN))
    assert row.child_gender_source == "intake.case.opened"


async def test_a_grade_is_stored_with_encrypted_notes_and_queued_for_kafka_under_the_case(uows):
    case_id = f"case-{uuid4()}"
    row = await grade(uows, grading(case_id, "org-synthetic-a", WOMAN, MAN, child_gender="female"))
    async with uows() as uow:
        [stored] = await uow.store.read_stream(uow.conn, safety_stream(case_id))
        event = await uow.store.decode(stored)
        queued = (
            await uow.conn.execute(select(outbox).where(outbox.c.event_id == stored.id))
        ).one()
    assert stored.id == row.event_id and stored.key_scope == case_id
    assert stored.data["notes"] != NOTE and NOTE not in str(stored.data)
    assert isinstance(event, SafetyRiskGraded) and event.notes == NOTE
    assert (queued.topic, queued.key) == ("careledger.assessment.events.v1", case_id)
