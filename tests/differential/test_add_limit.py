"""Differential: dlt's ``add_limit`` on a restloom source reads and lands what it does on dlt's rest_api.

dlt's limit counts the items a resource yields; dlt's rest_api yields a page an item, so ``add_limit(2)``
is two pages. restloom's columnar path gathers pages into chunks (a chunk is several items: its root
table and each nested table) and its engine fetches pages ahead; a limited resource goes as rows, a page
an item, and asks the API for no page dlt will not take. Each case checks both sides' tables (nested ones
included) and request sequences (``assert_same``), and the exact requests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import restloom
from restloom.adapter.source import LIMITED
from restloom.testing import SimulatedAPI
from tests.differential.harness import differential

PAGES = {"type": "offset", "limit": 10, "total_path": "total"}  # the total: pages after the first go concurrently
START = "2020-01-01T00:00:00Z"


def _items(**endpoint: Any) -> Callable[[SimulatedAPI], dict[str, Any]]:
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return {"client": {"base_url": api.base_url, "paginator": PAGES},
                "resources": [{"name": "items", "primary_key": "id", "write_disposition": "merge",
                               "endpoint": {"path": "offset/items", **endpoint}}]}
    return factory


def _offsets(requests: list[Any]) -> list[str]:
    return [dict(query)["offset"] for _, query, _ in requests]


@pytest.mark.parametrize("limit", [1, 3])
def test_a_limited_columnar_resource_reads_that_many_pages(tmp_path: Path, limit: int) -> None:
    outcome = differential(_items(), tmp_path=tmp_path, size=60, adapt=lambda source: source.add_limit(limit))
    assert restloom.report_of(outcome.restloom.source).stats("items").path == f"rows ({LIMITED})"
    assert len(outcome.restloom.rows["items"]) == 10 * limit
    assert outcome.restloom.rows["items__tags"]  # a nested table of the limited pages lands too
    assert _offsets(outcome.restloom.requests["/api/offset/items"]) == [str(10 * n) for n in range(limit)]


def test_a_limited_incremental_resource_reads_that_many_pages(tmp_path: Path) -> None:
    factory = _items(incremental={"cursor_path": "updated_at", "initial_value": START})
    outcome = differential(factory, tmp_path=tmp_path, size=60, adapt=lambda source: source.add_limit(2))
    assert len(outcome.restloom.rows["items"]) == 20
    assert _offsets(outcome.restloom.requests["/api/offset/items"]) == ["0", "10"]
    state = outcome.restloom.pipeline.state["sources"]["rest_api"]["resources"]["items"]["incremental"]
    dlt_state = outcome.dlt.pipeline.state["sources"]["rest_api"]["resources"]["items"]["incremental"]
    assert state["updated_at"]["last_value"] == dlt_state["updated_at"]["last_value"]


def test_a_limited_parent_fans_out_over_its_limited_pages(tmp_path: Path) -> None:
    """dlt ignores a limit on a transformer; the parent's one page gives the children of its ten records."""
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        config = _items()(api)
        config["resources"].append({"name": "events", "endpoint": {
            "path": "items/{resources.items.id}/events", "paginator": "single_page",
            "response_actions": [{"status_code": 404, "action": "ignore"}]}})
        return config

    outcome = differential(factory, tmp_path=tmp_path, size=60, adapt=lambda source: source.add_limit(1),
                           fan_out_paths=("/api/items/",))
    assert len(outcome.restloom.rows["items"]) == 10
    assert _offsets(outcome.restloom.requests["/api/offset/items"]) == ["0"]
    assert len([path for path in outcome.restloom.requests if path.startswith("/api/items/")]) == 10
    assert outcome.restloom.rows["events"]


def test_without_a_limit_the_resource_goes_columnar(tmp_path: Path) -> None:
    """The row path is for limited resources only: an unlimited one goes columnar and reads every page."""
    outcome = differential(_items(), tmp_path=tmp_path, size=60)
    assert restloom.report_of(outcome.restloom.source).stats("items").path == "columnar"
    assert len(outcome.restloom.rows["items"]) == 60
    assert sorted(_offsets(outcome.restloom.requests["/api/offset/items"]), key=int) == [
        str(10 * n) for n in range(6)]
    assert restloom.report_of(outcome.restloom.source).stats("items").pages == 6
