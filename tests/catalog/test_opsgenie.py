"""The Opsgenie catalog connector against the simulated Opsgenie: exact rows, windows, faults."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from restloom.testing import FaultPlan, SimulatedAPI, serve
from tests.catalog.conftest import Connector
from tests.catalog.helpers import Columns, assert_tables, children_rows, faults, field, ts
from tests.conftest import Sync

LISTS = ("users", "teams", "services", "integrations", "incidents", "alerts")
COLUMNS: dict[str, Columns] = {
    "users": {"id": field("id"), "full_name": field("fullName")},
    "teams": {"id": field("id"), "name": field("name")},
    "services": {"id": field("id"), "name": field("name")},
    "integrations": {"id": field("id"), "name": field("name")},
    "incidents": {"id": field("id"), "message": field("message"), "updated_at": ts("updatedAt")},
    "alerts": {"id": field("id"), "status": field("status"), "count": field("count"),
               "updated_at": ts("updatedAt")},
    "user_teams": {"_users_id": field("_users_id"), "id": field("id"), "name": field("name")},
    "alert_recipients": {"_alerts_id": field("_alerts_id"), "user__id": field("user.id"),
                         "state": field("state"), "updated_at": ts("updatedAt")},
    "alert_logs": {"_alerts_id": field("_alerts_id"), "offset": field("offset"), "log": field("log")},
}
SIZES = {"incidents": 130}  # more than one page of 100


def _truth(api: SimulatedAPI) -> dict[str, list[dict[str, Any]]]:
    truth = {name: api.records(name) for name in LISTS}
    truth["user_teams"] = children_rows(api.children("user_teams"), "_users_id")
    truth["alert_recipients"] = children_rows(api.children("alert_recipients"), "_alerts_id")
    truth["alert_logs"] = children_rows(api.children("alert_logs"), "_alerts_id")
    return truth


def _queries(api: SimulatedAPI, path: str) -> list[dict[str, str]]:
    return [r.query for r in api.requests if r.path == path]


def test_full_sync_lands_every_resource_exactly(run_sync: Sync, connector: Connector) -> None:
    """GenieKey auth, limit=100 then paging.next, unpaged teams, and the three child streams land exactly."""
    with serve("opsgenie", size=24, seed=11, sizes=SIZES) as api:
        result = run_sync(connector("opsgenie", api))
        truth = _truth(api)
        auth_forms = {r.auth for r in api.requests}
        incidents, teams = _queries(api, "/v1/incidents"), _queries(api, "/v2/teams")
        child_paths = sorted(r.path for r in api.requests if r.path.count("/") == 4)
    assert result.ok
    assert_tables(result, truth, COLUMNS)
    assert auth_forms == {"real"}
    assert incidents == [{"limit": "100"}, {"limit": "100", "offset": "100"}]
    assert teams == [{}]
    assert child_paths == sorted(
        [f"/v2/users/{u['id']}/teams" for u in truth["users"]]
        + [f"/v2/alerts/{a['id']}/{kind}" for a in truth["alerts"] for kind in ("recipients", "logs")])
    assert len(truth["alert_recipients"]) > 24  # several children per parent: the fan-out is real


def _epoch_ms(iso: str) -> int:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return int(moment.timestamp()) * 1000 + moment.microsecond // 1000


def test_incremental_alerts_ask_opsgenie_for_the_window(run_sync: Sync, connector: Connector) -> None:
    """Run 2 asks query=updatedAt>=<last updatedAt in ms>; only changed alerts fan out; tables exact."""
    with serve("opsgenie", size=24, seed=12) as api:
        first = run_sync(connector("opsgenie", api), pipeline_name="og")
        first_alerts = _queries(api, "/v2/alerts")
        last = max(_epoch_ms(a["updatedAt"]) for a in api.records("alerts"))
        mutation = api.mutate(seed=1)
        api.clear_requests()
        second = run_sync(connector("opsgenie", api), pipeline_name="og")
        truth = _truth(api)
        alerts = _queries(api, "/v2/alerts")
        recipient_paths = sorted(r.path for r in api.requests if r.path.endswith("/recipients"))
    changed = [*mutation.updated["alerts"], *mutation.added["alerts"]]
    assert first.ok
    assert first_alerts == [{"limit": "100", "query": "updatedAt>=0"}]
    assert alerts == [{"limit": "100", "query": f"updatedAt>={last}"}]
    assert len(changed) == 3
    assert recipient_paths == sorted(f"/v2/alerts/{alert_id}/recipients" for alert_id in changed)
    assert_tables(second, truth, COLUMNS)


def test_faults_end_with_the_same_exact_rows(run_sync: Sync, connector: Connector) -> None:
    """503s, 429s, dropped connections and truncated bodies are retried until every table is exact."""
    with serve("opsgenie", size=24, seed=11, sizes=SIZES, faults=faults(seed=1)) as api:
        result = run_sync(connector("opsgenie", api))
        truth = _truth(api)
        injected = {r.fault for r in api.requests if r.fault}
    assert result.ok
    assert injected == {"503", "429", "drop", "truncate"}
    assert_tables(result, truth, COLUMNS)


def test_a_failed_child_holds_the_parent_cursor_until_it_loads(run_sync: Sync, connector: Connector) -> None:
    """Six 503s on one alert's logs fail alert_logs; the alerts cursor stays, so the next run refetches every
    alert with its logs and the table ends exact; the run after that asks only from the new cursor."""
    with serve("opsgenie", size=12, seed=11) as api:
        alerts = api.records("alerts")
        poisoned = f"/v2/alerts/{alerts[3]['id']}/logs"
        api.set_faults(FaultPlan(schedule={(poisoned, n): "503" for n in range(1, 7)}))
        first = run_sync(connector("opsgenie", api), pipeline_name="og")
        api.set_faults(None)
        api.clear_requests()
        second = run_sync(connector("opsgenie", api), pipeline_name="og")
        second_alerts, second_logs = _queries(api, "/v2/alerts"), _log_paths(api)
        api.clear_requests()
        third = run_sync(connector("opsgenie", api), pipeline_name="og")
        third_alerts, third_logs = _queries(api, "/v2/alerts"), _log_paths(api)
        truth = _truth(api)
    last = max(_epoch_ms(a["updatedAt"]) for a in alerts)
    assert [s.name for s in first.report.failed] == ["alert_logs"]
    assert first.landed["alert_logs"] < len(truth["alert_logs"])
    assert second.ok
    assert third.ok
    assert second_alerts == [{"limit": "100", "query": "updatedAt>=0"}]
    assert second_logs == sorted(f"/v2/alerts/{a['id']}/logs" for a in alerts)
    assert third_alerts == [{"limit": "100", "query": f"updatedAt>={last}"}]
    assert third_logs == []
    assert_tables(third, truth, COLUMNS)
    assert first.report.stats("alerts").warnings == [
        "cursor kept at its value from before this run: child resource 'alert_logs' failed, so the next run "
        "reads these records again, with their children"]


def _log_paths(api: SimulatedAPI) -> list[str]:
    return sorted(r.path for r in api.requests if r.path.endswith("/logs"))
