"""Outbox -> Kafka -> consumer in another service, with crashes in the worst places.
Real PostgreSQL (one database per simulated service) and the real Kafka broker."""

import asyncio
import json
from collections import Counter

import pytest
from aiokafka import AIOKafkaProducer

from events.envelope import Envelope, Metadata
from events.errors import KeyShredded
from events.uow import UnitOfWork
from tests.integration.harness import Service, envelopes, eventually, read_topic, record_effect
from tests.sample_events import CaseNoted, ChildReported

META = Metadata(actor="worker-1")


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing inside may catch it."""


def all_published(service: Service):
    async def check() -> bool:
        return await service.relay().backlog() == 0

    return check


def handled(service: Service, count: int):
    async def check() -> bool:
        return len(await service.effects()) >= count

    return check


async def test_events_flow_from_an_outbox_through_kafka_to_a_consumer_in_another_service(
    pair, bootstrap
):
    a, b, dlq = pair
    decoded: list[object] = []

    async def on_reported(envelope: Envelope, uow: UnitOfWork) -> None:
        decoded.append(await b.store.decode(envelope))
        await record_effect(envelope, uow)

    for case in range(4):
        await a.append(
            f"case-{case}", 0, [ChildReported(child_name=f"儿童{case}", description="d")]
        )
        await a.append(f"case-{case}", 1, [CaseNoted(note_code=str(i), seq=i) for i in range(4)])
    a.start(a.relay().run())
    b.start(
        b.runner([a.topic], {"child.reported": on_reported, "case.noted": record_effect}, dlq).run()
    )

    await eventually(handled(b, 20))
    assert set((await b.effects()).values()) == {1}
    assert sorted(e.child_name for e in decoded) == [f"儿童{i}" for i in range(4)]
    records = await read_topic(bootstrap, a.topic, 20)
    assert len(records) == 20
    by_key: dict[str, list[int]] = {}
    for record, env in zip(records, envelopes(records), strict=True):
        assert record.key.decode() == env.subject  # key = case id: per-case order
        by_key.setdefault(env.subject, []).append(env.stream_version)
    assert all(versions == [1, 2, 3, 4, 5] for versions in by_key.values())
    assert await a.relay().backlog() == 0


async def test_a_row_that_commits_late_amid_the_rows_in_flight_is_published_once(pair, bootstrap):
    """Under a backlog the relay reads ahead while it sends. A transaction that took its outbox
    id early and commits late, amid the rows in flight, is published once, and exactly once."""
    a, _, _ = pair
    for i in range(3):
        await a.append(f"case-{i}", 0, [CaseNoted(note_code="x", seq=j) for j in range(10)])
    async with a.uow() as late:  # its outbox id comes after the 30 rows above ...
        await late.append("case-late", 0, [CaseNoted(note_code="late")], META)
        for i in range(3, 12):  # ... and before these 90
            await a.append(f"case-{i}", 0, [CaseNoted(note_code="x", seq=j) for j in range(10)])
        relay = a.relay(batch_size=50)
        assert await relay.publish_batch() == 50  # ids 1-30 and 32-51; 52-101 read ahead
        assert await relay.publish_batch() == 50  # 102-121 read ahead
        await late.commit()  # id 31: unpublished, amid the rows in flight
    a.start(relay.run())
    await eventually(all_published(a))
    copies = Counter(e.subject for e in envelopes(await read_topic(bootstrap, a.topic, 121)))
    assert copies["case-late"] == 1 and sum(copies.values()) == 121


async def test_relay_killed_between_publish_and_mark_loses_nothing_and_causes_no_double_effect(
    pair, bootstrap
):
    a, b, dlq = pair

    async def die_after_publish(stage: str, rows: object) -> None:
        raise Killed(stage)

    for i in range(10):
        await a.append(f"case-{i}", 0, [CaseNoted(note_code="x", seq=i)])
    with pytest.raises(Killed):
        await a.relay(fault=die_after_publish).run()
    assert await a.relay().backlog() == 10  # published, but never marked
    assert len(await read_topic(bootstrap, a.topic, 10)) == 10

    a.start(a.relay().run())  # the restarted relay publishes the same rows again
    await eventually(all_published(a))
    copies = Counter(e.id for e in envelopes(await read_topic(bootstrap, a.topic, 20)))
    assert len(copies) == 10 and set(copies.values()) == {2}

    b.start(b.runner([a.topic], {"case.noted": record_effect}, dlq).run())
    await eventually(handled(b, 10))
    await asyncio.sleep(1)  # give the duplicates time to arrive too
    effects = await b.effects()
    assert len(effects) == 10 and set(effects.values()) == {1}


async def test_consumer_killed_mid_handler_causes_no_double_effect(pair):
    a, b, dlq = pair
    entered = asyncio.Event()
    calls: Counter[str] = Counter()

    async def hangs_the_first_time(envelope: Envelope, uow: UnitOfWork) -> None:
        calls[envelope.id] += 1
        await record_effect(envelope, uow)  # written inside the transaction...
        if len(calls) == 1 and calls[envelope.id] == 1:
            entered.set()
            await asyncio.Event().wait()  # ...and the process dies here, before commit

    for i in range(5):
        await a.append(f"case-{i}", 0, [CaseNoted(note_code="x", seq=i)])
    a.start(a.relay().run())
    first = b.start(b.runner([a.topic], {"case.noted": hangs_the_first_time}, dlq).run())
    await asyncio.wait_for(entered.wait(), 30)
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    assert await b.effects() == {}  # the transaction died with the handler

    b.start(b.runner([a.topic], {"case.noted": hangs_the_first_time}, dlq).run())
    await eventually(handled(b, 5))
    assert max(calls.values()) == 2  # the interrupted event really was handled twice...
    assert set((await b.effects()).values()) == {1}  # ...but took effect once


async def test_consumer_killed_after_its_transaction_but_before_the_offset_commit_is_deduplicated(
    pair,
):
    a, b, dlq = pair
    calls: Counter[str] = Counter()

    async def counting(envelope: Envelope, uow: UnitOfWork) -> None:
        calls[envelope.id] += 1
        await record_effect(envelope, uow)

    async def die_before_offset_commit(stage: str, records: object) -> None:
        raise Killed(stage)

    for i in range(6):
        await a.append(f"case-{i}", 0, [CaseNoted(note_code="x", seq=i)])
    a.start(a.relay().run())
    with pytest.raises(Killed):
        await b.runner(
            [a.topic], {"case.noted": counting}, dlq, fault=die_before_offset_commit
        ).run()
    b.start(b.runner([a.topic], {"case.noted": counting}, dlq).run())
    await eventually(handled(b, 6))
    assert max(calls.values()) == 2  # the batch was delivered again after the crash...
    assert set((await b.effects()).values()) == {1}  # ...and the inbox kept it to one effect


async def test_a_poison_message_lands_in_the_dead_letter_topic_after_the_retries_with_its_reason(
    pair, bootstrap
):
    a, b, dlq = pair
    attempts: Counter[str] = Counter()

    async def rejects_poison(envelope: Envelope, uow: UnitOfWork) -> None:
        attempts[envelope.id] += 1
        if envelope.data["note_code"] == "poison":
            raise ValueError("note code 'poison' is not allowed")
        await record_effect(envelope, uow)

    await a.append("case-1", 0, [CaseNoted(note_code=c) for c in ("ok", "poison", "ok")])
    a.start(a.relay().run())
    runner = b.runner([a.topic], {"case.noted": rejects_poison}, dlq, max_attempts=3)
    b.start(runner.run())
    await eventually(handled(b, 2))
    [dead] = await read_topic(bootstrap, dlq, 1)
    headers = {k: v.decode() for k, v in dead.headers}
    poisoned = Envelope.model_validate(json.loads(dead.value))
    assert poisoned.data["note_code"] == "poison" and attempts[poisoned.id] == 3
    assert headers["dlq.reason"] == "handler-failed:ValueError"  # the type, never the text
    assert headers["dlq.original_topic"] == a.topic and headers["dlq.attempts"] == "3"
    [original] = [r for r in await read_topic(bootstrap, a.topic, 3) if r.value == dead.value]
    assert headers["dlq.original_partition"] == str(original.partition)
    assert headers["dlq.original_offset"] == str(original.offset)
    assert poisoned.id not in await b.effects()


async def test_an_undecodable_message_is_dead_lettered_at_once(pair, bootstrap):
    a, b, dlq = pair
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    await producer.send_and_wait(a.topic, b"{not json", key=b"case-1")
    await producer.stop()
    b.start(b.runner([a.topic], {"case.noted": record_effect}, dlq).run())
    [dead] = await read_topic(bootstrap, dlq, 1)
    headers = dict(dead.headers)
    assert headers["dlq.reason"] == b"undecodable:JSONDecodeError"
    assert headers["dlq.attempts"] == b"1" and dead.value == b"{not json"


async def test_a_shredded_key_makes_the_kafka_copy_unreadable_too(pair, bootstrap):
    a, b, _ = pair
    await a.append(
        "report-7", 0, [ChildReported(child_name="赵六", description="被遗弃")], key_scope="case-7"
    )
    a.start(a.relay().run())
    [record] = await read_topic(bootstrap, a.topic, 1)
    assert "赵六".encode() not in record.value and "被遗弃".encode() not in record.value
    [copy] = envelopes([record])
    assert (await b.store.decode(copy)).child_name == "赵六"
    await a.store.cipher.keys.shred("case-7", reason="project handover")
    with pytest.raises(KeyShredded):
        await b.store.decode(copy)
    assert copy.data["child_name"] != "赵六"
