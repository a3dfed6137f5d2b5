"""What ``restloom state`` shows and resets: each resource's incremental cursor, kept by dlt."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SOURCE_NAME = "rest_api"


def resource_states(pipeline: Any, *, source: str = SOURCE_NAME) -> dict[str, dict[str, Any]]:
    """resource name -> cursor path -> {last_value, initial_value, ...} from the pipeline's state."""
    sources = pipeline.state.get("sources", {})
    resources = sources.get(source, {}).get("resources", {})
    out: dict[str, dict[str, Any]] = {}
    for name, state in resources.items():
        cursors = state.get("incremental", {})
        if cursors:
            out[name] = {path: {k: v for k, v in value.items() if k != "unique_hashes"}
                         for path, value in cursors.items()}
    return out


def describe_states(states: dict[str, dict[str, Any]], resources: Iterable[str]) -> list[str]:
    """One line per resource: its cursor or 'no cursor stored'."""
    lines = []
    for name in resources:
        cursors = states.get(name)
        if not cursors:
            lines.append(f"{name}: no cursor stored")
            continue
        for path, value in cursors.items():
            lines.append(f"{name}: {path} last_value={value.get('last_value')!r} "
                         f"(initial {value.get('initial_value')!r})")
    return lines


def reset(pipeline: Any, resources: list[str]) -> list[str]:
    """Forget the stored state of ``resources`` (tables stay); return the resources that had state."""
    from dlt.pipeline.helpers import pipeline_drop

    had = [name for name in resources if name in resource_states(pipeline)]
    if had:
        pipeline_drop(pipeline, resources=had, state_only=True)()
    return had
