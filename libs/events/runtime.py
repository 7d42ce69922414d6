"""Garbage-collector settings for a long-running service process.

CPython's cycle collector scans its youngest generation every 700 net allocations, and the
older ones every 10 and 100 of those scans. An append of 100 events allocates tens of
thousands of short-lived containers (models, dicts, tokens), so a default collector runs many
times per append and, now and then, walks the whole heap: the modules, schemas and table
metadata loaded at start-up, which never become garbage. Freezing the heap once the service has
started takes those objects out of every later scan; a larger young generation makes the scans
rarer. None of this changes what is collected, only how often the collector looks.
"""

import gc
import logging

log = logging.getLogger(__name__)
DEFAULT_YOUNG_THRESHOLD = 10_000
_tuned = False


def tune_gc(young_threshold: int = DEFAULT_YOUNG_THRESHOLD) -> None:
    """Freeze the objects allocated so far and scan the young generation every
    `young_threshold` allocations; 0 leaves Python's defaults alone. Once per process: a
    frozen object is never collected, so a second freeze (a process hosting several
    backbones, as tests do) could keep their garbage for good."""
    global _tuned
    if young_threshold <= 0 or _tuned:
        return
    _tuned = True
    gc.collect()  # what start-up left as garbage goes now, not into the permanent generation
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
    log.debug("gc: %d objects frozen; thresholds %s", gc.get_freeze_count(), gc.get_threshold())
