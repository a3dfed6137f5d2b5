"""Stepped incremental windows (``incremental.step``): a long first window cut into consecutive windows,
each extracted, normalized and loaded — committed, data and state — before the next.

A stepped resource extracts only its next window per extraction: the request asks for ``[start, start +
step)`` through the ordinary window mechanics (``start_param`` / ``end_param``,
``{incremental.start_value}`` / ``{incremental.end_value}``), and the rows are filtered client-side to the
window by dlt's own incremental, bounded for that extraction with ``initial_value`` / ``end_value``: a
bounded incremental keeps a mock state that it never writes (``Incremental.get_state`` in dlt), so dlt's
cursor state is untouched while the windows run. restloom's progress — the next window's start — is kept
in the resource's dlt state under ``restloom_step`` and is written only when the window's stream ended
well, so it is committed with that window's data, and a failed window (or a window whose child failed:
the resource's whole state is held, see ``CursorLedger.track_state``) is asked again by the next run.

When the windows reach ``end_value`` (or "now", taken once when the run starts), the last window also
sets dlt's cursor state to its end, and from then on the resource is an ordinary incremental from there:
no gap, no overlap beyond ``lookback``.

Why our own: dlt's incremental loads one range per run (``end_value``) or everything since the last value;
it has no notion of a range cut into committed parts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from restloom.config.models import IncrementalSpec, StepSpec
from restloom.config.steps import StepKind, point

PROGRESS_KEY = "restloom_step"


@dataclass(frozen=True, slots=True)
class StepWindow:
    """One window ``[start, end)``, its values written as the config writes ``initial_value``."""

    start: Any
    end: Any
    number: int
    left: int


def _step(spec: IncrementalSpec) -> StepSpec:
    if spec.step is None:
        raise ValueError(f"incremental on {spec.cursor_path} has no step")
    return spec.step


def written_like(spec: IncrementalSpec, value: float, *, kind: StepKind | None = None) -> Any:
    """A point (see ``restloom.config.steps.point``) written as the config writes ``initial_value``;
    ``kind``: the cursor's kind when the incremental has no step to say it (a time partition's bounds)."""
    kind, initial = kind or _step(spec).kind, spec.initial_value
    if kind in ("epoch", "number"):
        return int(value) if isinstance(initial, int) and float(value).is_integer() else value
    moment = datetime.fromtimestamp(round(value, 6), tz=UTC)
    if kind == "date":
        return moment.date() if isinstance(initial, date) else moment.date().isoformat()
    if isinstance(initial, datetime):
        return moment if initial.tzinfo else moment.replace(tzinfo=None)
    text = str(initial)
    zone = datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo
    fraction = re.search(r"\.(\d+)", text)
    timespec = "seconds" if fraction is None else "milliseconds" if len(fraction.group(1)) == 3 else "microseconds"
    if zone is None:
        return moment.replace(tzinfo=None).isoformat(timespec=timespec)
    written = moment.astimezone(zone).isoformat(timespec=timespec)
    return written[:-6] + "Z" if text.endswith("Z") and written.endswith("+00:00") else written


def end_of(spec: IncrementalSpec, now: datetime) -> tuple[float, Any]:
    """Where the windows end, as a point and as written: ``end_value``, else ``now`` (whole seconds; a date
    cursor ends at the start of today, so today's rows come with the ordinary incremental after)."""
    step = _step(spec)
    if spec.end_value is not None:
        end = point(spec.end_value, step.kind)
        if end is None:
            raise ValueError(f"end_value {spec.end_value!r} is not a {step.kind} cursor value")
        return end, spec.end_value
    seconds = float(math.floor(now.timestamp()))
    if step.kind == "date":
        seconds -= seconds % 86400
    if step.kind == "epoch" and spec.cursor_format == "epoch_ms":
        seconds *= 1000
    return seconds, written_like(spec, seconds)


def count_windows(spec: IncrementalSpec, start: float, end: float) -> int:
    """How many windows of the step cover ``[start, end)`` (the last one may be shorter)."""
    if start >= end:
        return 0
    return max(1, math.ceil(round((end - start) / _step(spec).size, 9)))


def next_window(spec: IncrementalSpec, progress: Mapping[str, Any] | None, now: datetime) -> StepWindow | None:
    """The next window to extract, or None when the windows are done (the resource is then an ordinary
    incremental). ``progress``: what ``close_window`` stored in the resource's state."""
    progress = progress or {}
    if progress.get("caught_up"):
        return None
    start_value = progress.get("next", spec.initial_value)
    start = point(start_value, _step(spec).kind)
    end, end_written = end_of(spec, now)
    if start is None or start >= end:
        return None
    stop = min(start + _step(spec).size, end)
    return StepWindow(start=start_value, end=end_written if stop >= end else written_like(spec, stop),
                      number=int(progress.get("done", 0)) + 1, left=count_windows(spec, stop, end))


def narrow(cursor: Any, window: StepWindow) -> None:
    """Bound dlt's incremental (already bound to the resource's pipe) to the window for this extraction: it
    then filters rows to ``[start, end)`` on a mock state and writes none (lag does not apply)."""
    cursor.initial_value, cursor.end_value, cursor.lag = window.start, window.end, None
    cursor.bind(cursor._bound_pipe)  # dlt's own pipe: bound again, as dlt's wrapper does on a re-bind


def close_window(spec: IncrementalSpec, live: MutableMapping[str, Any], window: StepWindow) -> None:
    """The window loaded: the next one starts at its end. After the last one, dlt's cursor starts there."""
    progress = live.setdefault(PROGRESS_KEY, {})
    progress.setdefault("first", window.start)
    progress.update(next=window.end, done=window.number, caught_up=window.left == 0)
    if window.left == 0:
        live.setdefault("incremental", {})[spec.cursor_path] = {
            "initial_value": spec.initial_value, "last_value": window.end, "unique_hashes": [],
            "start_value": window.end}


def describe_plan(spec: IncrementalSpec, now: datetime) -> str:
    """``restloom check``'s line: the window size, how many windows, the first and the last."""
    step = _step(spec)
    start = point(spec.initial_value, step.kind)
    end, end_written = end_of(spec, now)
    if start is None:
        return f"step {step.text}: no windows"
    count = count_windows(spec, start, end)
    until = "end_value" if spec.end_value is not None else "now"
    if count == 0:
        return f"step {step.text}: no windows ({spec.initial_value} is not before {until})"
    first_end = written_like(spec, start + step.size) if start + step.size < end else end_written
    last_start = written_like(spec, start + (count - 1) * step.size)
    return (f"step {step.text}: {count} window{'s' if count > 1 else ''} up to {until}, first "
            f"{spec.initial_value} .. {first_end}, last {last_start} .. {end_written}; then an ordinary incremental")
