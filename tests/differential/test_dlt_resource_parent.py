"""Differential: a dlt resource in ``resources`` as the parent of a REST resource, as dlt's docs show it —
by a ``{resources.<dlt resource>.<field>}`` path placeholder and by a resolve param."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest

import restloom
from restloom.testing import SimulatedAPI, serve
from tests.differential.harness import differential, run_side

IDS = [1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14]  # the generic API answers 404 for ids divisible by 4
PLACEHOLDER = {"path": "items/{resources.repositories.id}/events"}
RESOLVE = {"path": "items/{item_id}/events",
           "params": {"item_id": {"type": "resolve", "resource": "repositories", "field": "id"}}}


def _repositories(*, lists: bool) -> Any:
    """A dlt resource yielding the parent records in lists (6, 3, then 2), or one record at a time."""

    @dlt.resource(name="repositories", primary_key="id")
    def repositories() -> Iterator[Any]:
        records = [{"id": key, "label": f"repo {key}"} for key in IDS]
        if lists:
            yield from (records[:6], records[6:9], records[9:])
        else:
            yield from records

    return repositories


def _config(endpoint: dict[str, Any], *, lists: bool = True) -> Callable[[SimulatedAPI], dict[str, Any]]:
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return {"client": {"base_url": api.base_url},
                "resources": [_repositories(lists=lists),
                              {"name": "events", "include_from_parent": ["label"], "endpoint": endpoint}]}

    return factory


@pytest.mark.parametrize("endpoint", [PLACEHOLDER, RESOLVE], ids=["placeholder", "resolve"])
def test_dlt_resource_parent_loads_what_dlt_loads(tmp_path: Path, endpoint: dict[str, Any]) -> None:
    """A child of a dlt resource (path placeholder or resolve param) loads dlt's rows and columns, the
    parent's included fields as _repositories_label, and asks each parent's events once."""
    outcome = differential(_config(endpoint), tmp_path=tmp_path, fan_out_paths=["/api/items/"])
    truth = outcome.api.children("items_events")
    expected = sorted((f"repo {key}", event["id"]) for key in IDS for event in truth[key])
    assert sorted((row["_repositories_label"], row["id"]) for row in outcome.restloom.rows["events"]) == expected
    assert sorted(row["id"] for row in outcome.restloom.rows["repositories"]) == IDS
    assert sorted(outcome.restloom.requests) == sorted(f"/api/items/{key}/events" for key in IDS)


@pytest.mark.parametrize("endpoint", [PLACEHOLDER, RESOLVE], ids=["placeholder", "resolve"])
def test_dlt_resource_parent_yielding_single_items(tmp_path: Path, endpoint: dict[str, Any]) -> None:
    """A dlt resource yielding one record at a time (stock dlt iterates each record's keys and fails) loads
    the rows stock dlt loads when the same records come in lists."""
    outcome = differential(_config(endpoint), tmp_path=tmp_path, fan_out_paths=["/api/items/"])
    with serve("generic", size=23) as api:
        single = run_side(lambda: restloom.rest_api_source(_config(endpoint, lists=False)(api), retry_wait_scale=0.0),
                          name="single", tmp_path=tmp_path)
        paths = sorted(record.path for record in api.requests)
    assert single.rows == outcome.dlt.rows
    assert paths == sorted(f"/api/items/{key}/events" for key in IDS)


def test_children_of_one_batch_of_dlt_resource_items_run_concurrently(tmp_path: Path) -> None:
    """The children of one list the dlt resource yields (6 parents) are requested concurrently: 6 in flight."""
    with serve("generic", size=23, latency_ms=200) as api:
        source = restloom.rest_api_source(_config(PLACEHOLDER)(api), retry_wait_scale=0.0)
        pipeline = dlt.pipeline(pipeline_name="fan_out", destination=dlt.destinations.duckdb(
            str(tmp_path / "fan_out.duckdb")), dataset_name="data", pipelines_dir=str(tmp_path / "pipelines"))
        pipeline.run(source)
        assert api.peak_in_flight == 6
        assert len(api.requests) == len(IDS)
