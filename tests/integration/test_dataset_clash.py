"""A dataset named like its DuckDB file is refused before any request; a failed load is never shown as `ok`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import dlt
import pytest

from restloom.cli.app import _sync
from restloom.config import parse
from restloom.config.models import RetryPolicy
from restloom.testing import serve
from tests.integration.commands import restloom_command


def _contacts(api: Any) -> dict[str, Any]:
    return {"client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": api.secrets["api_key"]}},
            "resources": [{"name": "contacts", "endpoint": {"path": "contacts", "data_selector": "data",
                                                            "paginator": "single_page"}}]}


def test_dataset_named_like_the_duckdb_file_is_refused_before_any_request(tmp_path: Path) -> None:
    """`restloom run good.json --dataset-name good` exits 2 with a message naming the clash; no request is made."""
    restloom = restloom_command()
    with serve("yousign", size=3, seed=1) as api:
        config = tmp_path / "good.json"
        config.write_text(json.dumps(_contacts(api)), encoding="utf-8")
        done = subprocess.run([restloom, "run", str(config), "--dataset-name", "good"], cwd=tmp_path,
                              env={**os.environ, "COLUMNS": "200"}, capture_output=True, text=True, timeout=120,
                              check=False)
        requests_made = len(api.requests)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "--dataset-name 'good' is the name of the DuckDB file good.duckdb: DuckDB cannot tell the file's catalog "
        "from the dataset; choose another dataset name (the default is good_data) or another --pipeline-name")
    assert requests_made == 0
    assert not (tmp_path / "good.duckdb").exists()


def test_a_failed_load_fails_every_resource_and_prints_dlts_whole_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the load fails after a clean extract, the summary says `failed` (not `ok`) and the whole reason,
    dlt's hint at its end included, is printed below it; exit code 1."""
    monkeypatch.setenv("COLUMNS", "300")
    with serve("yousign", size=3, seed=1) as api:
        config = parse(_contacts(api), retry_base=RetryPolicy(wait_scale=0))
        code = _sync(config, pipeline_name="clash", dataset_name="clash",
                     pipelines_dir=str(tmp_path / "pipelines"),
                     destination=dlt.destinations.duckdb(str(tmp_path / "clash.duckdb")))
    out, err = capsys.readouterr()
    assert code == 1
    [row] = [line for line in out.splitlines() if line.startswith("│ contacts")]
    assert row.split("│")[-2].strip() == "failed"
    assert "failed contacts: not loaded: the load failed (below)" in err
    message = " ".join(err.split())
    assert "load failed: PipelineStepFailed:" in message
    assert 'Ambiguous reference to catalog or schema "clash"' in message
    assert "more characters" not in message  # nothing cut: dlt's advice at the end is shown
