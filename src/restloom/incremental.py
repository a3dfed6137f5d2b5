"""Incremental windows: dlt's ``incremental`` object carries the cursor state; this module turns
its window into request parameters (``start_param`` / ``end_param``)."""

from __future__ import annotations

from typing import Any

import dlt

from restloom.config.models import IncrementalSpec


def dlt_incremental(spec: IncrementalSpec) -> Any:
    """The dlt incremental object for a spec (dlt keeps its state between runs)."""
    return dlt.sources.incremental(cursor_path=spec.cursor_path, initial_value=spec.initial_value,
                                   end_value=spec.end_value, **dict(spec.args))


def window_params(spec: IncrementalSpec, cursor: Any) -> dict[str, Any]:
    """The query parameters that ask the API for the current window."""
    params: dict[str, Any] = {}
    convert = spec.convert or (lambda value: value)
    if spec.start_param and cursor.start_value is not None:
        params[spec.start_param] = convert(cursor.start_value)
    if spec.end_param and cursor.end_value is not None:
        params[spec.end_param] = convert(cursor.end_value)
    return params
