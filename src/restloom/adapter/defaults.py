"""The dlt settings a restloom run uses unless the user's dlt config says otherwise: bounded memory at volume.

Without them a sync of 2,000,000 records peaked near 1.9 GB, in the load step: DuckDB takes up to 80 % of
the machine's memory and a thread per core by default, and its inserts keep rows in order. With them it
spills to its temporary directory instead, and intermediate files are written uncompressed (dlt gzips
them by default: CPU for files that live seconds). What each one does:

- ``destination.duckdb.credentials.global_config``: DuckDB's ``memory_limit`` (160 MB), ``threads`` (2)
  and ``preserve_insertion_order`` (false: a merge or an insert need not keep the file's row order). With
  256 MB a 2,000,000-record merge peaked at 509 MiB in the load, with 160 MB at 410 MiB and no slower;
- ``data_writer.disable_compression``: true; ``data_writer.file_max_items``: 200,000 rows a file, so a
  table of millions of rows is loaded as several jobs rather than one;
- ``load.workers``: 2 load jobs at a time (dlt's default is 20; each holds a DuckDB insert).

Why our own mechanism: dlt reads its settings from the environment, ``secrets.toml`` and ``config.toml``,
and a value passed in code beats all of them. Defaults set as environment variables would override what
a user wrote in ``config.toml``; passed as arguments they would override everything. So they go into a
dictionary provider (dlt's ``DictionaryProvider``) placed after all of dlt's providers for the length of a
run: any of these keys the user sets anywhere dlt looks (``DATA_WRITER__FILE_MAX_ITEMS``,
``[load] workers`` in ``config.toml``, ...) wins, key by key; ``global_config`` is one value, so a user's
``global_config`` replaces the whole DuckDB dict. ``RESTLOOM_DLT_DEFAULTS=0`` turns them all off.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["DLT_DEFAULTS", "defaults_enabled", "dlt_defaults"]

DLT_DEFAULTS: dict[str, Any] = {
    "data_writer": {"disable_compression": True, "file_max_items": 200_000},
    "load": {"workers": 2},
    "destination": {"duckdb": {"credentials": {"global_config": {
        "memory_limit": "160MB", "threads": 2, "preserve_insertion_order": False}}}},
}

_lock = threading.Lock()
_active = [0]  # how many dlt_defaults() blocks are open


def _provider_list() -> list[Any]:
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

    return Container()[PluggableRunContext].providers.providers


def _provider() -> Any:
    from dlt.common.configuration.providers.dictionary import DictionaryProvider

    class RestloomDefaults(DictionaryProvider):
        """restloom's defaults, consulted after every provider of the user's."""

        NAME = "restloom defaults"

    provider = RestloomDefaults()
    provider._config_doc = DLT_DEFAULTS
    return provider


def defaults_enabled() -> bool:
    """False when ``RESTLOOM_DLT_DEFAULTS=0`` turns restloom's dlt defaults off (the leaner DuckDB merge,
    ``adapter/duckdb_merge.py``, included)."""
    return os.environ.get("RESTLOOM_DLT_DEFAULTS", "1") != "0"


@contextmanager
def dlt_defaults() -> Iterator[None]:
    """restloom's dlt defaults in force (after every other provider) for the ``with`` block.

    Re-entrant and thread-safe: the provider is added by the outermost block and removed when it ends.
    """
    if not defaults_enabled():
        yield
        return
    with _lock:
        providers = _provider_list()
        if _active[0] == 0 and all(p.name != "restloom defaults" for p in providers):
            providers.append(_provider())
        _active[0] += 1
    try:
        yield
    finally:
        with _lock:
            _active[0] -= 1
            if _active[0] == 0:
                current = _provider_list()
                current[:] = [p for p in current if p.name != "restloom defaults"]
