"""Parsing ``incremental`` blocks (and params of ``type: incremental``) into an IncrementalSpec.

dlt's arguments pass through to ``dlt.sources.incremental``; restloom's own — ``convert`` by name,
``cursor_format``, ``lookback``, ``step`` (``restloom.config.steps``), ``per_parent`` — are checked here
(see ``restloom.adapter.windows``, ``restloom.adapter.steps`` and ``restloom.adapter.perparent``).
``per_parent`` is settled once the parents are bound (``settle_per_parent``): a child keeps a cursor per
parent unless it says ``per_parent: false``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from restloom.config.issues import Issues, join
from restloom.config.models import IncrementalSpec, ResourceSpec
from restloom.config.selectors import compile_jsonpath
from restloom.config.steps import parse_step
from restloom.errors import ConfigError
from restloom.text import did_you_mean

INCREMENTAL_KEYS = frozenset({"cursor_path", "initial_value", "end_value", "start_param", "end_param", "convert",
                              "transform", "last_value_func", "primary_key", "row_order",
                              "allow_external_schedulers", "lag", "on_cursor_value_missing", "range_start",
                              "range_end", "cursor_format", "lookback", "per_parent", "step"})
CONVERT_NAMES = ("date", "epoch_ms", "epoch_seconds", "iso", "iso_z")


def parse_incremental(raw: Mapping[str, Any], path: str, issues: Issues) -> IncrementalSpec | None:
    """The endpoint's incremental (from its ``incremental`` block or an incremental param), or None."""
    block, where, start_param = raw.get("incremental"), join(path, "incremental"), None
    for key, value in (raw.get("params") or {}).items():
        if isinstance(value, Mapping) and value.get("type") == "incremental":
            if block is not None:
                issues.add(join(join(path, "params"), key), "only one incremental per endpoint")
                return None
            block = {k: v for k, v in value.items() if k != "type"}
            where, start_param = join(join(path, "params"), key), key
    if block is None:
        return None
    if not issues.expect(block, Mapping, where, "a mapping"):
        return None
    issues.unknown_keys(block, INCREMENTAL_KEYS, where)
    if not isinstance(block.get("cursor_path"), str):
        issues.add(join(where, "cursor_path"), "required: the record field that orders the data")
        return None
    try:
        compile_jsonpath(block["cursor_path"], path=join(where, "cursor_path"))
    except ConfigError as exc:
        issues.extend(exc)
        return None
    args = {k: v for k, v in block.items() if k not in ("cursor_path", "initial_value", "end_value", "start_param",
                                                         "end_param", "convert", "transform", "cursor_format",
                                                         "lookback", "per_parent", "step")}
    convert = block.get("convert", block.get("transform"))
    if convert is not None and not callable(convert) and convert not in CONVERT_NAMES:
        issues.add(join(where, "convert"), f"expected a callable or one of {', '.join(CONVERT_NAMES)}, "
                   f"got {convert!r}{did_you_mean(str(convert), CONVERT_NAMES)}")
    cursor_format = block.get("cursor_format")
    if cursor_format is not None and cursor_format not in ("epoch_seconds", "epoch_ms"):
        issues.add(join(where, "cursor_format"), f"expected epoch_seconds or epoch_ms, got {cursor_format!r}")
    lookback = block.get("lookback")
    if lookback is not None and (not isinstance(lookback, int | float) or isinstance(lookback, bool) or lookback < 0):
        issues.add(join(where, "lookback"), f"expected a number of seconds >= 0, got {lookback!r}")
        lookback = None
    per_parent = block.get("per_parent")
    if per_parent is not None and not isinstance(per_parent, bool):
        issues.add(join(where, "per_parent"), f"expected true or false, got {per_parent!r}")
        per_parent = None
    return IncrementalSpec(
        cursor_path=block["cursor_path"],
        initial_value=block.get("initial_value"),
        end_value=block.get("end_value"),
        start_param=block.get("start_param", start_param),
        end_param=block.get("end_param"),
        convert=convert,
        cursor_format=cursor_format,
        lookback=lookback,
        step=parse_step(block, where, issues),
        args=MappingProxyType(args),
        per_parent=per_parent,
        config_path=where,
    )


# what a per-parent cursor cannot do as dlt's incremental does: the option, and why
_NOT_PER_PARENT = {
    "allow_external_schedulers": "an external scheduler sets one window for the whole resource",
}


def settle_per_parent(spec: ResourceSpec, issues: Issues) -> ResourceSpec:
    """``spec`` with its incremental's ``per_parent`` decided: on by default for a child, off for a
    top-level resource (which has no parents: asking for it is an error naming the path)."""
    incremental = spec.endpoint.incremental
    if incremental is None:
        return spec
    where = incremental.config_path
    per_parent = incremental.per_parent
    if spec.parent is None:
        if per_parent:
            issues.add(join(where, "per_parent"), f"resource '{spec.name}' has no parent resource: a cursor per "
                       "parent needs a child resource (remove per_parent)")
        per_parent = False
    elif per_parent is None:
        per_parent = True
    if per_parent:
        func = incremental.args.get("last_value_func")
        if func is not None and func not in (max, min):
            issues.add(join(where, "last_value_func"), f"a cursor per parent supports max and min, got {func!r}: "
                       "set per_parent: false to use dlt's single incremental with this function")
        for option, why in _NOT_PER_PARENT.items():
            if incremental.args.get(option):
                issues.add(join(where, option), f"not supported with a cursor per parent ({why}): set per_parent: "
                           "false to use dlt's single incremental")
    endpoint = dataclasses.replace(spec.endpoint, incremental=dataclasses.replace(incremental, per_parent=per_parent))
    return dataclasses.replace(spec, endpoint=endpoint)
