"""What a set of assets runs, without Dagster: the config read once, tenant overrides, partition windows.

A config is parsed when the assets are defined (its resources become asset specs) but resolved — secrets
read — only when an asset materializes, so a code location loads without any credential set. A time
partition becomes a bounded incremental window: ``initial_value`` and ``end_value`` are the partition's
start and end written as the config writes ``initial_value`` (ISO text, a date, epoch seconds or ms), and
dlt's incremental then runs in its bounded mode, which writes no shared cursor.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from restloom.adapter.front import RunOptions
from restloom.adapter.steps import written_like
from restloom.catalog import catalog_names, catalog_raw, catalog_text
from restloom.config import load_file, parse
from restloom.config.files import mark_secrets
from restloom.config.issues import named_path
from restloom.config.models import Config, IncrementalSpec, ResourceSpec, RetryPolicy
from restloom.config.paginators import default_paginator_registry
from restloom.config.steps import cursor_kind
from restloom.errors import ConfigError, ConfigIssue

CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".py")
TenantConfig = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Loaded:
    """A raw config with the name and description its assets take."""

    raw: dict[str, Any]
    name: str
    description: str | None


def load_raw(config: Any, name: str | None = None) -> Loaded:
    """A config dict, a YAML/JSON/Python path or a catalog connector name, read (secrets as references)."""
    if isinstance(config, Mapping):
        return Loaded(mark_secrets(copy.deepcopy(dict(config))), name or "restloom", None)
    text = str(config)
    path = Path(text)
    if path.suffix.lower() in CONFIG_SUFFIXES or path.is_file():
        return Loaded(load_file(path), name or path.stem, None)
    if text in catalog_names():
        header = next((line.lstrip("# ").strip() for line in catalog_text(text).splitlines() if line.strip()), None)
        return Loaded(catalog_raw(text), name or text, header)
    raise ConfigError([ConfigIssue("", f"{text!r} is neither a config file nor a catalog connector "
                                       f"(known: {', '.join(catalog_names())})")])


def safe_name(name: str) -> str:
    """``name`` usable as an asset key part and in a pipeline name: letters, digits and underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def merged(raw: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``raw`` with ``overrides`` laid over it, mapping by mapping (a tenant's base URL, its secrets)."""
    result = copy.deepcopy(dict(raw))
    for key, value in mark_secrets(dict(overrides)).items():
        here = result.get(key)
        if isinstance(value, Mapping) and isinstance(here, Mapping) and not _is_ref(value):
            result[key] = merged(here, value)
        else:
            result[key] = value
    return result


def _is_ref(value: Mapping[str, Any]) -> bool:
    return "secret" in value and set(value) <= {"secret", "format"}


def parse_raw(raw: Mapping[str, Any]) -> Config:
    """The parsed (not yet resolved) config, with the run options of the environment, as ``compile_config``."""
    options = RunOptions.from_env()
    return parse(raw, concurrency=options.concurrency, retry_base=RetryPolicy(wait_scale=options.retry_wait_scale),
                 paginators=default_paginator_registry())


def windowed(config: Config) -> set[str]:
    """The resources a time partition drives: each incremental one, and every descendant of one."""
    return config.with_descendants({spec.name for spec in config.resources if spec.endpoint.incremental is not None})


def written(spec: IncrementalSpec, moment: datetime, where: str) -> Any:
    """``moment`` written as the config writes the cursor's ``initial_value``."""
    kind = cursor_kind(spec.initial_value, spec.cursor_format)
    if kind not in ("datetime", "date", "epoch"):
        raise ConfigError([ConfigIssue(f"{where}.initial_value", "a time partition needs a point-in-time cursor: "
                                       "ISO 8601 text, a date, or a number with cursor_format, got "
                                       f"{spec.initial_value!r}")])
    seconds = moment.astimezone(UTC).timestamp()
    if kind == "epoch" and spec.cursor_format == "epoch_ms":
        seconds *= 1000
    return written_like(spec, seconds, kind=kind)


def bounded(config: Config, start: datetime, end: datetime) -> Config:
    """``config`` with every incremental bounded to ``[start, end)``: no step, no lookback, no shared cursor."""
    resources: list[ResourceSpec] = []
    names = {int(found.group(1)): spec.name for spec in config.resources
             if (found := re.match(r"resources\[(\d+)\]", spec.config_path))}
    for spec in config.resources:
        inc = spec.endpoint.incremental
        if inc is None:
            resources.append(spec)
            continue
        where = named_path(inc.config_path or f"{spec.config_path}.endpoint.incremental", names)
        window = dataclasses.replace(inc, initial_value=written(inc, start, where), end_value=written(inc, end, where),
                                     step=None, lookback=None, args={k: v for k, v in inc.args.items() if k != "lag"})
        resources.append(dataclasses.replace(spec, endpoint=dataclasses.replace(spec.endpoint, incremental=window)))
    return dataclasses.replace(config, resources=tuple(resources))
