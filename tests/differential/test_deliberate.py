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
from tests.differential.harness import differential, run_side


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


def _cross_origin_config(api: SimulatedAPI) -> dict[str, Any]:
    """The generic API's Link-header list under ``localhost``: its next links point at ``127.0.0.1``."""
    return {"client": {"base_url": api.base_url.replace("127.0.0.1", "localhost"),
                       "auth": {"type": "bearer", "token": api.real_credentials["token"]}},
            "resources": [{"name": "items", "endpoint": {"path": "link/items", "paginator": "header_link",
                                                         "params": {"per_page": 5}}}]}


def test_credentials_are_not_sent_to_another_origin(tmp_path: Path) -> None:
    """dlt sends the bearer token to whatever host a next link names; restloom sends credentials only to
    the base URL's origin (and client.auth_origins) and warns naming the host (deliberate: a next link must
    not hand the API key to a third party)."""
    outcome = differential(_cross_origin_config, tmp_path=tmp_path, size=12, compare=False)
    assert [r.auth for r in outcome.logs["dlt"]] == ["real", "real", "real"]
    assert [r.auth for r in outcome.logs["restloom"]] == ["real", "seed", "seed"]
    assert len(outcome.restloom.rows["items"]) == len(outcome.dlt.rows["items"]) == 12
    [warning] = restloom.report_of(outcome.restloom.source).stats("items").warnings
    assert warning.startswith(f"credentials not sent to {outcome.api.root_url}, another origin")


def _followers_config(api: SimulatedAPI) -> dict[str, Any]:
    return {"client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": api.secrets["api_key"]}},
            "resources": [
                {"name": "signature_requests", "endpoint": {"path": "signature_requests", "data_selector": "data",
                                                            "params": {"limit": 100}, "paginator": "single_page"}},
                {"name": "followers", "primary_key": "email", "endpoint": {
                    "path": "signature_requests/{resources.signature_requests.id}/followers",
                    "data_selector": "data", "paginator": "single_page"}}]}


def test_path_placeholder_values_are_encoded_as_one_segment(tmp_path: Path) -> None:
    """dlt puts a parent value into the path as is, so '../../admin/users' requests /admin/users/... outside
    the API's path; restloom percent-encodes it as one segment and loads the children (deliberate: data
    must never choose which endpoint is called)."""
    with serve("yousign", size=2, seed=4) as api:
        api.set_field("signature_requests", 0, "id", "../../admin/users")
        with pytest.raises(PipelineStepFailed):
            run_side(lambda: dlt_rest_api_source(_followers_config(api)), name="dlt_side", tmp_path=tmp_path)
        dlt_paths = [record.path for record in api.requests]
        api.clear_requests()
        side = run_side(lambda: restloom.rest_api_source(_followers_config(api)), name="restloom_side",
                        tmp_path=tmp_path)
        restloom_paths = [record.path for record in api.requests]
        truth = api.children("signature_requests_followers")["../../admin/users"]
    assert "/admin/users/followers" in dlt_paths
    assert sorted(restloom_paths) == ["/v3/signature_requests",
                                      "/v3/signature_requests/..%2F..%2Fadmin%2Fusers/followers",
                                      f"/v3/signature_requests/{api.records('signature_requests')[1]['id']}/followers"]
    assert truth
    assert sorted(row["email"] for row in side.rows["followers"]) == sorted(f["email"] for f in truth)
