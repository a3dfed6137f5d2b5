"""Differential: parent/child resources (both resolve syntaxes, include_from_parent) and response_actions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from requests import Response

from restloom.testing import SimulatedAPI
from tests.differential.harness import differential

PARENT = {"name": "items", "endpoint": {"path": "offset/items", "params": {"limit": 9},
                                        "paginator": {"type": "offset", "limit": 9, "total_path": "total"}}}
IGNORE_404 = [{"status_code": 404, "action": "ignore"}]


def _config(*resources: Any) -> Callable[[SimulatedAPI], dict[str, Any]]:
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return {"client": {"base_url": api.base_url}, "resources": [PARENT, *resources]}

    return factory


def _events(outcome: Any, table: str = "events") -> int:
    return len(outcome.dlt.rows[table])


def test_resolve_param_with_include_from_parent_and_404s_ignored(tmp_path: Path) -> None:
    """A resolve param fans out per item; 404s are ignored; included parent fields are named _items_<field>."""
    child = {"name": "events", "include_from_parent": ["name", "price"], "endpoint": {
        "path": "items/{item_id}/events", "params": {"item_id": {"type": "resolve", "resource": "items",
                                                                 "field": "id"}},
        "response_actions": IGNORE_404}}
    outcome = differential(_config(child), tmp_path=tmp_path)
    truth = outcome.api.children("items_events")
    expected = sum(len(rows) for key, rows in truth.items() if key % 4)
    assert _events(outcome) == expected
    assert {"_items_name", "_items_price", "id", "kind", "seq"} <= set(outcome.dlt.columns["events"])
    assert sum(1 for path in outcome.dlt.requests if path.endswith("/events")) == 23


def test_resources_placeholders_in_path_params_and_json(tmp_path: Path) -> None:
    """{resources.items.field} fills a path, a query param and (keeping its type) a json body value."""
    by_path = {"name": "events", "endpoint": {"path": "items/{resources.items.id}/events",
                                              "params": {"tag": "{resources.items.colour}"},
                                              "response_actions": IGNORE_404}}
    by_json = {"name": "same_activity", "endpoint": {
        "path": "search", "method": "POST", "paginator": "single_page",
        "json": {"limit": 2, "filter": {"active": "{resources.items.active}"}, "about": "item {resources.items.id}"}}}
    outcome = differential(_config(by_path, by_json), tmp_path=tmp_path, fan_out_paths=["/api/search"])
    bodies = [body for _, _, body in outcome.dlt.requests["/api/search"]]
    assert {type(body["filter"]["active"]) for body in bodies} == {bool}
    assert bodies[0]["about"] == "item 1"
    assert len(outcome.dlt.rows["same_activity"]) == 46


def test_response_actions_by_content_and_callables(tmp_path: Path) -> None:
    """A content match ignores a response; a callable (alone or in a list) may rewrite it before selection."""

    def drop_odd_seq(response: Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code == 200:
            payload = orjson.loads(response.content)
            payload["events"] = [e for e in payload["events"] if e["seq"] % 2 == 0]
            response._content = orjson.dumps(payload)

    def mark(response: Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code == 200:
            payload = orjson.loads(response.content)
            payload["events"] = [{**e, "marked": True} for e in payload["events"]]
            response._content = orjson.dumps(payload)

    child = {"name": "events", "endpoint": {
        "path": "items/{resources.items.id}/events",
        "response_actions": [{"content": "no events", "action": "ignore"},
                             {"status_code": 200, "action": [drop_odd_seq, mark]}]}}
    loose = {"name": "loose", "endpoint": {
        "path": "items/{resources.items.id}/events", "params": {"loose": 1},
        "response_actions": [mark, {"status_code": 404, "content": "no events", "action": "ignore"}]}}
    # two children of the same parents: their requests to one item's path interleave in restloom
    outcome = differential(_config(child, loose), tmp_path=tmp_path, fan_out_paths=("/api/items/",))
    assert outcome.dlt.rows["events"]
    assert all(row["seq"] % 2 == 0 and row["marked"] for row in outcome.dlt.rows["events"])
    assert all(row["marked"] for row in outcome.dlt.rows["loose"])


def test_an_ignored_first_page_loads_nothing(tmp_path: Path) -> None:
    """An ignored 200 (status and content both match) ends the resource with no rows and no error."""
    resource = {"name": "nothing", "endpoint": {"path": "offset/items", "response_actions": [
        {"status_code": 200, "content": "item 1", "action": "ignore"}]}}

    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return {"client": {"base_url": api.base_url}, "resources": [resource, "changes"]}

    outcome = differential(factory, tmp_path=tmp_path)
    assert "nothing" not in outcome.dlt.rows
    assert outcome.dlt.requests["/api/offset/items"] == [("GET", (), None)]


def test_placeholders_follow_str_format(tmp_path: Path) -> None:
    """Format specs, escaped braces and placeholders in dict keys expand as dlt's str.format does."""
    child = {"name": "events", "endpoint": {
        "path": "items/{resources.items.id}/events", "data_selector": "events", "response_actions": IGNORE_404,
        "params": {"padded": "{resources.items.id:04d}", "literal": "{{kept}}",
                   "k_{resources.items.id}": "v"}}}
    top = {"name": "changes", "endpoint": {"path": "changes", "params": {"note": "{{not a placeholder}}"}}}
    outcome = differential(_config(child, top), tmp_path=tmp_path, fan_out_paths=("/api/items/",))
    [(_, first, _)] = outcome.dlt.requests["/api/items/1/events"]
    assert dict(first) == {"padded": "0001", "literal": "{kept}", "k_1": "v"}
    assert dict(outcome.dlt.requests["/api/changes"][0][1])["note"] == "{not a placeholder}"
