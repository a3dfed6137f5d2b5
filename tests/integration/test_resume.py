"""A run killed with SIGKILL at any step, then rerun, ends with exactly the service's data."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from restloom.testing import serve
from tests.integration.commands import restloom_command
from tests.integration.crashkit import kill9, start_calls_run, wait_for_marker


def _landed(tmp_path: Path) -> list[tuple[str, Any]]:
    with duckdb.connect(str(tmp_path / "resume.duckdb"), read_only=True) as db:
        return db.execute("SELECT id, updated_at FROM resume_data.calls ORDER BY id").fetchall()


@pytest.mark.parametrize("kill_at", ["extract", "normalize", "load", "during-load"])
def test_killed_run_then_rerun_has_exactly_the_dataset(tmp_path: Path, kill_at: str) -> None:
    """Killed mid-extract, before normalize, before load or while loading: the rerun has every record once."""
    with serve("zendesk_talk", size=60, seed=11, export_page_size=4, latency_ms=20) as api:
        first = start_calls_run(api, tmp_path)
        first.communicate(timeout=120)
        assert first.returncode == 0
        api.mutate(seed=12)
        pause = {"normalize": "normalize", "load": "load"}.get(kill_at, "")
        crashed = start_calls_run(api, tmp_path, RESTLOOM_PAUSE_AT=pause)
        if kill_at == "extract":
            wait_for_marker(crashed, "extract")
            while sum(1 for r in api.requests if r.path.endswith("/calls")) < 20 and crashed.poll() is None:
                time.sleep(0.01)
        else:
            wait_for_marker(crashed, "load" if kill_at == "during-load" else kill_at)
            if pause:
                time.sleep(0.2)  # let it reach the pause
        kill9(crashed)
        rerun = start_calls_run(api, tmp_path)
        _, err = rerun.communicate(timeout=120)
        truth = sorted((r["id"], r["updated_at"]) for r in api.records("calls"))
    assert rerun.returncode == 0, err
    landed = _landed(tmp_path)
    assert [row[0] for row in landed] == [row[0] for row in truth]
    assert [row[1].strftime("%Y-%m-%dT%H:%M:%SZ") for row in landed] == [row[1] for row in truth]


def test_state_show_and_reset(tmp_path: Path) -> None:
    """`state show` prints the stored cursor; `state reset --resource calls` makes the next run start over."""
    with serve("zendesk_talk", size=9, seed=13, export_page_size=4) as api:
        run = start_calls_run(api, tmp_path)
        run.communicate(timeout=120)
        config = str(tmp_path / "calls.yaml")
        env = {**os.environ, "ZENDESK_API_KEY": api.secrets["api_key"]}
        last = max(r["updated_at"] for r in api.records("calls"))
        show = subprocess.run([restloom_command(), "state", "show", config, "--pipeline-name", "resume"], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=60, check=False)
        reset = subprocess.run([restloom_command(), "state", "reset", config, "--pipeline-name", "resume",
                                "--resource", "calls"], cwd=tmp_path, env=env, capture_output=True, text=True,
                               timeout=60, check=False)
        shown_after = subprocess.run([restloom_command(), "state", "show", config, "--pipeline-name", "resume"],
                                     cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
        api.clear_requests()
        again = start_calls_run(api, tmp_path)
        again.communicate(timeout=120)
        first_window = next(r.query.get("start_time") for r in api.requests if r.path.endswith("/calls"))
    assert show.returncode == 0, show.stderr
    assert show.stdout.strip() == f"calls: updated_at last_value='{last}' (initial '2024-01-01T00:00:00Z')"
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.strip() == "reset: calls"
    assert shown_after.stdout.strip() == "calls: no cursor stored"
    assert first_window == "1704067200"  # 2024-01-01T00:00:00Z: the initial value again
