"""The collector tuning a service applies at start (events.runtime), in a fresh interpreter:
the thresholds and the frozen generation are process-wide."""

import json
import subprocess
import sys
from pathlib import Path

LIBS = str(Path(__file__).resolve().parents[2] / "libs")
PROBE = """
import gc, json, sys
sys.path.insert(0, {libs!r})
from events.runtime import tune_gc
before = gc.get_threshold()
tune_gc({threshold})
frozen = gc.get_freeze_count()
junk = [[] for _ in range(1000)]
tune_gc({threshold})  # a second backbone in the same process
print(json.dumps([before, gc.get_threshold(), frozen, gc.get_freeze_count()]))
"""


def probe(threshold: int) -> list:
    code = PROBE.format(libs=LIBS, threshold=threshold)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_start_up_objects_are_frozen_once_and_young_scans_become_rarer():
    before, after, frozen, frozen_after_second_call = probe(10_000)
    assert after == [10_000, before[1], before[2]]
    assert frozen > 1000  # the modules and objects start-up made
    assert frozen_after_second_call == frozen  # later objects stay collectable


def test_zero_keeps_pythons_defaults():
    before, after, frozen, _ = probe(0)
    assert after == before and frozen == 0
