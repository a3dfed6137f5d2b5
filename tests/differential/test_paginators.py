"""Differential: every dlt paginator, by name, dict and object, loads the same rows with the same requests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dlt.sources.helpers.rest_client import paginators as dp

from restloom.testing import SimulatedAPI
from tests.differential.harness import differential

Endpoint = Callable[[], dict[str, Any]]


def _one(path: str, endpoint: Endpoint) -> Callable[[SimulatedAPI], dict[str, Any]]:
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        resource = {"name": "items", "primary_key": "id", "endpoint": {"path": path, **endpoint()}}
        return {"client": {"base_url": api.base_url}, "resources": [resource]}

    return factory


def _case(path: str, endpoint: Endpoint, requests: int, rows: int, name: str) -> Any:
    return pytest.param(path, endpoint, requests, rows, id=name)


CASES = [
    _case("offset/items", lambda: {"paginator": {"type": "offset", "limit": 5, "total_path": "total"}},
          5, 23, "offset-dict-total"),
    _case("offset/items", lambda: {"paginator": dp.OffsetPaginator(limit=7, total_path=None,
                                                                   has_more_path="has_more")},
          4, 23, "offset-object-has-more"),
    _case("offset/items", lambda: {"paginator": {"type": "offset", "limit": 10, "total_path": None}},
          4, 23, "offset-stop-after-empty-page"),
    _case("pages/items", lambda: {"paginator": {"type": "page_number", "base_page": 1,
                                                "total_path": "total_pages"}, "params": {"per_page": 6}},
          4, 23, "page-number-dict"),
    _case("pages/items", lambda: {"paginator": dp.PageNumberPaginator(base_page=1, page=2, total_path=None),
                                  "params": {"per_page": 10}},
          3, 13, "page-number-object-start-2"),
    _case("link/items", lambda: {"paginator": "header_link", "params": {"per_page": 5}},
          5, 23, "header-link-name"),
    _case("link/items", lambda: {"paginator": dp.HeaderLinkPaginator(), "params": {"per_page": 9}},
          3, 23, "header-link-object"),
    _case("hcursor/items", lambda: {"paginator": {"type": "header_cursor", "cursor_key": "X-Next-Cursor"},
                                    "params": {"limit": 6}},
          4, 23, "header-cursor-dict"),
    _case("hcursor/items", lambda: {"paginator": dp.HeaderCursorPaginator(cursor_key="X-Next-Cursor"),
                                    "params": {"limit": 12}},
          2, 23, "header-cursor-object"),
    _case("json_link/items", lambda: {"paginator": {"type": "json_link", "next_url_path": "links.next"},
                                      "params": {"per_page": 8}},
          3, 23, "json-link-relative-dict"),
    _case("json_link/items", lambda: {"paginator": dp.JSONLinkPaginator(next_url_path="links.next")},
          3, 23, "json-link-object"),
    _case("cursor/items", lambda: {"paginator": {"type": "cursor", "cursor_path": "next_cursor",
                                                 "cursor_param": "cursor"}, "params": {"limit": 5}},
          5, 23, "cursor-dict"),
    _case("cursor/items", lambda: {"paginator": {"type": "cursor", "cursor_path": "next_cursor",
                                                 "has_more_path": "has_more"}, "params": {"limit": 8}},
          3, 23, "cursor-has-more"),
    _case("cursor/items", lambda: {"paginator": dp.JSONResponseCursorPaginator(cursor_path="next_cursor",
                                                                               stop_after_empty_page=True),
                                   "params": {"limit": 23}},
          1, 23, "cursor-object-stop-after-empty"),
    _case("offset/items", lambda: {"paginator": "single_page"}, 1, 10, "single-page-name"),
    _case("offset/items", lambda: {"paginator": dp.SinglePagePaginator(), "data_selector": "items"},
          1, 10, "single-page-object"),
]


@pytest.mark.parametrize(("path", "endpoint", "requests", "rows"), CASES)
def test_paginator(tmp_path: Path, path: str, endpoint: Endpoint, requests: int, rows: int) -> None:
    """A dlt paginator (by name, dict or object) asks the same pages and loads the same items on both."""
    outcome = differential(_one(path, endpoint), tmp_path=tmp_path)
    assert len(outcome.dlt.requests[f"/api/{path}"]) == requests
    assert len(outcome.dlt.rows["items"]) == rows


class PageUntilEmpty(dp.BasePaginator):
    """A user's own paginator: ``page`` = 1, 2, ... until a page comes back empty."""

    def __init__(self) -> None:
        super().__init__()
        self.page = 1

    def init_request(self, request: Any) -> None:
        self.page = 1
        request.params = {**(request.params or {}), "page": self.page}

    def update_state(self, response: Any, data: list[Any] | None = None) -> None:
        self._has_next_page = bool(data)

    def update_request(self, request: Any) -> None:
        self.page += 1
        request.params["page"] = self.page


def test_a_users_own_paginator_subclass(tmp_path: Path) -> None:
    """A BasePaginator subclass given as an object drives the pages the same way on both."""
    outcome = differential(_one("pages/items", lambda: {"paginator": PageUntilEmpty(), "params": {"per_page": 10},
                                                        "data_selector": "data"}), tmp_path=tmp_path)
    assert [dict(query)["page"] for _, query, _ in outcome.dlt.requests["/api/pages/items"]] == ["1", "2", "3", "4"]
    assert len(outcome.dlt.rows["items"]) == 23
