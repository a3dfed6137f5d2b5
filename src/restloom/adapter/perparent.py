"""A cursor per parent key for a child resource with ``incremental`` (restloom's default for children).

Why our own: dlt's ``incremental`` keeps one cursor per resource. Bound to a transformer it is shared by
every parent record, so a parent seen for the first time is asked from the cursor the other parents
reached and loses its older history, and every parent is asked from the global maximum. Here each
parent key (the values a child's request takes from its parent record, ``engine.render.parent_key``)
has its own entry in the child's dlt resource state — committed by dlt with the data, restored from
the destination like any state — and its own window: a parent seen for the first time starts at
``initial_value``, the others at their own last value.

Per parent the semantics are dlt's: the filtering, ``end_value``, ``range_start``/``range_end``,
``on_cursor_value_missing`` and the boundary deduplication are dlt's own row transform
(``JsonIncremental``), ``lag``/``lookback`` is dlt's ``apply_lag_with_suppression``, and the window is
written into the request as for a shared cursor (``window_params``/``window_placeholders``: ``convert``,
``cursor_format``, ``{incremental.start_value}``). As in dlt, a window with an ``end_value`` is a fixed
backfill and stores nothing. ``row_order`` has no effect: each parent's rows are read and filtered.

An entry moves only when that parent's rows are handed to dlt: a parent whose children failed keeps its
old entry while the parents read before it advance (and the whole state is committed only with a
successful extract, as dlt does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dlt
from dlt.extract.incremental.lag import apply_lag_with_suppression
from dlt.extract.incremental.transform import JsonIncremental

from restloom.adapter.windows import lag_of, window_params, window_placeholders
from restloom.config.models import IncrementalSpec, ResourceSpec
from restloom.engine.render import parent_key
from restloom.engine.run import Window

STATE_KEY = "per_parent_incremental"
"""Where the entries live in a child's resource state: ``{cursor_path: {parent key: entry}}``."""


class ParentCursor:
    """dlt's incremental for the requests of one parent: its window, its row filter, its state entry.

    Exposes ``initial_value``, ``start_value``, ``last_value`` and ``end_value`` as dlt's incremental does,
    so the request window is written by the same functions as a shared cursor's.
    """

    def __init__(self, spec: IncrementalSpec, entry: Mapping[str, Any] | None, *, resource: str,
                 primary_key: Any) -> None:
        self._spec = spec
        self._resource = resource
        self._primary_key = primary_key
        self._func = spec.args.get("last_value_func") or max
        self._lag = lag_of(spec)
        self.initial_value = spec.initial_value
        self.end_value = spec.end_value
        fixed = spec.end_value is not None  # a backfill window: dlt neither reads nor writes state
        self._stored = None if fixed or entry is None else entry.get("last_value")
        self._hashes: list[str] = [] if fixed or entry is None else list(entry.get("unique_hashes") or [])
        last = self._stored if self._stored is not None else spec.initial_value
        self.start_value = apply_lag_with_suppression(self._lag, self._func, spec.initial_value, spec.end_value,
                                                      last, resource)
        self.last_value = self.start_value

    def filter(self, rows: list[Any]) -> tuple[list[Any], dict[str, Any] | None]:
        """The rows inside this parent's window, and its new state entry (None: leave it as it is)."""
        args = self._spec.args
        transform = JsonIncremental(
            self._resource, self._spec.cursor_path, self.initial_value, self.start_value, self.end_value,
            self._func, self._primary_key, set(self._hashes), args.get("on_cursor_value_missing", "raise"),
            self._lag, args.get("range_start", "closed"), args.get("range_end", "open"))
        kept = [row for row in rows if transform(row)[0] is not None]
        last = transform.last_value
        if self.end_value is not None or last is None:
            return kept, None
        if self._lag and self._stored is not None:
            last = self._func((last, self._stored))  # forward only, as dlt keeps a lagged cursor
        hashes: set[str] = set()
        if transform.boundary_deduplication:
            hashes = {transform.compute_unique_value(row, self._primary_key, transform.unique_hashes_legacy)
                      for row in transform.last_rows}
            hashes.update(transform.unique_hashes)
        return kept, {"last_value": last, "unique_hashes": sorted(hashes)}


class ParentCursors:
    """The per-parent cursors of one child resource in one extraction, over its resource state."""

    def __init__(self, spec: ResourceSpec, state: dict[str, Any]) -> None:
        incremental = spec.endpoint.incremental
        assert incremental is not None
        self._spec = spec
        self._incremental = incremental
        self._entries: dict[str, Any] = state.setdefault(STATE_KEY, {}).setdefault(incremental.cursor_path, {})
        if "primary_key" in incremental.args:
            self._primary_key = incremental.args["primary_key"]
        else:
            self._primary_key = list(spec.primary_key) or None
        self._open: dict[str, ParentCursor] = {}

    @classmethod
    def of_current_resource(cls, spec: ResourceSpec) -> ParentCursors:
        """The cursors over ``spec``'s state in the pipeline being extracted (a scratch state without one)."""
        try:
            state = dlt.current.resource_state(spec.name)
        except Exception:  # no pipeline (a source iterated on its own): nothing to keep between runs
            state = {}
        return cls(spec, state)

    def _cursor(self, key: str) -> ParentCursor:
        cursor = self._open.get(key)
        if cursor is None:
            cursor = ParentCursor(self._incremental, self._entries.get(key), resource=self._spec.name,
                                  primary_key=self._primary_key)
            self._open[key] = cursor
        return cursor

    def window(self, record: Mapping[str, Any]) -> Window:
        """The request window of one parent record."""
        cursor = self._cursor(parent_key(self._spec, record))
        return Window(params=window_params(self._incremental, cursor),
                      placeholders=window_placeholders(self._incremental, cursor))

    def take(self, record: Mapping[str, Any], rows: list[Any]) -> list[Any]:
        """The rows of one parent inside its window; its entry advances past them."""
        key = parent_key(self._spec, record)
        kept, entry = self._cursor(key).filter(rows)
        self._open.pop(key, None)
        if entry is not None:
            self._entries[key] = entry
        return kept
