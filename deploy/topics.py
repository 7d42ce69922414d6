"""Create CareLedger's Kafka topics, idempotently.

Run with the project's virtualenv:

    .venv/bin/python deploy/topics.py            # create missing topics
    .venv/bin/python deploy/topics.py --check    # exit 0 if the broker answers
    .venv/bin/python deploy/topics.py --list     # print the desired topics

Environment:
    KAFKA_BOOTSTRAP_SERVERS       default 127.0.0.1:9092
    CARELEDGER_KAFKA_REPLICATION  replication factor, default 1
    CARELEDGER_KAFKA_MIN_ISR      min.insync.replicas, default 1

Existing topics are left exactly as they are (no partition or config changes);
a differing partition count is reported but not altered.

The topic list lives in `desired_topics()` so that other code (tests, tooling)
can import it instead of repeating names.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiokafka.admin import AIOKafkaAdminClient

SERVICES: tuple[str, ...] = ("intake", "assessment", "referral", "archive", "notify")

EVENTS_PARTITIONS = 6
DLQ_PARTITIONS = 1
RETAIN_FOREVER = "-1"

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str] = field(default_factory=dict)


def events_topic(service: str) -> str:
    return f"careledger.{service}.events.v1"


def dlq_topic(service: str) -> str:
    return f"careledger.dlq.{service}"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        sys.exit(f"topics: {name}={raw!r} is not an integer")
    if value < 1:
        sys.exit(f"topics: {name} must be >= 1, got {value}")
    return value


def desired_topics(
    replication_factor: int | None = None, min_insync_replicas: int | None = None
) -> list[TopicSpec]:
    """Every topic CareLedger needs, with explicit partitions and configs."""
    rf = replication_factor or _env_int("CARELEDGER_KAFKA_REPLICATION", 1)
    min_isr = min_insync_replicas or _env_int("CARELEDGER_KAFKA_MIN_ISR", 1)
    if min_isr > rf:
        sys.exit(f"topics: min.insync.replicas ({min_isr}) > replication factor ({rf})")
    common = {
        "cleanup.policy": "delete",
        "retention.ms": RETAIN_FOREVER,  # the event log is the system of record
        "retention.bytes": "-1",
        "min.insync.replicas": str(min_isr),
    }
    topics: list[TopicSpec] = []
    for service in SERVICES:
        topics.append(TopicSpec(events_topic(service), EVENTS_PARTITIONS, rf, dict(common)))
        topics.append(TopicSpec(dlq_topic(service), DLQ_PARTITIONS, rf, dict(common)))
    return topics


def bootstrap_servers() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip() or DEFAULT_BOOTSTRAP


def _admin(bootstrap: str, timeout_ms: int) -> AIOKafkaAdminClient:
    from aiokafka.admin import AIOKafkaAdminClient

    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="careledger-topics",
        request_timeout_ms=timeout_ms,
    )


async def check(bootstrap: str, timeout_s: float) -> bool:
    """True if the broker answers a metadata request within timeout_s."""
    admin = _admin(bootstrap, int(timeout_s * 1000))
    try:
        async with asyncio.timeout(timeout_s):
            await admin.start()
            await admin.list_topics()
        return True
    except Exception:  # any failure means "not ready yet"
        return False
    finally:
        with contextlib.suppress(Exception):  # best effort on a half-started client
            await admin.close()


async def ensure_topics(bootstrap: str, timeout_s: float = 30.0) -> int:
    from aiokafka.admin import NewTopic
    from aiokafka.errors import TopicAlreadyExistsError, for_code

    specs = desired_topics()
    admin = _admin(bootstrap, int(timeout_s * 1000))
    failures = 0
    try:
        await admin.start()
        existing = {t["topic"]: t for t in await admin.describe_topics()}
        missing = [s for s in specs if s.name not in existing]
        results: dict[str, str] = {}
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(
                        name=s.name,
                        num_partitions=s.partitions,
                        replication_factor=s.replication_factor,
                        topic_configs=s.configs,
                    )
                    for s in missing
                ],
                timeout_ms=int(timeout_s * 1000),
            )
            for entry in response.topic_errors:
                name, code = entry[0], entry[1]
                message = entry[2] if len(entry) > 2 else None
                if code == 0:
                    results[name] = "created"
                elif for_code(code) is TopicAlreadyExistsError:
                    results[name] = "exists"
                else:
                    failures += 1
                    err = for_code(code).__name__
                    results[name] = f"FAILED: {err}" + (f" ({message})" if message else "")
        for spec in specs:
            if spec.name in existing:
                status = "exists"
                have = len(existing[spec.name].get("partitions") or [])
                if have and have != spec.partitions:
                    status += f" (has {have} partitions, desired {spec.partitions}; left as is)"
            else:
                status = results.get(spec.name, "FAILED: no answer from broker")
                if status.startswith("FAILED") and spec.name not in results:
                    failures += 1
            print(f"topic {spec.name}: {status}", flush=True)
        await _warm_up_group_coordinator(admin, timeout_s)
    finally:
        await admin.close()
    return 1 if failures else 0


async def _warm_up_group_coordinator(admin: AIOKafkaAdminClient, timeout_s: float) -> None:
    """Ask for a group coordinator once, so that a freshly formatted broker creates
    __consumer_offsets now rather than during the first consumer's join."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            await admin.find_coordinator("careledger-stack-warmup")
            print("group coordinator: ready", flush=True)
            return
        except Exception as exc:
            if loop.time() >= deadline:
                print(f"group coordinator: not ready yet ({exc!r})", flush=True)
                return
            await asyncio.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 0 if the broker answers")
    mode.add_argument("--list", action="store_true", help="print the desired topics and exit")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    args = parser.parse_args(argv)

    if args.list:
        for spec in desired_topics():
            configs = ",".join(f"{k}={v}" for k, v in sorted(spec.configs.items()))
            rf = spec.replication_factor
            print(f"{spec.name} partitions={spec.partitions} rf={rf} {configs}")
        return 0

    bootstrap = bootstrap_servers()
    if args.check:
        return 0 if asyncio.run(check(bootstrap, args.timeout)) else 1

    # A freshly started broker may answer metadata before it accepts CreateTopics;
    # retry a few times on transport errors.
    attempts = 5
    for attempt in range(1, attempts + 1):
        try:
            return asyncio.run(ensure_topics(bootstrap, args.timeout))
        except Exception as exc:
            if attempt == attempts:
                print(f"topics: giving up on {bootstrap}: {exc!r}", file=sys.stderr)
                return 1
            print(f"topics: {exc!r}; retrying ({attempt}/{attempts})", file=sys.stderr)
            time.sleep(2)
    return 1


if __name__ == "__main__":
    sys.exit(main())
