"""Materializing many partitions from several processes at once, as a Dagster deployment does.

Dagster runs each partition of a partitioned asset as its own run; a backfill's runs go in parallel as the
run coordinator (and the assets' pool) allow, each run in its own process. ``materialize_partitions``
does the same on one machine without a Dagster daemon: a pool of worker processes, each materializing one
partition at a time in-process. Used by the backfill test and ``bench/bench_dagster_backfill.py``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from restloom.dagster.resource import RestloomResource

AssetsFactory = Callable[[], Sequence[Any]]


def materialize_one(factory: AssetsFactory, settings: dict[str, Any], partition_key: str) -> tuple[str, bool]:
    """Materialize every asset ``factory()`` builds for ``partition_key`` in this process, with a
    ``RestloomResource(**settings)``; (key, success)."""
    from dagster import materialize

    resource = RestloomResource(**settings)
    result = materialize(list(factory()), partition_key=partition_key, resources={"restloom": resource},
                         raise_on_error=False)
    return partition_key, bool(result.success)


def materialize_partitions(factory: AssetsFactory, resource: RestloomResource, partition_keys: Sequence[str], *,
                           processes: int = 4) -> dict[str, bool]:
    """Each partition materialized once, by ``processes`` worker processes (spawned): key -> success.
    ``factory`` must be importable by name (a module-level function), as the workers rebuild the assets
    (and the resource, from its fields)."""
    settings = {name: getattr(resource, name) for name in ("destination", "duckdb_path", "dataset_name",
                                                           "pipelines_dir")}
    if processes <= 1:
        return dict(materialize_one(factory, settings, key) for key in partition_keys)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        futures = [pool.submit(materialize_one, factory, settings, key) for key in partition_keys]
        return dict(future.result() for future in futures)
