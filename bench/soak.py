"""Fault soak: every catalog connector and two seeds, faults and kill -9, then a clean rerun compared exactly.

Each trial, per target: serve the simulated API with faults at 10 % of each kind (429, 500, 503, dropped
connection, truncated body, slow answer), run ``restloom run`` and kill -9 it at a random point of a random
step (extract: after a random delay; normalize: paused there; load: paused inside the n-th load job, after
its commit and before dlt records it — ``RESTLOOM_PAUSE_AT=load:<n>``), then turn the faults off and run
again. Every table is then compared with the ground truth: a clean sync of the same data into a fresh
pipeline (rows without the ``_dlt_*`` columns; see ``_tables``), and its duplicate keys are counted (``id``,
or ``_dlt_id`` for nested tables). Not part of the test suite:

    python bench/soak.py --trials 6 --seed 1
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.commands import restloom_command
from tests.seeds import seed_code

from restloom.catalog import catalog_names
from restloom.cli.demo import demo_base_url, demo_secrets
from restloom.testing import FaultPlan, serve
from restloom.testing.faults import Fault

SEEDS = ("persona", "opsgenie")
FAULTS = ((Fault(kind="status", status=429, retry_after="1"), 0.1), (Fault(kind="status", status=500), 0.1),
          (Fault(kind="status", status=503), 0.1), (Fault(kind="drop"), 0.1), (Fault(kind="truncate"), 0.1),
          (Fault(kind="slow", delay_ms=200), 0.1))


@dataclass(frozen=True)
class Target:
    """A connector (``seed: False``) or a seed config to run against the simulated ``api``."""

    api: str
    seed: bool

    @property
    def label(self) -> str:
        """How the figures name it."""
        return f"seed:{self.api}" if self.seed else self.api


def _command(target: Target, api: Any, workdir: Path, pipeline: str) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "RESTLOOM_RETRY_WAIT_SCALE": "0", "RESTLOOM_STEP_MARKERS": "1",
           "DLT_DATA_DIR": str(workdir / "dlt"), "RUNTIME__LOG_LEVEL": "CRITICAL"}
    if target.seed:
        config = workdir / f"seed_{target.api}.py"
        config.write_text(seed_code(target.api), encoding="utf-8")
        env.update({name.upper(): value for name, value in api.secrets.items()})
        args, base_url = str(config), api.base_url
    else:
        env.update({name.upper(): value for name, value in demo_secrets(target.api, api).items()})
        args, base_url = target.api, demo_base_url(target.api, api)
    return [restloom_command(), "run", args, "--pipeline-name", pipeline, "--base-url", base_url], env


def _run(target: Target, api: Any, workdir: Path, pipeline: str, **extra: str) -> subprocess.Popen[str]:
    command, env = _command(target, api, workdir, pipeline)
    return subprocess.Popen(command, cwd=workdir, env={**env, **extra}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _crash(target: Target, api: Any, workdir: Path, rng: random.Random) -> str:
    """One faulted run killed at a random point; where it was killed (or that it ended first)."""
    step = rng.choice(["extract", "normalize", "load"])
    pause = {"normalize": "normalize", "load": f"load:{rng.randint(1, 8)}"}.get(step, "")
    process = _run(target, api, workdir, "soak", RESTLOOM_PAUSE_AT=pause)
    wanted = f"restloom step: {pause or 'extract'}"
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith(wanted):
            if step == "extract":
                time.sleep(rng.uniform(0.0, 1.5))
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=60)
            return f"killed in {step}" if process.returncode == -signal.SIGKILL else "ended before the kill"
    process.communicate(timeout=60)
    return "ended before the kill"


def _tables(database: Path) -> dict[str, tuple[Counter[str], int]]:
    """Every data table: its rows without dlt's columns and its duplicate-key count.

    A table with an ``id`` column, or a nested table, is compared as a multiset of rows (a row twice is a
    difference) and counts duplicate ``id`` (or ``_dlt_id``) values. A table with neither (single objects
    such as Zendesk's ``account_overview``, appended by every run that loads) is compared as a set.
    """
    found: dict[str, tuple[Counter[str], int]] = {}
    with duckdb.connect(str(database), read_only=True) as db:
        names = db.execute("SELECT table_schema, table_name FROM information_schema.tables "
                           "WHERE table_schema NOT LIKE '%_staging' AND table_name NOT LIKE '\\_dlt\\_%' ESCAPE '\\'"
                           ).fetchall()
        for schema, table in names:
            columns = [row[0] for row in db.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                "ORDER BY column_name", [schema, table]).fetchall()]
            data = [c for c in columns if not c.startswith("_dlt_")]
            keyed = "id" in columns or "__" in table
            key = "id" if "id" in columns and "__" not in table else "_dlt_id"
            selected = ", ".join(f'"{c}"' for c in data)
            rows = db.execute(f'SELECT {selected} FROM "{schema}"."{table}"').fetchall() if data else []
            duplicates = db.execute(f'SELECT COUNT(*) FROM (SELECT "{key}" FROM "{schema}"."{table}" '
                                    f'GROUP BY "{key}" HAVING COUNT(*) > 1)').fetchone() if keyed else (0,)
            counted = Counter(map(str, rows)) if keyed else Counter(set(map(str, rows)))
            found[table] = (counted, int(duplicates[0]) if duplicates else 0)
    return found


def _trial(target: Target, size: int, trial: int, rng: random.Random, root: Path) -> tuple[list[str], int, str]:
    """One trial: the tables that differ from the truth (empty: exact), duplicate keys, where it was killed."""
    workdir = root / f"{target.label.replace(':', '_')}-{trial}"
    workdir.mkdir()
    with serve(target.api, size=size, seed=trial) as api:
        reference = _run(target, api, workdir, "truth")
        reference.communicate(timeout=300)
        api.set_faults(FaultPlan(rates=FAULTS, seed=trial))
        where = _crash(target, api, workdir, rng)
        api.set_faults(None)
        rerun = _run(target, api, workdir, "soak")
        _, err = rerun.communicate(timeout=300)
    truth, landed = _tables(workdir / "truth.duckdb"), _tables(workdir / "soak.duckdb")
    duplicates = sum(count for _, count in landed.values())
    differs = [f"{table} {landed.get(table, (Counter(), 0))[0].total()} rows of {rows.total()}"
               for table, (rows, _) in sorted(truth.items()) if landed.get(table, (None, 0))[0] != rows]
    differs += [f"{table} not in the truth" for table in sorted(set(landed) - set(truth))]
    if rerun.returncode not in {0, 1} or "load failed" in err:
        differs.append(f"rerun exit {rerun.returncode}")
    return differs, duplicates, where


def main() -> None:
    """Run the soak and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=3, help="trials per connector and seed")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill points and the data")
    parser.add_argument("--size", type=int, default=40, help="records per list resource")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    targets = [Target(name, seed=False) for name in catalog_names()] + [Target(name, seed=True) for name in SEEDS]
    totals = Counter[str]()
    with tempfile.TemporaryDirectory(prefix="restloom-soak-") as tmp:
        for target in targets:
            line = Counter[str]()
            for trial in range(args.seed * 1000, args.seed * 1000 + args.trials):
                differs, duplicates, where = _trial(target, args.size, trial, rng, Path(tmp))
                line.update({"syncs": 1, "exact": int(not differs), "duplicates": duplicates, where: 1})
                if differs:
                    print(f"  {target.label} trial {trial} ({where}): {'; '.join(differs)}", flush=True)
            kills = ", ".join(f"{line[k]} {k}" for k in sorted(line) if k.startswith(("killed", "ended")))
            print(f"{target.label}: {line['syncs']} syncs, {line['exact']} exact, {line['duplicates']} duplicate keys"
                  f" ({kills})", flush=True)
            totals.update(line)
    print(f"{totals['syncs']} syncs, {totals['exact']} exact, {totals['duplicates']} duplicate keys")


if __name__ == "__main__":
    main()
