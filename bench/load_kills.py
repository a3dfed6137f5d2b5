"""kill -9 inside the load step at a dozen points, each followed by a clean rerun: exact rows, no duplicate key.

The suite's ``tests/integration/test_load_kills.py`` runs three kill sequences; this runs ``--points`` of them
(``RESTLOOM_PAUSE_AT=load:sql``, the merge job, ``load:insert_values``, dlt's state row, and ``load:<n>`` for
n = 1 .. points - 2: the job paused after its commit and before dlt records it, then kill -9), each on a
fresh pipeline over the simulated Zendesk calls export (a merge table with a nested table, 40 calls in
files of 6 rows), and prints one line per point and the totals:

    python bench/load_kills.py --points 12
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.crashkit import column, duplicate_keys, kill9, start_calls_run

from restloom.testing import serve

SMALL_FILES = {"DATA_WRITER__FILE_MAX_ITEMS": "6", "RESTLOOM_COLUMNAR_ROWS": "4"}  # a file per page or so


def _point(point: str, seed: int, workdir: Path) -> tuple[str, bool, int]:
    """Kill at load job ``point`` and rerun: the job killed, whether the table is exact, its duplicate keys."""
    with serve("zendesk_talk", size=40, seed=seed, export_page_size=4) as api:
        crashed = start_calls_run(api, workdir, RESTLOOM_PAUSE_AT=f"load:{point}",
                                  DLT_DATA_DIR=str(workdir / "dlt"), **SMALL_FILES)
        assert crashed.stderr is not None
        job = "the run ended first"
        for line in crashed.stderr:
            if line.startswith(f"restloom step: load:{point} "):
                job = line.split()[-1]
                break
        kill9(crashed) if crashed.poll() is None else crashed.communicate()
        rerun = start_calls_run(api, workdir, DLT_DATA_DIR=str(workdir / "dlt"), **SMALL_FILES)
        rerun.communicate(timeout=300)
        truth = sorted(record["id"] for record in api.records("calls"))
    database = workdir / "resume.duckdb"
    exact = rerun.returncode == 0 and column(database, "SELECT id FROM resume_data.calls ORDER BY id") == truth
    duplicates = len(duplicate_keys(database, "resume_data.calls"))
    duplicates += len(duplicate_keys(database, "resume_data.calls__quality_issues", "_dlt_id"))
    return job, exact, duplicates


def main() -> None:
    """Run every kill point and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=12, help="kill at load jobs 1 .. points")
    args = parser.parse_args()
    exact_count = duplicate_count = 0
    with tempfile.TemporaryDirectory(prefix="restloom-load-kills-") as tmp:
        points = ["sql", "insert_values", *(str(n) for n in range(1, args.points - 1))]
        for seed, point in enumerate(points, start=21):
            workdir = Path(tmp) / point
            workdir.mkdir()
            job, exact, duplicates = _point(point, seed, workdir)
            exact_count += exact
            duplicate_count += duplicates
            print(f"load:{point} killed at {job}: {'exact' if exact else 'NOT exact'}, {duplicates} duplicate keys",
                  flush=True)
    print(f"{len(points)} kill points, {exact_count} exact, {duplicate_count} duplicate keys")


if __name__ == "__main__":
    main()
