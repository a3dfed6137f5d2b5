"""A Dagster backfill of twelve monthly windows: four worker processes against one process, one at a time.

The generic simulated API's ``/api/changes`` (since/until on updated_at) with added latency per request;
each partition is a bounded incremental window loaded into one shared DuckDB file:

    python bench/bench_dagster_backfill.py --latency-ms 20 --processes 4

Prints the wall time of each way, the speed-up, and checks the table holds every record of the twelve
months exactly once either way.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

START, END = "2023-06-01", "2024-06-01"


def windows_assets() -> list[Any]:
    """The monthly ``changes`` asset of the API at ``BACKFILL_BASE_URL`` (rebuilt in every worker)."""
    from dagster import MonthlyPartitionsDefinition

    from restloom.dagster import restloom_assets

    paged = {"type": "offset", "limit": int(os.environ.get("BACKFILL_PAGE", "50")), "total_path": "total"}
    config = {
        "client": {"base_url": os.environ["BACKFILL_BASE_URL"]},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [{"name": "changes", "endpoint": {
            "path": "changes", "data_selector": "items", "paginator": paged,
            "incremental": {"cursor_path": "updated_at", "start_param": "since", "end_param": "until",
                            "initial_value": "2023-01-01T00:00:00Z"}}}],
    }
    return restloom_assets(config, name="shop", partitions_def=MonthlyPartitionsDefinition(START, end_date=END))


def run(processes: int, workdir: Path, keys: list[str]) -> tuple[float, int, int]:
    """One backfill of ``keys``; (seconds, rows, distinct ids)."""
    import duckdb

    from restloom.dagster import RestloomResource
    from restloom.dagster.backfill import materialize_partitions

    workdir.mkdir(parents=True)
    resource = RestloomResource(duckdb_path=str(workdir / "bench.duckdb"), dataset_name="data",
                                pipelines_dir=str(workdir / "pipelines"))
    started = time.perf_counter()
    outcome = materialize_partitions(windows_assets, resource, keys, processes=processes)
    seconds = time.perf_counter() - started
    assert all(outcome.values()), outcome
    with duckdb.connect(str(workdir / "bench.duckdb"), read_only=True) as connection:
        row = connection.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM data.changes").fetchone()
    assert row is not None
    return seconds, int(row[0]), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--size", type=int, default=9000, help="records (about one an hour: 9000 covers a year)")
    parser.add_argument("--page", type=int, default=50, help="records per page")
    args = parser.parse_args()
    os.environ.update({"RESTLOOM_RETRY_WAIT_SCALE": "0", "RUNTIME__LOG_LEVEL": "ERROR",
                       "RUNTIME__DLTHUB_TELEMETRY": "false", "BACKFILL_PAGE": str(args.page)})

    from restloom.testing import serve

    with serve("generic", size=args.size, seed=5, latency_ms=args.latency_ms) as api, \
            tempfile.TemporaryDirectory() as tmp:
        os.environ["BACKFILL_BASE_URL"] = api.base_url
        os.environ["DLT_DATA_DIR"] = str(Path(tmp) / "dlt")
        keys = windows_assets()[0].partitions_def.get_partition_keys()
        truth = sum(1 for r in api.records("items") if f"{START}T" <= r["updated_at"] < f"{END}T")
        print(f"{len(keys)} monthly windows, {truth} records, {args.latency_ms:g} ms per request, "
              f"{args.page} per page")
        one = run(1, Path(tmp) / "sequential", keys)
        print(f"one process, one window at a time: {one[0]:.1f} s, {one[1]} rows, {one[2]} distinct")
        many = run(args.processes, Path(tmp) / "parallel", keys)
        print(f"{args.processes} processes: {many[0]:.1f} s, {many[1]} rows, {many[2]} distinct")
        assert one[1:] == many[1:] == (truth, truth)
        print(f"speed-up: {one[0] / many[0]:.2f}x on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
