"""Differential: resource hints, processing steps, dlt resources in the list, and rest_api_source's kwargs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt

from restloom.testing import SimulatedAPI
from tests.differential.harness import differential

PAGES = {"type": "offset", "limit": 12, "total_path": "total"}


def _config(*resources: Any, defaults: dict[str, Any] | None = None) -> Callable[[SimulatedAPI], dict[str, Any]]:
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        built = [r() if callable(r) else r for r in resources]
        config: dict[str, Any] = {"client": {"base_url": api.base_url, "paginator": PAGES}, "resources": built}
        if defaults is not None:
            config["resource_defaults"] = defaults
        return config

    return factory


def test_table_hints(tmp_path: Path) -> None:
    """table_name (also a callable), write_disposition (also its dict form), keys, columns, contract, nesting."""
    resources = [
        {"name": "renamed", "table_name": "catalogue", "primary_key": "id", "write_disposition": "merge",
         "merge_key": "colour", "endpoint": {"path": "offset/items"}},
        {"name": "routed", "table_name": lambda item: f"colour_{item['colour']}",
         "endpoint": {"path": "changes", "params": {"limit": 12}}},
        {"name": "typed", "write_disposition": {"disposition": "merge", "strategy": "upsert"}, "primary_key": "id",
         "columns": {"price": {"data_type": "text"}, "note": {"data_type": "text", "nullable": True}},
         "max_table_nesting": 0, "schema_contract": {"columns": "evolve"},
         "endpoint": {"path": "link/items", "paginator": "header_link", "params": {"per_page": 12}}},
        {"name": "replaced", "write_disposition": "replace", "file_format": "jsonl", "table_format": "native",
         "endpoint": {"path": "pages/items", "paginator": {"type": "page_number", "base_page": 1,
                                                            "total_path": "total_pages"}}},
    ]
    outcome = differential(_config(*resources), tmp_path=tmp_path)
    assert outcome.dlt.hints["catalogue"]["write_disposition"] == "merge"
    assert outcome.dlt.columns["catalogue"]["colour"]["merge_key"] is True
    routed = {t for t in outcome.dlt.rows if t.startswith("colour_") and "__" not in t}
    assert routed == {"colour_red", "colour_green", "colour_blue", "colour_amber"}
    assert outcome.dlt.columns["typed"]["price"]["data_type"] == "text"
    assert outcome.dlt.columns["typed"]["owner"]["data_type"] == "json"
    assert outcome.dlt.hints["typed"]["x-merge-strategy"] == "upsert"


def test_selected_parallelized_and_processing_steps(tmp_path: Path) -> None:
    """selected: false loads only what depends on it; parallelized and filter/map steps change nothing else."""
    resources = [
        {"name": "items", "selected": False, "endpoint": {"path": "offset/items"}},
        {"name": "events", "parallelized": True, "endpoint": {
            "path": "items/{resources.items.id}/events", "paginator": "single_page",
            "response_actions": [{"status_code": 404, "action": "ignore"}]},
         "processing_steps": [{"filter": lambda e: e["kind"] != "view"},
                              {"map": lambda e: {**e, "kind": e["kind"].upper()}}]},
        {"name": "cheap", "parallelized": True, "endpoint": {"path": "pages/items", "paginator": "single_page"},
         "processing_steps": [{"filter": lambda item: item["price"] < 250}]},
    ]
    outcome = differential(_config(*resources), tmp_path=tmp_path)
    assert "items" not in outcome.dlt.rows
    assert {row["kind"] for row in outcome.dlt.rows["events"]} <= {"BUY", "RETURN"}
    assert all(row["price"] < 250 for row in outcome.dlt.rows["cheap"])


def test_dlt_resources_in_the_list_and_defaults(tmp_path: Path) -> None:
    """A dlt resource placed in ``resources`` loads beside the REST ones; resource_defaults apply to the rest."""

    def constants() -> Any:
        @dlt.resource(name="constants", primary_key="key")
        def rows() -> Any:
            yield [{"key": "a", "value": 1}, {"key": "b", "value": 2}]

        return rows

    defaults = {"write_disposition": "merge", "primary_key": "id", "endpoint": {"params": {"limit": 12}}}
    outcome = differential(_config("changes", constants, defaults=defaults), tmp_path=tmp_path)
    assert outcome.dlt.rows["constants"] == [{"key": "a", "value": 1}, {"key": "b", "value": 2}]
    assert outcome.dlt.hints["changes"]["write_disposition"] == "merge"


def test_source_keyword_arguments(tmp_path: Path) -> None:
    """name, section, max_table_nesting, root_key and schema_contract act as on dlt's rest_api_source."""
    kwargs = {"name": "shop", "section": "shop_api", "max_table_nesting": 0, "root_key": True,
              "schema_contract": "evolve"}
    resources = [{"name": "items", "primary_key": "id", "write_disposition": "merge",
                  "endpoint": {"path": "offset/items"}}]
    outcome = differential(_config(*resources), tmp_path=tmp_path, source_kwargs=kwargs)
    assert outcome.dlt.pipeline.default_schema.name == outcome.restloom.pipeline.default_schema.name == "shop"
    assert outcome.dlt.columns["items"]["tags"]["data_type"] == "json"
