"""`restloom run` and `restloom check` on a stepped config; a kill -9 between two windows, then a rerun."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import yaml

from restloom.testing import serve
from tests.integration.commands import restloom_command
from tests.integration.crashkit import duplicate_keys, kill9, wait_for_marker
from tests.integration.test_steps import END, START, WINDOWS, asked

CONFIG = {
    "client": {"base_url": "http://placeholder.invalid"},
    "resources": [{
        "name": "changes", "primary_key": "id", "write_disposition": "merge",
        "endpoint": {"path": "changes", "data_selector": "items",
                     "paginator": {"type": "offset", "limit": 10, "total_path": "total"},
                     "incremental": {"cursor_path": "updated_at", "start_param": "since", "end_param": "until",
                                     "initial_value": START, "end_value": END, "step": "15h"}},
    }],
}


def _config_file(workdir: Path) -> Path:
    path = workdir / "stepped.yaml"
    path.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    return path


def _restloom(args: list[str], workdir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([restloom_command(), *args], cwd=workdir, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "COLUMNS": "200", "RESTLOOM_RETRY_WAIT_SCALE": "0", **env}, check=False)


def _table(database: Path) -> dict[int, str]:
    with duckdb.connect(str(database), read_only=True) as db:
        rows = db.execute("SELECT id, strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ') FROM stepped_data.changes")
        return dict(rows.fetchall())


def _truth(api: Any) -> dict[int, str]:
    return {r["id"]: r["updated_at"] for r in api.records("items")}


def test_restloom_run_goes_through_every_window_and_says_so(tmp_path: Path) -> None:
    config = _config_file(tmp_path)
    with serve("generic", size=60, seed=1) as api:
        done = _restloom(["run", str(config), "--base-url", api.base_url], tmp_path)
        windows = asked(api, "since", "until")
        truth = _truth(api)
    assert done.returncode == 0, done.stderr
    assert windows == WINDOWS
    assert f"changes: 5 windows, {START} .. {END}" in done.stdout
    assert "not caught up" not in done.stdout
    assert _table(tmp_path / "stepped.duckdb") == truth


def test_restloom_check_prints_the_step_plan(tmp_path: Path) -> None:
    done = _restloom(["check", str(_config_file(tmp_path))], tmp_path)
    assert done.returncode == 0, done.stderr
    plan = ("  step 15h: 5 windows up to end_value, first 2024-05-29T00:00:00Z .. 2024-05-29T15:00:00Z, "
            "last 2024-05-31T12:00:00Z .. 2024-06-01T03:00:00Z; then an ordinary incremental")
    assert plan in done.stdout.splitlines()


def test_kill_9_between_windows_resumes_at_the_next_window(tmp_path: Path) -> None:
    """Killed when the third window's extract begins (windows 1 and 2 committed): the rerun asks from window 3
    on and the table ends exact, no key twice."""
    config = _config_file(tmp_path)
    with serve("generic", size=60, seed=1) as api:
        env = {**os.environ, "RESTLOOM_STEP_MARKERS": "1", "RESTLOOM_PAUSE_AT": "extract:3",
               "RESTLOOM_RETRY_WAIT_SCALE": "0"}
        process = subprocess.Popen([restloom_command(), "run", str(config), "--base-url", api.base_url],
                                   cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3):
            wait_for_marker(process, "extract")
        kill9(process)
        before_kill = asked(api, "since", "until")
        api.clear_requests()
        rerun = _restloom(["run", str(config), "--base-url", api.base_url], tmp_path)
        after_kill = asked(api, "since", "until")
        truth = _truth(api)
    assert before_kill == WINDOWS[:2]
    assert rerun.returncode == 0, rerun.stderr
    assert after_kill == WINDOWS[2:]
    assert "changes: 3 windows, 2024-05-30T06:00:00Z .. 2024-06-01T03:00:00Z" in rerun.stdout
    assert _table(tmp_path / "stepped.duckdb") == truth
    assert duplicate_keys(tmp_path / "stepped.duckdb", "stepped_data.changes") == []


def test_state_reset_forgets_the_windows_progress(tmp_path: Path) -> None:
    """`restloom state reset` forgets the windows' progress with the cursor: the next run steps through every
    window again from initial_value."""
    config = _config_file(tmp_path)
    with serve("generic", size=60, seed=1) as api:
        first = _restloom(["run", str(config), "--base-url", api.base_url], tmp_path)
        reset = _restloom(["state", "reset", str(config)], tmp_path)
        api.clear_requests()
        again = _restloom(["run", str(config), "--base-url", api.base_url], tmp_path)
        windows = asked(api, "since", "until")
    assert first.returncode == reset.returncode == again.returncode == 0, reset.stderr + again.stderr
    assert "reset: changes" in reset.stdout
    assert windows == WINDOWS
