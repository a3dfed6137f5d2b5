"""Differential: incremental loading — start/end params, params of type incremental, {incremental.*}."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from restloom import report_of
from restloom.testing import SimulatedAPI
from tests.differential.harness import differential

PAGES = {"type": "offset", "limit": 8, "total_path": "total"}
START = "2024-05-31T12:00:00Z"
END = "2024-05-31T20:00:00Z"


def _config(*resources: Any) -> Callable[[SimulatedAPI], dict[str, Any]]:
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return {"client": {"base_url": api.base_url, "paginator": PAGES}, "resources": list(resources)}

    return factory


def _since(outcome: Any, path: str = "/api/changes") -> list[dict[str, str]]:
    return [dict(query) for _, query, _ in outcome.dlt.requests[path]]


def test_start_and_end_params(tmp_path: Path) -> None:
    """incremental with start_param/end_param sends the window and keeps the rows inside it."""
    resource = {"name": "changes", "endpoint": {"path": "changes", "incremental": {
        "cursor_path": "updated_at", "start_param": "since", "end_param": "until",
        "initial_value": START, "end_value": END}}}
    outcome = differential(_config(resource), tmp_path=tmp_path)
    assert _since(outcome)[0] == {"since": START, "until": END, "offset": "0", "limit": "8"}
    assert all(START <= row["updated_at"].strftime("%Y-%m-%dT%H:%M:%SZ") < END for row in outcome.dlt.rows["changes"])
    assert outcome.dlt.rows["changes"]


def test_param_of_type_incremental(tmp_path: Path) -> None:
    """A param ``{type: incremental, cursor_path, initial_value}`` is the start param."""
    resource = {"name": "changes", "endpoint": {"path": "changes", "params": {"since": {
        "type": "incremental", "cursor_path": "updated_at", "initial_value": START}}}}
    outcome = differential(_config(resource), tmp_path=tmp_path)
    assert _since(outcome)[0]["since"] == START


def test_incremental_placeholders_in_params_and_json(tmp_path: Path) -> None:
    """{incremental.start_value} / {incremental.end_value} fill params and a json body."""
    in_params = {"name": "changes", "endpoint": {
        "path": "changes", "params": {"since": "{incremental.start_value}", "until": "{incremental.end_value}"},
        "incremental": {"cursor_path": "updated_at", "initial_value": START, "end_value": END}}}
    in_json = {"name": "searched", "endpoint": {
        "path": "search", "method": "POST", "paginator": "single_page",
        "json": {"limit": 3, "since": "{incremental.start_value}", "label": "from {incremental.initial_value}"},
        "incremental": {"cursor_path": "updated_at", "initial_value": "2024-01-01T00:00:00Z"}}}
    outcome = differential(_config(in_params, in_json), tmp_path=tmp_path)
    assert _since(outcome)[0]["until"] == END
    assert outcome.dlt.requests["/api/search"][0][2] == {"limit": 3, "since": "2024-01-01T00:00:00Z",
                                                         "label": "from 2024-01-01T00:00:00Z"}


def test_convert_callable_and_epoch_cursor(tmp_path: Path) -> None:
    """``convert`` turns the cursor into the request's form (ISO cursor sent as epoch seconds)."""

    def epoch(value: str) -> int:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).timestamp())

    resource = {"name": "changes", "endpoint": {"path": "changes", "incremental": {
        "cursor_path": "updated_at", "start_param": "since_ts", "initial_value": START, "convert": epoch}}}
    outcome = differential(_config(resource), tmp_path=tmp_path)
    assert _since(outcome)[0]["since_ts"] == str(epoch(START))


def test_second_run_starts_from_the_stored_cursor(tmp_path: Path) -> None:
    """A second run of the same pipeline asks from the last cursor value dlt stored."""
    resource = {"name": "changes", "endpoint": {"path": "changes", "incremental": {
        "cursor_path": "updated_ts", "start_param": "since_ts", "initial_value": 0}}}
    outcome = differential(_config(resource), tmp_path=tmp_path, runs=2)
    latest = max(row["updated_ts"] for row in outcome.dlt.rows["changes"])
    starts = [query["since_ts"] for query in _since(outcome) if query["offset"] == "0"]
    assert starts == ["0", str(latest)]


ITEMS = {"name": "items", "endpoint": {"path": "offset/items"}}
EVENTS = {"name": "events", "include_from_parent": ["id"],
          "endpoint": {"path": "items/{resources.items.id}/events", "data_selector": "events",
                       "paginator": "single_page",
                       "response_actions": [{"status_code": 404, "action": "ignore"}],
                       "params": {"from_seq": "{incremental.start_value}"},
                       "incremental": {"cursor_path": "seq", "initial_value": 1}}}


def _shared_cursor(config: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(config)  # the factory hands out the module's EVENTS itself
    config["resources"][1]["endpoint"]["incremental"]["per_parent"] = False
    return config


def test_incremental_on_a_child_resource_with_one_shared_cursor(tmp_path: Path) -> None:
    """A child with ``per_parent: false``: window in its params, rows filtered on one cursor, as dlt does it.

    dlt advances a child's cursor between parent records, so later parents lose rows below it: restloom
    hands the children on one parent at a time to get exactly that.
    """
    outcome = differential(_config(ITEMS, EVENTS), tmp_path=tmp_path, fan_out_paths=("/api/items",),
                           restloom_only=_shared_cursor)
    events = outcome.restloom.rows["events"]
    assert events
    assert report_of(outcome.restloom.source).stats("events").path == (
        "rows (incremental per_parent: false (one cursor for all parents))")
    assert all(row["seq"] >= 1 for row in events)
    child_queries = [dict(q) for path, entries in outcome.restloom.requests.items() if path.endswith("/events")
                     for _, q, _ in entries]
    assert child_queries[0] == {"from_seq": "1"}


def test_a_cursor_per_parent_asks_every_parent_from_initial_value_where_dlt_shares_one(tmp_path: Path) -> None:
    """The deliberate difference: by default each parent's events are asked from its own cursor (here
    ``initial_value``: a first run) and none is lost; dlt asks later parents from the cursor the earlier ones
    reached and drops their events below it."""
    outcome = differential(_config(ITEMS, EVENTS), tmp_path=tmp_path, compare=False)
    truth = outcome.api.children("items_events")
    queries = {path: [dict(q) for _, q, _ in entries] for path, entries in outcome.restloom.requests.items()
               if path.endswith("/events")}
    dlt_starts = {dict(q)["from_seq"] for path, entries in outcome.dlt.requests.items() if path.endswith("/events")
                  for _, q, _ in entries}
    assert queries == {f"/api/items/{item}/events": [{"from_seq": "1"}] for item in truth}
    assert sorted(row["id"] for row in outcome.restloom.rows["events"]) == sorted(
        e["id"] for item, events in truth.items() if item % 4 for e in events if e["seq"] >= 1)
    assert dlt_starts == {"1", "2"}  # dlt's shared cursor moved on after the first parent with seq 2
    assert len(outcome.dlt.rows["events"]) < len(outcome.restloom.rows["events"])


def test_a_cursor_per_parent_loads_what_dlt_loads_on_a_first_run(tmp_path: Path) -> None:
    """Where the parents' histories follow each other (each item's own record, cursor ``id``, filtered client
    side), a first run loads the same tables with the same requests as dlt's shared cursor."""
    item = {"name": "item", "endpoint": {"path": "items/{resources.items.id}", "paginator": "single_page",
                                         "data_selector": "$", "incremental": {"cursor_path": "id",
                                                                               "initial_value": 0}}}
    outcome = differential(_config(ITEMS, item), tmp_path=tmp_path, fan_out_paths=("/api/items",))
    assert len(outcome.restloom.rows["item"]) == 23
    assert report_of(outcome.restloom.source).stats("item").path == "columnar"


def test_a_cursor_per_parent_sends_the_window_dlt_sends_for_one_parent(tmp_path: Path) -> None:
    """One parent (the ledger's only account): the window in the request and the rows are dlt's."""
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return {"client": {"base_url": api.base_url, "paginator": "single_page"}, "resources": [
            {"name": "accounts", "endpoint": {"path": "accounts", "data_selector": "data"}},
            {"name": "entries", "endpoint": {"path": "accounts/{resources.accounts.id}/entries",
                                             "data_selector": "data", "incremental": {
                                                 "cursor_path": "at", "start_param": "since",
                                                 "initial_value": "2023-11-14T23:00:00Z"}}}]}
    outcome = differential(factory, tmp_path=tmp_path, api="ledger", size=1, seed=3)
    assert outcome.restloom.requests["/ledger/accounts/acc-1/entries"] == [
        ("GET", (("since", "2023-11-14T23:00:00Z"),), None)]
    assert [row["id"] for row in outcome.restloom.rows["entries"]] == ["acc-1-1", "acc-1-2"]
