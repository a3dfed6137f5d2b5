"""A child with ``incremental`` keeps a cursor per parent: a new parent gets its whole history.

The ledger API: accounts, and per account entries filtered by ``since``; an account added later has
entries older than the newest entries of the accounts before it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import dlt

from restloom.adapter.perparent import STATE_KEY
from restloom.adapter.state import describe_states, reset, resource_states
from restloom.testing import FaultPlan, SimulatedAPI, serve
from tests.conftest import Sync, table_rows

INITIAL = "2020-01-01T00:00:00Z"
KEY = '{{"resources.accounts.id":"{}"}}'


def _config(api: SimulatedAPI, **incremental: Any) -> dict[str, Any]:
    return {"client": {"base_url": api.base_url, "paginator": "single_page"}, "resources": [
        {"name": "accounts", "primary_key": "id", "write_disposition": "replace",
         "endpoint": {"path": "accounts", "data_selector": "data"}},
        {"name": "entries", "primary_key": "id", "write_disposition": "merge", "include_from_parent": ["id"],
         "endpoint": {"path": "accounts/{resources.accounts.id}/entries", "data_selector": "data",
                      "incremental": {"cursor_path": "at", "start_param": "since", "initial_value": INITIAL,
                                      **incremental}}},
    ]}


def _since(api: SimulatedAPI) -> dict[str, str]:
    """account id -> the ``since`` its entries were asked from (the latest request of each)."""
    return {r.path.split("/")[3]: r.query["since"] for r in api.requests if r.path.endswith("/entries")}


def _grow(api: SimulatedAPI) -> list[str]:
    """New entries for every account there is, then one new account (older history): its id."""
    for position, account in enumerate(api.records("accounts")):
        api.set_field("accounts", position, "entry_count", account["entry_count"] + 2)
    added = api.mutate().added["accounts"]
    return list(added)


def _entry_ids(result: Any) -> list[str]:
    return sorted(row[0] for row in table_rows(result, "entries", "id"))


def _truth(api: SimulatedAPI) -> list[str]:
    return sorted(entry["id"] for entries in api.children("entries").values() for entry in entries)


def test_each_parent_is_asked_from_its_own_cursor_and_a_new_one_from_initial_value(run_sync: Sync) -> None:
    """Run 1 reads accounts A and B; then both get new entries and a new account C appears whose history is
    older than A's and B's newest entries: run 2 asks A and B from their own last values, C from
    initial_value, and the table equals the service's entries."""
    with serve("ledger", size=2, seed=3) as api:
        first = run_sync(_config(api), pipeline_name="p")
        since_1, loaded_1 = _since(api), _entry_ids(first)
        last = _last_values(api)
        [new] = _grow(api)
        api.clear_requests()
        second = run_sync(_config(api), pipeline_name="p")
        since_2 = _since(api)
        truth, final = _truth(api), _last_values(api)
        history = [e["at"] for e in api.children("entries")[new]]
    assert first.ok and second.ok
    assert since_1 == {"acc-1": INITIAL, "acc-2": INITIAL}
    assert min(history) < min(last.values())  # the new account's history is older than the others' cursors
    assert since_2 == {"acc-1": last["acc-1"], "acc-2": last["acc-2"], new: INITIAL}
    assert _entry_ids(second) == truth
    assert loaded_1 == sorted(f"acc-{n}-{k}" for n in (1, 2) for k in range(3))
    # only the new entries loaded: the boundary entries of A and B (asked again, `since` is inclusive) were
    # dropped by the boundary deduplication of their own cursors
    assert second.loaded["entries"] == len(truth) - len(loaded_1)
    assert resource_states(second.pipeline)["entries"] == {"at": {
        "per_parent": 3, "last_values": {KEY.format(account): value for account, value in final.items()}}}


def _last_values(api: SimulatedAPI) -> dict[str, str]:
    return {account: max(e["at"] for e in entries) for account, entries in api.children("entries").items()}
