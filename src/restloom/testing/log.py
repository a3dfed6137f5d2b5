"""The request log: every request a simulated API saw, in arrival order."""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["RequestLog", "RequestRecord"]


@dataclass(frozen=True, kw_only=True)
class RequestRecord:
    """One request: what was asked and what happened.

    ``path`` is the full path without the query; ``query`` maps each name to its last value and
    ``query_pairs`` keeps every pair in order. ``auth`` is the credential form recognised: ``"seed"``
    (the seed config's form; also when the seed's form is the real one), ``"real"``, ``"none"`` or
    ``"invalid"``. ``body`` is the request body as text (empty when there was none). ``status`` is the
    status sent (0 when the connection was dropped); ``fault`` names the injected fault (``"503"``,
    ``"429"``, ``"drop"``, ``"slow"``, ``"truncate"``) or is None; a 429 from the rate limiter has
    ``fault=None``. ``at``: when it arrived (``time.monotonic()``); ``in_flight``: how many requests the
    server was answering then, this one included.
    """

    method: str
    path: str
    query: dict[str, str]
    query_pairs: list[tuple[str, str]]
    auth: str
    status: int
    fault: str | None = None
    body: str = ""
    at: float = 0.0
    in_flight: int = 0


class RequestLog:
    """A thread-safe append-only list of ``RequestRecord``."""

    def __init__(self) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def append(self, record: RequestRecord) -> None:
        """Add one record."""
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        """A copy of the records so far."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
