"""What ``restloom state`` shows and resets: each resource's incremental cursor, kept by dlt, and the
cursors per parent of a child resource (``restloom.adapter.perparent``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from restloom.adapter.perparent import STATE_KEY

SOURCE_NAME = "rest_api"
SHOWN_PARENTS = 3


def resource_states(pipeline: Any, *, source: str = SOURCE_NAME) -> dict[str, dict[str, Any]]:
    """resource name -> cursor path -> {last_value, initial_value, ...} from the pipeline's state; for a
    cursor per parent, {per_parent: how many parents, last_values: parent key -> last value}."""
    sources = pipeline.state.get("sources", {})
    resources = sources.get(source, {}).get("resources", {})
    out: dict[str, dict[str, Any]] = {}
    for name, state in resources.items():
        cursors = {path: {k: v for k, v in value.items() if k != "unique_hashes"}
                   for path, value in state.get("incremental", {}).items()}
        for path, entries in state.get(STATE_KEY, {}).items():
            if entries:
                cursors[path] = {"per_parent": len(entries),
                                 "last_values": {key: entry.get("last_value") for key, entry in entries.items()}}
        if cursors:
            out[name] = cursors
    return out


def _describe(name: str, path: str, value: dict[str, Any]) -> str:
    if "per_parent" not in value:
        return f"{name}: {path} last_value={value.get('last_value')!r} (initial {value.get('initial_value')!r})"
    last_values = value["last_values"]
    shown = ", ".join(f"{key} last_value={last!r}" for key, last in list(last_values.items())[:SHOWN_PARENTS])
    more = len(last_values) - SHOWN_PARENTS
    return (f"{name}: {path} per parent, {value['per_parent']} parents: {shown}"
            + (f" (and {more} more)" if more > 0 else ""))


def describe_states(states: dict[str, dict[str, Any]], resources: Iterable[str]) -> list[str]:
    """One line per resource cursor: its value (the count and first few for a cursor per parent), or
    'no cursor stored'."""
    lines = []
    for name in resources:
        cursors = states.get(name)
        if not cursors:
            lines.append(f"{name}: no cursor stored")
            continue
        lines.extend(_describe(name, path, value) for path, value in cursors.items())
    return lines


def reset(pipeline: Any, resources: list[str]) -> list[str]:
    """Forget the stored state of ``resources`` (tables stay), per-parent cursors included; return the
    resources that had state."""
    from dlt.pipeline.helpers import pipeline_drop

    had = [name for name in resources if name in resource_states(pipeline)]
    if had:
        pipeline_drop(pipeline, resources=had, state_only=True)()
    return had
