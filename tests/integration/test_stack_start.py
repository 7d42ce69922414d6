"""A first start that always works (issue 12, section 4): the stack scripts start PostgreSQL,
Kafka and the five services from an empty data folder on other ports than the running stack,
several times in a row, each time answer `/ready` and stop cleanly, leaving no process and no
port behind. Runs beside the stack the suite uses (CARELEDGER_LOCAL_DIR, other ports)."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "assessment", "referral", "archive", "notify")
ROUNDS = 3


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def empty_folder() -> Iterator[Path]:
    """An empty folder the cluster owner (postgres, when run as root) can reach."""
    (ROOT / ".local").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="stack-start-", dir=ROOT / ".local"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def run(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_stack_and_the_services_start_from_empty_and_stop_several_times(empty_folder):
    for round_ in range(ROUNDS):
        folder = empty_folder / f"round-{round_}"
        folder.mkdir(mode=0o755)
        ports = free_ports(8)
        env = {
            **{k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")},
            "CARELEDGER_LOCAL_DIR": str(folder),
            "CARELEDGER_DEV_ISSUER_DIR": str(folder / "dev-issuer"),
            "CARELEDGER_PG_PORT": str(ports[0]),
            "CARELEDGER_KAFKA_PORT": str(ports[1]),
            "CARELEDGER_KAFKA_CONTROLLER_PORT": str(ports[2]),
            **{f"{s.upper()}_PORT": str(p) for s, p in zip(SERVICES, ports[3:], strict=True)},
        }
        try:
            up = run(["bash", "deploy/stack.sh", "up"], env, timeout=300)
            assert "stack: up" in up.stdout
            run(["bash", "deploy/services.sh", "start"], env, timeout=300)
            for port in ports[3:]:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=10)
                assert ready.status_code == 200, ready.text
        finally:
            subprocess.run(["bash", "deploy/services.sh", "stop"], cwd=ROOT, env=env, timeout=120)
            subprocess.run(["bash", "deploy/stack.sh", "down"], cwd=ROOT, env=env, timeout=120)
        time.sleep(0.5)
        still = [p for p in ports if listening(p)]
        assert not still, f"round {round_}: still listening on {still}"
        assert not list((folder / "run").glob("*.pid")), "a service pid file was left behind"
