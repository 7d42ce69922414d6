"""Migration 0003 moves the outbox to a text payload: rows still waiting there when it runs
keep their payload (as text) and get their CloudEvent type."""

import json

from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from events import migrate

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
