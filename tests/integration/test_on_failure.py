"""No silent success: a failed resource fails ``pipeline.run`` by default; ``on_failure="continue"`` is the opt-in
that loads the rest and leaves the failures to the caller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

import restloom
from restloom.testing import SimulatedAPI, serve

PAGINATOR = {"type": "cursor", "cursor_param": "page[after]", "limit": 100, "limit_param": "page[size]",
             "stop_condition": "response.get('data')|length == 0"}


def _config(api: SimulatedAPI, *, token: str, cases_token: str | None = None) -> dict[str, Any]:
    cases: dict[str, Any] = {"name": "cases", "endpoint": {"path": "cases"}}
    if cases_token is not None:
        cases["endpoint"]["auth"] = {"type": "bearer", "token": cases_token}
    return {
        "client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": token}},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge",
                              "endpoint": {"data_selector": "data", "paginator": PAGINATOR}},
        "resources": ["accounts", cases],
    }


def _pipeline(tmp_path: Path) -> Any:
    return dlt.pipeline(pipeline_name="p", destination=dlt.destinations.duckdb(str(tmp_path / "p.duckdb")),
                        dataset_name="data", pipelines_dir=str(tmp_path / "pipelines"))


def _count(pipeline: Any, table: str) -> int:
    with pipeline.sql_client() as client:
        return int(client.execute_sql(f"SELECT COUNT(*) FROM {client.make_qualified_table_name(table)}")[0][0])


def test_pipeline_run_raises_when_every_resource_is_refused(tmp_path: Path) -> None:
    """401 on every resource: pipeline.run raises (not "LOADED"), naming the resource, without the token."""
    pipeline = _pipeline(tmp_path)
    with serve("persona", size=5, seed=2) as api:
        with pytest.raises(PipelineStepFailed) as raised:
            pipeline.run(restloom.rest_api_source(_config(api, token="wrong-token-xyz"), retry_wait_scale=0))
        log = [(r.path, r.status) for r in api.requests]
    message = str(raised.value)
    assert raised.value.step == "extract"
    assert ("resource 'accounts': HTTP 401 at "
            f"{api.base_url}/accounts?page%5Bsize%5D=100: the API refused the credentials") in message
    assert "wrong-token-xyz" not in message
    assert log == [("/accounts", 401)]  # the first failure stops the extract, as in dlt
    assert pipeline.has_pending_data is False
    assert pipeline.last_trace.last_load_info is None


def test_a_run_after_a_raised_failure_loads_exactly(tmp_path: Path) -> None:
    """The failed run committed nothing (no partial package, no state): the next run loads every row once."""
    pipeline = _pipeline(tmp_path)
    with serve("persona", size=7, seed=2) as api:
        good = api.secrets["api_key"]
        with pytest.raises(PipelineStepFailed):
            pipeline.run(restloom.rest_api_source(_config(api, token=good, cases_token="bad"), retry_wait_scale=0))
        pipeline.run(restloom.rest_api_source(_config(api, token=good), retry_wait_scale=0))
    assert (_count(pipeline, "accounts"), _count(pipeline, "cases")) == (7, 7)


def test_on_failure_continue_loads_the_rest_and_leaves_the_failure_to_the_caller(tmp_path: Path) -> None:
    """The opt-in: accounts load, pipeline.run returns, raise_for_failures raises ResourcesFailed naming cases."""
    pipeline = _pipeline(tmp_path)
    with serve("persona", size=6, seed=2) as api:
        source = restloom.rest_api_source(_config(api, token=api.secrets["api_key"], cases_token="wrong-token-xyz"),
                                          retry_wait_scale=0, on_failure="continue")
        pipeline.run(source)
    report = restloom.report_of(source)
    with pytest.raises(restloom.ResourcesFailed) as raised:
        report.raise_for_failures()
    reason = (f"HTTP 401 at {api.base_url}/cases?page%5Bsize%5D=100: the API refused the credentials (check the "
              'auth settings and the secret\'s value); body: {"error":"missing or invalid credentials"}')
    assert raised.value.failures == {"cases": reason}
    assert str(raised.value) == f"1 resource failed\n  - cases: {reason}"
    assert _count(pipeline, "accounts") == 6
    assert "cases" not in pipeline.default_schema.tables


def test_on_failure_must_be_raise_or_continue() -> None:
    """A misspelt on_failure is a config error naming the argument, not a silent default."""
    with pytest.raises(restloom.ConfigError) as raised:
        restloom.rest_api_source({"client": {"base_url": "http://127.0.0.1:9/"}, "resources": ["a"]},
                                 on_failure="ignore")  # type: ignore[arg-type]
    assert str(raised.value) == ("invalid config: 1 problem\n"
                                 "  - on_failure: expected 'raise' or 'continue', got 'ignore'")
