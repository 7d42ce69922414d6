"""The broker goes away and comes back: the relay and the consumer recover by themselves,
nothing is lost and nothing takes effect twice. Restarts the real local Kafka broker."""

import asyncio
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import start_service, wait_until
from tests.integration.harness import eventually, record_effect
from tests.sample_events import CaseNoted

pytestmark = pytest.mark.chaos
STACK = Path(__file__).resolve().parents[2] / "deploy/stack.sh"


def broker(action: str) -> None:
    subprocess.run(["bash", str(STACK), f"kafka-{action}"], check=True, timeout=180)


async def test_relay_and_consumer_recover_after_a_broker_restart(pair, database_url, tmp_path):
    a, b, dlq = pair
    service = start_service("referral", database_url, tmp_path)  # a real process, for /ready
    try:
        await asyncio.to_thread(wait_until, service, "/ready", 200)
        relay = a.relay()
        runner = b.runner([a.topic], {"case.noted": record_effect}, dlq, stall_seconds=5)
        a.start(relay.run())
        b.start(runner.run())

        def effects_count(n: int):
            async def check() -> bool:
                return len(await b.effects()) >= n

            return check

        for i in range(5):
            await a.append(f"case-{i}", 0, [CaseNoted(note_code="before", seq=i)])
        await eventually(effects_count(5), within=60)

        broker("stop")
        try:
            for i in range(5):  # written while the broker is down: they wait in the outbox
                await a.append(f"case-{i}", 1, [CaseNoted(note_code="during", seq=i)])
            await asyncio.sleep(3)
            assert await relay.backlog() >= 1
            not_ready = await asyncio.to_thread(wait_until, service, "/ready", 503)
            assert not_ready.json()["checks"]["kafka"]["ok"] is False
        finally:
            broker("start")

        for i in range(5):
            await a.append(f"case-{i}", 2, [CaseNoted(note_code="after", seq=i)])
        await eventually(effects_count(15), within=120)
        await asyncio.sleep(2)
        effects = await b.effects()
        assert len(effects) == 15 and set(effects.values()) == {1}
        assert await relay.backlog() == 0
        assert relay.status.state == "running" and runner.status.state == "running"
        await asyncio.to_thread(wait_until, service, "/ready", 200)
    finally:
        assert service.stop() in {0, -15}  # uvicorn re-raises the SIGTERM it handled
