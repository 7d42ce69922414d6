"""Migrations that must keep what is stored: 0003 moves the outbox to a text payload (rows still
waiting there keep their payload, as text, and get their CloudEvent type); 0005 records the
head of every stream stored before it."""

import json

from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from events import migrate
from events.chain import verify
from events.envelope import Metadata
from tests.sample_events import CaseNoted

META = Metadata(actor="worker-7")
WAITING = {"specversion": "1.0", "type": "case.noted.v1", "data": {"note_code": "a", "seq": 1}}


def _upgrade_to(connection: Connection, revision: str) -> None:
    location, table = migrate.HERE / "store", migrate.TREES["store"]
    command.upgrade(migrate.alembic_config(location, table, connection), revision)


async def test_rows_waiting_in_the_outbox_keep_their_payload_and_get_their_type(make_database):
    engine = create_async_engine(await make_database())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade_to, "0002")
            await conn.execute(
                text(
                    "INSERT INTO outbox (event_id, topic, key, payload) "
                    "VALUES (gen_random_uuid(), 'topic', 'case-1', CAST(:p AS jsonb))"
                ),
                {"p": json.dumps(WAITING)},
            )
        await migrate.upgrade(engine, "store")
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT type, payload FROM outbox"))).one()
        assert row.type == "case.noted.v1"
        assert isinstance(row.payload, str) and json.loads(row.payload) == WAITING
    finally:
        await engine.dispose()


async def test_streams_stored_before_migration_0005_get_their_heads_recorded(make_database, store):
    engine = create_async_engine(await make_database())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade_to, "0004")
            notes = [CaseNoted(note_code=c) for c in "ab"]
            stored = (await store.append(conn, "case-1", 0, notes, META)).envelopes
        await migrate.upgrade(engine, "store")
        async with engine.connect() as conn:
            heads = (await conn.execute(text("SELECT * FROM stream_heads"))).all()
            assert await verify(conn) is None
        assert [tuple(h) for h in heads] == [("case-1", 2, stored[1].hash)]
    finally:
        await engine.dispose()
