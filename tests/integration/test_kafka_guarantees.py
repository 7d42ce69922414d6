"""What the backbone relies on from aiokafka 0.14 against the Kafka 4.x broker we run:
the idempotent producer, and transactions (read_committed consumers see only committed data)."""

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from events import kafka


async def _read_all(bootstrap: str, topic: str, isolation: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level=isolation
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        values: list[bytes] = []
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            values += [r.value for r in batch.get(tp, [])]
        return values
    finally:
        await consumer.stop()


async def test_the_idempotent_producer_delivers_every_message_once_and_in_order(
    bootstrap, new_topic
):
    topic = await new_topic(1)
    producer = kafka.make_producer(bootstrap, "guarantees")
    await producer.start()
    try:
        pending = [await producer.send(topic, str(i).encode(), key=b"case-1") for i in range(300)]
        for future in pending:
            await future
    finally:
        await producer.stop()
    assert await _read_all(bootstrap, topic, "read_committed") == [
        str(i).encode() for i in range(300)
    ]


async def test_transactions_show_committed_and_hide_aborted_messages(bootstrap, new_topic):
    topic = await new_topic(1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"tx-{topic}")
    await producer.start()
    try:
        async with producer.transaction():
            for i in range(3):
                await producer.send(topic, f"committed-{i}".encode())
        await producer.begin_transaction()
        for i in range(2):
            await producer.send(topic, f"aborted-{i}".encode())
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send(topic, b"committed-3")
    finally:
        await producer.stop()
    committed = [f"committed-{i}".encode() for i in range(4)]
    assert await _read_all(bootstrap, topic, "read_committed") == committed
    uncommitted = await _read_all(bootstrap, topic, "read_uncommitted")
    assert b"aborted-0" in uncommitted and b"aborted-1" in uncommitted


async def test_a_consumer_with_a_small_prefetch_still_receives_the_largest_event(
    bootstrap, new_topic
):
    """The services' consumers prefetch 64 KiB a partition (memory while catching up on a
    topic's history); an event of the largest size an append accepts (`MAX_EVENT_BYTES`)
    still arrives whole, between two small ones, in order."""
    from events.store import MAX_EVENT_BYTES

    topic = await new_topic(1)
    large = b"x" * (MAX_EVENT_BYTES - 1000)
    producer = kafka.make_producer(bootstrap, "guarantees-large")
    await producer.start()
    try:
        for value in (b"small-1", large, b"small-2"):
            await (await producer.send(topic, value, key=b"case-1"))
    finally:
        await producer.stop()
    consumer = kafka.make_consumer(bootstrap, f"group-{topic}", [topic], "guarantees-large")
    await consumer.start()
    try:
        received: list[bytes] = []
        for _ in range(30):
            batches = await consumer.getmany(timeout_ms=1000)
            received += [r.value for records in batches.values() for r in records]
            if len(received) >= 3:
                break
    finally:
        await consumer.stop()
    assert [len(v) for v in received] == [7, len(large), 7]
    assert received[1] == large
