"""The local stack's scripts judge a process dead only when it is (issue 12, section 4: a first
`make run` gave up on a broker that answered two seconds later)."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid_command: str, tmp_path: Path) -> str:
    script = f"""
source deploy/lib/common.sh >/dev/null 2>&1
source deploy/lib/kafka.sh
KAFKA_PID_FILE={tmp_path}/kafka.pid
{pid_command}
if kafka_alive; then echo alive; else echo dead; fi
kill %1 2>/dev/null || true
"""
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def test_a_starting_broker_whose_command_line_is_not_java_yet_counts_as_alive(tmp_path):
    """Before the launcher exec's java, /proc shows another command: not a death."""
    assert _alive(f"sleep 30 & echo $! > {tmp_path}/kafka.pid", tmp_path) == "alive"


def test_a_broker_whose_process_is_gone_counts_as_dead(tmp_path):
    assert _alive(f"echo 999999 > {tmp_path}/kafka.pid", tmp_path) == "dead"


def test_a_broker_that_exited_and_was_not_reaped_yet_counts_as_dead(tmp_path):
    command = f"sh -c 'exit 3' & echo $! > {tmp_path}/kafka.pid; sleep 0.3"
    assert _alive(command, tmp_path) == "dead"
