"""Incremental windows on top of dlt's ``incremental``.

dlt's incremental object keeps the cursor state, filters records client-side (so a service with no
server-side filter still loads only what is new), deduplicates on the boundary and stops early on
``row_order``. restloom adds what these services need and YAML cannot say with a callable:

* named conversions for the request window — ``convert: epoch_seconds | epoch_ms | iso_z | iso | date``
  — whatever the record's cursor looks like (ISO 8601 with ``Z`` or ``+00:00``, epoch seconds or ms);
* ``cursor_format: epoch_seconds | epoch_ms`` to say what a numeric cursor counts;
* ``lookback: <seconds>``: the window starts that much before the last cursor (dlt's ``lag``, in the
  cursor's own unit), so late-arriving records are fetched again; merge keeps them once.

A resource that fails keeps its previous cursor (see ``CursorCheckpoint``), and so does every parent of
a child resource that fails (see ``CursorLedger``): the stored cursor never moves past data that did not
load, the parent's included.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, date, datetime
from typing import Any

import dlt

from restloom.config.models import IncrementalSpec

CURSOR_FORMATS = ("epoch_seconds", "epoch_ms")


def to_datetime(value: Any, *, cursor_format: str | None = None) -> datetime:
    """A timezone-aware datetime from an ISO string, a datetime/date, or epoch seconds/ms."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float):
        seconds = value / 1000 if cursor_format == "epoch_ms" else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, str):
        if value.isdigit():
            return to_datetime(int(value), cursor_format=cursor_format)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise TypeError(f"cannot read a point in time from {type(value).__name__}")


def _iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


CONVERTERS: Mapping[str, Callable[[datetime], Any]] = {
    "epoch_seconds": lambda moment: int(moment.timestamp()),
    "epoch_ms": lambda moment: int(moment.timestamp() * 1000),
    "iso_z": _iso_z,
    "iso": lambda moment: moment.astimezone(UTC).isoformat(),
    "date": lambda moment: moment.astimezone(UTC).date().isoformat(),
}


def converter(spec: IncrementalSpec) -> Callable[[Any], Any]:
    """The function that writes a cursor value into the request window."""
    convert = spec.convert
    if convert is None:
        return lambda value: value
    if callable(convert):
        return convert
    named = CONVERTERS[convert]
    return lambda value: named(to_datetime(value, cursor_format=spec.cursor_format))


def lag_of(spec: IncrementalSpec) -> float | None:
    """dlt's ``lag`` for the spec's lookback, in the cursor's unit (ms for epoch-ms cursors)."""
    if spec.lookback is None:
        return spec.args.get("lag")
    return spec.lookback * 1000 if spec.cursor_format == "epoch_ms" else spec.lookback


def dlt_incremental(spec: IncrementalSpec) -> Any:
    """The dlt incremental object for a spec (dlt keeps its state between runs)."""
    args = {k: v for k, v in spec.args.items() if k != "lag"}
    lag = lag_of(spec)
    if lag is not None:
        args["lag"] = lag
    # a stepped resource's end_value ends its windows, not the resource (see restloom.adapter.steps)
    return dlt.sources.incremental(cursor_path=spec.cursor_path, initial_value=spec.initial_value,
                                   end_value=None if spec.step is not None else spec.end_value, **args)


def window_values(spec: IncrementalSpec, cursor: Any) -> dict[str, Any]:
    """``start_value`` / ``end_value`` of the current window, converted for the request."""
    convert = converter(spec)
    values: dict[str, Any] = {}
    if cursor.start_value is not None:
        values["start_value"] = convert(cursor.start_value)
    if cursor.end_value is not None:
        values["end_value"] = convert(cursor.end_value)
    if cursor.last_value is not None:
        values["last_value"] = convert(cursor.last_value)
    return values


def window_placeholders(spec: IncrementalSpec, cursor: Any) -> dict[str, Any]:
    """The values of dlt's ``{incremental.start_value}`` (``end_value``, ``last_value``, ``initial_value``)
    placeholders, converted for the request as the window's params are."""
    convert = converter(spec)
    values = {"initial_value": cursor.initial_value, "start_value": cursor.start_value,
              "last_value": cursor.last_value, "end_value": cursor.end_value}
    return {f"incremental.{key}": None if value is None else convert(value) for key, value in values.items()}


def window_params(spec: IncrementalSpec, cursor: Any) -> dict[str, Any]:
    """The query parameters that ask the API for the current window."""
    values = window_values(spec, cursor)
    params: dict[str, Any] = {}
    if spec.start_param and "start_value" in values:
        params[spec.start_param] = values["start_value"]
    if spec.end_param and "end_value" in values:
        params[spec.end_param] = values["end_value"]
    return params


class CursorCheckpoint:
    """The cursor state of a resource as it was when its run began, to put back if the resource fails."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        try:
            self._saved: dict[str, Any] | None = copy.deepcopy(dict(cursor.get_state()))
        except Exception:  # unbound incremental (no pipeline): nothing to restore
            self._saved = None

    def restore(self) -> None:
        """Put the saved state back in place (the live dict dlt commits at the end of extract)."""
        if self._saved is None:
            return
        state = self._cursor.get_state()
        state.clear()
        state.update(copy.deepcopy(self._saved))


class StateCheckpoint:
    """A resource's whole dlt state as it was when its run began (the cursor and a stepped resource's
    progress alike), to put back if the resource fails."""

    def __init__(self, live: MutableMapping[str, Any]) -> None:
        self._live = live
        self._saved = copy.deepcopy(dict(live))

    def restore(self) -> None:
        """Put the saved state back in place (the live dict dlt commits at the end of extract)."""
        self._live.clear()
        self._live.update(copy.deepcopy(self._saved))


class CursorLedger:
    """The cursor checkpoints of one source's resources, so that a failed child holds back its parents.

    Why: a child's requests are made per parent record, so the parent's cursor says "every record up to
    here was read, with its children". When a child fails (after its retries) for some parent records,
    the parent's cursor must not move past them, or the next run would never ask for those children
    again. So a failure holds the cursor of the failed resource and of every ancestor (the whole parent
    chain) at its value from before the run; the next run reads those parents again, with their
    children, and merge keeps each row once.

    When: dlt commits resource state once, at the end of the extract step, from the live state dict
    that ``CursorCheckpoint.restore`` writes back, so any restore made during extraction is in time —
    but dlt may still advance a parent's cursor after the restore. dlt evaluates a transformer lazily:
    the children of a parent page may run while the parent still yields pages (each new page advances
    the parent's incremental again) or after the parent's generator has finished. Hence two moments:

    * ``hold(name)``, when a stream of ``name`` fails: mark ``name`` and its ancestors held and restore
      their checkpoints now (enough when the parent's generator has already finished: its incremental
      step never runs again);
    * ``settle(name)``, at the end of every generator of ``name``: restore it again if it is held. A
      parent's generator resumes after its last page only once dlt has passed that page through every
      step — the incremental's included, which dlt places before the fork to the children — so its
      ``settle`` comes after the last advance of its cursor.

    Whichever of the two runs last restores, so the committed cursor is the one from before the run.
    ``start(root)`` forgets what an earlier extraction of the same source left for ``root``'s tree.
    """

    def __init__(self, parents: Mapping[str, str | None], *,
                 on_hold: Callable[[str, str], None] | None = None) -> None:
        self._parents = dict(parents)
        self._on_hold = on_hold
        self._lock = threading.Lock()
        self._checkpoints: dict[str, CursorCheckpoint | StateCheckpoint] = {}
        self._held: set[str] = set()

    def _chain(self, name: str) -> list[str]:
        chain = [name]
        while (parent := self._parents.get(chain[-1])) is not None and parent not in chain:
            chain.append(parent)
        return chain

    def start(self, root: str) -> None:
        """A top-level resource begins extracting: forget its tree's checkpoints and holds."""
        with self._lock:
            for name in [n for n in self._parents if root in self._chain(n)]:
                self._checkpoints.pop(name, None)
                self._held.discard(name)

    def track(self, name: str, cursor: Any) -> CursorCheckpoint:
        """A checkpoint of ``name``'s cursor; the first one of the run is the one a hold restores."""
        checkpoint = CursorCheckpoint(cursor)
        with self._lock:
            self._checkpoints.setdefault(name, checkpoint)
        return checkpoint

    def track_state(self, name: str, live: MutableMapping[str, Any]) -> None:
        """A checkpoint of ``name``'s whole resource state (a stepped resource: cursor and progress)."""
        checkpoint = StateCheckpoint(live)
        with self._lock:
            self._checkpoints.setdefault(name, checkpoint)

    def hold(self, name: str) -> None:
        """``name`` failed: it and every ancestor keep the cursor they had before the run."""
        with self._lock:
            chain = self._chain(name)
            newly = [n for n in chain[1:] if n not in self._held and n in self._checkpoints]
            self._held.update(chain)
            for held in chain:
                if held in self._checkpoints:
                    self._checkpoints[held].restore()
        for parent in newly:
            if self._on_hold is not None:
                self._on_hold(parent, name)

    def settle(self, name: str) -> None:
        """A generator of ``name`` ended: restore its cursor again if it is held."""
        with self._lock:
            if name in self._held and name in self._checkpoints:
                self._checkpoints[name].restore()
