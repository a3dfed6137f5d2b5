"""Differential: steps added in dlt to a built resource (``add_map``, ``add_filter``, ``add_yield_map``, a
Pydantic model as the columns hint, a transformer fed from it) get records on a restloom source, as on dlt's
rest_api.

Such a step sits in the resource's pipe after its generator. On the columnar path it got Arrow tables: a
map on rows failed, and on an incremental resource (whose records pass dlt's incremental before they become
tables) a map's changes were lost from the second chunk on, read back from the page's kept JSON text. A
resource with such a step goes as rows. Chunks of 10 records (``RESTLOOM_COLUMNAR_ROWS``) make six of
them from the 60 records, so a step that only the first chunk honoured would show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dlt
import pydantic
import pytest

import restloom
from restloom.testing import SimulatedAPI
from tests.differential.harness import differential, merged_items


def _marked(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "name": f"renamed {row['id']}", "marked": row["id"] * 10}


def _even(row: dict[str, Any]) -> bool:
    return int(row["id"]) % 2 == 0


def _twice(row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield _marked(row)


STEPS: dict[str, Callable[[Any], Any]] = {
    "add_map": lambda resource: resource.add_map(_marked),
    "add_filter": lambda resource: resource.add_filter(_even),
    "add_yield_map": lambda resource: resource.add_yield_map(_twice),
}
STEP_CLASS = {"add_map": "MapItem", "add_filter": "FilterItem", "add_yield_map": "YieldMapItem"}


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTLOOM_COLUMNAR_ROWS", "10")


@pytest.mark.parametrize("incremental", [False, True], ids=["plain", "incremental"])
@pytest.mark.parametrize("step", list(STEPS))
def test_a_step_added_in_dlt_gets_records(tmp_path: Path, step: str, incremental: bool) -> None:
    def adapt(source: Any) -> Any:
        STEPS[step](source.resources["items"])
        return source

    outcome = differential(merged_items(incremental=incremental), tmp_path=tmp_path, size=60, adapt=adapt)
    path = restloom.report_of(outcome.restloom.source).stats("items").path
    assert path == f"rows (steps added to it in dlt, which take records: {STEP_CLASS[step]})"
    rows = sorted(outcome.restloom.rows["items"], key=lambda row: row["id"])
    if step == "add_filter":
        assert [row["id"] for row in rows] == list(range(2, 61, 2))
    else:
        assert [(row["id"], row["name"], row["marked"]) for row in rows] == [
            (n, f"renamed {n}", n * 10) for n in range(1, 61)]


class _Item(pydantic.BaseModel):
    id: int
    name: str


def test_a_pydantic_model_of_yours_validates_records(tmp_path: Path) -> None:
    """dlt validates with a model given as the columns hint in a step of the pipe (``PydanticValidator``)."""
    def adapt(source: Any) -> Any:
        source.resources["items"].apply_hints(columns=_Item)
        return source

    outcome = differential(merged_items(incremental=False), tmp_path=tmp_path, size=60, adapt=adapt)
    path = restloom.report_of(outcome.restloom.source).stats("items").path
    assert path == "rows (steps added to it in dlt, which take records: PydanticValidator)"
    assert sorted(row["id"] for row in outcome.restloom.rows["items"]) == list(range(1, 61))


def test_a_transformer_of_yours_gets_pages_of_records(tmp_path: Path) -> None:
    """A transformer fed from a resource gets its pages: records on dlt's rest_api, and so here."""
    def adapt(source: Any) -> Any:
        @dlt.transformer(data_from=source.resources["items"], name="doubled")
        def doubled(page: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
            yield [{"id": row["id"], "twice": row["id"] * 2} for row in page]

        source.resources.add(doubled)
        return source

    outcome = differential(merged_items(incremental=False), tmp_path=tmp_path, size=60, adapt=adapt)
    path = restloom.report_of(outcome.restloom.source).stats("items").path
    assert path == "rows (steps added to it in dlt, which take records: a transformer fed from it)"
    assert sorted((row["id"], row["twice"]) for row in outcome.restloom.rows["doubled"]) == [
        (n, 2 * n) for n in range(1, 61)]


@pytest.mark.parametrize("incremental", [False, True], ids=["plain", "incremental"])
def test_without_a_step_the_resource_stays_columnar(tmp_path: Path, incremental: bool) -> None:
    outcome = differential(merged_items(incremental=incremental), tmp_path=tmp_path, size=60)
    assert restloom.report_of(outcome.restloom.source).stats("items").path == "columnar"
    assert len(outcome.restloom.rows["items"]) == 60


PARENT = {"name": "items", "endpoint": {"path": "offset/items", "params": {"limit": 9},
                                        "paginator": {"type": "offset", "limit": 9, "total_path": "total"}}}
CHILD = {"name": "events", "endpoint": {
    "path": "items/{item_id}/events", "params": {"item_id": {"type": "resolve", "resource": "items", "field": "id"}},
    "response_actions": [{"status_code": 404, "action": "ignore"}]}}


def _parent_and_child(api: SimulatedAPI) -> dict[str, Any]:
    return {"client": {"base_url": api.base_url}, "resources": [PARENT, CHILD]}


def test_a_step_added_to_a_child_gets_records(tmp_path: Path) -> None:
    def tagged(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "tag": f"event {row['id']}"}

    def adapt(source: Any) -> Any:
        source.resources["events"].add_map(tagged)
        return source

    outcome = differential(_parent_and_child, tmp_path=tmp_path, size=12, adapt=adapt)
    report = restloom.report_of(outcome.restloom.source)
    assert report.stats("events").path == "rows (steps added to it in dlt, which take records: MapItem)"
    events = outcome.restloom.rows["events"]
    assert events
    assert all(row["tag"] == f"event {row['id']}" for row in events)


def test_a_child_without_a_step_stays_columnar(tmp_path: Path) -> None:
    outcome = differential(_parent_and_child, tmp_path=tmp_path, size=12)
    assert restloom.report_of(outcome.restloom.source).stats("events").path == "columnar"
    assert outcome.restloom.rows["events"]
