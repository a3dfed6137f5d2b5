"""`restloom run` tells the truth once: auto-detection fallbacks warn, fetched vs loaded rows, short failures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from restloom.testing import serve

AUTO_FALLBACK = ("no paginator given and none detected in the first response: fallback paginator used: "
                 "SinglePagePaginator, only the first page is read; please provide the paginator manually "
                 "(endpoint.paginator)")

AUTO_GUESS = ("no paginator given; detected JSONResponseCursorPaginator(cursor_path: meta.next_cursor "
              "cursor_param: cursor) from the first response, a guess: please verify the paginator settings (set "
              "endpoint.paginator explicitly, as some settings may not be guessed correctly)")


def _restloom(args: list[str], *, cwd: Path, columns: int = 200) -> subprocess.CompletedProcess[str]:
    restloom = shutil.which("restloom") or str(Path(sys.executable).parent / "restloom")
    env = {**os.environ, "COLUMNS": str(columns), "RESTLOOM_RETRY_WAIT_SCALE": "0"}
    return subprocess.run([restloom, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180,
                          check=False)


def _config(tmp_path: Path, api: Any, resources: list[dict[str, Any]]) -> Path:
    path = tmp_path / "truth.json"
    path.write_text(json.dumps({"client": {"base_url": api.base_url, "auth": {
        "type": "bearer", "token": api.secrets["api_key"]}}, "resources": resources}), encoding="utf-8")
    return path


def test_auto_detection_falling_back_or_guessing_warns_once_per_resource(tmp_path: Path) -> None:
    """No paginator: a single-page fallback (each follower list) and a guessed paginator (contacts' meta cursor)
    each warn once per resource in the summary, as dlt's detect_paginator does; check says so beforehand."""
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
