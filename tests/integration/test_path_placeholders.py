"""Values placed in a request path are percent-encoded as one segment: data cannot steer the request."""

from __future__ import annotations

from typing import Any

from restloom.testing import SimulatedAPI, serve
from tests.conftest import Sync, table_rows

HOSTILE = ("../../admin/users", "x?role=admin", "y#frag")


def _config(api: SimulatedAPI) -> dict[str, Any]:
    return {
        "client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": api.secrets["api_key"]}},
        "resources": [
            {"name": "signature_requests", "primary_key": "id", "endpoint": {
                "path": "signature_requests", "data_selector": "data", "params": {"limit": 100},
                "paginator": "single_page"}},
            {"name": "followers", "primary_key": "email", "include_from_parent": ["id"], "endpoint": {
                "path": "signature_requests/{resources.signature_requests.id}/followers",
                "data_selector": "data", "paginator": "single_page"}},
        ]}


def _hostile_api(ids: tuple[str, ...]) -> SimulatedAPI:
    api = serve("yousign", size=len(ids), seed=4)
    for position, value in enumerate(ids):
        api.set_field("signature_requests", position, "id", value)
    return api


def test_parent_values_fill_the_path_as_one_encoded_segment(run_sync: Sync) -> None:
    """A parent id with '/', '..', '?' or '#' is requested as one encoded segment under the API's path,
    and its children load with the parent's real id."""
    with _hostile_api(HOSTILE) as api:
        result = run_sync(_config(api))
        paths = sorted(record.path for record in api.requests)
        truth = api.children("signature_requests_followers")
    assert result.ok
    assert paths == [
        "/v3/signature_requests",
        "/v3/signature_requests/..%2F..%2Fadmin%2Fusers/followers",
        "/v3/signature_requests/x%3Frole%3Dadmin/followers",
        "/v3/signature_requests/y%23frag/followers",
    ]
    rows = sorted(table_rows(result, "followers", "_signature_requests_id, email"))
    assert rows == sorted((parent, f["email"]) for parent in HOSTILE for f in truth[parent])


def test_a_dot_segment_value_fails_the_resource(run_sync: Sync) -> None:
    """A parent value '..' (which no encoding keeps inside the path) fails the child resource loudly,
    and no request leaves the API's path."""
    with _hostile_api(("..", "ok-id")) as api:
        result = run_sync(_config(api))
        paths = sorted(record.path for record in api.requests)
    [failed] = result.report.failed
    assert (failed.name, failed.error) == (
        "followers", "cannot fill the placeholders of 'signature_requests/{resources.signature_requests.id}"
        "/followers': the value '..' cannot fill a path segment")
    assert all(path.startswith("/v3/signature_requests") for path in paths)


def test_implicit_parent_and_incremental_values_are_encoded(run_sync: Sync) -> None:
    """An implicit parent's key and an incremental value placed in a path are encoded like parent fields."""
    with _hostile_api(("../../admin/users", "ok-id")) as api:
        config = _config(api)
        config["resources"][1]["endpoint"]["path"] = "signature_requests/{sign_req}/followers"
        config["resources"].append({"name": "window", "primary_key": "email", "endpoint": {
            "path": "signature_requests/{incremental.start_value}/followers", "data_selector": "data",
            "paginator": "single_page", "incremental": {"cursor_path": "email", "initial_value": "../../admin/users"}}})
        result = run_sync(config)
        paths = sorted(record.path for record in api.requests)
    assert result.ok
    assert paths == ["/v3/signature_requests",
                     "/v3/signature_requests/..%2F..%2Fadmin%2Fusers/followers",
                     "/v3/signature_requests/..%2F..%2Fadmin%2Fusers/followers",
                     "/v3/signature_requests/ok-id/followers"]
