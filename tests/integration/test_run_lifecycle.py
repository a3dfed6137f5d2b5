"""A run's lifecycle and its one front door: log filters released, typed outcomes, and the run options
(``RESTLOOM_CONCURRENCY``, ``RESTLOOM_RETRY_WAIT_SCALE``) honoured by the CLI as by ``rest_api_source``."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from restloom import rest_api_source
from restloom.config import parse
from restloom.engine.run import REDACTED_LOGGERS, Outcome, Run
from restloom.testing import Fault, FaultPlan, serve
from tests.integration.commands import restloom_command
from tests.integration.configs import yousign_followers

TOKEN_VAR = "RESTLOOM_LIFECYCLE_TEST_TOKEN"


def _filters() -> list[int]:
    return [len(logging.getLogger(name).filters) for name in REDACTED_LOGGERS]


def test_sources_run_through_dlt_leave_no_log_filter_behind(tmp_path: Path) -> None:
    """Three sources extracted by dlt pipelines add their redaction filter while running and remove it after."""
    before = _filters()
    with serve("yousign", size=4, seed=3) as api:
        for index in range(3):
            pipeline = dlt.pipeline(pipeline_name=f"lifecycle_{index}", pipelines_dir=str(tmp_path / "p"),
                                    destination=dlt.destinations.duckdb(str(tmp_path / f"l{index}.duckdb")))
            pipeline.run(rest_api_source(yousign_followers(api), retry_wait_scale=0))
    assert _filters() == before
    with duckdb.connect(str(tmp_path / "l2.duckdb"), read_only=True) as db:
        assert db.execute("SELECT COUNT(*) FROM lifecycle_2_dataset.signature_requests").fetchone() == (4,)


def test_with_block_holds_the_filter_and_close_releases_it() -> None:
    """Inside `with Run(...)` the filter is on every redacted logger; after the block it is gone, even after
    streams ran; a run used again opens anew."""
    before = _filters()
    with serve("yousign", size=3, seed=3) as api:
        run = Run(parse(yousign_followers(api)))
        with run:
            assert _filters() == [n + 1 for n in before]
            rows = [row for batch in run.pages(run.config.resource("signature_requests")) for row in batch.rows]
            assert _filters() == [n + 1 for n in before]  # the stream ended, the with block still holds the run
        assert _filters() == before
        again = [row for batch in run.pages(run.config.resource("signature_requests")) for row in batch.rows]
        assert _filters() == before  # the stream opened the run and released it when it ended
    assert len(rows) == len(again) == 3


def test_failed_stream_reports_a_failed_outcome() -> None:
    """A resource the API refuses ends its stream with a typed failed outcome naming the HTTP status."""
    with serve("yousign", size=3, seed=3) as api, Run(parse(yousign_followers(api, token="wrong-token-value"))) as run:
        stream = run.pages(run.config.resource("signature_requests"))
        batches = list(stream)
    assert batches == []
    assert stream.outcome is not None
    reason = stream.outcome.reason or ""
    assert stream.outcome == Outcome("failed", reason)
    assert reason.startswith("HTTP 401 at ")
    assert "wrong-token-value" not in reason


def _config_file(tmp_path: Path, api: Any) -> Path:
    path = tmp_path / "yousign_env.yaml"
    path.write_text(f"""
client:
  base_url: {api.base_url}
  auth: {{type: bearer, token: {{secret: {TOKEN_VAR.lower()}}}}}
resources:
  - name: signature_requests
    endpoint: {{path: signature_requests, data_selector: data, params: {{limit: 100}}, paginator: single_page}}
  - name: followers
    primary_key: email
    endpoint: {{path: "signature_requests/{{sign_req}}/followers", data_selector: data, paginator: single_page}}
""", encoding="utf-8")
    return path


def _cli(config: Path, api: Any, **env: str) -> subprocess.CompletedProcess[str]:
    restloom = restloom_command()
    environ = {**os.environ, TOKEN_VAR: api.secrets["api_key"], "COLUMNS": "200", **env}
    return subprocess.run([restloom, "run", str(config)], cwd=config.parent, env=environ, capture_output=True,
                          text=True, timeout=180, check=False)


def test_cli_honours_restloom_concurrency(tmp_path: Path) -> None:
    """`RESTLOOM_CONCURRENCY=3 restloom run` never has more than 3 requests in flight at the server; the
    default (8) has more, so the bound is what limits it."""
    peaks = []
    for value in ("3", ""):
        with serve("yousign", size=16, seed=5, latency_ms=150) as api:
            done = _cli(_config_file(tmp_path, api), api, RESTLOOM_CONCURRENCY=value)
            peaks.append(api.peak_in_flight)
        assert done.returncode == 0, done.stderr
    assert peaks[0] == 3
    assert peaks[1] > 3


def test_cli_honours_restloom_retry_wait_scale(tmp_path: Path) -> None:
    """A 429 asking for a 30 s wait is retried at once under `RESTLOOM_RETRY_WAIT_SCALE=0` from the CLI."""
    with serve("yousign", size=4, seed=5) as api:
        path = f"{api.base_url.split('//', 1)[1].split('/', 1)[1].rstrip('/')}/signature_requests"
        api.set_faults(FaultPlan(schedule={(f"/{path}", 1): Fault(kind="status", status=429, retry_after="30")}))
        started = time.monotonic()
        done = _cli(_config_file(tmp_path, api), api, RESTLOOM_RETRY_WAIT_SCALE="0")
        elapsed = time.monotonic() - started
        statuses = [r.status for r in api.requests if r.path.endswith("/signature_requests")]
    assert done.returncode == 0, done.stderr
    assert statuses == [429, 200]
    assert elapsed < 25  # the unscaled wait alone is 30 s


@pytest.mark.parametrize(("name", "value"), [("RESTLOOM_CONCURRENCY", "lots"), ("RESTLOOM_COLUMNAR_ROWS", "0")])
def test_cli_rejects_a_bad_run_option_from_the_environment(tmp_path: Path, name: str, value: str) -> None:
    """A run option the environment sets to nonsense is a config error naming the variable (exit 2), before
    any request."""
    with serve("yousign", size=2, seed=5) as api:
        done = _cli(_config_file(tmp_path, api), api, **{name: value})
        requests_made = len(api.requests)
    assert done.returncode == 2
    assert f"${name}: expected a positive integer, got {value!r}" in done.stderr
    assert requests_made == 0
