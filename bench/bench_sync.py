"""Sync throughput and peak memory of restloom into DuckDB, against the simulated Persona API.

The simulated API runs in a process of its own (``restloom mock serve``) and each configuration runs
in a fresh subprocess, so the peak RSS printed is restloom's alone; ``cpu_seconds`` (the process's CPU
time, every thread) is the steadier figure on a shared machine. Prints one line per run:

    python bench/bench_sync.py --records 20000 --file-format parquet --file-format preferred
    python bench/bench_sync.py --records 8000 --latency-ms 20 --concurrency 1 --concurrency 4 --concurrency 16
    python bench/bench_sync.py --records 200000 --path columnar --path rows --path rows-gzip --repeat 2

``--path``: ``columnar`` (pages as Arrow tables, the default), ``rows`` (``RESTLOOM_COLUMNAR=0``: dlt's row
normaliser) or ``rows-gzip`` (rows with dlt's intermediate files compressed, as before restloom switched
that off); the paths run interleaved, ``--repeat`` times, against the same server.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RESOURCES = ("accounts", "cases", "events", "inquiries")
PATH_ENV = {"columnar": {"RESTLOOM_COLUMNAR": "1"}, "rows": {"RESTLOOM_COLUMNAR": "0"},
            "rows-gzip": {"RESTLOOM_COLUMNAR": "0", "DATA_WRITER__DISABLE_COMPRESSION": "false"}}


def _config(base_url: str, token: str) -> dict:
    return {
        "client": {"base_url": base_url, "auth": {"type": "bearer", "token": token}},
        "resource_defaults": {
            "primary_key": "id", "write_disposition": "merge",
            "endpoint": {"data_selector": "data", "paginator": {
                "type": "cursor", "cursor_param": "page[after]", "limit": 100, "limit_param": "page[size]",
                "stop_condition": "response.get('data')|length == 0"}},
        },
        "resources": [{"name": name, "endpoint": {"path": name}} for name in RESOURCES],
    }


def child(args: argparse.Namespace) -> None:
    """Run one sync against the server at args.base_url and print a JSON line with its figures."""
    os.environ["RUNTIME__LOG_LEVEL"] = "ERROR"
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    import dlt

    from restloom.adapter.sync import sync
    from restloom.config import parse

    with tempfile.TemporaryDirectory() as tmp:
        config = parse(_config(args.base_url, args.token), concurrency=args.concurrency)
        started = time.perf_counter()
        cpu_started = time.process_time()
        result = sync(config, pipeline_name="bench", destination=dlt.destinations.duckdb(f"{tmp}/bench.duckdb"),
                      pipelines_dir=f"{tmp}/pipelines", file_format=args.file_format)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    rows = sum(result.landed.values())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    paths = sorted({stats.path for stats in result.report.resources.values()})
    print(json.dumps({"path": args.path, "rows": rows, "seconds": round(seconds, 2),
                      "cpu_seconds": round(cpu_seconds, 2),
                      "rows_per_s": round(rows / seconds), "peak_rss_mb": round(peak_mb),
                      "file_format": args.file_format, "concurrency": args.concurrency,
                      "latency_ms": args.latency_ms, "resource_paths": paths}))


@contextmanager
def simulated_persona(records: int, latency_ms: float) -> Iterator[tuple[str, str]]:
    """``restloom mock serve persona`` in a subprocess: (base_url, token) while it runs."""
    restloom = Path(sys.executable).parent / "restloom"
    command = [str(restloom), "mock", "serve", "persona", "--size", str(records // len(RESOURCES)),
               "--seed", "1", "--latency-ms", str(latency_ms)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().split(": ", 1)[1].strip()
        token = server.stdout.readline().split(": ", 1)[1].strip()
        yield base_url, token
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--file-format", action="append")
    parser.add_argument("--concurrency", type=int, action="append")
    parser.add_argument("--path", action="append", choices=sorted(PATH_ENV))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.file_format, args.concurrency, args.path = args.file_format[0], args.concurrency[0], args.path[0]
        child(args)
        return
    runs = [(path, file_format, concurrency) for _ in range(args.repeat) for path in args.path or ["columnar"]
            for file_format in args.file_format or ["parquet"] for concurrency in args.concurrency or [8]]
    with simulated_persona(args.records, args.latency_ms) as (base_url, token):
        for path, file_format, concurrency in runs:
            command = [sys.executable, str(Path(__file__).resolve()), "--child", "--records",
                       str(args.records), "--latency-ms", str(args.latency_ms), "--file-format", file_format,
                       "--concurrency", str(concurrency), "--base-url", base_url, "--token", token, "--path", path]
            env = {**os.environ, **PATH_ENV[path]}
            out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout.strip()
            print(out.splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
