"""The EasyPost catalog connector against the simulated EasyPost: exact rows, windows, faults."""

from __future__ import annotations

from typing import Any

from restloom.testing import FaultPlan, SimulatedAPI, serve
from tests.catalog.conftest import Connector
from tests.catalog.helpers import Columns, assert_tables, expected, faults, field, rows, ts
from tests.conftest import Sync

PAGED = ("batches", "addresses", "trackers", "end_shippers", "webhooks")
LIST_COLUMNS: Columns = {"id": field("id"), "mode": field("mode"), "updated_at": ts("updated_at")}
COLUMNS: dict[str, Columns] = {
    **dict.fromkeys((*PAGED, "users_children"), LIST_COLUMNS),
    "metadata_carriers": {"name": field("name"), "human_readable": field("human_readable")},
    "carrier_accounts": {"id": field("id"), "mode": field("mode"), "readable": field("readable")},
    "api_keys": {"id": field("id")},
}
SIZES = {"batches": 130}  # more than one page of 100


def _truth(api: SimulatedAPI) -> dict[str, list[dict[str, Any]]]:
    return {name: api.records(name) for name in COLUMNS}


def _queries(api: SimulatedAPI, path: str) -> list[dict[str, str]]:
    return [r.query for r in api.requests if r.path == path]


def test_full_sync_lands_every_resource_exactly(run_sync: Sync, connector: Connector) -> None:
    """Basic auth with an empty password, page_size=100 + before_id, carriers by name, root selectors."""
    with serve("easypost", size=24, seed=21, sizes=SIZES) as api:
        result = run_sync(connector("easypost", api))
        truth = _truth(api)
        auth_forms = {r.auth for r in api.requests}
        batches = _queries(api, "/v2/batches")
    assert result.ok
    assert_tables(result, truth, COLUMNS)
    assert auth_forms == {"seed"}  # the simulation names EasyPost's one accepted form "seed"
    assert batches == [{"page_size": "100"}, {"page_size": "100", "before_id": truth["batches"][99]["id"]}]
    assert len(truth["metadata_carriers"]) == 8


def test_second_run_reads_everything_and_replaces(run_sync: Sync, connector: Connector) -> None:
    """EasyPost filters only on creation time: run 2 reads every list in full (no start_datetime), so edits land."""
    with serve("easypost", size=24, seed=22) as api:
        run_sync(connector("easypost", api), pipeline_name="ep")
        mutation = api.mutate(seed=1)
        api.clear_requests()
        second = run_sync(connector("easypost", api), pipeline_name="ep")
        truth = _truth(api)
        queries = {name: _queries(api, f"/v2/{name}") for name in PAGED}
    assert queries == {name: [{"page_size": "100"}] for name in PAGED}  # one full page each, no window
    for name in PAGED:
        assert len(mutation.updated[name]) == 2, name
        assert len(mutation.added[name]) == 1, name
    assert_tables(second, truth, COLUMNS)


def test_a_failed_full_read_leaves_its_table_as_it_was(run_sync: Sync, connector: Connector) -> None:
    """A replace resource that fails (first page or later) is merged, not truncated; the next run replaces."""
    with serve("easypost", size=24, seed=23, sizes=SIZES) as api:
        run_sync(connector("easypost", api), pipeline_name="ep")
        before = _truth(api)
        api.mutate(seed=1)
        seen = {path: len(_queries(api, path)) for path in ("/v2/addresses", "/v2/batches")}  # counters run on
        api.set_faults(FaultPlan(schedule={("/v2/addresses", seen["/v2/addresses"] + n): "503" for n in range(1, 7)}
                                 | {("/v2/batches", seen["/v2/batches"] + n): "503" for n in range(2, 8)}))
        failed = run_sync(connector("easypost", api), pipeline_name="ep")
        api.set_faults(None)
        truth = _truth(api)
        batches = rows(failed, "batches", ["id", "mode"])
        addresses = rows(failed, "addresses", list(LIST_COLUMNS))
        third = run_sync(connector("easypost", api), pipeline_name="ep")
    # batches: the first page (100 newest, the new ones among them) merged over run 1's rows, page 2 failed
    merged = {r["id"]: r["mode"] for r in before["batches"]} | {r["id"]: r["mode"] for r in truth["batches"][:100]}
    assert sorted(s.name for s in failed.report.failed) == ["addresses", "batches"]
    assert addresses == expected(before["addresses"], LIST_COLUMNS)  # failed on its first page: untouched
    assert batches == sorted(merged.items(), key=repr)
    assert len(merged) > len(before["batches"])
    assert third.ok
    assert_tables(third, truth, COLUMNS)


def test_faults_end_with_the_same_exact_rows(run_sync: Sync, connector: Connector) -> None:
    """503s, 429s, dropped connections and truncated bodies are retried until every table is exact."""
    with serve("easypost", size=24, seed=21, sizes=SIZES, faults=faults(seed=19)) as api:
        result = run_sync(connector("easypost", api))
        truth = _truth(api)
        injected = {r.fault for r in api.requests if r.fault}
    assert result.ok
    assert injected == {"503", "429", "drop", "truncate"}
    assert_tables(result, truth, COLUMNS)
