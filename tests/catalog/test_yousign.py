"""The Yousign catalog connector against the simulated Yousign: exact rows, client-side windows, faults."""

from __future__ import annotations

from typing import Any

from restloom.testing import FaultPlan, SimulatedAPI, serve
from restloom.testing.vendors.yousign import decode_cursor
from tests.catalog.conftest import Connector
from tests.catalog.helpers import Columns, assert_tables, children_rows, faults, field, ts
from tests.conftest import Sync

LISTS = ("signature_requests", "contacts", "users", "workspaces", "electronic_seal_images", "templates",
         "labels")
NAMED: Columns = {"id": field("id"), "name": field("name"), "created_at": ts("created_at")}
PEOPLE: Columns = {"id": field("id"), "last_name": field("last_name"), "created_at": ts("created_at")}
COLUMNS: dict[str, Columns] = {
    "signature_requests": {"id": field("id"), "status": field("status"), "created_at": ts("created_at")},
    "contacts": PEOPLE, "users": PEOPLE,
    **dict.fromkeys(("workspaces", "electronic_seal_images", "templates", "labels"), NAMED),
    "signature_requests_followers": {"_signature_requests_id": field("_signature_requests_id"),
                                     "email": field("email"), "locale": field("locale")},
}
SIZES = {"contacts": 130}  # more than one page of 100


def _truth(api: SimulatedAPI) -> dict[str, list[dict[str, Any]]]:
    truth = {name: api.records(name) for name in LISTS}
    followers = api.children("signature_requests_followers")
    truth["signature_requests_followers"] = children_rows(followers, "_signature_requests_id")
    return truth


def _follower_paths(api: SimulatedAPI) -> list[str]:
    return sorted(r.path for r in api.requests if r.path.endswith("/followers"))


def test_full_sync_lands_every_resource_exactly(run_sync: Sync, connector: Connector) -> None:
    """limit=100 + the opaque after cursor; every follower lands once, keyed by its request and email."""
    with serve("yousign", size=24, seed=31, sizes=SIZES) as api:
        result = run_sync(connector("yousign", api))
        truth = _truth(api)
        contacts = [r.query for r in api.requests if r.path == "/v3/contacts"]
        follower_paths = _follower_paths(api)
    assert result.ok
    assert_tables(result, truth, COLUMNS)
    assert [q["limit"] for q in contacts] == ["100", "100"]
    assert "after" not in contacts[0]
    assert decode_cursor(contacts[1]["after"]) == truth["contacts"][99]["id"]
    assert follower_paths == sorted(f"/v3/signature_requests/{r['id']}/followers"
                                    for r in truth["signature_requests"])
    assert len(truth["signature_requests_followers"]) > 24


def test_second_run_reads_everything_and_replaces(run_sync: Sync, connector: Connector) -> None:
    """Yousign has no date filter: run 2 reads every list and every request's followers, so edits land."""
    with serve("yousign", size=24, seed=32) as api:
        run_sync(connector("yousign", api), pipeline_name="ys")
        mutation = api.mutate(seed=1)
        api.clear_requests()
        second = run_sync(connector("yousign", api), pipeline_name="ys")
        truth = _truth(api)
        lists = sorted((r.path, tuple(sorted(r.query))) for r in api.requests if r.path.count("/") == 2)
        follower_paths = _follower_paths(api)
    assert lists == sorted((f"/v3/{name}", ("limit",)) for name in LISTS)
    assert follower_paths == sorted(f"/v3/signature_requests/{r['id']}/followers"
                                    for r in truth["signature_requests"])
    for name in LISTS:
        assert len(mutation.updated[name]) == 2, name
        assert len(mutation.added[name]) == 1, name
    assert_tables(second, truth, COLUMNS)


def test_a_failed_follower_request_keeps_the_followers_table(run_sync: Sync, connector: Connector) -> None:
    """Six 503s on one old request's followers fail the child: the table is merged (those followers stay
    from run 1), not replaced by a partial read."""
    with serve("yousign", size=12, seed=33) as api:
        run_sync(connector("yousign", api), pipeline_name="ys")
        followed = next(key for key, items in api.children("signature_requests_followers").items() if items)
        api.mutate(seed=1)
        poisoned = f"/v3/signature_requests/{followed}/followers"
        seen = _follower_paths(api).count(poisoned)  # the fault plan counts requests per path from the start
        api.set_faults(FaultPlan(schedule={(poisoned, seen + n): "503" for n in range(1, 7)}))
        failed = run_sync(connector("yousign", api), pipeline_name="ys")
        truth = _truth(api)
    assert [s.name for s in failed.report.failed] == ["signature_requests_followers"]
    assert_tables(failed, truth, COLUMNS)


def test_faults_end_with_the_same_exact_rows(run_sync: Sync, connector: Connector) -> None:
    """503s, 429s, dropped connections and truncated bodies are retried until every table is exact."""
    with serve("yousign", size=24, seed=31, sizes=SIZES, faults=faults(seed=3)) as api:
        result = run_sync(connector("yousign", api))
        truth = _truth(api)
        injected = {r.fault for r in api.requests if r.fault}
    assert result.ok
    assert injected == {"503", "429", "drop", "truncate"}
    assert_tables(result, truth, COLUMNS)
