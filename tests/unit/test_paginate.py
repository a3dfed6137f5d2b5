"""Paginators driven by hand-built responses (no server): exact next requests, stops and the loop guard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator, OffsetPaginator
from requests import Request, Response

from restloom.config import parse
from restloom.config.models import PaginatorSpec
from restloom.engine.paginate import CursorPaginator, DltPaginator, LoopGuard, PageView, new_paginator
from restloom.http.client import Page, ParsedResponse

BASE = "https://api.example.com/v1/"
URL = "https://api.example.com/v1/items"


def spec_of(paginator: Any, *, primary_key: Any = "id") -> PaginatorSpec:
    """The PaginatorSpec the parser makes of this paginator block."""
    raw = {
        "client": {"base_url": BASE},
        "resources": [{"name": "items", "primary_key": primary_key, "endpoint": {"paginator": paginator}}],
    }
    return parse(raw).resources[0].endpoint.paginator


def cursor_paginator(**block: Any) -> CursorPaginator:
    """A fresh extended cursor paginator for this ``type: cursor`` block (primary key ``id``)."""
    paginator = new_paginator(spec_of({"type": "cursor", **block}), primary_key=("id",))
    assert isinstance(paginator, CursorPaginator)
    return paginator


def response(
    document: Any, *, url: str = URL, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A requests.Response built by hand around a JSON document."""
    built = Response()
    built._content = json.dumps(document).encode()
    built.status_code = status
    built.headers.update(headers or {})
    built.url = url
    built.encoding = "utf-8"
    return built


def view(document: Any, records: list[Any], *, page_count: int = 1) -> PageView:
    """The view of one page the page loop hands a paginator."""
    context = {
        "response": document,
        "headers": {},
        "last_record": records[-1] if records else None,
        "last_page_size": len(records),
        "page_count": page_count,
        "status_code": 200,
    }
    return PageView(response=ParsedResponse(Page(response(document), document)), records=records, context=context)


def page(paginator: CursorPaginator | DltPaginator, document: Any, records: list[Any]) -> bool:
    """Feed one page to the paginator the way the page loop does; True when there is a next page."""
    return paginator.advance(view(document, records))


def prepared_url(request: Request) -> str:
    """The URL requests would send, params included."""
    return str(request.prepare().url)


def test_last_record_cursor_sends_the_last_id_and_the_page_size() -> None:
    """Persona's cursor: limit on every request, page[after] = the id of the page's last record."""
    paginator = cursor_paginator(limit=100, cursor_param="page[after]")
    request = Request("GET", URL)
    paginator.start(request)
    assert request.params == {"limit": 100}
    records = [{"id": "act_1"}, {"id": "act_2"}]
    assert page(paginator, {"data": records}, records) is True
    paginator.apply(request)
    assert request.params == {"limit": 100, "page[after]": "act_2"}
    assert prepared_url(request) == f"{URL}?limit=100&page%5Bafter%5D=act_2"
    records = [{"id": "act_3"}]
    page(paginator, {"data": records}, records)
    paginator.apply(request)
    assert request.params == {"limit": 100, "page[after]": "act_3"}
    assert page(paginator, {"data": []}, []) is False


def test_cursor_path_cursor_reads_the_response_and_stops_on_null() -> None:
    """Yousign-style: the cursor at meta.next_cursor is sent as 'after'; null ends the pages."""
    paginator = cursor_paginator(cursor_path="meta.next_cursor", cursor_param="after", limit=10)
    request = Request("GET", URL, params={"order": "asc"})
    paginator.start(request)
    assert request.params == {"order": "asc", "limit": 10}
    page(paginator, {"meta": {"next_cursor": "c_2"}, "data": [{"id": 1}]}, [{"id": 1}])
    paginator.apply(request)
    assert request.params == {"order": "asc", "limit": 10, "after": "c_2"}
    assert page(paginator, {"meta": {"next_cursor": None}, "data": [{"id": 2}]}, [{"id": 2}]) is False


def test_cursor_body_path_puts_the_cursor_in_the_json_body() -> None:
    """With cursor_body_path the cursor goes into the request body, not the query."""
    paginator = cursor_paginator(
        cursor_path="next", cursor_param="after", cursor_body_path="page.after", limit=5
    )
    request = Request("POST", URL, json={"filter": "x"})
    paginator.start(request)
    page(paginator, {"next": "c_9", "items": [{"id": 1}]}, [{"id": 1}])
    paginator.apply(request)
    assert request.json == {"filter": "x", "page": {"after": "c_9"}}
    assert request.params == {"limit": 5}


def test_expression_cursor_follows_the_next_url_and_stops_on_empty_dict() -> None:
    """Opsgenie's cursor_value: the next URL is followed as is; the native {} at the end stops."""
    paginator = cursor_paginator(
        cursor_value='{{ response.get("paging", {}).get("next", {}) }}',
        stop_condition='{{ not response.get("paging", {}).get("next", {}) }}',
    )
    request = Request("GET", "https://api.example.com/v2/alerts", params={"order": "asc"})
    paginator.start(request)
    assert request.params == {"order": "asc"}
    next_url = "https://api.example.com/v2/alerts?offset=20&limit=20&order=asc"
    assert page(paginator, {"data": [{"id": "a"}], "paging": {"next": next_url}}, [{"id": "a"}]) is True
    paginator.apply(request)
    assert request.url == next_url
    assert request.params == {}
    assert prepared_url(request) == next_url
    assert page(paginator, {"data": [{"id": "b"}], "paging": {"first": next_url}}, [{"id": "b"}]) is False


def test_url_cursor_keeps_the_limit_without_duplicating_it() -> None:
    """A followed next URL gets limit added back only when it does not already carry it."""
    paginator = cursor_paginator(cursor_path="next_page", limit=50)
    request = Request("GET", URL)
    paginator.start(request)
    assert request.params == {"limit": 50}
    page(paginator, {"next_page": f"{URL}?page=2&limit=50", "items": [{"id": 1}]}, [{"id": 1}])
    paginator.apply(request)
    assert (request.url, request.params) == (f"{URL}?page=2&limit=50", {})
    assert prepared_url(request) == f"{URL}?page=2&limit=50"
    page(paginator, {"next_page": f"{URL}?page=3", "items": [{"id": 2}]}, [{"id": 2}])
    paginator.apply(request)
    assert (request.url, request.params) == (f"{URL}?page=3", {"limit": 50})
    assert prepared_url(request) == f"{URL}?page=3&limit=50"


def test_relative_next_url_is_joined_to_the_current_one() -> None:
    """A next URL given as a path is resolved against the request's URL."""
    paginator = cursor_paginator(cursor_path="links.next", stop_condition="false")
    request = Request("GET", URL, params={"q": "x"})
    page(paginator, {"links": {"next": "/v1/items?cursor=abc"}, "items": [{"id": 1}]}, [{"id": 1}])
    paginator.apply(request)
    assert (request.url, request.params) == ("https://api.example.com/v1/items?cursor=abc", {})


def test_first_url_that_already_carries_the_limit_gets_no_second_one() -> None:
    """start does not add limit when the URL's own query already sets it."""
    paginator = cursor_paginator(cursor_param="after", limit=10)
    request = Request("GET", f"{URL}?limit=25")
    paginator.start(request)
    assert request.params == {}
    assert prepared_url(request) == f"{URL}?limit=25"


def test_has_more_path_ends_pages_even_with_a_cursor() -> None:
    """EasyPost-style: has_more false stops although the last record still yields a cursor."""
    paginator = cursor_paginator(cursor_param="before_id", limit=10, has_more_path="has_more")
    request = Request("GET", URL)
    paginator.start(request)
    assert page(paginator, {"batches": [{"id": "b_1"}], "has_more": True}, [{"id": "b_1"}]) is True
    paginator.apply(request)
    assert request.params == {"limit": 10, "before_id": "b_1"}
    assert page(paginator, {"batches": [{"id": "b_2"}], "has_more": False}, [{"id": "b_2"}]) is False


def test_missing_has_more_stops() -> None:
    """A page without the has_more field is treated as the last one."""
    paginator = cursor_paginator(cursor_param="before_id", limit=10, has_more_path="has_more")
    assert page(paginator, {"batches": [{"id": "b_1"}]}, [{"id": "b_1"}]) is False


def test_stop_after_empty_page_stops_although_a_cursor_came_back() -> None:
    """stop_after_empty_page: an empty page ends paging even when the response still has a cursor."""
    paginator = cursor_paginator(
        cursor_path="next", cursor_param="after", limit=5, stop_after_empty_page=True
    )
    assert page(paginator, {"next": "c_1", "items": [{"id": 1}]}, [{"id": 1}]) is True
    assert page(paginator, {"next": "c_2", "items": []}, []) is False


def test_without_stop_after_empty_page_an_empty_page_with_a_cursor_goes_on() -> None:
    """The default keeps following a cursor past an empty page (the loop guard and stop_condition end it)."""
    paginator = cursor_paginator(cursor_path="next", cursor_param="after", limit=5)
    assert page(paginator, {"next": "c_2", "items": []}, []) is True


def test_loop_guard_flags_a_repeated_request() -> None:
    """The same URL, params and body twice is a repeat; any difference is a first visit."""
    guard = LoopGuard()
    assert guard.first_visit(Request("GET", URL, params={"after": "a", "limit": 10})) is True
    assert guard.first_visit(Request("GET", URL, params={"limit": 10, "after": "a"})) is False
    assert guard.first_visit(Request("GET", URL, params={"after": "b", "limit": 10})) is True
    assert guard.first_visit(Request("POST", URL, json={"page": 1})) is True
    assert guard.first_visit(Request("POST", URL, json={"page": 2})) is True
    assert guard.first_visit(Request("POST", URL, json={"page": 2})) is False
    assert guard.first_visit(Request("GET", f"{URL}?page=2")) is True
    assert guard.first_visit(Request("GET", f"{URL}?page=2")) is False


def test_loop_guard_catches_a_next_url_that_never_changes() -> None:
    """Zendesk's exports return the same next URL at the end; the second visit is caught."""
    paginator = cursor_paginator(cursor_path="next_page", stop_condition="response.get('count', {}) <= 1")
    guard = LoopGuard()
    request = Request("GET", URL, params={"start_time": 0})
    assert guard.first_visit(request) is True
    end = f"{URL}?start_time=100"
    page(paginator, {"next_page": end, "count": 5, "calls": []}, [])
    paginator.apply(request)
    assert guard.first_visit(request) is True
    page(paginator, {"next_page": end, "count": 2, "calls": []}, [])
    paginator.apply(request)
    assert guard.first_visit(request) is False


def test_new_paginator_returns_a_fresh_extended_cursor_each_call() -> None:
    """Each run gets its own extended cursor: state never leaks from one run to the next."""
    spec = spec_of({"type": "cursor", "cursor_param": "after", "limit": 10})
    first = new_paginator(spec, primary_key=("id",))
    second = new_paginator(spec, primary_key=("id",))
    assert isinstance(first, CursorPaginator)
    assert isinstance(second, CursorPaginator)
    assert first is not second
    assert page(first, {"data": []}, []) is False
    assert page(second, {"data": [{"id": "x"}]}, [{"id": "x"}]) is True
    assert (first.cursor, second.cursor) == (None, "x")


def test_new_paginator_deep_copies_paginator_objects() -> None:
    """A user's paginator object is copied per run; the original is never advanced."""
    original = JSONLinkPaginator(next_url_path="links.next")
    spec = spec_of(original)
    copy_one = new_paginator(spec, primary_key=())
    copy_two = new_paginator(spec, primary_key=())
    assert isinstance(copy_one, DltPaginator)
    assert isinstance(copy_two, DltPaginator)
    assert isinstance(copy_one.paginator, JSONLinkPaginator)
    assert copy_one.paginator is not original
    assert copy_two.paginator is not copy_one.paginator
    assert page(copy_one, {"links": {"next": f"{URL}?page=2"}}, []) is True
    request = Request("GET", URL)
    copy_one.apply(request)
    assert request.url == f"{URL}?page=2"
    assert original._next_reference is None
    assert copy_two.paginator._next_reference is None


def test_new_paginator_builds_dlt_paginators_from_their_options() -> None:
    """A dlt paginator by name is a new instance of dlt's class with the config's options, every call."""
    spec = spec_of({"type": "offset", "limit": 25, "offset_param": "skip"})
    first = new_paginator(spec, primary_key=())
    second = new_paginator(spec, primary_key=())
    assert isinstance(first, DltPaginator)
    assert isinstance(first.paginator, OffsetPaginator)
    assert first.name == "OffsetPaginator"
    assert first is not second
    request = Request("GET", URL)
    first.start(request)
    assert request.params == {"skip": 0, "limit": 25}


def test_auto_detects_from_the_first_response() -> None:
    """No paginator written: the first response picks dlt's paginator (a next link here)."""
    paginator = new_paginator(PaginatorSpec(kind="auto"), primary_key=())
    assert isinstance(paginator, DltPaginator)
    assert paginator.paginator is None
    assert page(paginator, {"items": [{"id": 1}], "next": f"{URL}?page=2"}, [{"id": 1}]) is True
    assert paginator.name == "JSONLinkPaginator"


def test_auto_detection_falls_back_to_a_single_page() -> None:
    """A response with no paging hint is one page, as in dlt."""
    paginator = new_paginator(PaginatorSpec(kind="auto"), primary_key=())
    assert page(paginator, {"items": [{"id": 1}]}, [{"id": 1}]) is False
    assert paginator.name == "SinglePagePaginator"


def test_expression_cursor_reads_the_context_it_is_given() -> None:
    """cursor_value sees the loop's context, page_count included."""
    paginator = cursor_paginator(cursor_value="{{ page_count + 1 }}", cursor_param="page")
    assert paginator.advance(view({"items": [1]}, [1], page_count=3)) is True
    request = Request("GET", URL)
    paginator.apply(request)
    assert request.params == {"page": "4"}


@pytest.mark.parametrize("empty", [None, "", {}, [], False])
def test_expression_cursor_stops_on_every_empty_value(empty: Any) -> None:
    """A cursor_value that evaluates to null, '', {}, [] or false ends the pages."""
    paginator = cursor_paginator(cursor_value="{{ response.next }}")
    assert page(paginator, {"next": empty, "items": [{"id": 1}]}, [{"id": 1}]) is False
