"""How fast a run may talk to one origin: an adaptive bound on requests in flight (AIMD) and a budget
read from the vendor's rate-limit headers, both shared by every resource of the run.

Why our own: dlt's client sends one request at a time and only reacts to a 429 after it happened
(``Retry-After``); a run that fans out and reads pages concurrently needs a bound that follows what the
API can take, and must slow down *before* the limit.

- ``Aimd``: starts at the run's ``concurrency``; each fast, un-throttled response raises the bound — by 1
  until the first back-off (slow start: it doubles per round trip), by ``1/bound`` after (one per round
  trip) — up to ``ceiling``; a 429 or 503, or latency clearly above the fastest seen (smoothed latency
  over ``RISE_FACTOR`` times the fastest + ``RISE_MARGIN_S``), halves it, at most once per round trip.
- ``RateBudget``: ``RateLimit-Limit/Remaining/Reset`` (Persona, the IETF draft), ``X-RateLimit-*`` with
  a reset in seconds or as an epoch, and unit windows without a reset (Yousign's
  ``X-RateLimit-Remaining-Minute``: the reset is taken as a whole unit after the count was last seen to
  rise, which is never earlier than the real one). Once half of a window is used, the requests left are
  spread evenly until its reset; none is sent while the budget is spent. Requests already sent that the
  reported count may not include are subtracted.
- ``OriginGate`` holds both for one origin; ``Limits`` maps origins to gates.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["ADAPTIVE_CEILING", "Aimd", "Limits", "OriginGate", "RateBudget", "Ticket", "rate_windows"]

ADAPTIVE_CEILING = 32
"""The most requests in flight to one origin when the user did not set ``concurrency``."""
RISE_FACTOR, RISE_MARGIN_S = 2.0, 0.1
FAST_FACTOR, FAST_MARGIN_S = 1.5, 0.05
SMOOTHING = 0.2
THROTTLED = frozenset({429, 503})
PACE_FROM = 0.5
"""Spread the rest of a window once this share of its budget is used."""
_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_FAMILIES = ("ratelimit", "x-ratelimit")
_NUMBER = re.compile(r"\s*(\d+(?:\.\d+)?)")


@dataclass(frozen=True, slots=True)
class Ticket:
    """One request let through a gate: its sequence number and when it was sent."""

    seq: int
    sent_at: float


class Aimd:
    """Additive increase, multiplicative decrease of the bound on requests in flight (see the module)."""

    def __init__(self, start: int, ceiling: int) -> None:
        self.limit = float(start)
        self.ceiling = max(ceiling, start)
        self.slow_start = True
        self.fastest: float | None = None
        self.smoothed: float | None = None
        self.cut_at = -math.inf
        self.cut_reasons: list[str] = []
        """Why each cut was made, in order: ``"throttled"`` (a 429 or 503) or ``"latency"``."""

    @property
    def cuts(self) -> int:
        """How many times the bound was halved."""
        return len(self.cut_reasons)

    @property
    def bound(self) -> int:
        """Requests that may be in flight now."""
        return max(1, int(self.limit))

    def observe(self, *, sent_at: float, now: float, latency: float, throttled: bool) -> None:
        """Account for one response (or error) to a request sent at ``sent_at``."""
        if throttled:
            self._cut(sent_at, now, "throttled")
            return
        self.fastest = latency if self.fastest is None else min(self.fastest, latency)
        self.smoothed = latency if self.smoothed is None else (1 - SMOOTHING) * self.smoothed + SMOOTHING * latency
        if self.smoothed > RISE_FACTOR * self.fastest + RISE_MARGIN_S:
            if self._cut(sent_at, now, "latency"):
                self.smoothed = None
        elif latency <= FAST_FACTOR * self.fastest + FAST_MARGIN_S:
            step = 1.0 if self.slow_start else 1.0 / self.limit
            self.limit = min(float(self.ceiling), self.limit + step)

    def _cut(self, sent_at: float, now: float, reason: str) -> bool:
        if sent_at < self.cut_at:  # sent before the last cut: that cut already answered this round trip
            return False
        self.limit = max(1.0, self.limit / 2)
        self.slow_start, self.cut_at = False, now
        self.cut_reasons.append(reason)
        return True


@dataclass(slots=True)
class _Window:
    """What the latest response said about one rate-limit window."""

    limit: int
    remaining: int
    reset_at: float
    seq: int  # the request the figures came with
    fresh_from: int | None = None  # once the reset passed: sends counted in the new window start here


def rate_windows(headers: Mapping[str, str], *, now: float,
                 wall: Callable[[], float] = time.time) -> dict[str, tuple[int, int, float | None, float]]:
    """The windows a response's headers describe: name -> (limit, remaining, seconds to reset or None,
    the unit's length or 0). Unreadable values leave a window out."""
    lowered = {name.lower(): value for name, value in headers.items()}
    found: dict[str, tuple[int, int, float | None, float]] = {}
    for family in _FAMILIES:
        for suffix, unit in (("", 0.0), *((f"-{name}", seconds) for name, seconds in _UNITS.items())):
            limit = _number(lowered.get(f"{family}-limit{suffix}"))
            remaining = _number(lowered.get(f"{family}-remaining{suffix}"))
            if limit is None or remaining is None or limit < 1:
                continue
            reset = _number(lowered.get(f"{family}-reset{suffix}"))
            if reset is not None and reset > 1e12:  # an epoch in milliseconds
                reset = reset / 1000 - wall()
            elif reset is not None and reset > 1e9:  # an epoch in seconds
                reset = reset - wall()
            found[f"{family}{suffix}"] = (int(limit), int(remaining), None if reset is None else max(reset, 0.0), unit)
    return found


def _number(value: str | None) -> float | None:
    match = _NUMBER.match(value) if value else None
    return float(match.group(1)) if match else None


class RateBudget:
    """The budget of every rate-limit window an origin announced (see the module docstring)."""

    def __init__(self) -> None:
        self.windows: dict[str, _Window] = {}

    def observe(self, headers: Mapping[str, str], *, seq: int, now: float) -> None:
        """Take the figures of a response to request ``seq`` (older requests' figures are ignored)."""
        for name, (limit, remaining, reset, unit) in rate_windows(headers, now=now).items():
            known = self.windows.get(name)
            if known is not None and seq < known.seq and now < known.reset_at:
                continue
            if reset is not None:
                reset_at = now + reset
            elif known is None or remaining > known.remaining or now >= known.reset_at:
                reset_at = now + (unit or 60.0)  # a unit window: reset at most a unit after a rise was seen
            else:
                reset_at = known.reset_at
            self.windows[name] = _Window(limit=limit, remaining=remaining, reset_at=reset_at, seq=seq)

    def wait(self, *, now: float, sent: int, in_flight: int, last_send: float) -> float:
        """Seconds until the next request may go (0: now; ``math.inf``: when a response says more)."""
        return max((self._wait(window, now=now, sent=sent, in_flight=in_flight, last_send=last_send)
                    for window in self.windows.values()), default=0.0)

    @staticmethod
    def _wait(window: _Window, *, now: float, sent: int, in_flight: int, last_send: float) -> float:
        if now >= window.reset_at:  # a new window: what is in flight may still land in it
            if window.fresh_from is None:
                window.fresh_from = sent - in_flight
            return 0.0 if sent - window.fresh_from < window.limit else math.inf
        available = window.remaining - (sent - window.seq)
        if available <= 0:
            return window.reset_at - now
        if available > window.limit * (1 - PACE_FROM):
            return 0.0
        interval = (window.reset_at - now) / available
        return max(0.0, last_send + interval - now)


class OriginGate:
    """Requests to one origin: at most ``aimd.bound`` in flight, sent within the rate budget."""

    POLL_S = 0.05

    def __init__(self, start: int, ceiling: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.aimd = Aimd(start, ceiling)
        self.budget = RateBudget()
        self._clock = clock
        self._cond = threading.Condition()
        self.in_flight = 0
        self.peak = 0
        self.sent = 0
        self.last_send = -math.inf

    @contextmanager
    def slot(self, *, pace: bool) -> Iterator[Ticket]:
        """Wait for room and budget (``pace``: obey the rate budget), then hold a place while sending."""
        ticket = self._enter(pace)
        try:
            yield ticket
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()

    def _enter(self, pace: bool) -> Ticket:
        with self._cond:
            while True:
                now = self._clock()
                if self.in_flight >= self.aimd.bound:
                    self._cond.wait(self.POLL_S)
                    continue
                wait = self.budget.wait(now=now, sent=self.sent, in_flight=self.in_flight,
                                        last_send=self.last_send) if pace else 0.0
                if wait <= 0:
                    break
                self._cond.wait(min(wait, self.POLL_S) if math.isinf(wait) else wait)
            self.sent += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.last_send = now
            return Ticket(seq=self.sent, sent_at=now)

    def done(self, ticket: Ticket, *, status: int | None, headers: Mapping[str, str] | None) -> None:
        """Account for the answer to ``ticket`` (``status`` None: a transport error)."""
        with self._cond:
            now = self._clock()
            if status is not None:
                self.aimd.observe(sent_at=ticket.sent_at, now=now, latency=now - ticket.sent_at,
                                  throttled=status in THROTTLED)
            if headers:
                self.budget.observe(headers, seq=ticket.seq, now=now)
            self._cond.notify_all()


class Limits:
    """One ``OriginGate`` per origin, shared by every resource of a run.

    ``start``: the bound at the start; ``fixed``: the user set it, so it is also the ceiling (the bound
    still halves under throttling and grows back to it); otherwise it may grow to ``ADAPTIVE_CEILING``.
    """

    def __init__(self, start: int, *, fixed: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.start = start
        self.ceiling = start if fixed else max(start, ADAPTIVE_CEILING)
        self._clock = clock
        self._gates: dict[str, OriginGate] = {}
        self._lock = threading.Lock()

    def gate(self, origin: str) -> OriginGate:
        """The gate of ``origin`` (made on first use)."""
        with self._lock:
            gate = self._gates.get(origin)
            if gate is None:
                gate = self._gates[origin] = OriginGate(self.start, self.ceiling, clock=self._clock)
            return gate

    @property
    def gates(self) -> dict[str, OriginGate]:
        """Every origin's gate so far."""
        with self._lock:
            return dict(self._gates)
