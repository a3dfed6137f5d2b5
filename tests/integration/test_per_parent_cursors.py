"""A child with ``incremental`` keeps a cursor per parent: a new parent gets its whole history.

The ledger API: accounts, and per account entries filtered by ``since``; an account added later has
entries older than the newest entries of the accounts before it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt

from restloom.adapter.perparent import STATE_KEY
from restloom.adapter.state import describe_states, reset, resource_states
from restloom.cli.describe import describe_config
from restloom.config import parse
from restloom.testing import FaultPlan, SimulatedAPI, serve
from tests.conftest import Sync, table_rows
from tests.integration.commands import restloom_command

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
    assert first.ok
    assert second.ok
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


def test_with_one_shared_cursor_a_new_parent_loses_its_older_history_as_in_dlt(run_sync: Sync) -> None:
    """The same scenario with ``per_parent: false`` (dlt's single cursor): run 2 asks every account (one
    parent page) from the one cursor run 1 reached, so the new account's entries older than it never load."""
    with serve("ledger", size=2, seed=3) as api:
        run_sync(_config(api, per_parent=False), pipeline_name="p")
        last = _last_values(api)
        [new] = _grow(api)
        api.clear_requests()
        second = run_sync(_config(api, per_parent=False), pipeline_name="p")
        since = _since(api)
        history = api.children("entries")[new]
        truth = _truth(api)
    lost = {e["id"] for e in history if e["at"] < since[new]}
    assert set(since.values()) == {max(last.values())}
    assert lost  # the new account's older history
    assert _entry_ids(second) == sorted(set(truth) - lost)
    assert "incremental" in second.pipeline.state["sources"]["rest_api"]["resources"]["entries"]
    assert STATE_KEY not in second.pipeline.state["sources"]["rest_api"]["resources"]["entries"]


def test_the_window_placeholder_and_lookback_are_per_parent(run_sync: Sync) -> None:
    """``{incremental.start_value}`` in a child param is each parent's own start; ``lookback`` moves each
    parent's start back from its own last value (and the re-read entries merge once)."""
    with serve("ledger", size=2, seed=3) as api:
        config = _config(api, lookback=7200)
        del config["resources"][1]["endpoint"]["incremental"]["start_param"]
        config["resources"][1]["endpoint"]["params"] = {"since": "{incremental.start_value}"}
        run_sync(config, pipeline_name="p")
        last = _last_values(api)
        [new] = _grow(api)
        api.clear_requests()
        second = run_sync(config, pipeline_name="p")
        since, truth = _since(api), _truth(api)
    two_hours_before = {account: _iso(_epoch(value) - 7200) for account, value in last.items()}
    assert since == {**two_hours_before, new: INITIAL}
    assert _entry_ids(second) == truth
    assert table_rows(second, "entries", "COUNT(*)") == [(len(truth),)]


def _epoch(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_failed_child_holds_only_its_parents_entry(run_sync: Sync) -> None:
    """The entries of the last account fail (retries exhausted): the accounts read before it advance, its
    own entry stays; the next run asks it from its old value and the table ends exact."""
    with serve("ledger", size=3, seed=3) as api:
        run_sync(_config(api), pipeline_name="p")
        before = _last_values(api)
        _grow(api)
        api.clear_requests()
        api.set_faults(FaultPlan(schedule={("/ledger/accounts/acc-3/entries", n): "503" for n in range(1, 30)}))
        failed = run_sync(_config(api), pipeline_name="p")
        api.set_faults(None)
        grown = _last_values(api)
        state = resource_states(failed.pipeline)["entries"]["at"]["last_values"]
        api.clear_requests()
        third = run_sync(_config(api), pipeline_name="p")
        since, truth = _since(api), _truth(api)
    assert [s.name for s in failed.report.failed] == ["entries"]
    assert state == {KEY.format("acc-1"): grown["acc-1"], KEY.format("acc-2"): grown["acc-2"],
                     KEY.format("acc-3"): before["acc-3"]}
    assert {k: v for k, v in since.items() if k in before} == {"acc-1": grown["acc-1"], "acc-2": grown["acc-2"],
                                                                "acc-3": before["acc-3"]}
    assert third.ok
    assert _entry_ids(third) == truth


def test_the_cursors_travel_with_the_destination(run_sync: Sync, tmp_path: Path) -> None:
    """The per-parent entries are dlt state committed with the data: with the local pipeline gone, the
    next run restores them from the DuckDB destination and asks each account from its own value."""
    with serve("ledger", size=2, seed=3) as api:
        run_sync(_config(api), pipeline_name="p")
        last = _last_values(api)
        shutil.rmtree(tmp_path / "pipelines" / "p")
        api.clear_requests()
        again = run_sync(_config(api), pipeline_name="p")
        since = _since(api)
    assert since == last
    assert again.loaded.get("entries", 0) == 0
    with dlt.pipeline(pipeline_name="p", pipelines_dir=str(tmp_path / "pipelines")).sql_client() as client:
        [[stored]] = client.execute_sql("SELECT COUNT(*) FROM _dlt_pipeline_state")
    assert stored >= 1


def test_state_show_and_reset_cover_the_cursors_per_parent(run_sync: Sync) -> None:
    """``describe_states`` lists the count and the first entries; ``reset`` forgets every entry, so the next
    run asks each account from initial_value again."""
    with serve("ledger", size=5, seed=3) as api:
        first = run_sync(_config(api), pipeline_name="p")
        last = _last_values(api)
        lines = describe_states(resource_states(first.pipeline), ["accounts", "entries"])
        assert reset(first.pipeline, ["entries"]) == ["entries"]
        api.clear_requests()
        run_sync(_config(api), pipeline_name="p")
        since = _since(api)
    shown = ", ".join(f"{KEY.format(f'acc-{n}')} last_value={last[f'acc-{n}']!r}" for n in (1, 2, 3))
    assert lines == ["accounts: no cursor stored", f"entries: at per parent, 5 parents: {shown} (and 2 more)"]
    assert since == dict.fromkeys(last, INITIAL)


def test_check_says_which_children_keep_a_cursor_per_parent() -> None:
    with serve("ledger", size=1) as api:
        shared = _config(api, per_parent=False)
        shared["resources"].append({**_config(api)["resources"][1], "name": "own"})
        report = describe_config(parse(shared))
    assert "  incremental on at\n" in report
    assert "  incremental on at (one cursor per parent)" in report


def test_restloom_state_show_and_reset_on_the_command_line(tmp_path: Path) -> None:
    """``restloom state show`` prints the per-parent cursors, ``state reset --resource entries`` clears them."""
    def restloom(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "RESTLOOM_RETRY_WAIT_SCALE": "0"}
        return subprocess.run([restloom_command(), *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    with serve("ledger", size=2, seed=3) as api:
        (tmp_path / "ledger.json").write_text(json.dumps(_config(api)), encoding="utf-8")
        ran = restloom("run", "ledger.json")
        last = _last_values(api)
        shown = restloom("state", "show", "ledger.json")
        cleared = restloom("state", "reset", "ledger.json", "--resource", "entries")
        after = restloom("state", "show", "ledger.json")
    assert ran.returncode == 0, ran.stderr
    entries = ", ".join(f"{KEY.format(account)} last_value={value!r}" for account, value in last.items())
    assert shown.stdout.splitlines() == ["accounts: no cursor stored", f"entries: at per parent, 2 parents: {entries}"]
    assert cleared.stdout.strip() == "reset: entries"
    assert after.stdout.splitlines() == ["accounts: no cursor stored", "entries: no cursor stored"]
