"""The Zendesk Talk catalog connector against the simulated Zendesk Talk: exact rows, windows, faults."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from restloom.adapter.sync import SyncResult
from restloom.testing import SimulatedAPI, serve
from tests.catalog.conftest import Connector
from tests.catalog.helpers import Columns, assert_tables, faults, field, ts
from tests.conftest import Sync

STAMPED: Columns = {"id": field("id"), "name": field("name"), "updated_at": ts("updated_at")}
EXPORTED: Columns = {"id": field("id"), "duration": field("duration"), "updated_at": ts("updated_at")}
COLUMNS: dict[str, Columns] = {
    **dict.fromkeys(("addresses", "greeting_categories", "greetings", "phone_numbers", "ivrs"), STAMPED),
    "agents_activity": {"agent_id": field("agent_id"), "agent_state": field("agent_state"),
                        "calls_accepted": field("calls_accepted")},
    "agents_overview": {"total_calls_accepted": field("total_calls_accepted"),
                        "total_calls_denied": field("total_calls_denied")},
    "current_queue_activity": {"agents_online": field("agents_online"),
                               "calls_waiting": field("calls_waiting")},
    "account_overview": {"total_calls": field("total_calls"), "total_voicemails": field("total_voicemails")},
    "calls": EXPORTED, "call_legs": EXPORTED,
}
SNAPSHOTS = ("agents_overview", "current_queue_activity", "account_overview")
SIZES = {"addresses": 130, "calls": 1005}  # two list pages; two export pages (1000 + the rest)


def _truth(api: SimulatedAPI, snapshots: int = 1) -> dict[str, list[dict[str, Any]]]:
    truth = {name: api.records(name) for name in COLUMNS}
    for name in SNAPSHOTS:
        truth[name] = truth[name] * snapshots
    return truth


def _nested(result: SyncResult) -> tuple[list[Any], list[Any]]:
    """(IVR id, menu id, menu name) and (IVR id, menu id, route id, keypress) from the carried parent ids."""
    with result.pipeline.sql_client() as client:
        menus, routes = (client.make_qualified_table_name(t) for t in ("ivr_menus", "ivr_routes"))
        menu_rows = client.execute_sql(f"SELECT _ivrs_id, id, name FROM {menus}")
        route_rows = client.execute_sql(f"SELECT _ivrs_id, _menus_id, id, keypress FROM {routes}")
    return sorted(menu_rows), sorted(route_rows)


def _nested_truth(api: SimulatedAPI) -> tuple[list[Any], list[Any]]:
    ivrs = api.records("ivrs")
    menus = sorted((i["id"], m["id"], m["name"]) for i in ivrs for m in i["menus"])
    routes = sorted((i["id"], m["id"], r["id"], r["keypress"]) for i in ivrs for m in i["menus"] for r in m["routes"])
    return menus, routes


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _queries(api: SimulatedAPI, path: str) -> list[dict[str, str]]:
    return [r.query for r in api.requests if r.path == path]


def test_full_sync_lands_every_resource_exactly(run_sync: Sync, connector: Connector) -> None:
    """Basic email/token auth, next_page lists, one snapshot per stats object, IVR menus and routes linked
    to their parents, and exports that end on a short page."""
    with serve("zendesk_talk", size=24, seed=41, sizes=SIZES) as api:
        result = run_sync(connector("zendesk_talk", api))
        truth, nested = _truth(api), _nested_truth(api)
        auth_forms = {r.auth for r in api.requests}
        addresses, calls = _queries(api, "/v1/addresses"), _queries(api, "/v1/stats/incremental/calls")
    assert result.ok
    assert_tables(result, truth, COLUMNS)
    assert _nested(result) == nested
    assert len(nested[1]) > 24  # routes live under menus: the seed's ivrs.routes.* found none of these
    assert auth_forms == {"real"}
    assert addresses == [{"per_page": "100"}, {"per_page": "100", "page": "2"}]
    page_end = sorted(_epoch(c["updated_at"]) for c in truth["calls"])[999]
    assert calls == [{"start_time": "0"}, {"start_time": str(page_end)}]
    assert result.report.stats("calls").warnings == []


def test_incremental_exports_start_at_the_last_update(run_sync: Sync, connector: Connector) -> None:
    """Run 2 asks start_time=<newest updated_at>; updated and new calls merge; snapshots append."""
    with serve("zendesk_talk", size=24, seed=42) as api:
        run_sync(connector("zendesk_talk", api), pipeline_name="zd")
        last = {name: max(_epoch(r["updated_at"]) for r in api.records(name))
                for name in ("calls", "call_legs")}
        mutation = api.mutate(seed=1)
        api.clear_requests()
        second = run_sync(connector("zendesk_talk", api), pipeline_name="zd")
        truth, nested = _truth(api, snapshots=2), _nested_truth(api)
        windows = {"calls": _queries(api, "/v1/stats/incremental/calls"),
                   "call_legs": _queries(api, "/v1/stats/incremental/legs")}
    assert mutation.updated["calls"]
    assert mutation.added["calls"]
    assert windows == {name: [{"start_time": str(epoch)}] for name, epoch in last.items()}
    assert_tables(second, truth, COLUMNS)
    assert _nested(second) == nested


def test_faults_end_with_the_same_exact_rows(run_sync: Sync, connector: Connector) -> None:
    """503s, 429s, dropped connections and truncated bodies are retried until every table is exact."""
    with serve("zendesk_talk", size=24, seed=41, sizes=SIZES, faults=faults(seed=19)) as api:
        result = run_sync(connector("zendesk_talk", api))
        truth, nested = _truth(api), _nested_truth(api)
        injected = {r.fault for r in api.requests if r.fault}
    assert result.ok
    assert injected == {"503", "429", "drop", "truncate"}
    assert_tables(result, truth, COLUMNS)
    assert _nested(result) == nested
