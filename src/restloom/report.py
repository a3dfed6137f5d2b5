"""What a run did, per resource: rows, pages, requests, retries, seconds, status, and why it failed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from restloom.errors import ResourcesFailed

WINDOWS_LEFT = "not caught up ("


@dataclass(slots=True)
class ResourceStats:
    """Counters for one resource; updated by the engine's threads under the report's lock."""

    name: str
    rows: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    shared: int = 0
    """Pages taken from a request another resource made (identical request: sent once, counted there)."""
    started: float | None = None
    finished: float | None = None
    status: str = "pending"
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    windows: int = 0
    windows_from: Any = None
    windows_to: Any = None
    windows_left: int | None = None
    path: str = ""
    """How its pages went to dlt: ``columnar`` (Arrow tables), ``rows (<why>)``, or columnar then rows."""
    record_by_record: str | None = None
    """Columnar only: why a chunk's tables were built through dlt's normaliser record by record rather than
    by the vectorised lane (the first reason); None while every chunk was vectorised."""

    @property
    def seconds(self) -> float:
        """Wall time from the first request to the end (so far, while running)."""
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started


class RunReport:
    """The per-resource statistics of one run, safe to update from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.resources: dict[str, ResourceStats] = {}
        self.notices: list[str] = []
        self.listeners: list[Callable[[ResourceStats], None]] = []

    def stats(self, name: str) -> ResourceStats:
        """The (new or existing) stats of resource ``name``."""
        with self._lock:
            return self.resources.setdefault(name, ResourceStats(name))

    def start(self, name: str) -> None:
        """Mark ``name`` as running (idempotent)."""
        with self._lock:
            stats = self.resources.setdefault(name, ResourceStats(name))
            if stats.started is None:
                stats.started = time.monotonic()
                stats.status = "running"

    def count(self, name: str, *, rows: int = 0, pages: int = 0, requests: int = 0, retries: int = 0,
              shared: int = 0) -> None:
        """Add to the counters of ``name``."""
        with self._lock:
            stats = self.resources.setdefault(name, ResourceStats(name))
            stats.rows += rows
            stats.pages += pages
            stats.requests += requests
            stats.retries += retries
            stats.shared += shared
            stats.finished = time.monotonic()

    def set_path(self, name: str, path: str) -> None:
        """Record how the pages of ``name`` go to dlt (see ``ResourceStats.path``)."""
        with self._lock:
            self.resources.setdefault(name, ResourceStats(name)).path = path

    def note_record_by_record(self, name: str, reason: str) -> None:
        """Keep the first reason a chunk of ``name`` took the record-by-record lane."""
        with self._lock:
            stats = self.resources.setdefault(name, ResourceStats(name))
            stats.record_by_record = stats.record_by_record or reason

    def warn(self, name: str, message: str) -> None:
        """Record a warning about ``name`` (shown in the summary)."""
        with self._lock:
            self.resources.setdefault(name, ResourceStats(name)).warnings.append(message)

    def warn_once(self, name: str, message: str, *, lead: str | None = None) -> bool:
        """Record a warning about ``name`` unless one starting with ``lead`` (default: the whole message) is
        there already; True when it was recorded (threads racing on the same warning record it once)."""
        with self._lock:
            warnings = self.resources.setdefault(name, ResourceStats(name)).warnings
            if any(w.startswith(lead or message) for w in warnings):
                return False
            warnings.append(message)
            return True

    def window(self, name: str, *, start: Any, end: Any, left: int) -> None:
        """A stepped resource loaded the window ``[start, end)``; ``left`` windows remain. While some remain,
        the resource carries one warning saying how many (replaced at each window)."""
        with self._lock:
            stats = self.resources.setdefault(name, ResourceStats(name))
            stats.windows += 1
            if stats.windows_from is None:
                stats.windows_from = start
            stats.windows_to, stats.windows_left = end, left
            stats.warnings[:] = [w for w in stats.warnings if not w.startswith(WINDOWS_LEFT)]
            if left:
                stats.warnings.append(f"{WINDOWS_LEFT}{left} window{'s' if left > 1 else ''} from {end}): run again, "
                                      "or use `restloom run` / restloom.sync, which go on until caught up")

    def finish(self, name: str, *, error: str | None = None) -> None:
        """Mark ``name`` done, or failed with ``error``."""
        with self._lock:
            stats = self.resources.setdefault(name, ResourceStats(name))
            stats.finished = time.monotonic()
            if error is not None:
                stats.status, stats.error = "failed", error
            elif stats.status != "failed":
                stats.status = "ok"
        self._tell(stats)

    def _tell(self, stats: ResourceStats) -> None:
        for listener in self.listeners:
            listener(stats)

    def close(self) -> None:
        """End of run: every resource still running finished without error."""
        with self._lock:
            closing = [s for s in self.resources.values() if s.status == "running"]
            for stats in closing:
                stats.status = "ok"
        for stats in closing:
            self._tell(stats)

    def load_failed(self, reason: str) -> None:
        """The load failed: every resource not already failed is failed too, none of its rows being loaded."""
        with self._lock:
            changed = [s for s in self.resources.values() if s.status != "failed"]
            for stats in changed:
                stats.status, stats.error = "failed", f"not loaded: {reason}"
        for stats in changed:
            self._tell(stats)

    @property
    def failed(self) -> list[ResourceStats]:
        """The resources that failed, in the order they were first seen."""
        return [s for s in self.resources.values() if s.status == "failed"]

    def raise_for_failures(self) -> None:
        """Raise ResourcesFailed naming every failed resource and why; do nothing when none failed."""
        failed = self.failed
        if failed:
            raise ResourcesFailed({stats.name: stats.error or "failed" for stats in failed})
