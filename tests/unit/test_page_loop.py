"""The page loop against an API answered in process: exact request sequences, stops, guard and errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
import requests
from dlt.sources.helpers.rest_client.paginators import BasePaginator

from restloom.config import parse
from restloom.config.retry import RetryPolicy
from restloom.engine.pages import PageSource, iter_pages
from restloom.errors import ExpressionError, PrimaryKeyMissing, ResponseError
from restloom.http.client import Fetcher
from restloom.http.redact import Redactor
from restloom.report import RunReport
from restloom.testing import InProcessAdapter, Reply, inprocess_session

BASE = "https://api.test/v1/"
ITEMS = f"{BASE}items"


def routes(table: Mapping[str, Any]) -> Callable[[requests.PreparedRequest], Any]:
    """A handler answering each exact URL from ``table``; any other URL is a 404."""

    def handler(request: requests.PreparedRequest) -> Any:
        return table.get(str(request.url), Reply(status=404, body={"error": "not found"}))

    return handler


class Loop:
    """One resource's page loop over an in-process API: its pages, requests and report."""

    def __init__(self, resource: Mapping[str, Any], handler: Callable[[requests.PreparedRequest], Any]) -> None:
        config = parse({"client": {"base_url": BASE}, "resources": [{"name": "items", **resource}]},
                       retry_base=RetryPolicy(wait_scale=0))
        self.adapter = InProcessAdapter(handler)
        self.report = RunReport()
        fetcher = Fetcher(concurrency=1, report=self.report, redactor=Redactor(secrets=()),
                          session=inprocess_session(self.adapter, base_url=BASE))
        self.source = PageSource(spec=config.resources[0], base_url=BASE, fetcher=fetcher, report=self.report,
                                 auth=None)

    def pages(self) -> list[list[Any]]:
        """Run the loop to the end."""
        return list(iter_pages(self.source))

    @property
    def warnings(self) -> list[str]:
        """What the loop warned about the resource."""
        return self.report.stats("items").warnings


def endpoint(paginator: Any, **more: Any) -> dict[str, Any]:
    """A resource block for ``items`` with this paginator."""
    return {"endpoint": {"path": "items", "paginator": paginator, **more}}


def test_json_link_follows_the_next_url_until_it_is_null() -> None:
    """json_link: each next URL is requested once, in order, and null ends the pages."""
    loop = Loop(endpoint({"type": "json_link", "next_url_path": "next"}), routes({
        ITEMS: {"data": [{"id": 1}, {"id": 2}], "next": f"{ITEMS}?page=2"},
        f"{ITEMS}?page=2": {"data": [{"id": 3}], "next": None},
    }))
    assert loop.pages() == [[{"id": 1}, {"id": 2}], [{"id": 3}]]
    assert loop.adapter.urls == [ITEMS, f"{ITEMS}?page=2"]
    assert loop.report.stats("items").pages == 2


def test_offset_sends_offset_and_limit_until_the_total() -> None:
    """offset: offset advances by limit and stops at total."""
    loop = Loop(endpoint({"type": "offset", "limit": 2, "total_path": "total"}), routes({
        f"{ITEMS}?offset=0&limit=2": {"data": [{"id": 1}, {"id": 2}], "total": 3},
        f"{ITEMS}?offset=2&limit=2": {"data": [{"id": 3}], "total": 3},
    }))
    assert loop.pages() == [[{"id": 1}, {"id": 2}], [{"id": 3}]]
    assert loop.adapter.urls == [f"{ITEMS}?offset=0&limit=2", f"{ITEMS}?offset=2&limit=2"]


def test_page_number_counts_pages_until_the_total() -> None:
    """page_number: page=1, 2 and stop at total_pages."""
    loop = Loop(endpoint({"type": "page_number", "base_page": 1, "total_path": "pages"}), routes({
        f"{ITEMS}?page=1": {"data": [{"id": 1}], "pages": 2},
        f"{ITEMS}?page=2": {"data": [{"id": 2}], "pages": 2},
    }))
    assert loop.pages() == [[{"id": 1}], [{"id": 2}]]
    assert loop.adapter.urls == [f"{ITEMS}?page=1", f"{ITEMS}?page=2"]


def test_header_link_follows_the_link_header() -> None:
    """header_link: the rel=next Link header is followed; no header ends the pages."""
    loop = Loop(endpoint("header_link"), routes({
        ITEMS: Reply(body=[{"id": 1}], headers={"Link": f'<{ITEMS}?cursor=b>; rel="next"'}),
        f"{ITEMS}?cursor=b": Reply(body=[{"id": 2}]),
    }))
    assert loop.pages() == [[{"id": 1}], [{"id": 2}]]
    assert loop.adapter.urls == [ITEMS, f"{ITEMS}?cursor=b"]


def test_extended_cursor_sends_the_limit_on_every_request() -> None:
    """Extended cursor: limit on every request, the cursor from cursor_path as 'after'; null stops."""
    paginator = {"type": "cursor", "cursor_path": "meta.next", "cursor_param": "after", "limit": 2}
    loop = Loop(endpoint(paginator), routes({
        f"{ITEMS}?limit=2": {"data": [{"id": 1}, {"id": 2}], "meta": {"next": "c2"}},
        f"{ITEMS}?limit=2&after=c2": {"data": [{"id": 3}], "meta": {"next": None}},
    }))
    assert loop.pages() == [[{"id": 1}, {"id": 2}], [{"id": 3}]]
    assert loop.adapter.urls == [f"{ITEMS}?limit=2", f"{ITEMS}?limit=2&after=c2"]


def endless(request: requests.PreparedRequest) -> Any:
    """An API whose every page links to the next one (page n -> n + 1)."""
    page = int(str(request.url).rpartition("page=")[2]) if "page=" in str(request.url) else 1
    return {"data": [{"id": page}], "next": f"{ITEMS}?page={page + 1}", "more": page < 3}


def test_max_pages_caps_the_pages() -> None:
    """max_pages: 2 pages fetched although the API has more."""
    loop = Loop(endpoint({"type": "json_link", "next_url_path": "next", "max_pages": 2}), endless)
    assert loop.pages() == [[{"id": 1}], [{"id": 2}]]
    assert loop.adapter.urls == [ITEMS, f"{ITEMS}?page=2"]


def test_stop_condition_over_the_response() -> None:
    """stop_condition reads the response: 'more' false after page 3 stops before the next request."""
    loop = Loop(endpoint({"type": "json_link", "next_url_path": "next",
                          "stop_condition": "{{ not response.get('more') }}"}), endless)
    assert loop.pages() == [[{"id": 1}], [{"id": 2}], [{"id": 3}]]
    assert loop.adapter.urls == [ITEMS, f"{ITEMS}?page=2", f"{ITEMS}?page=3"]


def test_stop_condition_over_the_page_count() -> None:
    """page_count in stop_condition counts the pages fetched, this one included."""
    loop = Loop(endpoint({"type": "json_link", "next_url_path": "next", "stop_condition": "page_count >= 2"}),
                endless)
    assert loop.pages() == [[{"id": 1}], [{"id": 2}]]
    assert loop.adapter.urls == [ITEMS, f"{ITEMS}?page=2"]


def test_cursor_value_sees_the_page_count() -> None:
    """page_count in cursor_value is the pages fetched so far, this one included (it used to be 0)."""
    paginator = {"type": "cursor", "cursor_value": "{{ page_count + 1 }}", "cursor_param": "page",
                 "stop_condition": "page_count >= 3"}
    loop = Loop(endpoint(paginator), endless)
    assert loop.pages() == [[{"id": 1}], [{"id": 2}], [{"id": 3}]]
    assert loop.adapter.urls == [ITEMS, f"{ITEMS}?page=2", f"{ITEMS}?page=3"]
    assert loop.warnings == []


def test_loop_guard_stops_on_a_repeated_next_url() -> None:
    """A next URL already requested stops the resource with a warning naming it; no third request."""
    loop = Loop(endpoint({"type": "json_link", "next_url_path": "next"}), routes({
        ITEMS: {"data": [{"id": 1}], "next": f"{ITEMS}?page=2"},
        f"{ITEMS}?page=2": {"data": [{"id": 2}], "next": f"{ITEMS}?page=2"},
    }))
    assert loop.pages() == [[{"id": 1}], [{"id": 2}]]
    assert loop.adapter.urls == [ITEMS, f"{ITEMS}?page=2"]
    assert loop.warnings == [f"the next page request repeats one already made ({ITEMS}?page=2); "
                             "stopped to avoid a loop"]


def test_auto_detection_follows_a_next_link() -> None:
    """No paginator: dlt's detection finds the 'next' link in the first response and follows it."""
    loop = Loop({"endpoint": {"path": "items"}}, routes({
        ITEMS: {"items": [{"id": 1}], "next": f"{ITEMS}?page=2"},
        f"{ITEMS}?page=2": {"items": [{"id": 2}], "next": None},
    }))
    assert loop.pages() == [[{"id": 1}], [{"id": 2}]]
    assert loop.adapter.urls == [ITEMS, f"{ITEMS}?page=2"]


def test_auto_detection_falls_back_to_a_single_page() -> None:
    """No paginator and no paging hint in the response: one request, one page."""
    loop = Loop({"endpoint": {"path": "items"}}, routes({ITEMS: [{"id": 1}, {"id": 2}]}))
    assert loop.pages() == [[{"id": 1}, {"id": 2}]]
    assert loop.adapter.urls == [ITEMS]


def test_selector_that_matches_nothing_warns() -> None:
    """A data_selector missing from a response with data: no rows and one warning naming the selector."""
    loop = Loop(endpoint("single_page", data_selector="data"), routes({ITEMS: {"items": [{"id": 1}]}}))
    assert loop.pages() == []
    assert loop.warnings == ["data_selector 'data' matched nothing in a response that had data"]


def test_missing_primary_key_fails_with_its_name() -> None:
    """Records without the declared primary key fail the resource, naming the key and the fields seen."""
    loop = Loop({"primary_key": "id", **endpoint("single_page")}, routes({ITEMS: [{"name": "a", "n": 1}]}))
    with pytest.raises(PrimaryKeyMissing) as caught:
        loop.pages()
    assert caught.value.reason == ("primary key 'id' (declared) is missing from its records (fields: name, n); "
                                   "set primary_key on the resource to a field they carry")


class StrictCursor(BasePaginator):
    """A user's own dlt paginator that insists on a 'cursor' key."""

    def __init__(self) -> None:
        super().__init__()
        self.cursor: str | None = None

    def update_state(self, response: Any, data: list[Any] | None = None) -> None:
        self.cursor = response.json()["cursor"]
        self._has_next_page = self.cursor is not None

    def update_request(self, request: Any) -> None:
        request.params = {**(request.params or {}), "cursor": self.cursor}


def test_user_paginator_object_is_copied_per_run() -> None:
    """A paginator object in the config runs the same twice: each run gets a fresh copy."""
    loop = Loop(endpoint(StrictCursor()), routes({
        ITEMS: {"data": [{"id": 1}], "cursor": "b"},
        f"{ITEMS}?cursor=b": {"data": [{"id": 2}], "cursor": None},
    }))
    assert loop.pages() == loop.pages() == [[{"id": 1}], [{"id": 2}]]
    assert loop.adapter.urls == [ITEMS, f"{ITEMS}?cursor=b"] * 2


def test_paginator_that_cannot_read_the_response_names_itself_and_the_url() -> None:
    """A paginator failing on a response is a ResponseError naming it and the URL without secrets."""
    resource = endpoint(StrictCursor(), params={"api_key": "s3cr3t-value"})
    loop = Loop(resource, routes({f"{ITEMS}?api_key=s3cr3t-value": {"data": [{"id": 1}]}}))
    with pytest.raises(ResponseError) as caught:
        loop.pages()
    assert caught.value.reason == f"the StrictCursor could not read the response at {ITEMS}?api_key=***: 'cursor'"


def test_failing_cursor_expression_is_an_expression_error() -> None:
    """A cursor_value failing on real data is an ExpressionError naming its config path."""
    paginator = {"type": "cursor", "cursor_value": "{{ last_page_size // 0 }}", "cursor_param": "page"}
    loop = Loop(endpoint(paginator), routes({ITEMS: {"data": [{"id": 1}]}}))
    with pytest.raises(ExpressionError) as caught:
        loop.pages()
    assert caught.value.reason == ("expression at resources[0].endpoint.paginator.cursor_value failed: "
                                   "ZeroDivisionError: integer division or modulo by zero")


def test_a_list_ending_in_an_error_object_warns() -> None:
    """Pages of {"items", "total"}, then a 200 object with no records where the Link header stops: a warning."""
    loop = Loop(endpoint("header_link", data_selector="items"), routes({
        ITEMS: Reply(body={"items": [{"id": 1}], "total": 2}, headers={"Link": f'<{ITEMS}?cursor=b>; rel="next"'}),
        f"{ITEMS}?cursor=b": Reply(body={"message": "rate limited"}),
    }))
    assert loop.pages() == [[{"id": 1}]]
    assert loop.warnings[-1] == (
        "page 2 has no records and not the shape of the pages before it (keys: message; before: items, total) "
        "and the HeaderLinkPaginator cannot go on from it: the table may be incomplete (the API may have "
        'answered with an error; body: {"message":"rate limited"})')


@pytest.mark.parametrize("last", [[], {"data": [], "meta": {"next": None}}])
def test_an_empty_last_page_in_the_same_shape_does_not_warn(last: Any) -> None:
    """An empty page shaped like the pages before it is an ordinary end of the list: no warning."""
    first = [{"id": 1}] if isinstance(last, list) else {"data": [{"id": 1}], "meta": {"next": "c2"}}
    paginator = "header_link" if isinstance(last, list) else {
        "type": "cursor", "cursor_path": "meta.next", "cursor_param": "after"}
    headers = {"Link": f'<{ITEMS}?after=c2>; rel="next"'} if isinstance(last, list) else {}
    loop = Loop(endpoint(paginator), routes({ITEMS: Reply(body=first, headers=headers),
                                             f"{ITEMS}?after=c2": Reply(body=last)}))
    assert loop.pages() == [[{"id": 1}]]
    assert loop.adapter.urls == [ITEMS, f"{ITEMS}?after=c2"]
    assert loop.warnings == []
