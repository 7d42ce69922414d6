"""The outbox relay and `read_all` under late commits, lost leadership, failed and oversized
batches (issue "Backbone correctness", items 1, 2, 4 and 5). Real PostgreSQL and Kafka."""

import asyncio
import json
from collections import Counter

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from sqlalchemy import text

from events.envelope import Metadata
from events.errors import EventTooLarge
from events.store import MAX_EVENT_BYTES
from events.windows import Window
from tests.integration.harness import Service, envelopes, eventually, read_topic
from tests.sample_events import CaseNoted, ChildReported

META = Metadata(actor="worker-1")


@pytest.fixture
async def intake(make_database, keystore, new_topic, bootstrap):
    topic = await new_topic(3)
    service = await Service.create("intake", await make_database(), keystore, topic, bootstrap)
    yield service
    await service.close()


def versions_by_stream(records) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for env in envelopes(records):
        seen.setdefault(env.subject, []).append(env.stream_version)
    return seen


def drained(service: Service):
    async def check() -> bool:
        return await service.relay().backlog() == 0

    return check


async def test_a_stream_goes_out_in_version_order_when_its_first_event_commits_late(
    intake, bootstrap
):
    """Item 1: version 1 of `case-late` takes its outbox id early and commits while the rows
    around it are in flight under a backlog; version 2 is written after that commit, with a
    backlog behind it. Kafka carries 1 before 2 (the relay once sent [2, 1])."""
    for i in range(3):
        await intake.append(f"case-{i}", 0, [CaseNoted(note_code="x", seq=j) for j in range(10)])
    relay = intake.relay(batch_size=50)
    async with intake.uow() as late:
        await late.append("case-late", 0, [CaseNoted(note_code="late")], META)
        for i in range(3, 17):
            await intake.append(
                f"case-{i}", 0, [CaseNoted(note_code="x", seq=j) for j in range(10)]
            )
        assert await relay.publish_batch() == 50  # and the next 50 read ahead
        assert await relay.publish_batch() == 50  # and the next 50 read ahead
        await late.commit()
    await intake.append("case-late", 1, [CaseNoted(note_code="after")])
    for i in range(17, 27):
        await intake.append(f"case-{i}", 0, [CaseNoted(note_code="x", seq=j) for j in range(10)])
    intake.start(relay.run())
    await eventually(drained(intake))

    records = await read_topic(bootstrap, intake.topic, 272)
    assert versions_by_stream(records)["case-late"] == [1, 2]
    assert Counter(e.id for e in envelopes(records)).most_common(1)[0][1] == 1  # none twice
    assert all(v == sorted(v) for v in versions_by_stream(records).values())


async def test_read_all_returns_a_position_that_committed_late_and_in_causal_order(engine, store):
    """Item 1, `read_all`: a reader that paged past a position whose transaction had not
    committed yet gets it once it commits, before the event written in reaction to it."""
    async with engine.connect() as late:
        await store.append(late, "case-late", 0, [CaseNoted(note_code="late")], META)
        async with engine.begin() as conn:
            await store.append(conn, "case-early", 0, [CaseNoted(note_code="a")], META)
        async with engine.connect() as conn:
            first, window = await store.read_all(conn, limit=10)
        await late.commit()
    async with engine.begin() as conn:
        await store.append(conn, "case-late", 1, [CaseNoted(note_code="reaction")], META)
    async with engine.connect() as conn:
        rest, window = await store.read_all(conn, Window.parse(str(window)), limit=10)
        caught_up, _ = await store.read_all(conn, window, limit=10)

    assert [e.subject for e in first] == ["case-early"]
    assert [(e.subject, e.stream_version) for e in rest] == [("case-late", 1), ("case-late", 2)]
    assert caught_up == []


async def test_the_relay_holds_no_transaction_open_while_it_leads(intake):
    """Item 2: the lock's connection must not sit "idle in transaction" (it would pin the xmin
    horizon and keep VACUUM from removing any dead row)."""
    relay = intake.relay()
    intake.start(relay.run())
    await eventually(lambda: _is(relay, "running"))
    await intake.append("case-1", 0, [CaseNoted(note_code="x")])
    await eventually(drained(intake))
    await asyncio.sleep(1.5)  # idle now: only the lock and the listener are connected
    async with intake.engine.connect() as conn:
        idle = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
            )
        )
    assert idle == 0


async def test_a_relay_whose_lock_session_died_stops_before_another_leads(intake, bootstrap):
    """Item 4: the leader's session is killed (as by a failover or a pooling proxy); it notices
    before its next batch, the standby takes over, and every event goes out once."""
    leader, standby = intake.relay(standby_seconds=0.2), intake.relay(standby_seconds=0.2)
    intake.start(leader.run())
    await eventually(lambda: _is(leader, "running"))
    intake.start(standby.run())
    await eventually(lambda: _is(standby, "standby"))
    async with intake.engine.connect() as conn:
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
    for i in range(20):
        await intake.append(f"case-{i}", 0, [CaseNoted(note_code="x")])
        await asyncio.sleep(0.05)
    await eventually(drained(intake))
    await asyncio.sleep(1)

    copies = Counter(e.id for e in envelopes(await read_topic(bootstrap, intake.topic, 20)))
    assert len(copies) == 20 and set(copies.values()) == {1}
    assert leader.status.restarts >= 1


async def test_a_later_batch_never_overtakes_a_failed_one(
    make_database, keystore, new_topic, bootstrap
):
    """Item 5: the broker refuses version 1's batch (over the topic's message size) while
    version 2 waits in the next batch: version 2 is not sent ahead of it; once the topic takes
    version 1, both go in order. (The relay's own size limit is lifted here so that the broker
    is the one to refuse.)"""
    topic = await new_topic(1, {"max.message.bytes": "3000"})
    service = await Service.create("intake", await make_database(), keystore, topic, bootstrap)
    try:
        await service.append("case-s", 0, [CaseNoted(note_code="v" * 4000)])
        await service.append("case-s", 1, [CaseNoted(note_code="small")])
        relay = service.relay(batch_size=1, max_message_bytes=10 * MAX_EVENT_BYTES)
        service.start(relay.run())
        await eventually(lambda: _restarted(relay))
        assert await read_topic(bootstrap, topic, 1, within=2) == []

        await _allow_large_messages(bootstrap, topic)
        await eventually(drained(service))
        records = await read_topic(bootstrap, topic, 2)
        assert versions_by_stream(records)["case-s"] == [1, 2]
    finally:
        await service.close()


async def _restarted(relay) -> bool:
    return relay.status.restarts >= 1


async def _allow_large_messages(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic, {"max.message.bytes": "1048588"})
        await admin.alter_configs([resource])
    finally:
        await admin.close()


async def test_an_oversized_row_is_parked_with_an_alert_and_the_rest_flows(intake, bootstrap):
    """Item 5: a row larger than a Kafka message (written before the store's limit) is set
    aside with its reason instead of blocking the relay for good."""
    await intake.append("case-1", 0, [CaseNoted(note_code="before")])
    async with intake.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO outbox (event_id, topic, key, type, payload) "
                "VALUES (gen_random_uuid(), :t, 'case-big', 'careledger.case.noted.v1', :p)"
            ),
            {"t": intake.topic, "p": json.dumps({"blob": "x" * (MAX_EVENT_BYTES + 100_000)})},
        )
    await intake.append("case-1", 1, [CaseNoted(note_code="after")])
    relay = intake.relay()
    intake.start(relay.run())
    await eventually(drained(intake))

    records = await read_topic(bootstrap, intake.topic, 2)
    assert versions_by_stream(records) == {"case-1": [1, 2]}
    assert relay.parked == 1
    async with intake.engine.connect() as conn:
        reason = await conn.scalar(text("SELECT parked_reason FROM outbox WHERE key='case-big'"))
    assert "over the limit" in reason


async def test_an_event_too_large_for_kafka_is_refused_at_append(intake):
    """Item 5: refused with a clear error, nothing stored, nothing queued."""
    huge = ChildReported(child_name="测试", description="述" * (MAX_EVENT_BYTES // 2))
    with pytest.raises(EventTooLarge, match="over the limit"):
        await intake.append("case-1", 0, [huge])
    async with intake.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM events")) == 0
        assert await conn.scalar(text("SELECT count(*) FROM outbox")) == 0


async def _is(relay, state: str) -> bool:
    return relay.status.report().get("state") == state


async def test_a_window_read_with_a_smaller_batch_is_not_judged_drained_by_a_larger_one(
    intake, bootstrap
):
    """A read that asked for one row and got one has not drained its window, even if the batch
    size grew meanwhile: judged by the larger size, the rest of the window was skipped."""
    for i in range(5):
        await intake.append(f"case-{i}", 0, [CaseNoted(note_code="x")])
    relay = intake.relay(batch_size=1)
    assert await relay.publish_batch() == 1  # and one more read ahead, one row at most
    relay.batch_size = 500
    intake.start(relay.run())
    await eventually(drained(intake))
    assert len(await read_topic(bootstrap, intake.topic, 5)) == 5


def test_a_window_is_handed_back_as_text_and_read_on_from_where_it_stood() -> None:
    """The cursor a reader keeps: the rest of its window first, then the next window."""
    window = Window(None, "10:20:15", 7).after("10:20:15", [8, 9], limit=2)
    assert Window.parse(str(window)) == window
    assert window.parameters(2) == (None, "10:20:15", 9, 2)
    drained = window.after("10:20:15", [10], limit=2)
    assert drained.drained and drained.parameters(2) == ("10:20:15", None, 0, 2)
