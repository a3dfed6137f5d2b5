"""Fixed-window rate limiting with windows scalable for tests.

A vendor declares ``Window``s (a limit per period, for a scope such as ``"exports"``); the limiter counts
hits per window and reports each window's state so the vendor can render its own headers. Durations in
headers go through ``format_seconds``: whole seconds (rounded up) from 1 s on, decimals below, so a
window scaled to 0.6 s says ``0.6`` rather than ``1``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter", "Window", "WindowState", "format_seconds"]


@dataclass(frozen=True, kw_only=True)
class Window:
    """At most ``limit`` requests per ``seconds`` (unscaled) for requests of ``scope``."""

    limit: int
    seconds: float
    scope: str = "all"


@dataclass(frozen=True, kw_only=True)
class WindowState:
    """A window after a hit: its limit, what remains, seconds until it resets, its scaled length."""

    window: Window
    remaining: int
    reset_s: float
    period_s: float

    @property
    def exceeded(self) -> bool:
        """True when this hit went over the limit."""
        return self.remaining < 0


def format_seconds(seconds: float) -> str:
    """Whole seconds rounded up from 1 s on; below, up to three decimals (never less than 0.001)."""
    if seconds >= 1:
        return str(math.ceil(seconds - 1e-9))
    return f"{max(seconds, 0.001):.3f}".rstrip("0").rstrip(".")


class RateLimiter:
    """Counts hits in fixed windows; thread-safe."""

    def __init__(self, windows: tuple[Window, ...], *, scale: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._windows = windows
        self._scale = scale
        self._clock = clock
        self._lock = threading.Lock()
        self._starts = [clock() for _ in windows]
        self._counts = [0 for _ in windows]

    def hit(self, scope: str) -> tuple[WindowState, ...]:
        """Count one request of ``scope`` in the windows that apply; return their states.

        A request over any limit is not counted in the other windows.
        """
        with self._lock:
            now = self._clock()
            chosen = [i for i, w in enumerate(self._windows) if w.scope in (scope, "all")]
            for i in chosen:
                if now - self._starts[i] >= self._windows[i].seconds * self._scale:
                    self._starts[i], self._counts[i] = now, 0
            over = any(self._counts[i] >= self._windows[i].limit for i in chosen)
            for i in chosen:
                self._counts[i] += 0 if over else 1
            return tuple(self._state(i, now, over) for i in chosen)

    def _state(self, index: int, now: float, over: bool) -> WindowState:
        window = self._windows[index]
        period = window.seconds * self._scale
        remaining = window.limit - self._counts[index]
        if over and remaining <= 0:
            remaining = -1
        reset = max(period - (now - self._starts[index]), 0.0)
        return WindowState(window=window, remaining=remaining, reset_s=reset, period_s=period)
