"""Fault injection: what can go wrong with a response, and a plan saying when it goes wrong.

A ``FaultPlan`` picks faults in two ways, both deterministic:

* by rate: request number ``n`` (1-based, over all requests the server saw) draws from
  ``random.Random(f"{seed}:{n}")``; ``rate`` + ``kinds`` spreads one rate evenly over the kinds,
  ``rates`` gives each fault its own rate. ``paths`` limits rate faults to those paths, ``query`` to
  requests whose query has those values (``{"since": "2023-09-01T00:00:00Z"}``: one window of many).
* by schedule: ``{7: fault}`` is the 7th request overall, ``{("/accounts", 2): fault}`` the 2nd request
  to that path (query ignored). A schedule entry wins over the rate.

Counters count every request, including 401s, so "the Nth request" is ``api.requests[N - 1]``; a fault
landing on a request that fails authentication is not applied (faults never touch the 401 path).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Fault", "FaultPlan", "parse_fault", "parse_fault_spec"]

FaultKind = Literal["status", "drop", "slow", "truncate", "empty"]
_KINDS = ("status", "drop", "slow", "truncate", "empty")


@dataclass(frozen=True, kw_only=True)
class Fault:
    """One way a response goes wrong.

    ``status``: answer ``status`` with a JSON error body; for 429, ``retry_after`` (a string: seconds or an
    HTTP date) sets ``Retry-After`` and ``vendor_headers`` adds the vendor's own rate-limit headers.
    ``drop``: close the connection without answering. ``slow``: wait ``delay_ms`` then answer normally.
    ``truncate``: a 200 whose JSON body is cut short, Content-Length matching the cut body.
    ``empty``: a 200 with an empty body (``Content-Length: 0``). A 200 JSON error object is
    ``Fault(kind="status", status=200)``.
    """

    kind: FaultKind
    status: int = 503
    retry_after: str | None = None
    vendor_headers: bool = True
    delay_ms: int = 1000

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(_KINDS)})")

    @property
    def name(self) -> str:
        """The name the request log records: ``"503"``, ``"429"``, ``"drop"``, ``"slow"``, ``"truncate"``,
        ``"empty"``."""
        return str(self.status) if self.kind == "status" else self.kind


ScheduleKey = int | tuple[str, int]


@dataclass(frozen=True, kw_only=True)
class FaultPlan:
    """When faults happen; see the module docstring."""

    rate: float = 0.0
    kinds: tuple[Fault | str, ...] = ()
    rates: tuple[tuple[Fault | str, float], ...] = ()
    seed: int = 0
    schedule: Mapping[ScheduleKey, Fault | str] = field(default_factory=dict)
    paths: tuple[str, ...] | None = None
    query: Mapping[str, str] | None = None

    def weighted(self) -> tuple[tuple[Fault, float], ...]:
        """Every rate-picked fault with its own rate."""
        pairs = [(parse_fault(k), self.rate / len(self.kinds)) for k in self.kinds] if self.kinds else []
        pairs.extend((parse_fault(k), r) for k, r in self.rates)
        return tuple(pairs)

    def pick(self, *, path: str, overall: int, per_path: int, query: Mapping[str, str] | None = None) -> Fault | None:
        """The fault for request number ``overall`` (the ``per_path``-th to ``path``, asking ``query``), or None."""
        scheduled = self.schedule.get(overall) or self.schedule.get((path, per_path))
        if scheduled is not None:
            return parse_fault(scheduled)
        if self.paths is not None and path not in self.paths:
            return None
        if self.query is not None and any((query or {}).get(k) != v for k, v in self.query.items()):
            return None
        weighted = self.weighted()
        if not weighted:
            return None
        draw, total = random.Random(f"{self.seed}:{overall}").random(), 0.0
        for fault, rate in weighted:
            total += rate
            if draw < total:
                return fault
        return None


def parse_fault(spec: Fault | str) -> Fault:
    """A fault from its text: ``503``, ``429:retry_after=1,vendor_headers=0``, ``drop``,
    ``slow:delay_ms=200``, ``truncate`` or ``empty``."""
    if isinstance(spec, Fault):
        return spec
    head, _, options = spec.partition(":")
    values = dict(part.split("=", 1) for part in options.split(",") if part)
    unknown = set(values) - {"retry_after", "vendor_headers", "delay_ms"}
    if unknown:
        raise ValueError(f"fault {spec!r}: unknown option(s) {', '.join(sorted(unknown))}")
    retry_after = values.get("retry_after")
    vendor_headers = values.get("vendor_headers", "1") not in ("0", "false", "no")
    delay_ms = int(values.get("delay_ms", "1000"))
    if head.isdigit():
        return Fault(kind="status", status=int(head), retry_after=retry_after, vendor_headers=vendor_headers)
    if head in ("drop", "slow", "truncate", "empty"):
        return Fault(kind=head, delay_ms=delay_ms)  # type: ignore[arg-type]
    raise ValueError(f"fault {spec!r}: expected a status code, drop, slow, truncate or empty")


def parse_fault_spec(specs: list[str], *, seed: int = 0) -> FaultPlan | None:
    """Turn CLI specs into a plan: ``FAULT@RATE`` (``503@0.1``), ``FAULT@#N`` (Nth request overall) or
    ``FAULT@/path#N`` (Nth request to ``/path``). Returns None when ``specs`` is empty."""
    if not specs:
        return None
    rates: list[tuple[Fault | str, float]] = []
    schedule: dict[ScheduleKey, Fault | str] = {}
    for spec in specs:
        fault_text, sep, when = spec.rpartition("@")
        if not sep:
            raise ValueError(f"fault spec {spec!r}: expected FAULT@RATE, FAULT@#N or FAULT@/path#N")
        fault = parse_fault(fault_text)
        if when.startswith("#"):
            schedule[int(when[1:])] = fault
        elif "#" in when:
            path, _, nth = when.rpartition("#")
            schedule[(path, int(nth))] = fault
        else:
            rates.append((fault, float(when)))
    return FaultPlan(rates=tuple(rates), schedule=schedule, seed=seed)
