"""Paginators driven by hand-built responses (no server): exact next requests, stops and the loop guard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator, OffsetPaginator
from requests import Request, Response

from restloom.config import parse
from restloom.config.models import PaginatorSpec
from restloom.engine.paginate import (
    ExtendedCursorPaginator,
    LoopGuard,
    new_paginator,
    stop_check,
)

BASE = "https://api.example.com/v1/"
URL = "https://api.example.com/v1/items"


def spec_of(paginator: Any, *, primary_key: Any = "id") -> PaginatorSpec:
    """The PaginatorSpec the parser makes of this paginator block."""
    raw = {
        "client": {"base_url": BASE},
        "resources": [{"name": "items", "primary_key": primary_key, "endpoint": {"paginator": paginator}}],
    }
    return parse(raw).resources[0].endpoint.paginator


def cursor_paginator(**block: Any) -> ExtendedCursorPaginator:
    """A fresh extended cursor paginator for this ``type: cursor`` block (primary key ``id``)."""
    paginator = new_paginator(
        spec_of({"type": "cursor", **block}), primary_key=("id",)
    )
    assert isinstance(paginator, ExtendedCursorPaginator)
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


def page(paginator: ExtendedCursorPaginator, document: Any, records: list[Any]) -> None:
    """Feed one page to the paginator the way the page loop does (context first, then update_state)."""
    paginator.context = {
        "response": document,
        "headers": {},
        "last_record": records[-1] if records else None,
        "last_page_size": len(records),
        "page_count": 0,
        "status_code": 200,
    }
    paginator.update_state(response(document), records)


def prepared_url(request: Request) -> str:
    """The URL requests would send, params included."""
    return str(request.prepare().url)


def test_last_record_cursor_sends_the_last_id_and_the_page_size() -> None:
    """Persona's cursor: limit on every request, page[after] = the id of the page's last record."""
    paginator = cursor_paginator(limit=100, cursor_param="page[after]")
    request = Request("GET", URL)
    paginator.init_request(request)
    assert request.params == {"limit": 100}
    records = [{"id": "act_1"}, {"id": "act_2"}]
    page(paginator, {"data": records}, records)
    assert paginator.has_next_page is True
    paginator.update_request(request)
    assert request.params == {"limit": 100, "page[after]": "act_2"}
    assert prepared_url(request) == f"{URL}?limit=100&page%5Bafter%5D=act_2"
    records = [{"id": "act_3"}]
    page(paginator, {"data": records}, records)
    paginator.update_request(request)
    assert request.params == {"limit": 100, "page[after]": "act_3"}
    page(paginator, {"data": []}, [])
    assert paginator.has_next_page is False


def test_cursor_path_cursor_reads_the_response_and_stops_on_null() -> None:
    """Yousign-style: the cursor at meta.next_cursor is sent as 'after'; null ends the pages."""
    paginator = cursor_paginator(cursor_path="meta.next_cursor", cursor_param="after", limit=10)
    request = Request("GET", URL, params={"order": "asc"})
    paginator.init_request(request)
    assert request.params == {"order": "asc", "limit": 10}
    page(paginator, {"meta": {"next_cursor": "c_2"}, "data": [{"id": 1}]}, [{"id": 1}])
    paginator.update_request(request)
    assert request.params == {"order": "asc", "limit": 10, "after": "c_2"}
    page(paginator, {"meta": {"next_cursor": None}, "data": [{"id": 2}]}, [{"id": 2}])
    assert paginator.has_next_page is False


def test_cursor_body_path_puts_the_cursor_in_the_json_body() -> None:
    """With cursor_body_path the cursor goes into the request body, not the query."""
    paginator = cursor_paginator(
        cursor_path="next", cursor_param="after", cursor_body_path="page.after", limit=5
    )
    request = Request("POST", URL, json={"filter": "x"})
    paginator.init_request(request)
    page(paginator, {"next": "c_9", "items": [{"id": 1}]}, [{"id": 1}])
    paginator.update_request(request)
    assert request.json == {"filter": "x", "page": {"after": "c_9"}}
    assert request.params == {"limit": 5}


def test_expression_cursor_follows_the_next_url_and_stops_on_empty_dict() -> None:
    """Opsgenie's cursor_value: the next URL is followed as is; the native {} at the end stops."""
    paginator = cursor_paginator(
        cursor_value='{{ response.get("paging", {}).get("next", {}) }}',
        stop_condition='{{ not response.get("paging", {}).get("next", {}) }}',
    )
    request = Request("GET", "https://api.example.com/v2/alerts", params={"order": "asc"})
    paginator.init_request(request)
    assert request.params == {"order": "asc"}
    next_url = "https://api.example.com/v2/alerts?offset=20&limit=20&order=asc"
    page(paginator, {"data": [{"id": "a"}], "paging": {"next": next_url}}, [{"id": "a"}])
    assert paginator.has_next_page is True
    paginator.update_request(request)
    assert request.url == next_url
    assert request.params == {}
    assert prepared_url(request) == next_url
    page(paginator, {"data": [{"id": "b"}], "paging": {"first": next_url}}, [{"id": "b"}])
    assert paginator.has_next_page is False


def test_url_cursor_keeps_the_limit_without_duplicating_it() -> None:
    """A followed next URL gets limit added back only when it does not already carry it."""
    paginator = cursor_paginator(cursor_path="next_page", limit=50)
    request = Request("GET", URL)
    paginator.init_request(request)
    assert request.params == {"limit": 50}
    page(paginator, {"next_page": f"{URL}?page=2&limit=50", "items": [{"id": 1}]}, [{"id": 1}])
    paginator.update_request(request)
    assert (request.url, request.params) == (f"{URL}?page=2&limit=50", {})
    assert prepared_url(request) == f"{URL}?page=2&limit=50"
    page(paginator, {"next_page": f"{URL}?page=3", "items": [{"id": 2}]}, [{"id": 2}])
    paginator.update_request(request)
    assert (request.url, request.params) == (f"{URL}?page=3", {"limit": 50})
    assert prepared_url(request) == f"{URL}?page=3&limit=50"


def test_relative_next_url_is_joined_to_the_current_one() -> None:
    """A next URL given as a path is resolved against the request's URL."""
    paginator = cursor_paginator(cursor_path="links.next", stop_condition="false")
    request = Request("GET", URL, params={"q": "x"})
    page(paginator, {"links": {"next": "/v1/items?cursor=abc"}, "items": [{"id": 1}]}, [{"id": 1}])
    paginator.update_request(request)
    assert (request.url, request.params) == ("https://api.example.com/v1/items?cursor=abc", {})


def test_first_url_that_already_carries_the_limit_gets_no_second_one() -> None:
    """init_request does not add limit when the URL's own query already sets it."""
    paginator = cursor_paginator(cursor_param="after", limit=10)
    request = Request("GET", f"{URL}?limit=25")
    paginator.init_request(request)
    assert request.params == {}
    assert prepared_url(request) == f"{URL}?limit=25"


def test_has_more_path_ends_pages_even_with_a_cursor() -> None:
    """EasyPost-style: has_more false stops although the last record still yields a cursor."""
    paginator = cursor_paginator(cursor_param="before_id", limit=10, has_more_path="has_more")
    request = Request("GET", URL)
    paginator.init_request(request)
    page(paginator, {"batches": [{"id": "b_1"}], "has_more": True}, [{"id": "b_1"}])
    assert paginator.has_next_page is True
    paginator.update_request(request)
    assert request.params == {"limit": 10, "before_id": "b_1"}
    page(paginator, {"batches": [{"id": "b_2"}], "has_more": False}, [{"id": "b_2"}])
    assert paginator.has_next_page is False


def test_missing_has_more_stops() -> None:
    """A page without the has_more field is treated as the last one."""
    paginator = cursor_paginator(cursor_param="before_id", limit=10, has_more_path="has_more")
    page(paginator, {"batches": [{"id": "b_1"}]}, [{"id": "b_1"}])
    assert paginator.has_next_page is False


def test_stop_after_empty_page_stops_although_a_cursor_came_back() -> None:
    """stop_after_empty_page: an empty page ends paging even when the response still has a cursor."""
    paginator = cursor_paginator(
        cursor_path="next", cursor_param="after", limit=5, stop_after_empty_page=True
    )
    page(paginator, {"next": "c_1", "items": [{"id": 1}]}, [{"id": 1}])
    assert paginator.has_next_page is True
    page(paginator, {"next": "c_2", "items": []}, [])
    assert paginator.has_next_page is False


def test_without_stop_after_empty_page_an_empty_page_with_a_cursor_goes_on() -> None:
    """The default keeps following a cursor past an empty page (the loop guard and stop_condition end it)."""
    paginator = cursor_paginator(cursor_path="next", cursor_param="after", limit=5)
    page(paginator, {"next": "c_2", "items": []}, [])
    assert paginator.has_next_page is True


def test_stop_check_evaluates_the_stop_condition() -> None:
    """The page loop's stop predicate is the compiled stop_condition; none without one."""
    check = stop_check(
        spec_of(
            {
                "type": "cursor",
                "cursor_param": "page[after]",
                "limit": 100,
                "stop_condition": "response.get('data')|length == 0",
            }
        )
    )
    assert check is not None
    assert check({"response": {"data": []}}) is True
    assert check({"response": {"data": [1]}}) is False
    assert stop_check(spec_of("single_page")) is None


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
    paginator.update_request(request)
    assert guard.first_visit(request) is True
    page(paginator, {"next_page": end, "count": 2, "calls": []}, [])
    paginator.update_request(request)
    assert guard.first_visit(request) is False


def test_new_paginator_returns_a_fresh_extended_cursor_each_call() -> None:
    """Each run gets its own extended cursor: state never leaks from one run to the next."""
    spec = spec_of({"type": "cursor", "cursor_param": "after", "limit": 10})
    first = new_paginator(spec, primary_key=("id",))
    second = new_paginator(spec, primary_key=("id",))
    assert isinstance(first, ExtendedCursorPaginator)
    assert isinstance(second, ExtendedCursorPaginator)
    assert first is not second
    page(first, {"data": []}, [])
    assert first.has_next_page is False
    assert second.has_next_page is True


def test_new_paginator_deep_copies_paginator_objects() -> None:
    """A user's paginator object is copied per run; the original is never advanced."""
    original = JSONLinkPaginator(next_url_path="links.next")
    spec = spec_of(original)
    copy_one = new_paginator(spec, primary_key=())
    copy_two = new_paginator(spec, primary_key=())
    assert isinstance(copy_one, JSONLinkPaginator)
    assert isinstance(copy_two, JSONLinkPaginator)
    assert copy_one is not original
    assert copy_two is not copy_one
    copy_one.update_state(response({"links": {"next": f"{URL}?page=2"}}))
    assert copy_one._next_reference == f"{URL}?page=2"
    assert original._next_reference is None
    assert copy_two._next_reference is None


def test_new_paginator_builds_dlt_paginators_from_their_options() -> None:
    """A dlt paginator by name is a new instance of dlt's class with the config's options, every call."""
    spec = spec_of({"type": "offset", "limit": 25, "offset_param": "skip"})
    first = new_paginator(spec, primary_key=())
    second = new_paginator(spec, primary_key=())
    assert isinstance(first, OffsetPaginator)
    assert first is not second
    request = Request("GET", URL)
    first.init_request(request)
    assert request.params == {"skip": 0, "limit": 25}


def test_new_paginator_leaves_auto_to_detection() -> None:
    """No paginator written means None: the engine detects one from the first response."""
    assert (
        new_paginator(PaginatorSpec(kind="auto"), primary_key=())
        is None
    )


@pytest.mark.parametrize("empty", [None, "", {}, [], False])
def test_expression_cursor_stops_on_every_empty_value(empty: Any) -> None:
    """A cursor_value that evaluates to null, '', {}, [] or false ends the pages."""
    paginator = cursor_paginator(cursor_value="{{ response.next }}")
    page(paginator, {"next": empty, "items": [{"id": 1}]}, [{"id": 1}])
    assert paginator.has_next_page is False
