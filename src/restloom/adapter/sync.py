"""Running a parsed config through a dlt pipeline: the library call behind ``restloom run``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dlt

from restloom.adapter.collector import collector_eased
from restloom.adapter.defaults import dlt_defaults
from restloom.adapter.hooks import install_load_job_pause, step
from restloom.adapter.lock import pipeline_lock
from restloom.adapter.replay import recover
from restloom.adapter.source import DEFAULT_FILE_FORMAT, build_source
from restloom.config.issues import notice_resources
from restloom.config.models import Config
from restloom.config.secrets import resolve
from restloom.engine.run import Run
from restloom.report import RunReport


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncResult:
    """What a sync did: the engine's report, the rows now in each table, the rows this run loaded into each
    resource's table (after dlt's incremental filtered what was fetched), the dlt load info."""

    report: RunReport
    landed: dict[str, int]
    load_info: Any
    pipeline: Any
    loaded: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no resource failed."""
        return not self.report.failed


def sync(config: Config, *, pipeline_name: str, destination: Any = "duckdb", dataset_name: str | None = None,
         resources: list[str] | None = None, report: RunReport | None = None, pipelines_dir: str | None = None,
         source_name: str | None = None, file_format: str = DEFAULT_FILE_FORMAT,
         refresh: str | None = None,
         destination_lock: Callable[[], AbstractContextManager[Any]] | None = None) -> SyncResult:
    """Extract every (or the chosen) resource and load it; resource failures are in the report.

    A failed resource does not stop the others (``on_failure="continue"``): what loaded stays loaded and
    ``SyncResult.ok`` is False (``restloom run`` exits 1); ``report.raise_for_failures()`` raises.
    dlt runs with restloom's defaults (``adapter/defaults.py``: DuckDB's memory and threads bounded,
    uncompressed intermediate files, rotated files); any of them set in the user's dlt config wins.
    DuckDB (``"duckdb"`` or dlt's ``duckdb`` factory) merges with a leaner deduplication of the staged rows
    (``adapter/duckdb_merge.py``: the same rows land).
    Python's cyclic garbage collector is eased for the call (``adapter/collector.py``).
    The pipeline's lock is held for the whole call; another process running it raises ``PipelineBusy``.
    A stepped resource (``incremental.step``) loads one window per extract/normalize/load; the passes repeat
    for the stepped resources with windows left (and their children) until they are caught up or one fails.
    ``destination_lock``: held around each step that opens the destination (restoring state, recovery, load,
    counting rows), so processes sharing a destination that takes one writer at a time (a DuckDB file) wait
    for each other there while extracting in parallel.
    """
    from restloom.adapter.duckdb_merge import lean_duckdb  # imports DuckDB: only when a sync runs

    guard = destination_lock or nullcontext
    report = report or RunReport()
    config = resolve(config)  # a parsed config is resolved here: its secrets are known to the run's redactor
    # the whole run, recovery included, holds the lock (adapter/lock.py) and runs with restloom's dlt defaults
    # below the user's own dlt config (adapter/defaults.py: bounded memory at volume), with Python's collector
    # eased (adapter/collector.py)
    with pipeline_lock(pipeline_name, pipelines_dir), dlt_defaults(), collector_eased():
        pipeline = dlt.pipeline(pipeline_name=pipeline_name, destination=lean_duckdb(destination),
                                dataset_name=dataset_name or f"{pipeline_name}_data",
                                pipelines_dir=pipelines_dir)  # type: ignore[arg-type]  # None: dlt's default
        now = datetime.now(UTC)  # where stepped windows without end_value end, the same for every pass
        with Run(config, report=report) as run:
            source = build_source(config, name=source_name, run=run, file_format=file_format,
                                  on_failure="continue", now=now)
            if resources:
                source = source.with_resources(*resources)
                selected = set(source.selected_resources)
                run.select(selected)
                report.notices[:] = [n for n in report.notices if set(notice_resources(n)) <= selected]
            try:
                infos, done = [run_steps(pipeline, source, refresh=refresh, guard=guard)], 0
                while names := windows_pending(config, report, set(source.selected_resources), done):
                    done = windows_done(report)
                    source = build_source(config, name=source_name, run=run, file_format=file_format,
                                          on_failure="continue", now=now).with_resources(*names)
                    infos.append(extract_normalize_load(pipeline, source, guard=guard))
            finally:
                report.close()
        with guard():
            landed = landed_rows(pipeline, config)
        loaded = loaded_rows([normalize for normalize, _ in infos], pipeline, config)
    return SyncResult(report=report, landed=landed, load_info=infos[-1][1], pipeline=pipeline, loaded=loaded)


def windows_pending(config: Config, report: RunReport, selected: set[str], done_before: int) -> list[str]:
    """The resources of the next pass: each selected stepped resource with windows left, with its selected
    descendants; empty when every one is caught up, when one of them failed (the run then exits 1) or when
    the pass loaded no window (``done_before``: the windows loaded before it)."""
    if windows_done(report) <= done_before:
        return []
    stepping = {spec.name for spec in config.resources if spec.name in selected
                and spec.endpoint.incremental is not None and spec.endpoint.incremental.step is not None
                and report.stats(spec.name).windows_left}
    below = config.with_descendants(stepping)
    names = [spec.name for spec in config.resources if spec.name in selected and spec.name in below]
    return [] if any(stats.name in names for stats in report.failed) else names


def windows_done(report: RunReport) -> int:
    """The windows of stepped resources loaded so far in this run."""
    return sum(stats.windows for stats in report.resources.values())


def run_steps(pipeline: Any, source: Any, *, refresh: str | None = None,
              guard: Callable[[], AbstractContextManager[Any]] = nullcontext) -> tuple[Any, Any]:
    """dlt's extract, normalize and load as three visible steps, after finishing what a crash left.

    A run killed at any point leaves either an uncommitted extract (dropped: its cursor state was
    never committed) or committed packages (normalized and loaded here, before anything new), so the
    next run ends with exactly the service's data. ``RESTLOOM_STEP_MARKERS=1`` prints each step's
    start on stderr and ``RESTLOOM_PAUSE_AT=<step>`` waits there for a signal — hooks for crash tests.
    ``refresh`` is dlt's (``drop_sources`` starts over: tables and state of the source dropped).
    Returns dlt's normalize info and load info of this run's packages.
    """
    install_load_job_pause()
    with guard():
        if pipeline.config.restore_from_destination and not pipeline.dev_mode:
            pipeline.sync_destination()  # as dlt's run does: state and schemas from the destination
        if pipeline.has_pending_data:
            step("recover", lambda: recover(pipeline))
    return extract_normalize_load(pipeline, source, refresh=refresh, guard=guard)


def extract_normalize_load(pipeline: Any, source: Any, *, refresh: str | None = None,
                           guard: Callable[[], AbstractContextManager[Any]] = nullcontext) -> tuple[Any, Any]:
    """One extract, normalize and load: one commit of data and state (one window of a stepped resource);
    ``guard`` is held around the load."""
    step("extract", lambda: pipeline.extract(source, refresh=refresh))
    normalize_info = step("normalize", pipeline.normalize)
    with guard():
        return normalize_info, step("load", pipeline.load)


def _table_name(pipeline: Any, spec: Any) -> str | None:
    table = spec.hints.get("table_name", spec.name)
    return pipeline.default_schema.naming.normalize_table_identifier(table) if isinstance(table, str) else None


def loaded_rows(normalize_infos: list[Any], pipeline: Any, config: Config) -> dict[str, int]:
    """Rows this run loaded into each resource's own table: dlt's normalize row counts of this run's packages
    (every pass of it), what is left of the fetched rows once dlt's incremental dropped those it had seen
    (nested tables apart)."""
    loaded: dict[str, int] = {}
    for spec in config.resources:
        table = _table_name(pipeline, spec)
        if table is not None:
            loaded[spec.name] = sum(int((info.row_counts if info is not None else {}).get(table, 0))
                                    for info in normalize_infos)
    return loaded


def landed_rows(pipeline: Any, config: Config) -> dict[str, int]:
    """Rows now in each resource's table (the whole table, after merge)."""
    counts: dict[str, int] = {}
    schema = pipeline.default_schema
    with pipeline.sql_client() as client:
        for spec in config.resources:
            table = spec.hints.get("table_name", spec.name)
            if not isinstance(table, str):
                continue
            table = schema.naming.normalize_table_identifier(table)
            if table not in schema.tables or not schema.tables[table].get("columns"):
                continue
            try:
                rows = client.execute_sql(f"SELECT COUNT(*) FROM {client.make_qualified_table_name(table)}")
            except Exception:  # the table may not exist yet when its resource failed before loading
                continue
            counts[spec.name] = int(rows[0][0]) if rows else 0
    return counts
