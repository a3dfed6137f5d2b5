"""Two runs of one pipeline at once: the second refuses at once, naming the holder; a dead holder never blocks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from restloom.testing import serve
from tests.integration.crashkit import (
    column,
    duplicate_keys,
    kill9,
    restloom_command,
    start_calls_run,
    wait_for_marker,
)


def test_second_run_refuses_while_first_runs_and_a_killed_holder_does_not_block(tmp_path: Path) -> None:
    """A 2nd run or state reset exits 3 naming the holder; RESTLOOM_LOCK_WAIT waits; a dead holder blocks nothing."""
    with serve("zendesk_talk", size=30, seed=31, export_page_size=4) as api:
        first = start_calls_run(api, tmp_path, RESTLOOM_PAUSE_AT="extract")
        wait_for_marker(first, "extract")
        second = start_calls_run(api, tmp_path)
        _, refused = second.communicate(timeout=120)
        reset = subprocess.run([restloom_command(), "state", "reset", str(tmp_path / "calls.yaml"), "--pipeline-name",
                                "resume"], cwd=tmp_path, env={**os.environ, "ZENDESK_API_KEY": api.secrets["api_key"]},
                               capture_output=True, text=True, timeout=120, check=False)
        lock_file = Path(os.environ["DLT_DATA_DIR"]) / "pipelines" / "resume.lock"
        pid, started = lock_file.read_text(encoding="utf-8").split()
        waiter = start_calls_run(api, tmp_path, RESTLOOM_LOCK_WAIT="120")
        kill9(first)
        _, waited = waiter.communicate(timeout=120)
        third = start_calls_run(api, tmp_path)
        _, err = third.communicate(timeout=120)
        truth = sorted(record["id"] for record in api.records("calls"))
    assert second.returncode == 3
    assert reset.returncode == 3
    assert reset.stderr.startswith(f"pipeline 'resume' is being run by pid {first.pid} since {started};")
    assert pid == str(first.pid)
    assert refused.strip() == (
        f"pipeline 'resume' is being run by pid {first.pid} since {started}; this run did nothing (run it again "
        "when that one ends, or set RESTLOOM_LOCK_WAIT=<seconds> to wait for it)")
    assert waiter.returncode == 0, waited
    assert third.returncode == 0, err
    database = tmp_path / "resume.duckdb"
    assert column(database, "SELECT id FROM resume_data.calls ORDER BY id") == truth
    assert duplicate_keys(database, "resume_data.calls") == []
