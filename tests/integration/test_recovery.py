"""Recovery from client failures that aiokafka does not heal by itself."""

import asyncio

from aiokafka.errors import OutOfOrderSequenceNumber

from events import kafka
from tests.integration.harness import Service, eventually, read_topic, record_effect
from tests.sample_events import CaseNoted


class FailingOnce:
    """A real producer whose first send fails as an idempotent producer does when its
    sequence numbers are out of step: it stays broken until it is recreated."""

    made = 0

    def __init__(self, bootstrap: str) -> None:
        FailingOnce.made += 1
        self.real = kafka.make_producer(bootstrap, "relay")
        self.broken = FailingOnce.made == 1

    async def start(self) -> None:
        await self.real.start()

    async def stop(self) -> None:
        await self.real.stop()

    async def send_batch(self, *args, **kwargs):
        if self.broken:
            raise OutOfOrderSequenceNumber()
        return await self.real.send_batch(*args, **kwargs)

    def create_batch(self):
        return self.real.create_batch()

    async def partitions_for(self, topic: str) -> set[int]:
        return await self.real.partitions_for(topic)


async def test_relay_recreates_a_producer_stuck_on_out_of_order_sequence(
    make_database, keystore, new_topic, bootstrap
):
    topic = await new_topic(3)
    a = await Service.create("intake", await make_database(), keystore, topic, bootstrap)
    try:
        for i in range(4):
            await a.append(f"case-{i}", 0, [CaseNoted(note_code="x", seq=i)])
        FailingOnce.made = 0
        relay = a.relay()
        relay.producer_factory = lambda: FailingOnce(bootstrap)  # type: ignore[assignment,return-value]
        a.start(relay.run())

        async def drained() -> bool:
            return await relay.backlog() == 0

        await eventually(drained)
        assert FailingOnce.made == 2 and relay.status.restarts >= 1
        assert "OutOfOrderSequenceNumber" in (relay.status.last_error or "")
        assert len(await read_topic(bootstrap, topic, 4)) == 4
    finally:
        await a.close()


async def test_a_consumer_that_makes_no_progress_while_messages_wait_is_recreated(
    make_database, keystore, new_topic, bootstrap
):
    """Stands for a consumer stuck after a broker restart or rebalance: it fetches nothing."""
    topic, dlq = await new_topic(1), await new_topic(1)
    a = await Service.create("intake", await make_database(), keystore, topic, bootstrap)
    b = await Service.create("assessment", await make_database(), keystore, topic, bootstrap)
    made = []

    def stuck_first(topics: list[str]):
        consumer = kafka.make_consumer(bootstrap, "assessment", topics, "assessment")
        made.append(consumer)
        if len(made) == 1:

            async def receives_nothing(*args, **kwargs):
                await asyncio.sleep(0.5)
                return {}

            consumer.getmany = receives_nothing  # type: ignore[method-assign]
        return consumer

    try:
        await a.append("case-1", 0, [CaseNoted(note_code="x")])
        a.start(a.relay().run())
        runner = b.runner([topic], {"case.noted": record_effect}, dlq, stall_seconds=3)
        runner.consumer_factory = stuck_first
        b.start(runner.run())

        async def handled() -> bool:
            return len(await b.effects()) == 1

        await eventually(handled, within=60)
        assert len(made) >= 2 and "ConsumerStalled" in (runner.status.last_error or "")
    finally:
        await a.close()
        await b.close()
