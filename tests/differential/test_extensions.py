"""The seed dialect's extensions never change a valid dlt config: for each, the closest valid dlt config
runs the same on both (dlt's reading wins); where an extension is only reachable by configs dlt
refuses, the test says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from restloom.testing import SimulatedAPI
from tests.differential.harness import differential


def _config(*resources: Any) -> Callable[[SimulatedAPI], dict[str, Any]]:
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return {"client": {"base_url": api.base_url}, "resources": list(resources)}

    return factory


def test_dlt_cursor_with_only_cursor_param_reads_cursors_next(tmp_path: Path) -> None:
    """``type: cursor`` with only ``cursor_param`` is dlt's paginator (cursor at ``cursors.next``, absent
    here: one page), not the extended cursor that would take the last record's id."""
    resource = {"name": "items", "primary_key": "id", "endpoint": {
        "path": "cursor/items", "params": {"limit": 5}, "paginator": {"type": "cursor", "cursor_param": "cursor"}}}
    outcome = differential(_config(resource), tmp_path=tmp_path)
    assert outcome.dlt.requests["/api/cursor/items"] == [("GET", (("limit", "5"),), None)]


def test_response_actions_come_before_the_retry_policy(tmp_path: Path) -> None:
    """A 500 that response_actions ignore is ignored at once (dlt's meaning), not retried by the
    error_handler extension's default policy."""
    resource = {"name": "broken", "endpoint": {"path": "status/500", "response_actions": [
        {"status_code": 500, "action": "ignore"}]}}
    outcome = differential(_config(resource, {"name": "items", "endpoint": {"path": "cursor/items"}}),
                           tmp_path=tmp_path)
    assert outcome.dlt.requests["/api/status/500"] == [("GET", (), None)]


def test_http_basic_password_from_dlt_config_wins_over_the_empty_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``auth: http_basic`` by name: the password comes from dlt's config, as in dlt; restloom's optional
    password (empty, for EasyPost) applies only when there is none (dlt refuses a dict without one)."""

    def factory(api: SimulatedAPI) -> dict[str, Any]:
        monkeypatch.setenv("CREDENTIALS__USERNAME", api.real_credentials["username"])
        monkeypatch.setenv("CREDENTIALS__PASSWORD", api.real_credentials["password"])
        resource = {"name": "items", "endpoint": {"path": "private/items", "auth": "http_basic", "paginator": {
            "type": "offset", "limit": 12, "total_path": "total"}}}
        return _config(resource)(api)

    outcome = differential(factory, tmp_path=tmp_path)
    assert [r.status for r in outcome.logs["restloom"]] == [200, 200]


def test_empty_data_selector_detects_as_dlt(tmp_path: Path) -> None:
    """``data_selector: ""`` is dlt's "detect" (the ``items`` list here), not the root that the extension's
    ``data_selector: []`` means (a list selector is refused by dlt, so ``[]`` overlaps nothing)."""
    resource = {"name": "items", "endpoint": {"path": "offset/items", "data_selector": "",
                                              "paginator": "single_page"}}
    outcome = differential(_config(resource), tmp_path=tmp_path)
    assert len(outcome.dlt.rows["items"]) == 10


def test_a_selector_dlt_resolves_is_not_projected(tmp_path: Path) -> None:
    """``items[*].owner`` is read by dlt's JSONPath (one owner per item), never by list projection."""
    resource = {"name": "owners", "endpoint": {"path": "offset/items", "data_selector": "items[*].owner",
                                               "paginator": "single_page"}}
    outcome = differential(_config(resource), tmp_path=tmp_path)
    assert len(outcome.dlt.rows["owners"]) == 10


def test_projection_where_dlt_finds_nothing_is_a_deliberate_difference(tmp_path: Path) -> None:
    """``items.owner`` matches nothing in dlt (no rows, a warning); restloom projects it over the list
    (the seed dialect's ``ivrs.menus.*``). Deliberate: the only configs it changes load nothing in dlt."""
    resource = {"name": "owners", "endpoint": {"path": "offset/items", "data_selector": "items.owner",
                                               "paginator": "single_page"}}
    outcome = differential(_config(resource), tmp_path=tmp_path, compare=False)
    assert "owners" not in outcome.dlt.rows
    assert len(outcome.restloom.rows["owners"]) == 10


def test_a_static_path_param_is_not_an_implicit_parent(tmp_path: Path) -> None:
    """``items/{item_id}`` with ``item_id`` in params is dlt's static binding, even when a resource
    reads ``items`` (an implicit parent binds only placeholders dlt would refuse as unbound)."""
    resources = [{"name": "all_items", "selected": False, "endpoint": {"path": "items"}},
                 {"name": "one", "endpoint": {"path": "items/{item_id}", "params": {"item_id": 3}}}]
    outcome = differential(_config(*resources), tmp_path=tmp_path)
    assert outcome.dlt.requests == {"/api/items/3": [("GET", (), None)]}
