"""Latency-bound syncs, restloom against stock dlt (``parallelized=True``), interleaved in one run.

Three scenarios against simulated APIs served from subprocesses (so the server does not share this
process's interpreter lock), each with ``--latency-ms`` per request:

- ``pages-total``: 8 resources x 20 pages, offset paginator with a total (restloom reads the pages
  after the first concurrently);
- ``pages-link``: 8 resources x 20 pages, header links (each resource's pages one after another);
- ``fanout``: Yousign's signature requests and one followers request per parent (``--parents``).

restloom runs with its default concurrency (nothing raised by hand). Each round runs every scenario on
both sides, alternating which goes first; the figures are wall seconds of ``pipeline.run`` (extract,
normalize, load into DuckDB), and of its extract step alone (what the network bounds):

    python bench/bench_latency.py --rounds 3 --latency-ms 20 --parents 1000
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESOURCES, PAGES, PAGE_SIZE = 8, 20, 10


@contextmanager
def _server(api: str, *, size: int, latency_ms: float) -> Iterator[dict[str, str]]:
    restloom = Path(sys.executable).parent / "restloom"
    process = subprocess.Popen([str(restloom), "mock", "serve", api, "--size", str(size), "--latency-ms",
                                str(latency_ms)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        lines = {}
        while len(lines) < (1 if api == "generic" else 2):
            name, _, value = process.stdout.readline().partition(": ")
            lines[name.strip()] = value.strip()
        yield lines
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def _pages_config(base_url: str, paginator: dict[str, Any], path: str, params: dict[str, Any],
                  selector: str) -> dict[str, Any]:
    return {"client": {"base_url": base_url},
            "resource_defaults": {"primary_key": "id", "write_disposition": "replace"},
            "resources": [{"name": f"items_{n}", "endpoint": {  # a param of its own: no two share a request
                "path": path, "data_selector": selector, "params": {**params, "resource": n},
                "paginator": dict(paginator)}} for n in range(RESOURCES)]}


def _fanout_config(base_url: str, token: str) -> dict[str, Any]:
    paginator = {"type": "cursor", "cursor_param": "after", "cursor_path": "meta.next_cursor"}
    return {"client": {"base_url": base_url, "auth": {"type": "bearer", "token": token}},
            "resources": [
                {"name": "signature_requests", "primary_key": "id", "endpoint": {
                    "path": "signature_requests", "data_selector": "data", "params": {"limit": 100},
                    "paginator": paginator}},
                {"name": "followers", "endpoint": {
                    "path": "signature_requests/{resources.signature_requests.id}/followers",
                    "data_selector": "data", "paginator": "single_page"}}]}


def _timed(side: str, config: dict[str, Any]) -> tuple[float, float, int]:
    """One sync on ``side`` ("restloom" or "dlt"): wall seconds of the extract step, of the whole sync
    (extract, normalize, load) and the rows loaded."""
    import dlt
    from dlt.sources.rest_api import rest_api_source as dlt_source

    import restloom

    with tempfile.TemporaryDirectory() as tmp:
        pipeline = dlt.pipeline(pipeline_name=f"bench_{side}", pipelines_dir=f"{tmp}/pipelines",
                                destination=dlt.destinations.duckdb(f"{tmp}/{side}.duckdb"), dataset_name="data")
        source = restloom.rest_api_source(config) if side == "restloom" else dlt_source(config, parallelized=True)
        started = time.perf_counter()
        pipeline.extract(source)
        extracted = time.perf_counter() - started
        normalized = pipeline.normalize()
        info = pipeline.load()
        seconds = time.perf_counter() - started
        rows = sum(normalized.row_counts.get(t, 0) for t in pipeline.default_schema.data_table_names())
        assert info.has_failed_jobs is False
    return extracted, seconds, rows


def _report(name: str, figures: dict[str, list[tuple[float, float, int]]], goal: float) -> None:
    rows = {side: sorted({r for *_, r in runs}) for side, runs in figures.items()}
    for index, step in ((0, "extract"), (1, "whole sync")):
        ours = [run[index] for run in figures["restloom"]]
        theirs = [run[index] for run in figures["dlt"]]
        ratio = statistics.median(theirs) / statistics.median(ours)
        print(f"{name} {step}: restloom {min(ours):.2f}-{max(ours):.2f} s, dlt {min(theirs):.2f}-{max(theirs):.2f} s,"
              f" dlt/restloom (medians) {ratio:.1f}x; goal <= {goal:.1f} s: "
              f"{'met' if statistics.median(ours) <= goal else 'NOT met'} (median)", flush=True)
    print(f"{name} rows loaded: {rows}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--parents", type=int, default=1000)
    args = parser.parse_args()
    os.environ.pop("RESTLOOM_CONCURRENCY", None)
    os.environ["RUNTIME__LOG_LEVEL"] = "ERROR"
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    with _server("generic", size=PAGES * PAGE_SIZE, latency_ms=args.latency_ms) as generic, \
            _server("yousign", size=args.parents, latency_ms=args.latency_ms) as yousign:
        base, token = yousign["base_url"], yousign["secret api_key"]
        scenarios: dict[str, tuple[Callable[[], dict[str, Any]], float]] = {
            "pages-total": (lambda: _pages_config(generic["base_url"], {"type": "offset", "limit": PAGE_SIZE,
                                                                         "total_path": "total"},
                                                  "offset/items", {}, "items"), 2.0),
            "pages-link": (lambda: _pages_config(generic["base_url"], {"type": "header_link"}, "link/items",
                                                 {"per_page": PAGE_SIZE}, "$"), 2.0),
            "fanout": (lambda: _fanout_config(base, token), 2.0),
        }
        figures: dict[str, dict[str, list[tuple[float, float, int]]]] = {
            name: {"restloom": [], "dlt": []} for name in scenarios}
        for round_number in range(args.rounds):
            for name, (config, _goal) in scenarios.items():
                sides = ("restloom", "dlt") if round_number % 2 == 0 else ("dlt", "restloom")
                for side in sides:
                    figures[name][side].append(_timed(side, config()))
        print(f"{args.rounds} rounds, {args.latency_ms:g} ms per request, {RESOURCES} resources x {PAGES} pages, "
              f"{args.parents} parents")
        for name, (_config, goal) in scenarios.items():
            _report(name, figures[name], goal)


if __name__ == "__main__":
    main()
