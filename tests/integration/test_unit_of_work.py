"""The unit of work: events and outbox rows commit together or not at all."""

import json

import pytest
from sqlalchemy import func, select

from events.canonical import canonical_json
from events.envelope import Metadata
from events.store import NewEvent
from events.tables import events, outbox
from events.uow import UnitOfWork
from tests.sample_events import CaseNoted

META = Metadata(actor="worker-1")


async def counts(engine) -> tuple[int, int]:
    async with engine.connect() as conn:
        n_events = await conn.scalar(select(func.count()).select_from(events))
        n_outbox = await conn.scalar(select(func.count()).select_from(outbox))
    return n_events, n_outbox


async def test_events_and_their_outbox_rows_commit_together(engine, store):
    async with UnitOfWork(engine, store, "topic") as uow:
        envs = await uow.append("case-1", 0, [CaseNoted(note_code="a")], META, partition_key="c1")
        await uow.commit()
    assert await counts(engine) == (1, 1)
    async with engine.connect() as conn:
        row = (await conn.execute(select(outbox))).one()
    assert (row.topic, row.key, str(row.event_id)) == ("topic", "c1", envs[0].id)
    assert row.type == envs[0].type and row.published_at is None
    # the text that goes to Kafka is the canonical form the hash was computed over
    assert json.loads(row.payload) == envs[0].to_wire()
    assert row.payload == canonical_json(envs[0].hashed_content())[:-1].decode() + (
        f',"hash":"{envs[0].hash}"}}'
    )


async def test_a_unit_of_work_left_without_commit_writes_nothing(engine, store):
    async with UnitOfWork(engine, store, "topic") as uow:
        await uow.append("case-1", 0, [CaseNoted(note_code="a")], META)
    assert await counts(engine) == (0, 0)


async def test_an_error_inside_the_unit_of_work_rolls_everything_back(engine, store):
    with pytest.raises(RuntimeError):
        async with UnitOfWork(engine, store, "topic") as uow:
            await uow.append("case-1", 0, [CaseNoted(note_code="a")], META)
            raise RuntimeError("the handler failed after appending")
    assert await counts(engine) == (0, 0)


async def test_an_idempotent_retry_queues_nothing_new_for_kafka(engine, store):
    event = NewEvent(CaseNoted(note_code="a"), event_id="6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b")
    for _ in range(2):
        async with UnitOfWork(engine, store, "topic") as uow:
            await uow.append("case-1", 0, [event], META)
            await uow.commit()
    assert await counts(engine) == (1, 1)
