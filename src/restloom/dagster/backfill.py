"""``backfill_job``: many time partitions in one Dagster run, one step per partition, run by Dagster's executor.

Dagster backfills a partitioned asset as one run per partition (or, with a single-run backfill policy, one
step over the whole range). A backfill job does what neither does: one run whose first op emits a
``DynamicOutput`` per partition key, mapped onto a step that syncs exactly that partition's window — the
same window, pipeline (``<source>__<partition key>``), lock and metadata as materializing the partitioned
asset — and logs an ``AssetMaterialization`` per asset with the partition key, so the instance's asset
catalog shows those partitions materialized. The run's executor decides the parallelism: with Dagster's
multiprocess executor each step is a process of its own, ``max_concurrent`` at a time
(``backfill_run_config(4)``). A partition that fails fails its step with restloom's message; the other
steps still run and materialize.

Dagster's multiprocess executor rebuilds the job in every step's process, so it takes a reconstructable
job: a module-level function returning ``backfill_job(...)``, passed through ``dagster.reconstructable``.
(No ``from __future__ import annotations`` here: Dagster reads the ops' annotations as types.)
"""

from collections.abc import Iterator, Sequence
from typing import Any

from dagster import (
    AssetMaterialization,
    DynamicOut,
    DynamicOutput,
    JobDefinition,
    OpExecutionContext,
    PartitionKeyRange,
    TimeWindowPartitionsDefinition,
    job,
    op,
)

from restloom.dagster.assets import asset_groups, sync_group
from restloom.dagster.plan import safe_name
from restloom.dagster.resource import RestloomResource
from restloom.errors import ConfigError, ConfigIssue

FORKSERVER_PRELOAD = ("dagster", "dlt", "duckdb", "restloom.dagster", "restloom.adapter.sync")


def backfill_job(config: Any, *, partitions_def: TimeWindowPartitionsDefinition, name: str | None = None,
                 base_url: str | None = None, resources: Sequence[str] | None = None,
                 restloom: RestloomResource | None = None, start: str | None = None, end: str | None = None,
                 key_prefix: Sequence[str] | None = None, pool: str | None = None) -> JobDefinition:
    """A job backfilling the time partitions ``start`` to ``end`` (partition keys, both included; default
    every partition when the run starts) of a config's windowed resources — those ``restloom_assets(config,
    partitions_def=...)`` puts in ``<source>_windows`` — one step per partition.

    ``config``, ``name``, ``base_url``, ``resources`` and ``key_prefix`` as for ``restloom_assets``, so the
    materializations land on the same asset keys; ``restloom``: where they load (default
    ``RestloomResource()``); ``pool``: the Dagster pool of the partition steps. The job is named
    ``<source>_backfill``; its default executor runs in one process or many as the run config says.
    """
    parts = [part for part in asset_groups(config, name=name, base_url=base_url, resources=resources,
                                           partitions_def=partitions_def, key_prefix=key_prefix)
             if part.plan.time is not None]
    if not parts:
        raise ConfigError([ConfigIssue("resources", "no incremental resource among those chosen: "
                                                    "nothing for a time partition to bound")])
    _check_range(partitions_def, start, end)
    plan = parts[0].plan
    source = safe_name(plan.source.name)

    @op(name=f"{source}_partitions", out=DynamicOut(str))
    def partitions(context: OpExecutionContext) -> Iterator[DynamicOutput[str]]:
        keys = _keys(partitions_def, start, end)
        context.log.info(f"restloom: {len(keys)} partition(s), {keys[0] if keys else ''} to "
                         f"{keys[-1] if keys else ''}")
        for key in keys:
            yield DynamicOutput(key, mapping_key=safe_name(key))

    @op(name=f"{source}_window", pool=pool)
    def window(context: OpExecutionContext, restloom: RestloomResource, key: str) -> None:
        time_window = partitions_def.time_window_for_partition_key(key)
        for asset_key, metadata in sync_group(plan, restloom, list(plan.keys.values()), window=time_window,
                                              tenant=None, key=key, log=context.log.info):
            context.log_event(AssetMaterialization(asset_key=asset_key, partition=key, metadata=metadata))

    @job(name=f"{source}_backfill", resource_defs={"restloom": restloom or RestloomResource()},
         description=f"restloom: the time partitions of {', '.join(plan.keys.values())}, one step each")
    def backfill() -> None:
        partitions().map(window)

    return backfill


def backfill_run_config(processes: int = 4, *, forkserver: bool = False) -> dict[str, Any]:
    """The run config of a backfill job on Dagster's multiprocess executor, ``processes`` steps at a time
    (``processes=1``: Dagster's in-process executor, one partition after another).

    Each step of the multiprocess executor is a new process that imports Dagster, dlt and restloom and
    rebuilds the job: seconds of CPU per partition, more than a small window's pages. ``forkserver=True``
    forks the steps from a server process that imported them once (Dagster's ``forkserver`` start method,
    ``FORKSERVER_PRELOAD``). A forked step sees the environment of the moment the server started (the first
    forkserver run of the process): set secrets and settings before it.
    """
    if processes <= 1:
        return {"execution": {"config": {"in_process": {}}}}
    multiprocess: dict[str, Any] = {"max_concurrent": processes}
    if forkserver:
        multiprocess["start_method"] = {"forkserver": {"preload_modules": list(FORKSERVER_PRELOAD)}}
    return {"execution": {"config": {"multiprocess": multiprocess}}}


def _check_range(partitions_def: TimeWindowPartitionsDefinition, start: str | None, end: str | None) -> None:
    """A start or end that is no partition key, or a start after the end, is one ``ConfigError`` now."""
    issues = [ConfigIssue(where, f"{key!r} is not a partition key of {partitions_def}")
              for where, key in (("start", start), ("end", end))
              if key is not None and not partitions_def.has_partition_key(key)]
    if not issues and start is not None and end is not None and (
            partitions_def.time_window_for_partition_key(start).start
            > partitions_def.time_window_for_partition_key(end).start):
        issues.append(ConfigIssue("start", f"{start!r} comes after the end, {end!r}"))
    if issues:
        raise ConfigError(issues)


def _keys(partitions_def: TimeWindowPartitionsDefinition, start: str | None, end: str | None) -> list[str]:
    keys = list(partitions_def.get_partition_keys())
    if not keys:
        return []
    first, last = start or keys[0], end or keys[-1]
    return list(partitions_def.get_partition_keys_in_range(PartitionKeyRange(first, last)))
