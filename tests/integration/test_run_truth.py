"""`restloom run` tells the truth once: auto-detection fallbacks warn, fetched vs loaded rows, short failures."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from restloom.testing import serve
from tests.integration.commands import restloom_command, summary_row

AUTO_FALLBACK = ("no paginator given and none detected in the first response: fallback paginator used: "
                 "SinglePagePaginator, only the first page is read; please provide the paginator manually "
                 "(endpoint.paginator)")

AUTO_GUESS = ("no paginator given; detected JSONResponseCursorPaginator(cursor_path: meta.next_cursor "
              "cursor_param: cursor) from the first response, a guess: please verify the paginator settings (set "
              "endpoint.paginator explicitly, as some settings may not be guessed correctly)")


def _restloom(args: list[str], *, cwd: Path, columns: int = 200,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    restloom = restloom_command()
    env = {**os.environ, "COLUMNS": str(columns), "RESTLOOM_RETRY_WAIT_SCALE": "0", **(env or {})}
    return subprocess.run([restloom, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180,
                          check=False)


def _config(tmp_path: Path, api: Any, resources: list[dict[str, Any]]) -> Path:
    path = tmp_path / "truth.json"
    path.write_text(json.dumps({"client": {"base_url": api.base_url, "auth": {
        "type": "bearer", "token": api.secrets["api_key"]}}, "resources": resources}), encoding="utf-8")
    return path


def test_auto_detection_falling_back_or_guessing_warns_once_per_resource(tmp_path: Path) -> None:
    """Without a paginator, a single-page fallback and a guessed paginator each warn once per resource, as in dlt."""
    with serve("yousign", size=12, seed=3) as api:
        config = _config(tmp_path, api, [
            {"name": "signature_requests", "endpoint": {"path": "signature_requests", "data_selector": "data",
                                                        "params": {"limit": 100}, "paginator": "single_page"}},
            {"name": "followers", "primary_key": "email", "endpoint": {
                "path": "signature_requests/{sign_req}/followers", "data_selector": "data"}},
            {"name": "contacts", "endpoint": {"path": "contacts", "data_selector": "data"}}])
        done = _restloom(["run", str(config)], cwd=tmp_path)
        checked = _restloom(["check", str(config)], cwd=tmp_path)
    text = " ".join(done.stdout.split())
    assert done.returncode == 0, done.stderr
    assert text.count(f"warning followers: {AUTO_FALLBACK}") == 1
    assert text.count("no paginator given and none detected") == 1
    assert text.count(f"warning contacts: {AUTO_GUESS}") == 1
    assert "  pages: detected from the first response (dlt's auto-detection; a fallback to a single page is a " \
           "warning: set endpoint.paginator to be sure)" in checked.stdout.splitlines()



def test_summary_shows_rows_fetched_and_rows_loaded_this_run(tmp_path: Path) -> None:
    """A second run reads every contact but dlt's incremental (client side, on created_at) loads only the new
    ones: both figures are shown."""
    with serve("yousign", size=15, seed=8) as api:
        config = _config(tmp_path, api, [{"name": "contacts", "primary_key": "id", "write_disposition": "merge",
                                          "endpoint": {"path": "contacts", "data_selector": "data",
                                                       "paginator": {"type": "cursor", "cursor_param": "after",
                                                                     "cursor_path": "meta.next_cursor"},
                                                       "incremental": {"cursor_path": "created_at"}}}])
        first = _restloom(["run", str(config)], cwd=tmp_path)
        added = len(api.mutate(seed=2).added["contacts"])
        second = _restloom(["run", str(config)], cwd=tmp_path)
        served = len(api.records("contacts"))
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert summary_row(first.stdout, "resource")[:3] == ["resource", "fetched", "loaded"]
    assert summary_row(first.stdout, "contacts")[1:3] == ["15", "15"]
    assert added > 0
    assert summary_row(second.stdout, "contacts")[1:3] == [str(served), str(added)]
    assert f"contacts: done, {served} rows fetched, 2 pages, 2 requests" in second.stdout.splitlines()


def test_a_failure_is_said_once_short_in_the_table_whole_below_it_at_80_columns(tmp_path: Path) -> None:
    """At 80 columns a failure's reason is printed once, below the table; notices of excluded resources are not."""
    reason = ("primary key 'nope' (declared) is missing from its records (fields: id, created_at, first_name, "
              "last_name, email, phone_number, locale); set primary_key on the resource to a field they carry")
    with serve("yousign", size=5, seed=4) as api:
        config = _config(tmp_path, api, [
            {"name": "labels", "endpoint": {"path": "labels", "data_selector": "data", "paginator": "single_page"}},
            {"name": "contacts", "primary_key": "nope", "endpoint": {
                "path": "contacts", "data_selector": "data", "paginator": "single_page"}},
            {"name": "users", "endpoint": {"path": "users", "data_selector": "data", "paginator": "single_page",
                                           "response_actions": [{"status_code": 404, "action": "ignor"}]}}])
        done = _restloom(["run", str(config), "--resources", "labels,contacts"], cwd=tmp_path, columns=80)
    assert done.returncode == 1
    assert (done.stdout + done.stderr).count(reason) == 1
    assert (done.stdout + done.stderr).count("'nope'") == 1  # no log line, nothing wrapped in the table
    assert f"failed contacts: {reason}" in done.stderr.splitlines()
    assert summary_row(done.stdout, "contacts")[-1] == "failed"
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert "ignor" not in done.stdout + done.stderr
