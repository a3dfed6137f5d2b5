"""A Dagster backfill of twelve monthly windows: one run of ``restloom.dagster.backfill_job``, a step per window,
on Dagster's in-process executor (one window after another) against its multiprocess executor.

The generic simulated API's ``/api/changes`` (since/until on updated_at) with added latency per request; each
partition is a bounded incremental window loaded into one shared DuckDB file, on a temporary Dagster instance:

    python bench/bench_dagster_backfill.py --latency-ms 20 --processes 4 --rounds 2

Rounds interleave the ways (in-process, multiprocess with spawned workers, with ``--forkserver`` workers
forked from a server that imported restloom, dlt and Dagster once, and with ``--per-step N`` partitions a
step). Prints each run's wall and CPU time (this
process, the simulated API's threads included, and its spawned workers; a forkserver's are not counted), the
min-max per way and of the speed-up, where a multiprocess step's time goes (worker start: process, imports,
the job rebuilt; the step itself; restloom's extract), and checks the table holds every record of the twelve
months exactly once every time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

START, END = "2023-06-01", "2024-06-01"
HERE = Path(__file__).resolve().parent


def bench_backfill(base_url: str, workdir: str, page: int, per_step: int) -> Any:
    """The backfill job of the monthly ``changes``, ``per_step`` partitions a step (rebuilt in every worker)."""
    from dagster import MonthlyPartitionsDefinition

    from restloom.dagster import RestloomResource, backfill_job

    config = {
        "client": {"base_url": base_url},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [{"name": "changes", "endpoint": {
            "path": "changes", "data_selector": "items",
            "paginator": {"type": "offset", "limit": page, "total_path": "total"},
            "incremental": {"cursor_path": "updated_at", "start_param": "since", "end_param": "until",
                            "initial_value": "2023-01-01T00:00:00Z"}}}],
    }
    restloom = RestloomResource(duckdb_path=str(Path(workdir) / "bench.duckdb"), dataset_name="data",
                                pipelines_dir=str(Path(workdir) / "pipelines"))
    return backfill_job(config, name="shop", partitions_def=MonthlyPartitionsDefinition(START, end_date=END),
                        restloom=restloom, partitions_per_step=per_step)


def run_config(way: str, processes: int) -> dict[str, Any]:
    """The run config of one way: ``in-process``, ``spawn`` or ``forkserver`` (``/N``: N partitions a step)."""
    from restloom.dagster import backfill_run_config

    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    if way == "in-process":
        return {**backfill_run_config(1), **quiet}
    return {**backfill_run_config(processes, forkserver=way.startswith("forkserver")), **quiet}


def cpu_seconds() -> float:
    """CPU of this process and of its waited-for children so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(way: str, processes: int, workdir: Path, base_url: str, page: int) -> dict[str, Any]:
    """One backfill run; its wall and CPU seconds, rows, distinct ids and where its steps' time went."""
    import duckdb
    from dagster import DagsterInstance, build_reconstructable_job, execute_job

    workdir.mkdir(parents=True)
    per_step = int(way.partition("/")[2] or 1)
    job = build_reconstructable_job("bench_dagster_backfill", "bench_backfill", reconstructable_kwargs={
        "base_url": base_url, "workdir": str(workdir), "page": page, "per_step": per_step},
        reconstructor_working_directory=str(HERE))
    (workdir / "dagster").mkdir()
    with DagsterInstance.local_temp(str(workdir / "dagster")) as instance:
        cpu, started = cpu_seconds(), time.perf_counter()
        with execute_job(job, instance=instance, run_config=run_config(way, processes)) as result:
            seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            assert result.success
            phases = _phases(instance, result.dagster_run.run_id)
    with duckdb.connect(str(workdir / "bench.duckdb"), read_only=True) as connection:
        row = connection.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM data.changes").fetchone()
    assert row is not None
    return {"seconds": seconds, "cpu": cpu, "rows": (int(row[0]), int(row[1])), **phases}


def _phases(instance: Any, run_id: str) -> dict[str, float]:
    """Mean seconds per window step: worker start (process, imports, job rebuilt) to the step's start; the
    step; restloom's own time in it (the ``seconds`` it reports)."""
    from dagster import DagsterEventType

    times: dict[str, dict[str, float]] = defaultdict(dict)
    extract = []
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event is None or not (event.step_key or "").startswith("shop_window"):
            continue
        times[event.step_key][event.event_type_value] = record.event_log_entry.timestamp
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            extract.append(float(event.event_specific_data.materialization.metadata["seconds"].value))
    starting, start, success = "STEP_WORKER_STARTING", "STEP_START", "STEP_SUCCESS"
    workers = [t[start] - t[starting] for t in times.values() if starting in t]
    return {"worker_start": statistics.mean(workers) if workers else 0.0,
            "step": statistics.mean(t[success] - t[start] for t in times.values()),
            "restloom": statistics.mean(extract)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--forkserver", action="store_true", help="also run the workers from a forkserver")
    parser.add_argument("--per-step", type=int, default=0,
                        help="also run each multiprocess way with this many partitions per step")
    parser.add_argument("--size", type=int, default=9000, help="records (about one an hour: 9000 covers a year)")
    parser.add_argument("--page", type=int, default=50, help="records per page")
    args = parser.parse_args()
    os.environ.update({"RESTLOOM_RETRY_WAIT_SCALE": "0", "RUNTIME__LOG_LEVEL": "ERROR",
                       "RUNTIME__DLTHUB_TELEMETRY": "false"})
    sys.path.insert(0, str(HERE))
    import dagster  # noqa: F401  (imported before timing, as a long-lived process has them)

    import restloom.dagster  # noqa: F401
    from restloom.testing import serve

    ways = ["in-process", "spawn", *(["forkserver"] if args.forkserver else [])]
    ways += [f"{way}/{args.per_step}" for way in ways[1:] if args.per_step > 1]
    with serve("generic", size=args.size, seed=5, latency_ms=args.latency_ms) as api, \
            tempfile.TemporaryDirectory() as tmp:
        os.environ["DLT_DATA_DIR"] = str(Path(tmp) / "dlt")
        truth = sum(1 for r in api.records("items") if f"{START}T" <= r["updated_at"] < f"{END}T")
        print(f"12 monthly windows, {truth} records, {args.latency_ms:g} ms per request, {args.page} per page, "
              f"{args.processes} processes, {os.cpu_count()} cores")
        results: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for round_ in range(args.rounds):
            for way in ways:
                api.clear_requests()
                got = run(way, args.processes, Path(tmp) / f"{way.replace('/', '-')}-{round_}", api.base_url, args.page)
                assert got["rows"] == (truth, truth), got
                results[way].append(got)
                cpu = "  n/a" if way.startswith("forkserver") else f"{got['cpu']:5.1f}"  # forked workers are not ours
                print(f"round {round_ + 1} {way:>12}: {got['seconds']:5.1f} s wall, {cpu} s CPU, "
                      f"{len(api.requests)} requests; per step: worker start {got['worker_start']:.1f} s, "
                      f"step {got['step']:.1f} s (restloom {got['restloom']:.1f} s)")
    _summary(results, ways)


def _summary(results: dict[str, list[dict[str, Any]]], ways: list[str]) -> None:
    for way in ways:
        walls = [r["seconds"] for r in results[way]]
        print(f"{way:>12}: {min(walls):.1f}-{max(walls):.1f} s")
    base = results["in-process"]
    for way in ways[1:]:
        ratios = [b["seconds"] / r["seconds"] for b, r in zip(base, results[way], strict=True)]
        print(f"speed-up of {way} over in-process (per round): {min(ratios):.2f}x-{max(ratios):.2f}x")


if __name__ == "__main__":
    main()
