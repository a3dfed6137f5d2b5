"""Differential: endpoint options — method and bodies, headers, params, data_selector, session, defaults."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from dlt.sources.helpers.rest_client.paginators import OffsetPaginator

from restloom.testing import SimulatedAPI
from tests.differential.harness import differential

Factory = Callable[[SimulatedAPI], dict[str, Any]]


def _config(*resources: Any, **client: Any) -> Factory:
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        built = [r(api) if callable(r) else r for r in resources]
        return {"client": {"base_url": api.base_url, **client}, "resources": built}

    return factory


def test_post_with_a_json_body_and_the_cursor_in_the_body(tmp_path: Path) -> None:
    """POST with a json body; dlt's cursor paginator writes the cursor into the body (cursor_body_path)."""
    resource = {"name": "active", "endpoint": {
        "path": "search", "method": "POST", "json": {"limit": 4, "filter": {"active": True}},
        "paginator": {"type": "cursor", "cursor_path": "next_cursor", "cursor_body_path": "cursor"}}}
    outcome = differential(_config(resource), tmp_path=tmp_path)
    bodies = [body for _, _, body in outcome.dlt.requests["/api/search"]]
    assert bodies[0] == {"limit": 4, "filter": {"active": True}}
    assert set(bodies[1]) == {"limit", "filter", "cursor"}
    assert all(row["active"] for row in outcome.dlt.rows["active"])


def test_post_with_the_offset_and_limit_in_the_body(tmp_path: Path) -> None:
    """An offset paginator with offset_body_path / limit_body_path pages a POST search by its body."""
    resource = {"name": "all", "endpoint": {
        "path": "search", "method": "POST", "json": {"filter": {}},
        "paginator": OffsetPaginator(limit=6, offset_body_path="offset", limit_body_path="limit")}}
    outcome = differential(_config(resource), tmp_path=tmp_path)
    assert [body["offset"] for _, _, body in outcome.dlt.requests["/api/search"]] == [0, 6, 12, 18]
    assert len(outcome.dlt.rows["all"]) == 23


def test_post_with_a_form_body(tmp_path: Path) -> None:
    """``data`` is sent form-encoded as the request body."""
    resource = {"name": "inactive", "endpoint": {"path": "form", "method": "POST",
                                                 "data": {"active": "false"}, "paginator": "single_page"}}
    outcome = differential(_config(resource), tmp_path=tmp_path)
    assert outcome.dlt.requests["/api/form"] == [("POST", (), "active=false")]
    assert outcome.dlt.rows["inactive"]
    assert not any(row["active"] for row in outcome.dlt.rows["inactive"])


def test_client_and_endpoint_headers(tmp_path: Path) -> None:
    """Client headers go with every request; an endpoint's headers are added over them."""

    def private(api: SimulatedAPI) -> dict[str, Any]:
        headers = {"X-API-Key": api.real_credentials["api_key"]}
        paginator = {"type": "offset", "limit": 12, "total_path": "total"}
        endpoint = {"path": "private/items", "headers": headers, "paginator": paginator}
        return {"name": "items", "endpoint": endpoint}

    outcome = differential(_config(private, headers={"X-API-Key": "wrong", "Accept": "application/json"}),
                           tmp_path=tmp_path)
    assert [r.status for r in outcome.logs["dlt"]] == [200, 200]


def test_a_session_object_carries_its_headers(tmp_path: Path) -> None:
    """``client.session`` is the session every request goes through (its default headers included)."""

    def factory(api: SimulatedAPI) -> dict[str, Any]:
        session = requests.Session()
        session.headers["X-API-Key"] = api.real_credentials["api_key"]
        resource = {"name": "items", "endpoint": {"path": "private/items", "paginator": {
            "type": "offset", "limit": 12, "total_path": "total"}}}
        return _config(resource, session=session)(api)

    outcome = differential(factory, tmp_path=tmp_path)
    assert [r.status for r in outcome.logs["dlt"]] == [200, 200]


def test_data_selectors_explicit_and_detected(tmp_path: Path) -> None:
    """An explicit data_selector (key or JSONPath) and dlt's detection pick the same records."""
    resources = [
        {"name": "by_key", "endpoint": {"path": "offset/items", "data_selector": "items",
                                        "paginator": "single_page", "params": {"limit": 7}}},
        {"name": "by_jsonpath", "endpoint": {"path": "pages/items", "data_selector": "$.data[*]",
                                             "paginator": "single_page", "params": {"per_page": 5}}},
        {"name": "detected_key", "endpoint": {"path": "cursor/items", "params": {"limit": 6},
                                              "paginator": "single_page"}},
        {"name": "detected_root", "endpoint": {"path": "hcursor/items", "params": {"limit": 4},
                                               "paginator": "single_page"}},
        {"name": "owners", "endpoint": {"path": "offset/items", "data_selector": "items[*].owner",
                                        "paginator": "single_page", "params": {"limit": 3}}},
    ]
    outcome = differential(_config(*resources), tmp_path=tmp_path)
    counts = {name: len(outcome.dlt.rows[name]) for name in ("by_key", "by_jsonpath", "detected_key",
                                                              "detected_root", "owners")}
    assert counts == {"by_key": 7, "by_jsonpath": 5, "detected_key": 6, "detected_root": 4, "owners": 3}


def test_auto_paginator_detection(tmp_path: Path) -> None:
    """With no paginator, dlt's detection (Link header, JSON next link, none) pages the same way."""
    resources = [
        {"name": "linked", "endpoint": {"path": "link/items", "params": {"per_page": 8}}},
        {"name": "json_linked", "endpoint": {"path": "json_link/items", "params": {"per_page": 9},
                                             "paginator": "auto"}},
    ]
    outcome = differential(_config(*resources), tmp_path=tmp_path)
    assert len(outcome.dlt.requests["/api/link/items"]) == 3
    assert len(outcome.dlt.rows["linked"]) == 23


def test_client_paginator_default_and_endpoint_override(tmp_path: Path) -> None:
    """The client's paginator serves every endpoint that sets none; an endpoint's own wins."""
    resources = [
        {"name": "by_client", "endpoint": {"path": "offset/items"}},
        {"name": "own", "endpoint": {"path": "pages/items", "params": {"per_page": 10},
                                     "paginator": {"type": "page_number", "base_page": 1,
                                                   "total_path": "total_pages"}}},
    ]
    paginator = {"type": "offset", "limit": 9, "total_path": "total"}
    outcome = differential(_config(*resources, paginator=paginator), tmp_path=tmp_path)
    assert len(outcome.dlt.requests["/api/offset/items"]) == 3
    assert len(outcome.dlt.requests["/api/pages/items"]) == 3


def test_single_entity_path_and_a_static_path_param(tmp_path: Path) -> None:
    """``items/{id}`` bound from a static param reads one object ($, single page), as dlt does."""
    resource = {"name": "one", "endpoint": {"path": "items/{item_id}", "params": {"item_id": 7}}}
    outcome = differential(_config(resource), tmp_path=tmp_path)
    assert outcome.dlt.requests == {"/api/items/7": [("GET", (), None)]}
    assert [row["id"] for row in outcome.dlt.rows["one"]] == [7]


def test_string_resources_and_resource_defaults(tmp_path: Path) -> None:
    """A string resource reads its own name as path; resource_defaults merge params key by key."""

    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return {
            "client": {"base_url": api.base_url},
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge",
                                  "endpoint": {"params": {"limit": 5, "extra": "x"},
                                               "paginator": {"type": "offset", "limit": 5,
                                                             "total_path": "total"}}},
            "resources": ["changes", {"name": "more", "endpoint": {"path": "offset/items",
                                                                   "params": {"extra": "y"}}}],
        }

    outcome = differential(factory, tmp_path=tmp_path)
    first = ("GET", (("extra", "x"), ("limit", "5"), ("offset", "0")), None)
    assert outcome.dlt.requests["/api/changes"][0] == first
    assert outcome.dlt.requests["/api/offset/items"][0] == ("GET", (("extra", "y"), ("limit", "5"),
                                                                    ("offset", "0")), None)
    assert outcome.dlt.hints["changes"]["write_disposition"] == "merge"
    assert outcome.dlt.columns["more"]["id"]["primary_key"] is True
