"""`python -m tests.bench.sampled <service> <out.json>`: the service as `python -m <service>`
runs it, with pyinstrument sampling its event loop thread every millisecond between SIGUSR1 and
SIGUSR2; SIGUSR2 writes the time spent in each stage of a request to `out.json`.

Time goes to the innermost frame on the stack that names a stage (STAGES), so the database
driver's work inside the store counts as store and pydantic inside sealing as sealing. Time in
the event loop itself, with no task running, is waiting on the network (PostgreSQL, Kafka,
clients). SQLAlchemy calls the driver in greenlets, whose stacks do not show which stage called:
that CPU is a stage of its own.
"""

import json
import runpy
import signal
import sys
from collections import defaultdict
from pathlib import Path

from pyinstrument import Profiler
from pyinstrument.frame import Frame

Seconds = defaultdict[str, float]
WAITING = "waiting (network, database)"
DRIVER = "database driver (SQLAlchemy, asyncpg)"
OTHER = "server, routing, event loop"
# The loop in C (uvloop) with no task running shows as the thread's own time ("[self]").
IDLE = ("asyncio/runners.py:run", "selectors.py:select", "None:[self]", "<thread>:MainThread")


def stages(service: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(stage, fragments of `path:function` of its frames)."""
    return (
        ("token check", ("events/auth.py", "/jwt/")),
        ("request validation", ("fastapi/dependencies/utils.py",)),
        ("response", ("fastapi/encoders.py", "starlette/responses.py", "routing.py:serialize")),
        ("rules (domain)", (f"{service}/domain/",)),
        ("key store", ("events/keystore.py",)),
        ("sealing (hash, encryption)", ("events/crypto.py", "events/envelope.py")),
        ("event store", ("events/store.py", "events/uow.py")),
        ("read models", (f"{service}/projections", f"{service}/queries.py")),
        ("handler", (f"{service}/handlers",)),
        ("route", (f"{service}/api/",)),
        ("outbox relay", ("events/outbox.py",)),
        ("consumer", ("events/consumer.py",)),
        ("logging, metrics", ("/logging/", "structlog", "prometheus_client", "events/logs.py")),
        # SQLAlchemy runs the driver calls in greenlets, whose stacks do not show the caller.
        (DRIVER, ("sqlalchemy/", "asyncpg/", "greenlet")),
    )


def stage_of(frame: Frame, table: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    where = f"{frame.file_path}:{frame.function}"
    for stage, fragments in table:
        if any(fragment in where for fragment in fragments):
            return stage
    return None


def attribute(
    frame: Frame, table: tuple, outer: str | None, seconds: "Seconds", other: "Seconds"
) -> None:
    """Add each frame's own time to the innermost stage on its stack."""
    stage = stage_of(frame, table) or outer
    own = frame.total_self_time
    where = f"{frame.file_path}:{frame.function}"
    if own:
        # A greenlet waiting for the driver's answer keeps its frames: the thread's own time
        # under them is the loop waiting too.
        idle = stage in (None, DRIVER) and any(f in where for f in IDLE)
        seconds[WAITING if idle else stage or OTHER] += own
        if not idle and stage in (None, DRIVER):
            other[where] += own
    for child in frame.children:
        attribute(child, table, stage, seconds, other)


def main(service: str, out: str) -> None:
    table = stages(service)
    profiler = Profiler(interval=0.001, async_mode="disabled")

    def dump(*_: object) -> None:
        session = profiler.stop()
        seconds: Seconds = defaultdict(float)
        other: Seconds = defaultdict(float)  # unattributed and driver time, for a closer look
        root = session.root_frame()
        if root is not None:
            attribute(root, table, None, seconds, other)
        top = dict(sorted(other.items(), key=lambda kv: -kv[1])[:25])
        partial = Path(f"{out}.partial")  # renamed when whole: the bench waits for the name
        partial.write_text(json.dumps({"seconds": seconds, "other": top}, indent=1))
        partial.rename(out)

    signal.signal(signal.SIGUSR1, lambda *_: profiler.start())
    signal.signal(signal.SIGUSR2, dump)
    sys.argv = [service]
    runpy.run_module(service, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
