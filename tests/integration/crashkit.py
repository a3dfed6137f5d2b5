"""Helpers of the crash tests (and the soak bench): a CLI run in a subprocess, its step markers, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import yaml

from tests.integration.commands import restloom_command

CALLS_CONFIG = {
    "client": {"base_url": "http://placeholder.invalid",
               "auth": {"type": "api_key", "name": "api_key", "api_key": {"secret": "zendesk_api_key"},
                        "location": "query"}},
    "resources": [{
        "name": "calls", "primary_key": "id", "write_disposition": "merge",
        "endpoint": {
            "path": "v1/stats/incremental/calls", "data_selector": "calls",
            "paginator": {"type": "cursor", "cursor_path": "next_page", "stop_condition": "response.count < 4"},
            "incremental": {"cursor_path": "updated_at", "start_param": "start_time",
                            "initial_value": "2024-01-01T00:00:00Z", "convert": "epoch_seconds"},
        },
    }],
}
"""Zendesk's incremental calls export: a merge table with a nested table (``calls__quality_issues``)."""


def start_calls_run(api: Any, workdir: Path, *, pipeline: str = "resume", **env: str) -> subprocess.Popen[str]:
    """``restloom run`` of the calls config against ``api`` in ``workdir``, step markers on, waits instant."""
    config = workdir / "calls.yaml"
    config.write_text(yaml.safe_dump(CALLS_CONFIG), encoding="utf-8")
    environ = {**os.environ, "ZENDESK_API_KEY": api.secrets["api_key"], "RESTLOOM_STEP_MARKERS": "1",
               "RESTLOOM_RETRY_WAIT_SCALE": "0", **env}
    return subprocess.Popen([restloom_command(), "run", str(config), "--pipeline-name", pipeline,
                             "--base-url", api.base_url],
                            cwd=workdir, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_marker(process: subprocess.Popen[str], marker: str) -> str:
    """Read stderr until a line starting with ``restloom step: <marker>``; that line."""
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith(f"restloom step: {marker}"):
            return line.strip()
    raise AssertionError(f"the run ended before step {marker}")


def kill9(process: subprocess.Popen[str]) -> None:
    """SIGKILL the run and reap it."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def duplicate_keys(database: Path, table: str, key: str = "id") -> list[tuple[Any, ...]]:
    """Keys that occur more than once in ``table`` (dataset included), with their counts."""
    with duckdb.connect(str(database), read_only=True) as db:
        return db.execute(f"SELECT {key}, COUNT(*) FROM {table} GROUP BY {key} HAVING COUNT(*) > 1").fetchall()


def column(database: Path, sql: str) -> list[Any]:
    """The first column of a query's rows."""
    with duckdb.connect(str(database), read_only=True) as db:
        return [row[0] for row in db.execute(sql).fetchall()]
