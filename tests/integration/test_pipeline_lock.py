"""Two runs of one pipeline at once: the second refuses at once, naming the holder; a dead holder never blocks."""

from __future__ import annotations

import os
from pathlib import Path

from restloom.testing import serve
from tests.integration.crashkit import column, duplicate_keys, kill9, start_calls_run, wait_for_marker


def test_second_run_refuses_while_first_runs_and_a_killed_holder_does_not_block(tmp_path: Path) -> None:
    """A concurrent run exits 3 with the holder's pid and start; after kill -9 of the holder a run succeeds."""
    with serve("zendesk_talk", size=30, seed=31, export_page_size=4) as api:
        first = start_calls_run(api, tmp_path, RESTLOOM_PAUSE_AT="extract")
        wait_for_marker(first, "extract")
        second = start_calls_run(api, tmp_path)
        _, refused = second.communicate(timeout=120)
        lock_file = Path(os.environ["DLT_DATA_DIR"]) / "pipelines" / "resume.lock"
        pid, started = lock_file.read_text(encoding="utf-8").split()
        kill9(first)
        third = start_calls_run(api, tmp_path)
        _, err = third.communicate(timeout=120)
        truth = sorted(record["id"] for record in api.records("calls"))
    assert second.returncode == 3
    assert pid == str(first.pid)
    assert refused.strip() == (
        f"pipeline 'resume' is being run by pid {first.pid} since {started}; this run did nothing (run it again "
        "when that one ends, or set RESTLOOM_LOCK_WAIT=<seconds> to wait for it)")
    assert third.returncode == 0, err
    database = tmp_path / "resume.duckdb"
    assert column(database, "SELECT id FROM resume_data.calls ORDER BY id") == truth
    assert duplicate_keys(database, "resume_data.calls") == []
