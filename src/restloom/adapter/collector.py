"""Python's cyclic garbage collector eased for the length of a sync.

Why: a sync allocates millions of short-lived containers (every parsed record is a dict, most hold dicts
and lists) while a few million long-lived objects (dlt, pyarrow, DuckDB, the modules) sit in the oldest
generation. With the default thresholds (a young collection every 700 allocations) the collector ran
often enough to take about a tenth of the CPU of a 200,000-record sync (``perf``: ``gc_collect_main``,
``visit_decref``, ``visit_reachable``), scanning the same long-lived objects again and again. Records
hold no reference cycles, so reference counting frees them anyway; the collector finds nothing.

What ``collector_eased()`` does while the outermost block is open: ``gc.freeze()`` moves every object
alive at the start into the permanent generation (never scanned), and the thresholds are raised to
``THRESHOLDS``. On exit the objects are unfrozen and the thresholds restored. Re-entrant and thread-safe
(concurrent syncs share one eased period). ``RESTLOOM_GC_EASE=0`` leaves the collector alone.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["THRESHOLDS", "collector_eased"]

THRESHOLDS = (20_000, 20, 20)
"""Young collections every 20,000 allocations (Python: 700), older ones as often relative to those."""


class _Eased:
    """How many ``collector_eased()`` blocks are open, and the thresholds to restore."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = 0
        self.saved: tuple[int, int, int] = gc.get_threshold()


_eased = _Eased()


@contextmanager
def collector_eased() -> Iterator[None]:
    """The collector eased (see the module) for the ``with`` block."""
    if os.environ.get("RESTLOOM_GC_EASE", "1") == "0":
        yield
        return
    with _eased.lock:
        if _eased.open == 0:
            _eased.saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*THRESHOLDS)
        _eased.open += 1
    try:
        yield
    finally:
        with _eased.lock:
            _eased.open -= 1
            if _eased.open == 0:
                gc.set_threshold(*_eased.saved)
                gc.unfreeze()
