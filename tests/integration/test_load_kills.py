"""kill -9 inside the load step, at chosen load jobs, then rerun: every record once, no duplicate key.

The hook ``RESTLOOM_PAUSE_AT=load:<n>`` pauses the n-th load job (``load:sql``: the merge job) after the
destination committed it and before dlt recorded it, so the kill leaves a job that the next run replays.
Three kill sequences run here; ``python bench/load_kills.py --points 12`` runs a dozen (the same check).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from restloom.testing import serve
from tests.integration.crashkit import column, duplicate_keys, kill9, start_calls_run, wait_for_marker

# many load jobs out of 40 calls: each page of 4 its own Arrow table (the calls are incremental, so columnar),
# each table its own file
SMALL_FILES = {"DATA_WRITER__FILE_MAX_ITEMS": "4", "RESTLOOM_COLUMNAR_ROWS": "4"}


@pytest.mark.parametrize("kills", [("2",), ("sql",), ("6", "1")],
                         ids=["copy-job", "merge-job", "killed-again-in-recovery"])
def test_killed_inside_load_then_rerun_has_no_duplicate_key(tmp_path: Path, kills: tuple[str, ...]) -> None:
    """A load job (copy or merge) replayed after a kill between its commit and its record adds no row twice."""
    with serve("zendesk_talk", size=40, seed=21, export_page_size=4) as api:
        for point in kills:
            crashed = start_calls_run(api, tmp_path, RESTLOOM_PAUSE_AT=f"load:{point}", **SMALL_FILES)
            wait_for_marker(crashed, f"load:{point} ")
            kill9(crashed)
        rerun = start_calls_run(api, tmp_path, **SMALL_FILES)
        _, err = rerun.communicate(timeout=120)
        truth = sorted(record["id"] for record in api.records("calls"))
    assert rerun.returncode == 0, err
    database = tmp_path / "resume.duckdb"
    assert column(database, "SELECT id FROM resume_data.calls ORDER BY id") == truth
    assert duplicate_keys(database, "resume_data.calls") == []
    assert duplicate_keys(database, "resume_data.calls__quality_issues", "_dlt_id") == []
