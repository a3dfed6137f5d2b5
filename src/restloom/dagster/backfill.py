"""``backfill_job``: many time partitions in one Dagster run, one step per partition, run by Dagster's executor.

Dagster backfills a partitioned asset as one run per partition (or, with a single-run backfill policy, one
step over the whole range). A backfill job does what neither does: one run whose first op emits a
``DynamicOutput`` per partition key, mapped onto a step that syncs exactly that partition's window — the
same window, pipeline (``<source>__<partition key>``), lock and metadata as materializing the partitioned
asset — and logs an ``AssetMaterialization`` per asset with the partition key, so the instance's asset
catalog shows those partitions materialized. The run's executor decides the parallelism: with Dagster's
multiprocess executor each step is a process of its own, ``max_concurrent`` at a time
(``backfill_run_config(4)``). A partition that fails fails its step with restloom's message; the other
steps still run and materialize. ``partitions_per_step`` gives a step several consecutive partitions, one
after another, when starting a process costs more than a partition's pages.

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
    Failure,
    JobDefinition,
    OpDefinition,
    OpExecutionContext,
    PartitionKeyRange,
    TimeWindowPartitionsDefinition,
    job,
    op,
)

from restloom.dagster.assets import Group, asset_groups, sync_group
from restloom.dagster.plan import safe_name
from restloom.dagster.resource import RestloomResource
from restloom.errors import ConfigError, ConfigIssue

FORKSERVER_PRELOAD = ("dagster", "dlt", "duckdb", "restloom.dagster", "restloom.adapter.sync")


def backfill_job(config: Any, *, partitions_def: TimeWindowPartitionsDefinition, name: str | None = None,
                 base_url: str | None = None, resources: Sequence[str] | None = None,
                 restloom: RestloomResource | None = None, start: str | None = None, end: str | None = None,
                 partitions_per_step: int = 1, key_prefix: Sequence[str] | None = None,
                 pool: str | None = None) -> JobDefinition:
    """A job backfilling the time partitions ``start`` to ``end`` (partition keys, both included; default
    every partition when the run starts) of a config's windowed resources — those ``restloom_assets(config,
    partitions_def=...)`` puts in ``<source>_windows`` — one step per partition.

    ``config``, ``name``, ``base_url``, ``resources`` and ``key_prefix`` as for ``restloom_assets``, so the
    materializations land on the same asset keys; ``restloom``: where they load (default
    ``RestloomResource()``); ``pool``: the Dagster pool of the partition steps. ``partitions_per_step``: a
    step syncs that many consecutive partitions one after another (each its own window, pipeline and
    materialization), so fewer steps pay a process's start. The job is named ``<source>_backfill``; its
    default executor runs in one process or many as the run config says (``backfill_run_config``).
    """
    parts = [part for part in asset_groups(config, name=name, base_url=base_url, resources=resources,
                                           partitions_def=partitions_def, key_prefix=key_prefix)
             if part.plan.time is not None]
    if not parts:
        raise ConfigError([ConfigIssue("resources", "no incremental resource among those chosen: "
                                                    "nothing for a time partition to bound")])
    _check_range(partitions_def, start, end, partitions_per_step)
    plan = parts[0].plan
    source = safe_name(plan.source.name)
    partitions = _partitions_op(source, partitions_def, start, end, partitions_per_step)
    window = _window_op(source, plan, partitions_def, pool)

    @job(name=f"{source}_backfill", resource_defs={"restloom": restloom or RestloomResource()},
         description=f"restloom: the time partitions of {', '.join(plan.keys.values())}, a step each")
    def backfill() -> None:
        partitions().map(window)

    return backfill


def _partitions_op(source: str, partitions_def: TimeWindowPartitionsDefinition, start: str | None,
                   end: str | None, per_step: int) -> OpDefinition:
    """The first op: the partition keys of the range, ``per_step`` at a time, one ``DynamicOutput`` each."""

    @op(name=f"{source}_partitions", out=DynamicOut(list))
    def partitions(context: OpExecutionContext) -> Iterator[DynamicOutput[list[str]]]:
        keys = _keys(partitions_def, start, end)
        context.log.info(f"restloom: {len(keys)} partition(s), {keys[0] if keys else ''} to "
                         f"{keys[-1] if keys else ''}")
        for first in range(0, len(keys), per_step):
            chunk = keys[first:first + per_step]
            mapping = "__".join(safe_name(key) for key in dict.fromkeys([chunk[0], chunk[-1]]))
            yield DynamicOutput(chunk, mapping_key=mapping)

    return partitions


def _window_op(source: str, plan: Group, partitions_def: TimeWindowPartitionsDefinition,
               pool: str | None) -> OpDefinition:
    """The mapped op: each of its partitions synced as the partitioned asset syncs it, an
    ``AssetMaterialization`` per loaded asset and partition; a ``Failure`` with restloom's message at the end
    when a partition failed (the step's other partitions still ran)."""

    @op(name=f"{source}_window", pool=pool)
    def window(context: OpExecutionContext, restloom: RestloomResource, keys: list) -> None:
        failed = []
        for key in keys:
            time_window = partitions_def.time_window_for_partition_key(key)
            try:
                for asset_key, metadata in sync_group(plan, restloom, list(plan.keys.values()),
                                                      window=time_window, tenant=None, key=key,
                                                      log=context.log.info):
                    context.log_event(AssetMaterialization(asset_key=asset_key, partition=key, metadata=metadata))
            except Failure as failure:
                if len(keys) == 1:
                    raise
                failed.append(f"{key}: {failure.description}")
        if failed:
            raise Failure(description=f"restloom: {len(failed)} of {len(keys)} partitions failed: "
                                      + "; ".join(failed))

    return window


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


def _check_range(partitions_def: TimeWindowPartitionsDefinition, start: str | None, end: str | None,
                 per_step: int) -> None:
    """A start or end that is no partition key, a start after the end, or fewer than one partition per step
    is one ``ConfigError`` now."""
    issues = [ConfigIssue(where, f"{key!r} is not a partition key of {partitions_def}")
              for where, key in (("start", start), ("end", end))
              if key is not None and not partitions_def.has_partition_key(key)]
    if not issues and start is not None and end is not None and (
            partitions_def.time_window_for_partition_key(start).start
            > partitions_def.time_window_for_partition_key(end).start):
        issues.append(ConfigIssue("start", f"{start!r} comes after the end, {end!r}"))
    if per_step < 1:
        issues.append(ConfigIssue("partitions_per_step", f"at least 1, got {per_step}"))
    if issues:
        raise ConfigError(issues)


def _keys(partitions_def: TimeWindowPartitionsDefinition, start: str | None, end: str | None) -> list[str]:
    keys = list(partitions_def.get_partition_keys())
    if not keys:
        return []
    first, last = start or keys[0], end or keys[-1]
    return list(partitions_def.get_partition_keys_in_range(PartitionKeyRange(first, last)))
