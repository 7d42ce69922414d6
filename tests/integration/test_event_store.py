"""Event store against real PostgreSQL: concurrency, idempotency, chain, encryption, shredding."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from events.chain import verify
from events.crypto import FieldCipher
from events.envelope import Metadata
from events.errors import ConcurrencyError, IdempotencyConflict, KeyShredded
from events.store import EventStore, NewEvent
from tests.sample_events import CaseNoted, ChildReported, ChildReportedV1, sample_registry

META = Metadata(actor="worker-7")
BYPASS = "ALTER TABLE events DISABLE TRIGGER events_append_only"  # the table owner can; in-tx


async def append(engine, store, stream, expected, events, **kw):
    async with engine.begin() as conn:
        return (await store.append(conn, stream, expected, events, META, **kw)).envelopes


async def test_events_are_numbered_per_stream_and_chained(engine, store):
    first = await append(
        engine, store, "case-1", 0, [CaseNoted(note_code="a"), CaseNoted(note_code="b")]
    )
    more = await append(engine, store, "case-1", 2, [CaseNoted(note_code="c")])
    assert [e.stream_version for e in first + more] == [1, 2, 3]
    assert more[0].prev_hash == first[1].hash
    async with engine.connect() as conn:
        read = await store.read_stream(conn, "case-1")
        assert [e.id for e in read] == [e.id for e in first + more]
        assert await verify(conn) is None


async def test_second_writer_at_same_version_is_refused(engine, store):
    await append(engine, store, "case-1", 0, [CaseNoted(note_code="a")])
    await append(engine, store, "case-1", 1, [CaseNoted(note_code="b")])
    with pytest.raises(ConcurrencyError) as refused:
        await append(engine, store, "case-1", 1, [CaseNoted(note_code="late")])
    assert (refused.value.expected, refused.value.actual) == (1, 2)


async def test_a_new_stream_is_written_without_reading_its_head_and_made_only_once(engine, store):
    from sqlalchemy import event

    sent: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    await append(engine, store, "case-new", 0, [CaseNoted(note_code="a")])
    assert [s.split()[0] for s in sent] == ["WITH"]  # the guarded insert alone
    with pytest.raises(ConcurrencyError) as refused:
        await append(engine, store, "case-new", 0, [CaseNoted(note_code="again")])
    assert (refused.value.expected, refused.value.actual) == (0, 1)


async def test_concurrent_writers_at_the_same_version_one_wins(engine, store):
    await append(engine, store, "case-1", 0, [CaseNoted(note_code="a")])
    results = await asyncio.gather(
        *(append(engine, store, "case-1", 1, [CaseNoted(note_code=f"w{i}")]) for i in range(5)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, ConcurrencyError) for r in results if isinstance(r, Exception))
    async with engine.connect() as conn:
        assert await store.version(conn, "case-1") == 2


async def test_reappending_the_same_event_is_a_no_op_returning_the_stored_one(engine, store):
    event = NewEvent(CaseNoted(note_code="a"), event_id="0b8f4f5e-2a55-4a1e-9a43-1f2b3c4d5e6f")
    stored = await append(engine, store, "case-1", 0, [event])
    again = await append(engine, store, "case-1", 0, [event])
    assert again == stored
    async with engine.connect() as conn:
        assert await store.version(conn, "case-1") == 1


async def test_reusing_an_event_id_in_another_stream_is_refused(engine, store):
    event = NewEvent(CaseNoted(note_code="a"), event_id="0b8f4f5e-2a55-4a1e-9a43-1f2b3c4d5e6f")
    await append(engine, store, "case-1", 0, [event])
    with pytest.raises(IdempotencyConflict):
        await append(engine, store, "case-2", 0, [event])


async def test_read_all_pages_through_every_stream_in_commit_order(engine, store):
    for i in range(5):
        await append(
            engine, store, f"case-{i}", 0, [CaseNoted(note_code="a"), CaseNoted(note_code="b")]
        )
    async with engine.connect() as conn:
        page1, window = await store.read_all(conn, limit=6)
        page2, _ = await store.read_all(conn, window, limit=6)
    assert len(page1) == 6 and len(page2) == 4
    positions = [e.position for e in page1 + page2]
    assert positions == sorted(positions)


async def test_stored_events_cannot_be_updated_or_deleted(engine, store):
    await append(engine, store, "case-1", 0, [CaseNoted(note_code="a")])
    for sql in ("UPDATE events SET type = 'x'", "DELETE FROM events"):
        with pytest.raises(DBAPIError, match="immutable"):
            async with engine.begin() as conn:
                await conn.execute(text(sql))


async def test_tampering_with_a_stored_row_is_detected_at_the_exact_link(engine, store):
    await append(engine, store, "case-1", 0, [CaseNoted(note_code=c) for c in "abcd"])
    await append(engine, store, "case-2", 0, [CaseNoted(note_code="x")])
    async with engine.begin() as conn:  # an owner bypassing the append-only trigger
        await conn.execute(text(BYPASS))
        await conn.execute(
            text(
                "UPDATE events SET envelope = "
                "jsonb_set(envelope, '{data,note_code}', '\"forged\"') "
                "WHERE stream_id = 'case-1' AND stream_version = 3"
            )
        )
    async with engine.connect() as conn:
        broken = await verify(conn)
        assert broken is not None
        assert (broken.stream_id, broken.stream_version, broken.field) == ("case-1", 3, "hash")
        assert broken.expected != broken.found
        assert await verify(conn, "case-2") is None


async def test_a_rehashed_forgery_is_caught_at_the_next_link(engine, store):
    envs = await append(engine, store, "case-1", 0, [CaseNoted(note_code=c) for c in "abc"])
    forged = envs[1].model_copy(update={"data": {"note_code": "forged", "seq": 0}}).sealed()
    async with engine.begin() as conn:
        await conn.execute(text(BYPASS))
        await conn.execute(
            text("UPDATE events SET envelope = CAST(:e AS jsonb), hash = :h WHERE id = :id"),
            {"e": forged.model_dump_json(exclude={"position"}), "h": forged.hash, "id": forged.id},
        )
    async with engine.connect() as conn:
        broken = await verify(conn, "case-1")
    assert broken is not None
    assert (broken.stream_version, broken.field) == (3, "prev_hash")
    assert broken.expected == forged.hash and broken.found == envs[1].hash


async def test_personal_fields_are_encrypted_in_postgresql_and_readable_with_the_key(engine, store):
    event = ChildReported(child_name="王小红", description="邻居听见哭声", triggers=[4])
    [stored] = await append(engine, store, "report-1", 0, [event], key_scope="case-9")
    async with engine.connect() as conn:
        raw = await conn.scalar(text("SELECT envelope::text FROM events"))
    assert "王小红" not in raw and "哭声" not in raw and "$enc" in raw
    assert stored.key_scope == "case-9"
    assert await store.decode(stored) == event


async def test_a_shredded_key_makes_personal_fields_unreadable_but_the_rest_stays(engine, store):
    [stored] = await append(
        engine,
        store,
        "case-1",
        0,
        [ChildReported(child_name="李四", description="d", triggers=[6])],
    )
    await store.cipher.keys.shred("case-1", reason="handed over to the entrustor")
    with pytest.raises(KeyShredded):
        await store.decode(stored)
    async with engine.connect() as conn:
        [read] = await store.read_stream(conn, "case-1")
        assert read.data["triggers"] == [6] and read.actor == "worker-7"
        assert await verify(conn) is None  # the chain is over ciphertext: still intact
    with pytest.raises(KeyShredded):  # and no new key is ever made for that scope
        await append(engine, store, "case-1", 1, [ChildReported(child_name="x", description="y")])


async def test_old_event_versions_are_upcast_when_decoded(engine, store):
    [stored] = await append(
        engine, store, "case-1", 0, [ChildReportedV1(child_name="n", description="d")]
    )
    assert stored.type == "child.reported.v1"
    decoded = await store.decode(stored)
    assert isinstance(decoded, ChildReported) and decoded.emergency is False


async def test_a_stored_envelope_that_no_longer_parses_is_reported_as_a_broken_link(engine, store):
    await append(engine, store, "case-1", 0, [CaseNoted(note_code="a"), CaseNoted(note_code="b")])
    async with engine.begin() as conn:
        await conn.execute(text(BYPASS))
        await conn.execute(
            text("UPDATE events SET envelope = envelope - 'actor' WHERE stream_version = 2")
        )
    async with engine.connect() as conn:
        broken = await verify(conn)
    assert broken is not None
    assert (broken.stream_id, broken.stream_version, broken.field) == ("case-1", 2, "envelope")
    assert broken.found == "actor"


# The store remembers the head of its own last append to each stream, to skip reading it on
# the next one; the write is guarded by that head, which may be stale.


def other_process(keystore):
    return EventStore(sample_registry, FieldCipher(keystore), source="/careledger/other")


async def test_a_head_remembered_from_a_rolled_back_append_is_not_trusted(engine, store, keystore):
    await append(engine, store, "case-1", 0, [CaseNoted(note_code="a")])
    async with engine.connect() as conn:  # this store appends version 2, then it rolls back
        await conn.begin()
        await store.append(conn, "case-1", 1, [CaseNoted(note_code="lost")], META)
        await conn.rollback()
    await append(engine, other_process(keystore), "case-1", 1, [CaseNoted(note_code="b")])
    later = await append(engine, store, "case-1", 2, [CaseNoted(note_code="c")])
    assert later[0].stream_version == 3
    async with engine.connect() as conn:
        read = await store.read_stream(conn, "case-1")
        assert [e.data["note_code"] for e in read] == ["a", "b", "c"]
        assert read[2].prev_hash == read[1].hash
        assert await verify(conn) is None


async def test_a_remembered_head_does_not_let_a_stale_writer_through(engine, store, keystore):
    await append(engine, store, "case-1", 0, [CaseNoted(note_code="a")])
    await append(engine, other_process(keystore), "case-1", 1, [CaseNoted(note_code="b")])
    with pytest.raises(ConcurrencyError) as refused:
        await append(engine, store, "case-1", 1, [CaseNoted(note_code="late")])
    assert (refused.value.expected, refused.value.actual) == (1, 2)
