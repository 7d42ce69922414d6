"""The consumer runner under outages, idle replicas, stub services, leaking errors and tampered
records (consumer runner issue, items 3, 8, 9, 11 and tamper evidence). Real PostgreSQL (one
throwaway database per simulated service) and the real Kafka broker; nothing is mocked."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import BaseModel

import archive.app as archive
import referral.app as referral
from events import app as service_app
from events import devissuer
from events.backbone import Backbone
from events.canonical import GENESIS_HASH, sha256_hex
from events.envelope import Envelope, Metadata, make_envelope
from events.settings import ServiceSettings
from events.uow import UnitOfWork
from tests.integration.harness import Service, eventually, read_topic, record_effect
from tests.sample_events import CaseNoted

SYNTHETIC_NAME = "Liu Synthetic-Child"  # must never reach a DLQ header or a log line


def handled(service: Service, count: int):
    async def check() -> bool:
        return len(await service.effects()) >= count

    return check


def published(service: Service):
    async def check() -> bool:
        return await service.relay().backlog() == 0

    return check


async def append_notes(service: Service, prefix: str, count: int) -> None:
    for i in range(count):
        await service.append(f"{prefix}-{i}", 0, [CaseNoted(note_code="x", seq=i)])


def sealed(subject: str, note_code: str = "x") -> Envelope:
    return make_envelope(
        source="/careledger/test",
        event_type="case.noted.v1",
        dataschema="urn:careledger:schema:case.noted.v1",
        stream_id=subject,
        version=1,
        meta=Metadata(actor="worker-synthetic-1"),
        key_scope=subject,
        data={"note_code": note_code, "seq": 0},
        prev_hash=GENESIS_HASH,
    )


async def produce(bootstrap: str, topic: str, documents: list[dict[str, Any]]) -> None:
    """Straight to the topic, past any outbox: what a forger or a newer producer would send."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for document in documents:
            value = json.dumps(document).encode()
            await producer.send_and_wait(topic, value, key=b"case-produced")
    finally:
        await producer.stop()


@asynccontextmanager
async def connection_limit_zero(admin_url: str, database: str) -> AsyncIterator[None]:
    """Holds one database at its connection limit: new connections get 53300 (too many
    connections) and the open ones are cut (57P01), as in an outage. Only this throwaway
    database is limited: restarting the PostgreSQL server would disturb the tests other
    developers run against it at the same time. (The limit binds our non-superuser role.)"""
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'ALTER DATABASE "{database}" CONNECTION LIMIT 0')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{database}" CONNECTION LIMIT -1')
        await admin.close()


async def test_a_database_at_its_connection_limit_is_waited_out_and_no_event_is_dead_lettered(
    pair, stack, bootstrap
):
    """Item 3: 53300 and the cut connections are an outage, not a poison message: the runner
    waits (no attempt limit), nothing goes to the DLQ, and every effect happens once after."""
    a, b, dlq = pair
    a.start(a.relay().run())
    runner = b.runner([a.topic], {"case.noted": record_effect}, dlq, max_attempts=2)
    b.start(runner.run())
    await append_notes(a, "before", 3)
    await eventually(handled(b, 3))

    async with connection_limit_zero(stack["CARELEDGER_PG_ADMIN_URL"], b.engine.url.database):
        await append_notes(a, "during", 5)
        await eventually(published(a))
        await asyncio.sleep(3)  # far longer than max_attempts retries take, each event arrived
        assert runner.dead_lettered == 0
        assert runner.status.state == "reconnecting"  # /ready says so meanwhile
        assert "53300" in str(runner.status.last_error)  # too many connections

    await eventually(handled(b, 8))
    assert set((await b.effects()).values()) == {1}
    assert runner.dead_lettered == 0 and runner.status.state == "running"
    assert await read_topic(bootstrap, dlq, expect=1, within=3) == []


async def committed_offsets(bootstrap: str, group: str) -> dict[Any, Any]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()


def stub_settings(database: str, keys: str, kek_b64: str, bootstrap: str, group: str) -> Any:
    return ServiceSettings(
        database_url=database,
        keystore_database_url=keys,
        kek=kek_b64,
        port=0,
        kafka_bootstrap_servers=bootstrap,
        consumer_group=group,
        gc_young_threshold=0,  # leave this test process's collector alone
    )


async def test_a_service_without_handlers_commits_no_offsets_so_handlers_added_later_see_all(
    make_database, keystore, new_topic, bootstrap, kek_b64
):
    """Item 8: a stub service (subscribed topics, no handlers) does not join its group, so
    the consumer that later gets handlers starts from the beginning (`earliest`) and sees the
    whole history instead of the end of each topic."""
    topic, dlq = await new_topic(3), await new_topic(1)
    group = f"stub-{uuid4().hex[:8]}"
    a = await Service.create("intake", await make_database(), keystore, topic, bootstrap)
    settings = stub_settings(
        await make_database(), await make_database(), kek_b64, bootstrap, group
    )
    stub = Backbone(settings, name="stub", handlers={}, subscribe=[topic])
    b = await Service.create(group, await make_database(), keystore, topic, bootstrap)
    try:
        await append_notes(a, "history", 6)
        a.start(a.relay().run())
        assert len(await read_topic(bootstrap, topic, 6)) == 6
        await stub.start()

        async def started() -> bool:
            return stub.schema.state == "running"

        await eventually(started)
        for _ in range(16):  # long enough for a runner to join, poll and commit
            if await committed_offsets(bootstrap, group):
                break
            await asyncio.sleep(0.5)
        await stub.stop()
        assert await committed_offsets(bootstrap, group) == {}
        assert stub.runner is None

        b.start(b.runner([topic], {"case.noted": record_effect}, dlq).run())
        await eventually(handled(b, 6))
    finally:
        await stub.stop()
        await a.close()
        await b.close()


@pytest.mark.parametrize(
    ("create_app", "settings_class"),
    [
        (referral.create_app, referral.ReferralSettings),
        (archive.create_app, archive.ArchiveSettings),
    ],
    ids=["referral", "archive"],
)
async def test_a_service_that_handles_nothing_creates_no_consumer(
    create_app, settings_class, make_database, bootstrap, kek_b64, tmp_path, monkeypatch
):
    """Item 8: referral and archive handle no event yet, so they must not join a group."""
    monkeypatch.setattr(service_app, "configure_logging", lambda *a, **k: None)  # keep caplog's
    monkeypatch.setenv(devissuer.DIR_ENV, str(tmp_path))
    settings = settings_class(
        database_url=await make_database(),
        keystore_database_url=await make_database(),
        kek=kek_b64,
        kafka_bootstrap_servers=bootstrap,
        dev_auth=True,
        gc_young_threshold=0,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert app.state.backbone.runner is None
        assert "consumer" not in (await app.state.backbone.readiness())["checks"]


async def test_replicas_without_partitions_stand_by_without_restarting(pair, new_topic):
    """Item 9: three runners of one group on a one-partition topic: the two without a
    partition are healthy standbys, not stalled; nobody restarts (no rebalance storm) over
    several stall periods, and the events are still handled once."""
    a, b, dlq = pair
    topic = await new_topic(1)
    a.topic = topic
    runners = [
        b.runner([topic], {"case.noted": record_effect}, dlq, stall_seconds=1) for _ in range(3)
    ]
    for runner in runners:
        b.start(runner.run())
    a.start(a.relay().run())
    for i in range(10):  # arriving while the group forms and over a few stall periods
        await append_notes(a, f"wave-{i}", 1)
        await asyncio.sleep(0.5)
    await eventually(handled(b, 10))
    await asyncio.sleep(4)  # four more stall periods with nothing to do
    assert [runner.status.restarts for runner in runners] == [0, 0, 0]
    assert sorted(runner.status.state for runner in runners) == ["running", "standby", "standby"]
    assert set((await b.effects()).values()) == {1}


class Guardian(BaseModel):
    age: int


async def test_dead_letter_headers_and_logs_name_the_error_type_never_its_text(
    pair, bootstrap, caplog
):
    """Item 11: a handler's exception text (here with a synthetic name in it, and pydantic's
    echo of the input) reaches neither the DLQ headers nor the log, nor the status report;
    the reason is `handler-failed:<type>`."""
    caplog.set_level(logging.DEBUG, logger="events")
    a, b, dlq = pair

    async def leaks(envelope: Envelope, uow: UnitOfWork) -> None:
        if envelope.data["note_code"] == "no-guardian":
            raise KeyError(f"no guardian on file for {SYNTHETIC_NAME}")
        if envelope.data["note_code"] == "bad-form":
            Guardian.model_validate({"age": SYNTHETIC_NAME})  # echoes the input value
        await record_effect(envelope, uow)

    codes = ("ok", "no-guardian", "bad-form", "ok")
    await a.append("case-1", 0, [CaseNoted(note_code=code) for code in codes])
    a.start(a.relay().run())
    runner = b.runner([a.topic], {"case.noted": leaks}, dlq, max_attempts=2)
    b.start(runner.run())
    await eventually(handled(b, 2))
    dead = await read_topic(bootstrap, dlq, 2)

    reasons = sorted(dict(record.headers)["dlq.reason"] for record in dead)
    assert reasons == [b"handler-failed:KeyError", b"handler-failed:ValidationError"]
    for record in dead:
        assert all(SYNTHETIC_NAME.encode() not in value for _, value in record.headers)
    assert "handler-failed:KeyError" in caplog.text  # the failures were logged...
    assert SYNTHETIC_NAME not in caplog.text  # ...without what they said
    assert all(SYNTHETIC_NAME not in r.getMessage() for r in caplog.records)
    assert SYNTHETIC_NAME not in str(runner.status.report())


async def test_a_record_whose_hash_does_not_match_is_dead_lettered_at_once_and_never_handled(
    pair, bootstrap
):
    """Tamper evidence on the consumer side: a record changed after sealing, produced straight
    to the topic, goes to the DLQ with `hash-mismatch` on the first attempt; the genuine record
    behind it is handled."""
    a, b, dlq = pair
    forged = sealed("case-forged", "genuine").to_wire()
    forged["data"]["note_code"] = "forged"
    genuine = sealed("case-genuine").to_wire()
    await produce(bootstrap, a.topic, [forged, genuine])
    b.start(b.runner([a.topic], {"case.noted": record_effect}, dlq).run())

    await eventually(handled(b, 1))
    [dead] = await read_topic(bootstrap, dlq, 1)
    headers = dict(dead.headers)
    assert headers["dlq.reason"] == b"hash-mismatch" and headers["dlq.attempts"] == b"1"
    assert json.loads(dead.value)["id"] == forged["id"]
    assert await b.effects() == {genuine["id"]: 1}


async def test_an_envelope_from_a_newer_producer_with_an_unknown_attribute_is_handled(
    pair, bootstrap
):
    """Item 10 end to end: an extra envelope attribute, sealed by its producer, is ignored by
    the consumer rather than dead-lettered, and its hash verifies."""
    a, b, dlq = pair
    document = {k: v for k, v in sealed("case-future").to_wire().items() if k != "hash"}
    document["tenantid"] = "tenant-synthetic-1"
    document["hash"] = sha256_hex(document)
    await produce(bootstrap, a.topic, [document])
    runner = b.runner([a.topic], {"case.noted": record_effect}, dlq)
    b.start(runner.run())

    await eventually(handled(b, 1))
    assert await b.effects() == {document["id"]: 1} and runner.dead_lettered == 0
