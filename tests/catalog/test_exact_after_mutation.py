"""Every catalog connector after the service changed: first run, mutate, second run, every table exact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from restloom.testing import SimulatedAPI, serve
from tests.catalog.conftest import Connector
from tests.catalog.exact import assert_exact
from tests.catalog.helpers import children_rows
from tests.conftest import Sync

Record = dict[str, Any]
Truth = dict[str, list[Record]]


def _lists(api: SimulatedAPI, *names: str) -> Truth:
    return {name: api.records(name) for name in names}


def _persona(api: SimulatedAPI) -> Truth:
    return _lists(api, "accounts", "cases", "api_keys", "api_logs", "events", "inquiries", "inquiry_sessions",
                  "workflow_runs", "webhooks")


def _opsgenie(api: SimulatedAPI) -> Truth:
    truth = _lists(api, "users", "teams", "services", "integrations", "incidents", "alerts")
    for child, parent in (("user_teams", "_users_id"), ("alert_recipients", "_alerts_id"),
                          ("alert_logs", "_alerts_id")):
        truth[child] = children_rows(api.children(child), parent)
    return truth


def _easypost(api: SimulatedAPI) -> Truth:
    return _lists(api, "batches", "addresses", "trackers", "end_shippers", "webhooks", "users_children",
                  "metadata_carriers", "carrier_accounts", "api_keys")


def _yousign(api: SimulatedAPI) -> Truth:
    truth = _lists(api, "signature_requests", "contacts", "users", "workspaces", "electronic_seal_images",
                   "templates", "labels")
    followers = api.children("signature_requests_followers")
    truth["signature_requests_followers"] = children_rows(followers, "_signature_requests_id")
    return truth


def _zendesk_talk(api: SimulatedAPI) -> Truth:
    """Lists, exports, IVR menus and routes with their parents' ids; stats snapshots once per run (two runs)."""
    truth = _lists(api, "addresses", "greeting_categories", "greetings", "phone_numbers", "ivrs",
                   "agents_activity", "calls", "call_legs")
    for snapshot in ("agents_overview", "current_queue_activity", "account_overview"):
        truth[snapshot] = api.records(snapshot) * 2
    ivrs = truth["ivrs"]
    truth["ivr_menus"] = [{**m, "_ivrs_id": i["id"]} for i in ivrs for m in i["menus"]]
    truth["ivr_routes"] = [{**r, "_ivrs_id": i["id"], "_menus_id": m["id"]}
                           for i in ivrs for m in i["menus"] for r in m["routes"]]
    return truth


TRUTH: dict[str, Callable[[SimulatedAPI], Truth]] = {
    "persona": _persona, "opsgenie": _opsgenie, "easypost": _easypost, "yousign": _yousign,
    "zendesk_talk": _zendesk_talk,
}


@pytest.mark.parametrize("name", list(TRUTH))
def test_second_run_after_changes_leaves_every_table_exact(name: str, run_sync: Sync, connector: Connector) -> None:
    """After the service edits and adds records, the default second run leaves no stale or missing row."""
    with serve(name, size=12, seed=7) as api:
        first = run_sync(connector(name, api), pipeline_name="exact")
        mutation = api.mutate(seed=2)
        second = run_sync(connector(name, api), pipeline_name="exact")
        truth = TRUTH[name](api)
    assert first.ok
    assert second.ok
    assert any(mutation.updated.values())
    assert any(mutation.added.values())
    assert_exact(second, truth)
