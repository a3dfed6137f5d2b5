"""The EasyPost catalog connector against the simulated EasyPost: exact rows, windows, faults."""

from __future__ import annotations

from typing import Any

from restloom.testing import SimulatedAPI, serve
from tests.catalog.conftest import Connector
from tests.catalog.helpers import Columns, assert_tables, faults, field, ts
from tests.conftest import Sync

PAGED = ("batches", "addresses", "trackers", "end_shippers", "webhooks", "users_children")
INCREMENTAL = ("batches", "addresses", "trackers")
LIST_COLUMNS: Columns = {"id": field("id"), "mode": field("mode"), "updated_at": ts("updated_at")}
COLUMNS: dict[str, Columns] = {
    **dict.fromkeys(PAGED, LIST_COLUMNS),
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


def test_incremental_run_asks_from_the_last_creation_time(run_sync: Sync, connector: Connector) -> None:
    """Run 2 sends start_datetime=<newest created_at>; new records land, edits wait for a full refresh."""
    with serve("easypost", size=24, seed=22) as api:
        run_sync(connector("easypost", api), pipeline_name="ep")
        before = _truth(api)
        mutation = api.mutate(seed=1)
        api.clear_requests()
        second = run_sync(connector("easypost", api), pipeline_name="ep")
        truth = _truth(api)
        windows = {name: _queries(api, f"/v2/{name}") for name in INCREMENTAL}
        others = _queries(api, "/v2/webhooks")
    for name in INCREMENTAL:
        newest = max(r["created_at"] for r in before[name])
        assert windows[name] == [{"page_size": "100", "start_datetime": newest}], name
        added = [r for r in truth[name] if r["id"] in mutation.added[name]]
        assert len(added) == 1, name
        assert len(mutation.updated[name]) == 2, name
        truth[name] = [*before[name], *added]  # EasyPost filters on creation time: edits are not re-read
    assert others == [{"page_size": "100"}]
    assert_tables(second, truth, COLUMNS)


def test_faults_end_with_the_same_exact_rows(run_sync: Sync, connector: Connector) -> None:
    """503s, 429s, dropped connections and truncated bodies are retried until every table is exact."""
    with serve("easypost", size=24, seed=21, sizes=SIZES, faults=faults(seed=19)) as api:
        result = run_sync(connector("easypost", api))
        truth = _truth(api)
        injected = {r.fault for r in api.requests if r.fault}
    assert result.ok
    assert injected == {"503", "429", "drop", "truncate"}
    assert_tables(result, truth, COLUMNS)
