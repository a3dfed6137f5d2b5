"""A child that fails under an incremental parent is not lost: the parent's cursor stays until it loads."""

from __future__ import annotations

from typing import Any

import pytest

from restloom.testing import FaultPlan, SimulatedAPI, serve
from tests.conftest import Sync, table_rows

PAGE = 5


def _config(api: SimulatedAPI) -> dict[str, Any]:
    return {"client": {"base_url": api.base_url}, "resources": [
        {"name": "changes", "primary_key": "id", "write_disposition": "merge",
         "endpoint": {"path": "changes", "data_selector": "items",
                      "paginator": {"type": "offset", "limit": PAGE, "total_path": "total"},
                      "incremental": {"cursor_path": "updated_ts", "start_param": "since_ts", "initial_value": 0}}},
        {"name": "events", "primary_key": "id", "write_disposition": "merge", "include_from_parent": ["id"],
         "endpoint": {"path": "items/{resources.changes.id}/events", "data_selector": "events",
                      "paginator": "single_page", "response_actions": [{"status_code": 404, "action": "ignore"}]}},
    ]}


def _changes_starts(api: SimulatedAPI) -> list[str]:
    return [r.query["since_ts"] for r in api.requests if r.path == "/api/changes" and r.query["offset"] == "0"]


def _event_paths(api: SimulatedAPI) -> list[str]:
    return sorted(r.path for r in api.requests if r.path.endswith("/events"))


@pytest.mark.parametrize("position", [0, -1], ids=["first-parent-page", "last-parent-page"])
def test_a_failed_child_is_fetched_again_until_its_table_is_exact(run_sync: Sync, position: int) -> None:
    """Child fails on the first parent page (parent still paging) or the last: the parent cursor holds."""
    with serve("generic", size=23, seed=4) as api:
        served = sorted(api.records("items"), key=lambda r: (r["updated_ts"], r["id"]))
        victim = [r for r in served if r["id"] % 4][position]["id"]
        api.set_faults(FaultPlan(schedule={(f"/api/items/{victim}/events", n): "503" for n in range(1, 7)}))
        first = run_sync(_config(api), pipeline_name="p")
        api.set_faults(None)
        api.clear_requests()
        second = run_sync(_config(api), pipeline_name="p")
        second_starts, second_events = _changes_starts(api), _event_paths(api)
        api.clear_requests()
        third = run_sync(_config(api), pipeline_name="p")
        third_starts, third_events = _changes_starts(api), _event_paths(api)
        truth = sorted(e["id"] for item, events in api.children("items_events").items() if item % 4 for e in events)
    latest = max(r["updated_ts"] for r in served)  # items whose id divides by 4 answer 404: no events
    assert [s.name for s in first.report.failed] == ["events"]
    assert second.ok
    assert third.ok
    assert second_starts == ["0"]  # the failed run did not move the parent's cursor
    assert second_events == sorted(f"/api/items/{r['id']}/events" for r in served)
    assert third_starts == [str(latest)]
    assert third_events == []
    assert sorted(row[0] for row in table_rows(third, "events", "id")) == truth
    assert table_rows(third, "changes", "COUNT(*), COUNT(DISTINCT id)") == [(23, 23)]
