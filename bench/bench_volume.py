"""Volume bench: restloom, stock dlt and a plain reference sync N records into DuckDB, interleaved.

The API is ``bench/volume_server.py`` (pre-rendered JSON pages of 100 records, 16 fields, two nested
objects and a list; cursor pagination) in a process of its own. Every sync runs in a fresh subprocess whose
wall time, CPU time and peak RSS (``os.wait4``'s rusage of that child) are measured; each round runs the three systems
one after the other, so a machine that is busy slows them alike. After each run the row counts in its
DuckDB file are checked (N records, 2N list items). Systems:

- ``restloom``: the command a user runs, ``restloom run volume.json --dataset-name bench`` (its ``main``, in the
  child process), merge on ``id``;
- ``dlt``: stock dlt ``rest_api_source`` with the same config, ``loader_file_format="parquet"``, merge;
- ``ref``: the lean best case: requests (keep-alive) + orjson + Arrow tables (nested objects flattened to
  ``a__b``, the list to a child table), ``MERGE INTO`` DuckDB in batches of 50,000 records.

``--resync`` runs each system a second time over its own tables: the same records merged again.
``--incremental`` gives restloom and dlt an incremental on ``updated_at`` (filtered client side; the
reference has none): on a re-sync every record is read again and filtered out.
``--restloom-env KEY=VALUE`` sets a variable for restloom's runs only (e.g. to choose its loader path).
``--variant NAME:KEY=VALUE[,KEY=VALUE...]`` adds restloom with those variables as a system of its own,
``restloom:NAME``, run right after ``restloom`` in every round: a setting compared in alternating pairs,
its per-round ratio to restloom printed like the others' (repeat it for more variants).
``--profile`` prints restloom's peak RSS per step (extract, normalize, load) from a 20 ms RSS sampler.

    python bench/bench_volume.py --rounds 3 --records 20000 200000 2000000 --resync
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYSTEMS = ("restloom", "dlt", "ref")


INCREMENTAL = {"cursor_path": "updated_at", "initial_value": "2026-01-01T00:00:00Z"}
"""``--incremental``: dlt's incremental on ``updated_at``, filtered client side (no request param); every
record is past ``initial_value``, so a first sync loads them all and a re-sync filters them all out again."""


def api_config(base_url: str, *, incremental: bool = False) -> dict:
    """The same dlt-dialect config for restloom and stock dlt."""
    endpoint = {"path": "records", "data_selector": "data",
                "paginator": {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"}}
    if incremental:
        endpoint["incremental"] = dict(INCREMENTAL)
    return {
        "client": {"base_url": base_url},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [{"name": "records", "endpoint": endpoint}],
    }


@contextmanager
def server(records: int) -> Iterator[str]:
    """``volume_server.py`` in a subprocess (rendering its pages first if needed): its base URL."""
    process = subprocess.Popen([sys.executable, str(HERE / "volume_server.py"), "--records", str(records)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(command: list[str], env: dict[str, str]) -> dict:
    """Run ``command``; its wall seconds, peak RSS (MiB) and the JSON line it printed last."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        lines = out.read().strip().splitlines()
        if process.returncode != 0 or not lines:
            raise SystemExit(f"{command[3]} failed ({process.returncode}):\n{err.read()[-3000:]}")
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024,
            **json.loads(lines[-1])}


def count_rows(database: Path) -> tuple[int, int]:
    """Rows in ``bench.records`` and ``bench.records__items`` of a DuckDB file."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as conn:
        records = conn.execute("SELECT count(*), count(DISTINCT id) FROM bench.records").fetchone()
        items = conn.execute("SELECT count(*) FROM bench.records__items").fetchone()
    assert records is not None
    assert items is not None
    if records[0] != records[1]:
        raise SystemExit(f"{database}: {records[0] - records[1]} duplicate ids")
    return int(records[0]), int(items[0])


def variants(specs: list[str]) -> dict[str, list[str]]:
    """``--variant`` specs (``NAME:KEY=VALUE[,KEY=VALUE...]``) as system names (``restloom:NAME``) and their
    ``KEY=VALUE`` items; a spec without a name, a value without ``=`` or a name given twice is refused."""
    found: dict[str, list[str]] = {}
    for spec in specs:
        name, _, pairs = spec.partition(":")
        items = [item for item in pairs.split(",") if item]
        if not name or not items or any("=" not in item for item in items) or f"restloom:{name}" in found:
            raise SystemExit(f"--variant {spec!r}: expected NAME:KEY=VALUE[,KEY=VALUE...], each name once")
        found[f"restloom:{name}"] = items
    return found


def run_system(system: str, records: int, base_url: str, workdir: Path, args: argparse.Namespace) -> dict:
    env = dict(os.environ, RUNTIME__LOG_LEVEL="ERROR", RUNTIME__DLTHUB_TELEMETRY="false")
    child = system.partition(":")[0]  # a variant runs restloom's child with its variables
    if child == "restloom":
        env.update(item.split("=", 1) for item in args.restloom_env)
        env.update(item.split("=", 1) for item in variants(args.variant).get(system, []))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", child, "--base-url", base_url,
               "--workdir", str(workdir)]
    if args.profile:
        command.append("--profile")
    if args.incremental:
        command.append("--incremental")
    result = measure(command, env)
    landed = count_rows(workdir / "volume.duckdb")
    if landed != (records, 2 * records):
        raise SystemExit(f"{system}: expected {records} records and {2 * records} items, found {landed}")
    return result


def _range(values: list[float], fmt: str) -> str:
    return f"{min(values):{fmt}}-{max(values):{fmt}}"


def report(records: int, phase: str, results: dict[str, list[dict]]) -> None:
    """Per system: wall and peak RSS min-max over the rounds, and the paired per-round ratios to restloom."""
    print(f"\n{records:,} records, {phase} ({len(results['restloom'])} rounds)")
    width = max(9, *map(len, results))
    print(f"  {'system':<{width}} {'wall s':>13} {'CPU s':>13} {'peak MiB':>13} {'wall / restloom':>17} "
          f"{'median':>7} {'peak / restloom':>17}")
    base = results["restloom"]
    for system, runs in results.items():
        walls, peaks, cpus = [r["seconds"] for r in runs], [r["peak_mib"] for r in runs], [r["cpu"] for r in runs]
        wall_ratio = [r["seconds"] / b["seconds"] for r, b in zip(runs, base, strict=True)]
        peak_ratio = [r["peak_mib"] / b["peak_mib"] for r, b in zip(runs, base, strict=True)]
        print(f"  {system:<{width}} {_range(walls, '.1f'):>13} {_range(cpus, '.1f'):>13} {_range(peaks, '.0f'):>13} "
              f"{_range(wall_ratio, '.2f'):>17} {statistics.median(wall_ratio):>7.2f} {_range(peak_ratio, '.2f'):>17}")
        for run in runs:
            if run.get("steps"):
                steps = ", ".join(f"{k} {v['peak_mib']:.0f} MiB/{v['seconds']:.1f} s" for k, v in run["steps"].items())
                print(f"      {system} steps: {steps}")


def bench(records: int, args: argparse.Namespace, root: Path) -> None:
    systems = [s for s in SYSTEMS if s in args.systems]
    if "restloom" in systems:
        at = systems.index("restloom") + 1
        systems[at:at] = list(variants(args.variant))
    first: dict[str, list[dict]] = {s: [] for s in systems}
    again: dict[str, list[dict]] = {s: [] for s in systems}
    with server(records) as base_url:
        for round_no in range(args.rounds):
            for system in systems:
                workdir = root / f"{system.replace(':', '-')}-{records}-{round_no}"
                first[system].append(run_system(system, records, base_url, workdir, args))
                print(f"  round {round_no + 1} {system}: {first[system][-1]['seconds']:.1f} s, "
                      f"{first[system][-1]['peak_mib']:.0f} MiB", file=sys.stderr, flush=True)
                if args.resync:
                    again[system].append(run_system(system, records, base_url, workdir, args))
                    print(f"  round {round_no + 1} {system} re-sync: {again[system][-1]['seconds']:.1f} s, "
                          f"{again[system][-1]['peak_mib']:.0f} MiB", file=sys.stderr, flush=True)
                shutil.rmtree(workdir)
    if "restloom" in systems:
        report(records, "first sync into empty tables", first)
        if args.resync:
            report(records, "re-sync of the same records (merge into the existing tables)", again)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, nargs="+", default=[20000])
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument("--resync", action="store_true", help="sync the same records again into the tables")
    parser.add_argument("--restloom-env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:KEY=VALUE[,KEY=VALUE...]",
                        help="restloom with these variables as one more system, run after restloom each round")
    parser.add_argument("--profile", action="store_true", help="peak RSS per step")
    parser.add_argument("--incremental", action="store_true",
                        help="restloom and dlt with an incremental on updated_at (the reference has none)")
    parser.add_argument("--child", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        from volume_children import run_child

        run_child(args.child, api_config(args.base_url, incremental=args.incremental), args.base_url, args.workdir,
                  profile=args.profile)
        return
    variants(args.variant)  # a malformed --variant stops the bench before any run
    print(f"python {' '.join(sys.argv)}\nrestloom env: {args.restloom_env or 'none'}; "
          f"load average at start: {os.getloadavg()[0]:.1f}")
    root = Path(tempfile.mkdtemp(prefix="restloom-volume-"))
    try:
        for records in args.records:
            bench(records, args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
