"""incremental.step: consecutive windows, each committed before the next, resumed after a failure."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt

from restloom import report_of, rest_api_source
from restloom.testing import Fault, FaultPlan, serve
from tests.conftest import Sync, table_rows

START, END = "2024-05-29T00:00:00Z", "2024-06-01T03:00:00Z"
WINDOWS = [("2024-05-29T00:00:00Z", "2024-05-29T15:00:00Z"), ("2024-05-29T15:00:00Z", "2024-05-30T06:00:00Z"),
           ("2024-05-30T06:00:00Z", "2024-05-30T21:00:00Z"), ("2024-05-30T21:00:00Z", "2024-05-31T12:00:00Z"),
           ("2024-05-31T12:00:00Z", "2024-06-01T03:00:00Z")]
"""Five windows of 15 h over the generic API's data (every record is updated inside them)."""


def changes_config(api: Any, *, cursor: str = "updated_at", params: tuple[str, str] = ("since", "until"),
                   **incremental: Any) -> dict[str, Any]:
    block = {"cursor_path": cursor, "start_param": params[0], "end_param": params[1], "initial_value": START,
             "end_value": END, "step": "15h", **incremental}
    return {
        "client": {"base_url": api.base_url},
        "resources": [{
            "name": "changes", "primary_key": "id", "write_disposition": "merge",
            "endpoint": {"path": "changes", "data_selector": "items",
                         "paginator": {"type": "offset", "limit": 10, "total_path": "total"},
                         "error_handler": {"max_retries": 1}, "incremental": block},
        }],
    }


def asked(api: Any, *keys: str) -> list[tuple[Any, ...]]:
    """The distinct windows the server was asked for, in order (pages of one window counted once)."""
    seen: list[tuple[Any, ...]] = []
    for request in api.requests:
        if request.path == "/api/changes":
            window = tuple(request.query.get(key) for key in keys)
            if not seen or seen[-1] != window:
                seen.append(window)
    return seen


def truth_in(api: Any, low: str, high: str) -> set[int]:
    return {r["id"] for r in api.records("items") if low <= r["updated_at"] < high}


def stored_ids(result: Any) -> list[int]:
    return sorted(row[0] for row in table_rows(result, "changes", "id"))


def stored(result: Any) -> dict[int, str]:
    return dict(table_rows(result, "changes", "id, strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ')"))


def test_five_windows_in_order_each_loaded_then_an_ordinary_incremental(run_sync: Sync) -> None:
    with serve("generic", size=60, seed=1) as api:
        first = run_sync(changes_config(api), pipeline_name="five")
        windows = asked(api, "since", "until")
        per_window = [truth_in(api, low, high) for low, high in WINDOWS]
        truth = {r["id"]: r["updated_at"] for r in api.records("items")}
        api.clear_requests()
        second = run_sync(changes_config(api), pipeline_name="five")
        after = asked(api, "since", "until")
    assert windows == WINDOWS
    assert all(per_window)
    assert sum(len(ids) for ids in per_window) == len(truth) == 60
    assert stored(first) == truth
    assert first.loaded["changes"] == 60
    stats = first.report.resources["changes"]
    assert (stats.windows, stats.windows_from, stats.windows_to, stats.windows_left) == (5, START, END, 0)
    assert stats.warnings == []
    assert after == [(END, None)]  # caught up: dlt's cursor from the last window's end, end_value no longer
    assert second.landed["changes"] == 60
    assert second.loaded["changes"] == 0


def test_a_failing_fourth_window_keeps_three_committed_and_the_rerun_resumes_there(run_sync: Sync) -> None:
    """Window 4's first page answers 500 twice (retry waits 0, max_retries 1): the run fails, windows 1-3 are
    in the table and committed; the rerun asks from window 4 on and ends exact, without duplicates."""
    with serve("generic", size=60, seed=1) as api:
        # requests 1..5 to /api/changes are windows 1-3 (1, 2 and 2 pages); 6 and 7 are window 4's first page
        api.set_faults(FaultPlan(schedule={("/api/changes", 6): Fault(kind="status", status=500),
                                           ("/api/changes", 7): Fault(kind="status", status=500)}))
        failed = run_sync(changes_config(api), pipeline_name="resume")
        committed = stored_ids(failed)
        failed_windows = asked(api, "since", "until")
        statuses = [r.status for r in api.requests]
        api.set_faults(None)
        api.clear_requests()
        state = failed.pipeline.state["sources"]["rest_api"]["resources"]["changes"]["restloom_step"]
        rerun = run_sync(changes_config(api), pipeline_name="resume")
        rerun_windows = asked(api, "since", "until")
        first_three = set().union(*(truth_in(api, low, high) for low, high in WINDOWS[:3]))
        truth = {r["id"]: r["updated_at"] for r in api.records("items")}
    assert failed_windows == WINDOWS[:4]
    assert statuses == [200] * 5 + [500, 500]
    assert [s.name for s in failed.report.failed] == ["changes"]
    assert failed.report.resources["changes"].windows == 3
    assert committed == sorted(first_three)
    assert (state["next"], state["done"], state["caught_up"]) == (WINDOWS[3][0], 3, False)
    assert rerun_windows == WINDOWS[3:]
    assert rerun.ok
    assert stored(rerun) == truth
    assert table_rows(rerun, "changes", "COUNT(*), COUNT(DISTINCT id)") == [(60, 60)]


def test_epoch_seconds_cursor_steps_in_seconds(run_sync: Sync) -> None:
    start, end = 1716940800, 1717210800  # START and END as epoch seconds
    with serve("generic", size=60, seed=1) as api:
        config = changes_config(api, cursor="updated_ts", params=("since_ts", "until_ts"), initial_value=start,
                                end_value=end, cursor_format="epoch_seconds")
        result = run_sync(config, pipeline_name="epoch")
        windows = asked(api, "since_ts", "until_ts")
        truth = {r["id"]: r["updated_ts"] for r in api.records("items")}
    bounds = [start + 54000 * i for i in range(6)]
    assert windows == [(str(low), str(high)) for low, high in itertools.pairwise(bounds)]
    assert bounds[-1] == end
    assert dict(table_rows(result, "changes", "id, updated_ts")) == truth


def test_numeric_cursor_steps_by_its_own_unit_up_to_end_value(run_sync: Sync) -> None:
    with serve("generic", size=60, seed=1) as api:
        config = changes_config(api, cursor="id", params=("id_from", "id_to"), initial_value=1, end_value=56,
                                step=20)
        result = run_sync(config, pipeline_name="ids")
        first_ids = stored_ids(result)
        windows = asked(api, "id_from", "id_to")
        api.clear_requests()
        again = run_sync(config, pipeline_name="ids")
        after = asked(api, "id_from", "id_to")
    assert windows == [("1", "21"), ("21", "41"), ("41", "56")]
    assert first_ids == list(range(1, 56))
    assert after == [("56", None)]  # then an ordinary incremental on the id: 56..60 arrive
    assert stored_ids(again) == list(range(1, 61))


def test_windows_without_end_value_run_to_now_taken_once(run_sync: Sync) -> None:
    """No end_value: windows of 365 d from 2024-01-01 up to the moment the run started."""
    with serve("generic", size=10, seed=1) as api:
        config = changes_config(api, initial_value="2024-01-01T00:00:00Z", end_value=None, step="365d")
        before = datetime.now(UTC).replace(microsecond=0)
        result = run_sync(config, pipeline_name="now")
        after = datetime.now(UTC)
        windows = asked(api, "since", "until")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    last_end = datetime.fromisoformat(windows[-1][1].replace("Z", "+00:00"))
    assert before <= last_end <= after
    expected = math.ceil((last_end - start) / timedelta(days=365))
    assert len(windows) == expected == result.report.resources["changes"].windows
    assert windows[0] == ("2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z")
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))
    assert result.landed["changes"] == 10


def test_pipeline_run_loads_one_window_per_run_and_says_how_many_remain(monkeypatch: Any) -> None:
    monkeypatch.setenv("RESTLOOM_RETRY_WAIT_SCALE", "0")
    with serve("generic", size=60, seed=1) as api:
        pipeline = dlt.pipeline(pipeline_name="plain", destination=dlt.destinations.duckdb("plain.duckdb"),
                                dataset_name="data", pipelines_dir="pipelines")
        reports = []
        for _ in range(2):
            source = rest_api_source(changes_config(api))
            pipeline.run(source)
            reports.append(report_of(source).resources["changes"])
        windows = asked(api, "since", "until")
        with pipeline.sql_client() as client:
            ids = {row[0] for row in client.execute_sql("SELECT id FROM changes")}
        truth = truth_in(api, WINDOWS[0][0], WINDOWS[1][1])
    assert windows == WINDOWS[:2]
    assert [(r.windows, r.windows_left) for r in reports] == [(1, 4), (1, 3)]
    assert reports[1].warnings == [
        "not caught up (3 windows from 2024-05-30T06:00:00Z): run again, or use `restloom run` / restloom.sync, "
        "which go on until caught up"]
    assert ids == truth


def test_children_of_a_stepped_parent_come_along_in_every_window(run_sync: Sync) -> None:
    with serve("generic", size=20, seed=1) as api:
        config = changes_config(api)
        config["resources"].append({
            "name": "events", "primary_key": "id", "write_disposition": "merge",
            "endpoint": {"path": "items/{resources.changes.id}/events", "data_selector": "events",
                         "paginator": "single_page",
                         "response_actions": [{"status_code": 404, "action": "ignore"}]}})
        result = run_sync(config, pipeline_name="kids")
        asked_events = sorted(int(r.path.split("/")[3]) for r in api.requests if r.path.endswith("/events"))
        events = api.children("items_events")
    assert result.ok
    assert asked_events == sorted(r["id"] for r in api.records("items"))
    expected = sorted(e["id"] for parent, items in events.items() if int(parent) % 4 for e in items)
    assert sorted(row[0] for row in table_rows(result, "events", "id")) == expected


def test_an_api_without_an_end_param_is_cut_client_side_and_row_order_stops_each_window_early(
        run_sync: Sync) -> None:
    """Only ``since`` is sent: dlt's bounded incremental drops the rows past each window's end, and with
    ``row_order: asc`` it stops reading a window at the first row past its end (fewer pages, same table)."""
    with serve("generic", size=60, seed=1) as api:
        plain = run_sync(changes_config(api, params=("since", "")), pipeline_name="noend")
        plain_pages = len([r for r in api.requests if r.path == "/api/changes"])
        plain_table = stored(plain)
        api.clear_requests()
        ordered = run_sync(changes_config(api, params=("since", ""), row_order="asc"), pipeline_name="ordered")
        ordered_log = [(r.query.get("since"), r.query.get("offset")) for r in api.requests]
        truth = {r["id"]: r["updated_at"] for r in api.records("items")}
    assert plain_table == truth
    assert plain_pages == 6 + 6 + 5 + 3 + 2  # each window reads every page from its start to the end of the data
    assert stored(ordered) == truth
    assert ordered.report.resources["changes"].windows == 5
    assert sorted({since for since, _ in ordered_log}) == [low for low, _ in WINDOWS]
    # with row_order a page is asked for only when dlt wants it (no pages fetched ahead): each window stops at
    # the page holding its first row past the window's end
    assert [offset for _, offset in ordered_log] == ["0", "0", "10", "0", "10", "0", "10", "0", "10"]
    assert len(ordered_log) < plain_pages


def test_other_resources_run_once_in_the_first_pass(run_sync: Sync) -> None:
    with serve("generic", size=60, seed=1) as api:
        config = changes_config(api)
        config["resources"].append({"name": "items", "primary_key": "id", "write_disposition": "replace",
                                    "endpoint": {"path": "offset/items", "data_selector": "items",
                                                 "paginator": {"type": "offset", "limit": 50, "total_path": "total"}}})
        result = run_sync(config, pipeline_name="mixed")
        item_pages = [r.query.get("offset") for r in api.requests if r.path == "/api/offset/items"]
    assert item_pages == ["0", "50"]
    assert result.report.resources["changes"].windows == 5
    assert result.landed == {"changes": 60, "items": 60}
    assert result.loaded == {"changes": 60, "items": 60}
