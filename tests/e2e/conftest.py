"""Runs real service processes (`python -m <service>`), as `make run` does, on free ports and
throwaway databases, against the local stack."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "assessment", "referral", "archive", "notify")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait(5)
        return int(self.process.returncode)


def start_service(
    name: str, database_url: str, log_dir: Path, argv: list[str] | None = None, **extra_env: str
) -> Running:
    """`python -m <name>` (or `argv`, e.g. a benchmark's wrapper) on a free port."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'libs'}:{ROOT / 'services'}",
        "CARELEDGER_DEV_AUTH": "true",
        f"{name.upper()}_DATABASE_URL": database_url,
        f"{name.upper()}_PORT": str(port),
        f"{name.upper()}_CONSUMER_STALL_SECONDS": "20",
        # Its own consumer group: never takes partitions from another process on the broker.
        f"{name.upper()}_CONSUMER_GROUP": f"{name}-test-{port}",
        **extra_env,
    }
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv or [sys.executable, "-m", name],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Running(name, port, process, log)


def wait_until(service: Running, path: str, status: int, within: float = 60) -> httpx.Response:
    deadline = time.monotonic() + within
    last: object = None
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise AssertionError(f"{service.name} exited:\n{service.log.read_text()[-3000:]}")
        try:
            response = httpx.get(service.url + path, timeout=2)
            if response.status_code == status:
                return response
            last = response.text
        except httpx.TransportError as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"{service.name}{path} never answered {status}; last: {last}")


@pytest.fixture(scope="module")
def services(stack, tmp_path_factory) -> Iterator[dict[str, Running]]:
    """All five services, each on its own new database, ready."""
    import asyncio

    from tests.conftest import _asyncpg_url, _create_database, _drop_database

    admin = stack["CARELEDGER_PG_ADMIN_URL"]
    names = {s: asyncio.run(_create_database(admin)) for s in SERVICES}
    logs = tmp_path_factory.mktemp("service-logs")
    running = {s: start_service(s, _asyncpg_url(admin, names[s]), logs) for s in SERVICES}
    try:
        for service in running.values():
            wait_until(service, "/ready", 200)
        yield running
    finally:
        for service in running.values():
            service.stop()
        for db in names.values():
            asyncio.run(_drop_database(admin, db))
