"""Pages after the first requested concurrently when the first page gives the total (offset and page
number paginators with ``total_path``): each page exactly once, rows in the served order, limits kept."""

from __future__ import annotations

from typing import Any

import pytest

from restloom.config import parse
from restloom.config.models import Config, RetryPolicy
from restloom.engine import Run
from restloom.testing import SimulatedAPI, serve


def _config(api: SimulatedAPI, path: str, paginator: dict[str, Any], **endpoint: Any) -> Config:
    resource = {"name": "items", "primary_key": "id",
                "endpoint": {"path": path, "paginator": paginator, **endpoint}}
    return parse({"client": {"base_url": api.base_url}, "resources": [resource]},
                 retry_base=RetryPolicy(wait_scale=0))


def _rows(config: Config) -> tuple[list[Any], list[str]]:
    with Run(config) as run:
        ids = [row["id"] for batch in run.pages(config.resource("items")) for row in batch.rows]
        return ids, run.report.stats("items").warnings


def test_offset_pages_after_the_first_are_in_flight_together() -> None:
    """offset + total: offset 0 first, then the four other pages at once (the server held each 150 ms, so
    all four were in flight together); each page once, rows exactly in the served order."""
    with serve("generic", size=23, seed=3, latency_ms=150) as api:
        config = _config(api, "offset/items", {"type": "offset", "limit": 5, "total_path": "total"},
                         data_selector="items")
        ids, warnings = _rows(config)
        log = api.requests
        peak = api.peak_in_flight
    assert ids == [record["id"] for record in api.records("items")]
    offsets = [int(record.query["offset"]) for record in log]
    assert offsets[0] == 0
    assert sorted(offsets[1:]) == [5, 10, 15, 20]
    assert peak == 4
    assert warnings == []


def test_page_number_pages_come_concurrently_and_in_order() -> None:
    """page_number + total_pages: pages 2..6 requested at once, handed on in page order."""
    with serve("generic", size=23, seed=4, latency_ms=150) as api:
        config = _config(api, "pages/items", {"type": "page_number", "base_page": 1, "total_path": "total_pages"},
                         data_selector="data", params={"per_page": 4})
        ids, warnings = _rows(config)
        pages = [int(record.query["page"]) for record in api.requests]
        peak = api.peak_in_flight
    assert ids == [record["id"] for record in api.records("items")]
    assert pages[0] == 1
    assert sorted(pages[1:]) == [2, 3, 4, 5, 6]
    assert peak == 5
    assert warnings == []


@pytest.mark.parametrize(("path", "paginator", "param", "requested", "rows"), [
    pytest.param("offset/items", {"type": "offset", "limit": 5, "total_path": "total", "maximum_offset": 15},
                 "offset", [0, 5, 10], 15, id="maximum_offset"),
    pytest.param("offset/items", {"type": "offset", "limit": 5, "total_path": "total", "max_pages": 2},
                 "offset", [0, 5], 10, id="max_pages-offset"),
    pytest.param("pages/items", {"type": "page_number", "base_page": 1, "total_path": "total_pages",
                                 "maximum_page": 4}, "page", [1, 2, 3], 12, id="maximum_page"),
    pytest.param("pages/items", {"type": "page_number", "base_page": 1, "total_path": "total_pages",
                                 "max_pages": 4}, "page", [1, 2, 3, 4], 16, id="max_pages-page-number"),
])
def test_limits_bound_the_pages_requested_ahead(path: str, paginator: dict[str, Any], param: str,
                                                requested: list[int], rows: int) -> None:
    """maximum_offset, maximum_page and max_pages: no page past the limit is ever requested."""
    with serve("generic", size=23, seed=5) as api:
        selector = "items" if path.startswith("offset") else "data"
        params = {} if path.startswith("offset") else {"per_page": 4}
        ids, warnings = _rows(_config(api, path, paginator, data_selector=selector, params=params))
        values = sorted(int(record.query[param]) for record in api.requests)
    assert values == requested
    assert ids == [record["id"] for record in api.records("items")][:rows]
    assert warnings == []
