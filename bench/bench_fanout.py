"""Child fan-out against the simulated Yousign API with latency: followers of every signature request.

Measures how the ``concurrency`` bound pays off when each parent record costs one child request:

    python bench/bench_fanout.py --parents 400 --latency-ms 20 --concurrency 1 --concurrency 8 --concurrency 32
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _config(base_url: str, token: str) -> dict:
    return {
        "client": {"base_url": base_url, "auth": {"type": "bearer", "token": token}},
        "resource_defaults": {"endpoint": {"data_selector": "data", "paginator": {
            "type": "cursor", "cursor_param": "after", "cursor_path": "meta.next_cursor"}}},
        "resources": [
            {"name": "signature_requests", "primary_key": "id", "endpoint": {
                "path": "signature_requests", "params": {"limit": 100}}},
            {"name": "followers", "primary_key": ["_signature_requests_id", "email"], "endpoint": {
                "path": "signature_requests/{sign_req}/followers", "paginator": "single_page"}},
        ],
    }


def run_one(base_url: str, token: str, concurrency: int) -> dict:
    """One sync; its figures."""
    import dlt

    from restloom.adapter.sync import sync
    from restloom.config import parse

    with tempfile.TemporaryDirectory() as tmp:
        config = parse(_config(base_url, token), concurrency=concurrency)
        started = time.perf_counter()
        result = sync(config, pipeline_name="fanout", destination=dlt.destinations.duckdb(f"{tmp}/f.duckdb"),
                      pipelines_dir=f"{tmp}/pipelines")
        seconds = time.perf_counter() - started
    return {"concurrency": concurrency, "seconds": round(seconds, 2), "parents": result.landed["signature_requests"],
            "children": result.landed["followers"],
            "child_requests": result.report.stats("followers").requests}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parents", type=int, default=400)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--concurrency", type=int, action="append")
    args = parser.parse_args()
    os.environ["RUNTIME__LOG_LEVEL"] = "ERROR"
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    restloom = Path(sys.executable).parent / "restloom"
    server = subprocess.Popen([str(restloom), "mock", "serve", "yousign", "--size", str(args.parents),
                               "--latency-ms", str(args.latency_ms)], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().split(": ", 1)[1].strip()
        token = server.stdout.readline().split(": ", 1)[1].strip()
        for concurrency in args.concurrency or [1, 8, 32]:
            print(json.dumps(run_one(base_url, token, concurrency)), flush=True)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
