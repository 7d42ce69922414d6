"""`python -m tests.bench.own_topic <service> <topic> [module [args...]]`: the service as
`python -m <service>` runs it (or `module`, e.g. `tests.bench.sampled`, with its arguments),
its events published to `topic` instead of `careledger.<service>.events.v1`.

A benchmark publishes thousands of synthetic events. On the stack's own topics (kept forever,
the event log being the system of record) they would stay, and every new consumer group reads a
topic from its start: each test that starts a service would first wade through them (notify
catching up on tens of thousands of reports outlasts the time an end-to-end test waits). A
topic of its own, with the partitions of the real one (`topic_for` makes it, `drop_topic`
removes it), keeps the measured path the same and leaves nothing behind.
"""

import runpy
import sys
from uuid import uuid4

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

EVENTS_PARTITIONS = 6  # as deploy/topics.py makes the services' events topics


async def topic_for(bootstrap: str, service: str) -> str:
    name = f"bench.{uuid4().hex[:12]}.{service}.events"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, EVENTS_PARTITIONS, 1)])
    finally:
        await admin.close()
    return name


async def drop_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([name])
    finally:
        await admin.close()


def argv(service: str, topic: str, *module: str) -> list[str]:
    """The command line that runs `service` (or `module`) publishing to `topic`."""
    return [sys.executable, "-m", "tests.bench.own_topic", service, topic, *module]


def main() -> None:
    service, topic, *rest = sys.argv[1:]
    from events import kafka

    real = kafka.events_topic
    # Looked up through the module when the service's backbone is built, after this.
    kafka.events_topic = lambda name: topic if name == service else real(name)
    module = rest[0] if rest else service
    sys.argv = [module, *rest[1:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
