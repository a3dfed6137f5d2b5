"""Incremental syncs ask only for the new window, merge changes exactly, and never lose data on failure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from restloom.testing import Fault, FaultPlan, serve
from tests.conftest import Sync, table_rows


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _calls_config(api: Any, page_size: int = 10, **incremental: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": api.base_url,
                   "auth": {"type": "api_key", "name": "api_key", "api_key": api.secrets["api_key"],
                            "location": "query"}},
        "resources": [{
            "name": "calls", "primary_key": "id", "write_disposition": "merge",
            "endpoint": {
                "path": "v1/stats/incremental/calls", "data_selector": "calls",
                "paginator": {"type": "cursor", "cursor_path": "next_page",
                              "stop_condition": f"response.count < {page_size}"},
                "incremental": {"cursor_path": "updated_at", "start_param": "start_time",
                                "initial_value": "2024-01-01T00:00:00Z", "convert": "epoch_seconds",
                                **incremental},
            },
        }],
    }


def _calls_table(result: Any) -> dict[str, str]:
    return dict(table_rows(result, "calls", "id, CAST(updated_at AS VARCHAR)"))


def test_second_run_asks_only_for_the_new_window_and_merges(run_sync: Sync) -> None:
    """After updates and inserts, run 2 starts at the last cursor and the table equals the mutated data."""
    with serve("zendesk_talk", size=25, seed=2, export_page_size=10) as api:
        first = run_sync(_calls_config(api), pipeline_name="inc")
        last = max(_epoch(r["updated_at"]) for r in api.records("calls"))
        mutation = api.mutate(seed=3)
        api.clear_requests()
        second = run_sync(_calls_config(api), pipeline_name="inc")
        windows = [r.query.get("start_time") for r in api.requests if r.path.endswith("/calls")]
        truth = api.records("calls")
    assert first.landed["calls"] == 25
    assert windows[0] == str(last)
    assert mutation.updated["calls"]
    assert mutation.added["calls"]
    assert second.landed["calls"] == len(truth) == 25 + len(mutation.added["calls"])
    landed = _calls_table(second)
    assert {k: _epoch(v.replace(" ", "T")) for k, v in landed.items()} == {
        r["id"]: _epoch(r["updated_at"]) for r in truth}


def test_lookback_widens_the_window(run_sync: Sync) -> None:
    """lookback: 3600 asks for start_time one hour before the last cursor; nothing is duplicated."""
    with serve("zendesk_talk", size=12, seed=2, export_page_size=10) as api:
        run_sync(_calls_config(api, lookback=3600), pipeline_name="lb")
        last = max(_epoch(r["updated_at"]) for r in api.records("calls"))
        api.clear_requests()
        second = run_sync(_calls_config(api, lookback=3600), pipeline_name="lb")
        first_window = next(r.query.get("start_time") for r in api.requests if r.path.endswith("/calls"))
    assert first_window == str(last - 3600)
    assert table_rows(second, "calls", "COUNT(*), COUNT(DISTINCT id)") == [(12, 12)]


def test_failed_resource_keeps_its_previous_cursor(run_sync: Sync) -> None:
    """A run that fails mid-way loads what it fetched, but the next run starts from the old cursor."""
    with serve("zendesk_talk", size=30, seed=4, export_page_size=4) as api:
        run_sync(_calls_config(api, 4), pipeline_name="keep")
        start = max(_epoch(r["updated_at"]) for r in api.records("calls"))
        before = {r["id"] for r in api.records("calls")}
        seen = sum(1 for r in api.requests if r.path == "/v1/stats/incremental/calls")
        api.mutate(seed=5)
        api.clear_requests()
        # the 2nd request of the next run (counted over the server's life) answers 400: not retryable
        fault = Fault(kind="status", status=400)
        api.set_faults(FaultPlan(schedule={("/v1/stats/incremental/calls", seen + 2): fault}))
        failed = run_sync(_calls_config(api, 4), pipeline_name="keep")
        failed_log = [(r.query.get("start_time"), r.status) for r in api.requests if r.path.endswith("/calls")]
        api.set_faults(None)
        api.clear_requests()
        third = run_sync(_calls_config(api, 4), pipeline_name="keep")
        windows = [r.query.get("start_time") for r in api.requests if r.path.endswith("/calls")]
        truth = api.records("calls")
    assert [s.name for s in failed.report.failed] == ["calls"]
    assert [status for _, status in failed_log] == [200, 400]
    first_page = [r["id"] for r in truth if _epoch(r["updated_at"]) >= start][:4]
    assert failed.landed["calls"] == 30 + len(set(first_page) - before)  # the first page did load
    assert windows[0] == str(start)
    assert third.landed["calls"] == len(truth)


def _batches_config(api: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": api.base_url, "auth": {"type": "basic", "username": api.secrets["username"]}},
        "resources": [{
            "name": "batches", "primary_key": "id", "write_disposition": "merge",
            "endpoint": {
                "path": "batches", "data_selector": "batches", "params": {"page_size": 5},
                "paginator": {"type": "cursor", "cursor_param": "before_id",
                              "stop_condition": "not response.has_more"},
                "incremental": {"cursor_path": "updated_at", "initial_value": "2020-01-01T00:00:00Z"},
            },
        }],
    }


def test_newest_first_failure_does_not_skip_older_changes(run_sync: Sync) -> None:
    """Newest-first data filtered client-side: a failed run must not let the next one skip older updates."""
    with serve("easypost", size=40, seed=7) as api:
        run_sync(_batches_config(api), pipeline_name="desc")
        seen = sum(1 for r in api.requests if r.path == "/v2/batches")
        mutation = api.mutate(seed=8)
        fault = Fault(kind="status", status=404)
        api.set_faults(FaultPlan(schedule={("/v2/batches", seen + 2): fault}))
        failed = run_sync(_batches_config(api), pipeline_name="desc")
        api.set_faults(None)
        final = run_sync(_batches_config(api), pipeline_name="desc")
        truth = {r["id"]: r["updated_at"] for r in api.records("batches")}
    assert [s.name for s in failed.report.failed] == ["batches"]
    assert len(mutation.updated["batches"]) > 2
    landed = {k: v.replace(" ", "T").replace("+00:00", "Z") for k, v in
              table_rows(final, "batches", "id, strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ')")}
    assert landed == truth


def _alerts_config(api: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": api.base_url,
                   "auth": {"type": "api_key", "name": "Authorization",
                            "api_key": f"GenieKey {api.real_credentials['api_key']}"}},
        "resources": [
            {"name": "alerts", "primary_key": "id", "write_disposition": "merge",
             "endpoint": {"path": "v2/alerts", "data_selector": "data", "params": {"limit": 100},
                          "paginator": {"type": "json_link", "next_url_path": "paging.next"},
                          "incremental": {"cursor_path": "updatedAt", "initial_value": "2020-01-01T00:00:00Z"}}},
            {"name": "alert_logs", "primary_key": ["_alerts_id", "offset"], "write_disposition": "merge",
             "include_from_parent": ["id"],
             "endpoint": {"path": "v2/alerts/{resources.alerts.id}/logs", "data_selector": "data",
                          "paginator": "single_page"}},
        ],
    }


def test_children_are_fetched_only_for_new_or_changed_parents(run_sync: Sync) -> None:
    """With an incremental parent, the second run asks for the logs of updated and added alerts only."""
    with serve("opsgenie", size=20, seed=14) as api:
        run_sync(_alerts_config(api), pipeline_name="kids")
        mutation = api.mutate(seed=15)
        api.clear_requests()
        second = run_sync(_alerts_config(api), pipeline_name="kids")
        asked = sorted(r.path.split("/")[3] for r in api.requests if r.path.endswith("/logs"))
        logs = api.children("alert_logs")
    changed = sorted(mutation.updated["alerts"] + mutation.added["alerts"])
    assert 0 < len(changed) < 20
    assert asked == changed
    expected = sorted((alert, log["offset"]) for alert, items in logs.items() for log in items)
    assert sorted(table_rows(second, "alert_logs", "_alerts_id, \"offset\"")) == expected
