"""Tamper evidence against real PostgreSQL: the services' runtime role may append and read
events but not change, remove or unprotect them; every stream's head is recorded, so a removed
tail is found; `chain.verify()` also checks the prev_hash column against the envelope."""

from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from events import migrate
from events.backbone import Backbone
from events.chain import verify
from events.envelope import Metadata
from events.settings import ServiceSettings
from events.store import Outbound
from tests.conftest import _asyncpg_url
from tests.sample_events import CaseNoted

META = Metadata(actor="worker-7")
BYPASS = "ALTER TABLE events DISABLE TRIGGER events_append_only"  # the owner can; in-tx
INTAKE_MIGRATIONS = Path(__file__).resolve().parents[2] / "services/intake/migrations"


def as_runtime(stack, database_url: str) -> str:
    """The same database, logged in as the stack's runtime role for tests."""
    return _asyncpg_url(stack["CARELEDGER_PG_RUNTIME_URL"], make_url(database_url).database)


@pytest.fixture
async def runtime(stack, database_url, engine):
    """An engine logged in as the runtime role, on the `engine` fixture's database. That one
    was migrated without naming a runtime role; naming it now still grants its rights."""
    url = as_runtime(stack, database_url)
    await migrate.upgrade(engine, "store", make_url(url).username)
    runtime = create_async_engine(url)
    yield runtime
    await runtime.dispose()


async def append(engine, store, stream, expected, events, **kw):
    async with engine.begin() as conn:
        return (await store.append(conn, stream, expected, events, META, **kw)).envelopes


async def refused(engine, sql: str) -> str:
    with pytest.raises(DBAPIError) as error:
        async with engine.begin() as conn:
            await conn.execute(text(sql))
    return str(error.value.orig)


async def test_the_runtime_role_appends_and_reads_events_but_cannot_change_or_unprotect_them(
    runtime, store
):
    outbound = Outbound("careledger.test.events.v1", "case-1")
    first = await append(runtime, store, "case-1", 0, [CaseNoted(note_code="a")], outbound=outbound)
    more = await append(runtime, store, "case-1", 1, [CaseNoted(note_code="b")])
    async with runtime.connect() as conn:
        read = await store.read_stream(conn, "case-1")
        assert [e.id for e in read] == [e.id for e in first + more]
        assert await verify(conn) is None
    for sql in ("UPDATE events SET type = 'x'", "DELETE FROM events", "TRUNCATE events"):
        assert "permission denied for table events" in await refused(runtime, sql)
    for sql in (BYPASS, "ALTER TABLE events DROP CONSTRAINT events_stream_version_key"):
        assert "must be owner of table events" in await refused(runtime, sql)
    for sql in (
        "UPDATE stream_heads SET version = 1",
        "DELETE FROM stream_heads",
        "INSERT INTO stream_heads VALUES ('case-9', 1, 'x')",
        "UPDATE alembic_version_events SET version_num = '0001'",
    ):
        assert "permission denied for table" in await refused(runtime, sql)


async def test_the_runtime_role_changes_the_outbox_the_inbox_and_the_read_models(
    runtime, engine, store
):
    await append(
        runtime, store, "case-1", 0, [CaseNoted(note_code="a")], outbound=Outbound("t", "k")
    )
    async with engine.begin() as conn:  # a read model the owner's migrations make later
        await conn.execute(text("CREATE TABLE notes (id serial PRIMARY KEY, code text)"))
    async with runtime.begin() as conn:
        for sql in (
            "UPDATE outbox SET published_at = now()",
            "DELETE FROM outbox",
            "INSERT INTO inbox (consumer, event_id, event_type) "
            "VALUES ('c', gen_random_uuid(), 'case.noted.v1')",
            "DELETE FROM inbox",
            "INSERT INTO notes (code) VALUES ('a')",
            "UPDATE notes SET code = 'b'",
            "DELETE FROM notes",
        ):
            await conn.execute(text(sql))
        for table in ("outbox", "inbox", "notes"):  # every change above took effect
            assert await conn.scalar(text(f"SELECT count(*) FROM {table}")) == 0  # noqa: S608


async def test_a_service_migrates_as_the_owner_and_runs_as_the_runtime_role(
    stack, make_database, kek_b64
):
    store_db, keys_db = await make_database(), await make_database()
    settings = ServiceSettings(
        database_url=as_runtime(stack, store_db),
        migration_database_url=store_db,
        keystore_database_url=as_runtime(stack, keys_db),
        keystore_migration_database_url=keys_db,
        kek=kek_b64,
        port=0,
        gc_young_threshold=0,
    )
    backbone = Backbone(settings, name="intake", migrations=INTAKE_MIGRATIONS)
    try:
        await backbone.migrate()
        async with backbone.engine.connect() as conn:
            rights = await conn.execute(text(PRIVILEGES))
            assert {name: can for name, can in rights} == {"events": "SELECT, INSERT"}
        moved = "UPDATE alembic_version_intake SET version_num = '0001'"
        assert "permission denied" in await refused(backbone.engine, moved)
        await backbone.keystore.key_for_writing("child-1")  # the key store, as its runtime role
        await backbone.keystore.shred("child-1", "handed over")
    finally:
        await backbone.stop()


# The connected role's rights on each table that lacks one a read model needs.
PRIVILEGES = """
SELECT relname, concat_ws(', ', CASE WHEN s THEN 'SELECT' END, CASE WHEN i THEN 'INSERT' END,
                          CASE WHEN u THEN 'UPDATE' END, CASE WHEN d THEN 'DELETE' END)
  FROM (SELECT relname, has_table_privilege(oid, 'SELECT') AS s,
               has_table_privilege(oid, 'INSERT') AS i, has_table_privilege(oid, 'UPDATE') AS u,
               has_table_privilege(oid, 'DELETE') AS d
          FROM pg_class
         WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'
           AND relname NOT LIKE 'alembic_version%' AND relname <> 'stream_heads') t
 WHERE NOT (s AND i AND u AND d)
"""


async def test_a_stream_whose_tail_was_deleted_is_named_by_verify_at_its_recorded_head(
    engine, store
):
    envs = await append(engine, store, "case-1", 0, [CaseNoted(note_code=c) for c in "abc"])
    [other] = await append(engine, store, "case-2", 0, [CaseNoted(note_code="x")])
    async with engine.begin() as conn:  # the owner, bypassing the append-only trigger
        await conn.execute(text(BYPASS))
        await conn.execute(
            text("DELETE FROM events WHERE stream_id = 'case-1' AND stream_version = 3")
        )
        await conn.execute(text("DELETE FROM events WHERE stream_id = 'case-2'"))
    async with engine.connect() as conn:
        broken = await verify(conn)
        gone = await verify(conn, "case-2")
    assert broken is not None and gone is not None
    assert (broken.stream_id, broken.stream_version, broken.field) == ("case-1", 3, "head")
    assert broken.expected == f"version 3 ({envs[2].hash})"
    assert broken.found == f"version 2 ({envs[1].hash})"
    assert (gone.stream_id, gone.stream_version, gone.field) == ("case-2", 1, "head")
    assert (gone.expected, gone.found) == (f"version 1 ({other.hash})", "no stored event")


async def test_appending_over_a_removed_tail_is_refused(engine, store):
    await append(engine, store, "case-1", 0, [CaseNoted(note_code=c) for c in "abc"])
    async with engine.begin() as conn:
        await conn.execute(text(BYPASS))
        await conn.execute(text("DELETE FROM events WHERE stream_version = 3"))
    with pytest.raises(DBAPIError, match="recorded at version 3: an append from version 3"):
        await append(engine, store, "case-1", 2, [CaseNoted(note_code="forged")])


async def test_a_prev_hash_column_that_disagrees_with_the_envelope_is_named_by_verify(
    engine, store
):
    envs = await append(engine, store, "case-1", 0, [CaseNoted(note_code=c) for c in "abc"])
    async with engine.begin() as conn:
        await conn.execute(text(BYPASS))
        await conn.execute(
            text("UPDATE events SET prev_hash = repeat('f', 64) WHERE stream_version = 2")
        )
    async with engine.connect() as conn:
        broken = await verify(conn)
    assert broken is not None
    assert (broken.stream_id, broken.stream_version, broken.field) == (
        "case-1",
        2,
        "prev_hash_column",
    )
    assert (broken.expected, broken.found) == (envs[0].hash, "f" * 64)
