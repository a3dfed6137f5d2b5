"""Responses that look fine but are not: an empty 200 body, a 200 JSON error object in the middle of a list."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from restloom.adapter.sync import SyncResult
from restloom.cli.summary import print_summary
from restloom.testing import Fault, FaultPlan, serve
from tests.conftest import Sync, table_rows

EMPTY = Fault(kind="empty")
ERROR_OBJECT = Fault(kind="status", status=200)  # a 200 whose body is {"error": "injected fault: HTTP 200"}


def _yousign(api: Any, *, max_retries: int = 5) -> dict[str, Any]:
    """Contacts and users, five per page, paged by meta.next_cursor (the last page has records)."""
    return {
        "client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": api.secrets["api_key"]},
                   "error_handler": {"max_retries": max_retries}},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge", "endpoint": {
            "data_selector": "data",
            "paginator": {"type": "cursor", "cursor_param": "after", "cursor_path": "meta.next_cursor", "limit": 5}}},
        "resources": ["contacts", "users"],
    }


def _summary_text(result: SyncResult) -> str:
    buffer = io.StringIO()
    print_summary(Console(file=buffer, width=400), result.report, loaded=result.loaded)
    return buffer.getvalue()


def _faults_on_contacts(api: Any) -> list[str | None]:
    return [r.fault for r in api.requests if r.path == "/v3/contacts"]


def test_an_empty_200_body_is_retried_and_every_record_lands(run_sync: Sync) -> None:
    """An empty 200 body on page 2 is retried (not read as the end of the list): all 15 contacts land."""
    with serve("yousign", size=15, seed=4, faults=FaultPlan(schedule={("/v3/contacts", 2): EMPTY})) as api:
        result = run_sync(_yousign(api))
        faults = _faults_on_contacts(api)
        truth = sorted(r["id"] for r in api.records("contacts"))
    assert faults == [None, "empty", None, None]
    assert result.ok
    assert sorted(row[0] for row in table_rows(result, "contacts", "id")) == truth
    stats = result.report.stats("contacts")
    assert (stats.rows, stats.pages, stats.requests, stats.retries) == (15, 3, 4, 1)


def test_an_empty_200_body_that_persists_fails_only_its_resource(run_sync: Sync) -> None:
    """Empty 200 bodies past max_retries fail the resource with 'empty body'; the other resource loads."""
    schedule = {("/v3/contacts", n): EMPTY for n in (2, 3, 4)}
    with serve("yousign", size=15, seed=4, faults=FaultPlan(schedule=schedule)) as api:
        result = run_sync(_yousign(api, max_retries=2))
        faults = _faults_on_contacts(api)
        second = next(r for r in api.requests if r.path == "/v3/contacts" and r.fault == "empty")
    assert faults == [None, "empty", "empty", "empty"]
    [failed] = result.report.failed
    assert failed.name == "contacts"
    assert failed.error == (f"empty body (HTTP 200, expected JSON) at {api.base_url}contacts?limit=5&"
                            f"after={second.query['after']} after 2 retries")
    assert result.landed == {"contacts": 5, "users": 15}


def test_a_200_json_error_object_mid_list_warns_in_the_summary(run_sync: Sync) -> None:
    """A 200 {"error": ...} on page 2 where the paginator stops: a warning naming the page, in the summary."""
    with serve("yousign", size=15, seed=4, faults=FaultPlan(schedule={("/v3/contacts", 2): ERROR_OBJECT})) as api:
        result = run_sync(_yousign(api))
        faults = _faults_on_contacts(api)
    assert faults == [None, "200"]
    assert result.landed == {"contacts": 5, "users": 15}
    warning = ("page 2 has no records and not the shape of the pages before it (keys: error; before: data, "
               "meta) and the ExtendedCursorPaginator cannot go on from it: the table may be incomplete "
               "(the API may have answered with an error; body: {\"error\":\"injected fault: HTTP 200\"})")
    assert result.report.stats("contacts").warnings == [
        "data_selector 'data' matched nothing in a response that had data", warning]
    assert result.report.stats("users").warnings == []
    summary = _summary_text(result)
    assert "ok (2 warnings)" in summary
    assert f"warning contacts: {warning}" in summary


def test_an_empty_last_page_in_the_list_shape_ends_quietly(run_sync: Sync) -> None:
    """Persona ends a list with {"data": []}: same shape, no records, no warning."""
    with serve("persona", size=12, seed=4) as api:
        config = {
            "client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": api.secrets["api_key"]}},
            "resource_defaults": {"primary_key": "id", "endpoint": {"data_selector": "data", "paginator": {
                "type": "cursor", "cursor_param": "page[after]", "limit": 5, "limit_param": "page[size]",
                "stop_condition": "response.get('data')|length == 0"}}},
            "resources": ["accounts"],
        }
        result = run_sync(config)
        sizes = [r.query["page[size]"] for r in api.requests]
    assert sizes == ["5", "5", "5", "5"]
    assert result.ok
    assert result.landed == {"accounts": 12}
    assert result.report.stats("accounts").warnings == []
