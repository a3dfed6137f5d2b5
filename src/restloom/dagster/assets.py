"""``restloom_assets``: a config's resources as Dagster assets, each materialization a ``restloom.sync``.

One ``multi_asset`` per source holds an asset per selected resource (``can_subset``: Dagster may
materialize any subset; dlt still reads a selected child's parents to fan out over them). With a time
``partitions_def`` the incremental resources and their descendants form a second ``multi_asset``,
partitioned by time (and tenant): each partition loads exactly its window through its own dlt pipeline
(``<source>__<partition key>``), so two partitions never share a pipeline's state or lock and a partition
materialized again merges its window's rows over themselves. ``tenants`` partitions both by tenant.

A resource that fails fails its asset alone: the assets of the resources that loaded get their
``MaterializeResult`` first, then a ``dagster.Failure`` names each failed resource with restloom's reason
(Dagster keeps the materializations reported before the failure; the failed assets have none).
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Failure,
    MaterializeResult,
    MultiPartitionsDefinition,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
    multi_asset,
)

from restloom.adapter.sync import SyncResult
from restloom.config.models import Config, ResourceSpec
from restloom.dagster.plan import Loaded, TenantConfig, bounded, load_raw, merged, parse_raw, safe_name, windowed
from restloom.dagster.resource import RestloomResource
from restloom.errors import ConfigError, ConfigIssue

TIME, TENANT = "time", "tenant"


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """What one multi_asset runs: the source, its resources by asset key, how partition keys read."""

    source: Loaded
    base_url: str | None
    keys: Mapping[AssetKey, str]
    time: TimeWindowPartitionsDefinition | None
    tenants: PartitionsDefinition | None
    tenant_config: TenantConfig | None

    def config(self, tenant: str | None, window: Any) -> Config:
        raw = self.source.raw
        if self.base_url:
            raw = merged(raw, {"client": {"base_url": self.base_url}})
        if tenant is not None and self.tenant_config is not None:
            raw = merged(raw, self.tenant_config(tenant))
        config = parse_raw(raw)
        return bounded(config, window.start, window.end) if window is not None else config

    def partition(self, context: AssetExecutionContext) -> tuple[Any, str | None, str | None]:
        """(time window, tenant, partition key) of the materialization; Nones where unpartitioned."""
        if not context.has_partition_key:
            return None, None, None
        key = context.partition_key
        time_key: str | None = key if self.tenants is None else None
        tenant: str | None = key if self.time is None else None
        if self.time is not None and self.tenants is not None:
            dimensions = key.keys_by_dimension  # a MultiPartitionKey
            time_key, tenant = dimensions[TIME], dimensions[TENANT]
        window = self.time.time_window_for_partition_key(time_key) if self.time and time_key else None
        return window, tenant, key


def restloom_assets(config: Any, *, name: str | None = None, base_url: str | None = None,
                    resources: Sequence[str] | None = None,
                    partitions_def: TimeWindowPartitionsDefinition | None = None,
                    tenants: PartitionsDefinition | None = None, tenant_config: TenantConfig | None = None,
                    pool: str | None = None, group_name: str | None = None,
                    key_prefix: Sequence[str] | None = None) -> list[AssetsDefinition]:
    """Dagster assets for a restloom config: a dict, a YAML/JSON/Python path or a catalog connector name.

    ``name``: the source's name (asset key prefix, pipeline and dataset names; default the file's stem or the
    connector's name). ``base_url`` replaces the config's. ``resources``: the resources that become assets
    (default every selected one). ``partitions_def``: a time partitioning (daily, weekly, monthly, ...) whose
    partitions load the incremental resources window by window. ``tenants``: static or dynamic partitions,
    one per tenant, ``tenant_config(key)`` the config overrides of that tenant (``client.base_url``, secrets
    as ``{"secret": NAME}``). ``pool``: the Dagster pool every materialization runs in (a concurrency cap
    shared by the partitions of one API). ``group_name``: default the source's name.
    """
    return [_multi_asset(part.plan, part.specs, name=part.name, description=part.plan.source.description,
                         partitions=part.partitions, pool=pool)
            for part in asset_groups(config, name=name, base_url=base_url, resources=resources,
                                     partitions_def=partitions_def, tenants=tenants, tenant_config=tenant_config,
                                     group_name=group_name, key_prefix=key_prefix)]


@dataclass(frozen=True, slots=True)
class Part:
    """One multi_asset to build: its node name, what it runs, its asset specs and partitioning."""

    name: str
    plan: Group
    specs: list[AssetSpec]
    partitions: PartitionsDefinition | None


def asset_groups(config: Any, *, name: str | None = None, base_url: str | None = None,
                 resources: Sequence[str] | None = None,
                 partitions_def: TimeWindowPartitionsDefinition | None = None,
                 tenants: PartitionsDefinition | None = None, tenant_config: TenantConfig | None = None,
                 group_name: str | None = None, key_prefix: Sequence[str] | None = None) -> list[Part]:
    """The multi_assets of ``restloom_assets`` before they are built: the unpartitioned (or tenant) one and
    the windowed one (named ``<source>_windows``), each present only when it has resources."""
    source = load_raw(config, name)
    parsed = parse_raw(merged(source.raw, {"client": {"base_url": base_url}}) if base_url else source.raw)
    chosen = _chosen(parsed, resources)
    prefix = list(key_prefix or [safe_name(source.name)])
    group = group_name or safe_name(source.name)
    driven = windowed(parsed) if partitions_def is not None else set()
    if driven:  # a cursor no time partition can bound is one ConfigError now, not a failure per partition
        now = datetime.now(UTC)
        bounded(parsed, now, now)
    parts = [("", [s for s in chosen if s.name not in driven], tenants),
             ("_windows", [s for s in chosen if s.name in driven], _combined(partitions_def, tenants))]
    built = []
    for suffix, specs, partitions in parts:
        if not specs:
            continue
        keys = {AssetKey([*prefix, spec.name]): spec.name for spec in specs}
        plan = Group(source=source, base_url=base_url, keys=keys, time=partitions_def if suffix else None,
                     tenants=tenants, tenant_config=tenant_config)
        asset_specs = [AssetSpec(key, description=_describe(spec), group_name=group,
                                 deps=[AssetKey([*prefix, spec.parent])] if spec.parent in parsed_names(parsed)
                                 else []) for key, spec in zip(keys, specs, strict=True)]
        built.append(Part(f"{safe_name(source.name)}{suffix}", plan, asset_specs, partitions))
    return built


def parsed_names(config: Config) -> set[str]:
    """The names of a config's resources."""
    return {spec.name for spec in config.resources}


def _chosen(config: Config, names: Sequence[str] | None) -> list[ResourceSpec]:
    if names is None:
        return [spec for spec in config.resources if spec.selected]
    unknown = [n for n in names if n not in parsed_names(config)]
    if unknown:
        raise ConfigError([ConfigIssue("resources", f"unknown resource(s) {', '.join(unknown)} "
                                                   f"(known: {', '.join(sorted(parsed_names(config)))})")])
    return [spec for spec in config.resources if spec.name in names]


def _combined(time: TimeWindowPartitionsDefinition | None,
              tenants: PartitionsDefinition | None) -> PartitionsDefinition | None:
    if time is not None and tenants is not None:
        return MultiPartitionsDefinition({TIME: time, TENANT: tenants})
    return time or tenants


def _describe(spec: ResourceSpec) -> str:
    endpoint = spec.endpoint
    parts = [f"{endpoint.method} {endpoint.path}", f"write disposition: {_disposition(spec)}"]
    if spec.primary_key:
        parts.append(f"primary key: {', '.join(spec.primary_key)}")
    if endpoint.incremental is not None:
        parts.append(f"incremental on {endpoint.incremental.cursor_path}")
    if spec.parent:
        parts.append(f"one request per {spec.parent} record")
    return "; ".join(parts)


def _disposition(spec: ResourceSpec) -> str:
    value = spec.hints.get("write_disposition", "append")
    return str(value.get("disposition", value)) if isinstance(value, Mapping) else str(value)


def _multi_asset(plan: Group, specs: list[AssetSpec], *, name: str, description: str | None,
                 partitions: PartitionsDefinition | None, pool: str | None) -> AssetsDefinition:
    @multi_asset(specs=specs, name=name, description=description, can_subset=True, partitions_def=partitions,
                 pool=pool)
    def _assets(context: AssetExecutionContext, restloom: RestloomResource) -> Iterator[MaterializeResult]:
        yield from _materialize(context, restloom, plan)

    return _assets


def _materialize(context: AssetExecutionContext, restloom: RestloomResource,
                 plan: Group) -> Iterator[MaterializeResult]:
    """One restloom sync of the selected resources; a result per loaded resource, then a Failure if any failed."""
    window, tenant, key = plan.partition(context)
    names = [n for k, n in plan.keys.items() if k in context.selected_asset_keys]
    for asset_key, metadata in sync_group(plan, restloom, names, window=window, tenant=tenant, key=key,
                                          log=context.log.info):
        yield MaterializeResult(asset_key=asset_key, metadata=metadata)


def sync_group(plan: Group, restloom: RestloomResource, names: Sequence[str], *, window: Any, tenant: str | None,
               key: str | None, log: Callable[[str], Any]) -> Iterator[tuple[AssetKey, dict[str, Any]]]:
    """One restloom sync of ``names`` for one partition (window, tenant, key; Nones where unpartitioned)
    through its own pipeline: (asset key, metadata) per loaded resource, then a ``Failure`` naming each
    failed resource with restloom's reason. What an asset and a backfill step run alike."""
    try:
        config = plan.config(tenant, window)
    except ConfigError as exc:
        raise Failure(description=f"restloom config: {exc}") from exc
    source = safe_name(plan.source.name)
    pipeline = f"{source}__{safe_name(key)}" if key else source
    log(f"restloom: {', '.join(names)} through pipeline {pipeline}")
    result = restloom.sync(config, source=source, pipeline_name=pipeline, resources=list(names), tenant=tenant)
    window_meta = {"window_start": window.start.isoformat(), "window_end": window.end.isoformat()} if window else {}
    failed = {}
    for asset_key, resource in plan.keys.items():
        if resource not in names:
            continue
        stats = result.report.stats(resource)
        if stats.status == "failed":
            failed[resource] = stats.error or "failed"
            continue
        yield asset_key, {**_metadata(result, resource, pipeline), **window_meta}
    if failed:
        reasons = "; ".join(f"{resource}: {error}" for resource, error in failed.items())
        raise Failure(description=f"restloom: {len(failed)} resource(s) failed: {reasons}",
                      metadata={"failed": ", ".join(failed)})


def _metadata(result: SyncResult, resource: str, pipeline: str) -> dict[str, Any]:
    stats = result.report.stats(resource)
    return {"rows_fetched": stats.rows, "rows_loaded": result.loaded.get(resource, 0),
            "rows_in_table": result.landed.get(resource, 0), "pages": stats.pages, "requests": stats.requests,
            "retries": stats.retries, "seconds": round(stats.seconds, 3), "status": stats.status,
            "pipeline": pipeline, "warnings": len(stats.warnings)}
