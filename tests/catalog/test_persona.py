"""The Persona catalog connector against the simulated Persona: exact rows, re-sync after changes, faults."""

from __future__ import annotations

from typing import Any

from restloom.testing import SimulatedAPI, serve
from tests.catalog.conftest import Connector
from tests.catalog.helpers import Columns, assert_tables, faults, field, ts
from tests.conftest import Sync

LISTS = ("accounts", "cases", "api_keys", "api_logs", "events", "inquiries", "inquiry_sessions",
         "workflow_runs", "webhooks")
ROW: Columns = {"id": field("id"), "attributes__status": field("attributes.status"),
                "attributes__updated_at": ts("attributes.updated-at")}
COLUMNS = dict.fromkeys(LISTS, ROW)
SIZES = {"accounts": 130}  # more than one page of 100


def _truth(api: SimulatedAPI) -> dict[str, list[dict[str, Any]]]:
    return {name: api.records(name) for name in LISTS}


def _accounts(api: SimulatedAPI) -> list[dict[str, str]]:
    return [r.query for r in api.requests if r.path == "/accounts"]


def test_full_sync_lands_every_resource_exactly(run_sync: Sync, connector: Connector) -> None:
    """page[size]=100, page[after]=last id until the empty page; workflow runs load once, in one table."""
    with serve("persona", size=24, seed=51, sizes=SIZES) as api:
        result = run_sync(connector("persona", api))
        truth = _truth(api)
        accounts = _accounts(api)
        workflow_runs = [r.query for r in api.requests if r.path == "/workflow-runs"]
    assert result.ok
    assert_tables(result, truth, COLUMNS)
    ids = [r["id"] for r in truth["accounts"]]
    assert accounts == [{"page[size]": "100"}, {"page[size]": "100", "page[after]": ids[99]},
                        {"page[size]": "100", "page[after]": ids[129]}]
    assert workflow_runs == [{"page[size]": "100"},
                             {"page[size]": "100", "page[after]": truth["workflow_runs"][-1]["id"]}]
    assert sorted(result.landed) == sorted(LISTS)


def test_second_run_merges_updates_and_new_records(run_sync: Sync, connector: Connector) -> None:
    """Persona has no time filter here: run 2 reads every list again and merges to the changed data."""
    with serve("persona", size=24, seed=52) as api:
        run_sync(connector("persona", api), pipeline_name="ps")
        mutation = api.mutate(seed=1)
        api.clear_requests()
        second = run_sync(connector("persona", api), pipeline_name="ps")
        truth = _truth(api)
        accounts = _accounts(api)
    assert mutation.updated["accounts"]
    assert mutation.added["accounts"]
    last = truth["accounts"][-1]["id"]
    assert accounts == [{"page[size]": "100"}, {"page[size]": "100", "page[after]": last}]
    assert_tables(second, truth, COLUMNS)


def test_faults_end_with_the_same_exact_rows(run_sync: Sync, connector: Connector) -> None:
    """503s, 429s, dropped connections and truncated bodies are retried until every table is exact."""
    with serve("persona", size=24, seed=51, sizes=SIZES, faults=faults(seed=19)) as api:
        result = run_sync(connector("persona", api))
        truth = _truth(api)
        injected = {r.fault for r in api.requests if r.fault}
    assert result.ok
    assert injected == {"503", "429", "drop", "truncate"}
    assert_tables(result, truth, COLUMNS)
