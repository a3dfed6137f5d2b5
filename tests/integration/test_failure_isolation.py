"""A failing resource is reported with a specific message and never stops the others when the caller keeps going
(``sync`` and ``restloom run`` do: ``on_failure="continue"``; ``rest_api_source`` raises by default, see
``test_on_failure.py``)."""

from __future__ import annotations

from typing import Any

from restloom.testing import Fault, FaultPlan, serve
from tests.conftest import Sync, table_rows


def _config(api: Any, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": api.secrets["api_key"]}},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge",
                              "endpoint": {"data_selector": "data", "paginator": {
                                  "type": "cursor", "cursor_param": "page[after]", "limit": 100,
                                  "limit_param": "page[size]",
                                  "stop_condition": "response.get('data')|length == 0"}}},
        "resources": resources,
    }


def test_bad_credentials_fail_only_their_resource(run_sync: Sync) -> None:
    """A 401 on one resource fails it with an auth message; the others load; the token never shows."""
    with serve("persona", size=15, seed=2) as api:
        bad = {"name": "cases", "endpoint": {"path": "cases", "auth": {"type": "bearer", "token": "wrong-token-xyz"}}}
        result = run_sync(_config(api, [{"name": "accounts", "endpoint": {"path": "accounts"}}, bad]))
    [failed] = result.report.failed
    assert failed.name == "cases"
    assert failed.error is not None
    assert failed.error.startswith(
        f"HTTP 401 at {api.base_url}/cases?page%5Bsize%5D=100: the API refused the credentials")
    assert "wrong-token-xyz" not in failed.error
    assert table_rows(result, "accounts", "COUNT(*)") == [(15,)]
    assert "cases" not in result.landed


def test_missing_primary_key_fails_the_resource(run_sync: Sync) -> None:
    """Records without the declared primary key fail their resource with a message naming the key."""
    with serve("persona", size=8, seed=2) as api:
        resources = [{"name": "accounts", "endpoint": {"path": "accounts"}},
                     {"name": "events", "endpoint": {"path": "events"}, "primary_key": "event_id"}]
        result = run_sync(_config(api, resources))
    [failed] = result.report.failed
    assert failed.name == "events"
    assert failed.error == ("primary key 'event_id' (declared) is missing from its records (fields: type, id, "
                            "attributes); set primary_key on the resource to a field they carry")
    assert result.landed["accounts"] == 8


def test_retries_exhausted_fail_only_their_resource(run_sync: Sync) -> None:
    """A path that always answers 503 is retried max_retries times, then fails; the rest loads."""
    plan = FaultPlan(rate=1.0, kinds=(Fault(kind="status", status=503),), paths=("/events",), seed=1)
    with serve("persona", size=8, seed=2, faults=plan) as api:
        config = _config(api, [{"name": "accounts", "endpoint": {"path": "accounts"}},
                               {"name": "events", "endpoint": {"path": "events"}}])
        config["client"]["error_handler"] = {"max_retries": 2}
        result = run_sync(config)
        events_log = [r.status for r in api.requests if r.path == "/events"]
    assert events_log == [503, 503, 503]
    [failed] = result.report.failed
    assert failed.name == "events"
    assert failed.error is not None
    assert failed.error.startswith("HTTP 503 at ")
    assert "still failing after 2 retries (max_retries=2)" in failed.error
    assert result.landed["accounts"] == 8


def test_dropped_connections_and_truncated_bodies_are_retried(run_sync: Sync) -> None:
    """A dropped connection and a truncated JSON body are retried; every record lands once."""
    schedule = {("/accounts", 1): Fault(kind="drop"), ("/accounts", 3): Fault(kind="truncate")}
    with serve("persona", size=30, seed=2, faults=FaultPlan(schedule=schedule)) as api:
        result = run_sync(_config(api, [{"name": "accounts", "endpoint": {"path": "accounts"}}]))
        statuses = [r.fault for r in api.requests if r.path == "/accounts"]
    assert statuses == ["drop", None, "truncate", None]  # page[size]=100: one page of 30, then the empty page
    assert result.ok
    assert table_rows(result, "accounts", "COUNT(*), COUNT(DISTINCT id)") == [(30, 30)]
    assert result.report.stats("accounts").retries == 2


def test_a_response_the_paginator_cannot_read_fails_only_its_resource(run_sync: Sync) -> None:
    """dlt's offset paginator told to read a has_more flag the API does not send: one clear failure."""
    with serve("generic", size=12, seed=3) as api:
        config = {"client": {"base_url": api.base_url}, "resources": [
            {"name": "good", "endpoint": {"path": "offset/items", "data_selector": "items",
                                          "paginator": {"type": "offset", "limit": 5, "total_path": "total"}}},
            {"name": "bad", "endpoint": {"path": "offset/items", "data_selector": "items",
                                         "paginator": {"type": "offset", "limit": 5, "total_path": None,
                                                       "has_more_path": "more"}}},
        ]}
        result = run_sync(config)
    [failed] = result.report.failed
    assert failed.name == "bad"
    assert failed.error is not None
    assert failed.error.startswith(
        f"the OffsetPaginator could not read the response at {api.base_url}offset/items?offset=0&limit=5: ")
    assert "Has more" in failed.error
    assert result.landed["good"] == 12
