"""Where restloom deliberately differs from dlt on a valid dlt config, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.sources.rest_api import rest_api_source as dlt_rest_api_source

import restloom
from restloom.testing import SimulatedAPI, serve
from tests.differential.harness import run_side


def _config(api: SimulatedAPI) -> dict[str, Any]:
    return {"client": {"base_url": api.base_url},
            "resources": [{"name": "missing", "endpoint": {"path": "status/404"}},
                          {"name": "items", "endpoint": {"path": "cursor/items", "paginator": "single_page"}}]}


def test_a_failed_resource_fails_the_run_by_default_as_in_dlt(tmp_path: Path) -> None:
    """By default a resource's 404 fails the extract in restloom as in dlt (no silent success), naming it."""
    with serve("generic") as api:
        with pytest.raises(PipelineStepFailed):
            run_side(lambda: dlt_rest_api_source(_config(api)), name="dlt_side", tmp_path=tmp_path)
        with pytest.raises(PipelineStepFailed) as raised:
            run_side(lambda: restloom.rest_api_source(_config(api)), name="restloom_side", tmp_path=tmp_path)
    assert f"resource 'missing': HTTP 404 at {api.base_url}status/404" in str(raised.value)


def test_on_failure_continue_does_not_stop_the_others(tmp_path: Path) -> None:
    """With on_failure="continue" restloom loads the others and reports the failure, which the caller
    raises (deliberate: one broken endpoint must not cost a sync every other table)."""
    with serve("generic") as api:
        source = restloom.rest_api_source(_config(api), on_failure="continue")
        side = run_side(lambda: source, name="restloom_side", tmp_path=tmp_path)
    assert len(side.rows["items"]) == 10
    assert "missing" not in side.rows
    [failed] = restloom.report_of(source).failed
    assert failed.name == "missing"
    with pytest.raises(restloom.ResourcesFailed) as raised:
        restloom.report_of(source).raise_for_failures()
    assert raised.value.failures == {"missing": failed.error}
    assert dlt.__version__ == "1.31.0"
