"""kill -9 inside the load step, at chosen load jobs, then rerun: every record once, no duplicate key.

The hook ``RESTLOOM_PAUSE_AT=load:<n>`` pauses the n-th load job after the destination committed it
and before dlt recorded it, so the kill leaves a job that the next run replays. Two kill sequences
run here; ``python bench/load_kills.py`` runs a dozen points (the same check, longer).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from restloom.testing import serve
from tests.integration.crashkit import column, duplicate_keys, kill9, start_calls_run, wait_for_marker

SMALL_FILES = {"NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS": "4"}  # many load jobs out of 40 calls


@pytest.mark.parametrize("kills", [(2,), (6, 1)], ids=["kill-once", "killed-again-in-recovery"])
def test_killed_inside_load_then_rerun_has_no_duplicate_key(tmp_path: Path, kills: tuple[int, ...]) -> None:
    """A load job replayed after a kill between its commit and its record does not add its rows twice."""
    with serve("zendesk_talk", size=40, seed=21, export_page_size=4) as api:
        for nth in kills:
            crashed = start_calls_run(api, tmp_path, RESTLOOM_PAUSE_AT=f"load:{nth}", **SMALL_FILES)
            wait_for_marker(crashed, f"load:{nth} ")
            kill9(crashed)
        rerun = start_calls_run(api, tmp_path, **SMALL_FILES)
        _, err = rerun.communicate(timeout=120)
        truth = sorted(record["id"] for record in api.records("calls"))
    assert rerun.returncode == 0, err
    database = tmp_path / "resume.duckdb"
    assert column(database, "SELECT id FROM resume_data.calls ORDER BY id") == truth
    assert duplicate_keys(database, "resume_data.calls") == []
    assert duplicate_keys(database, "resume_data.calls__quality_issues", "_dlt_id") == []
