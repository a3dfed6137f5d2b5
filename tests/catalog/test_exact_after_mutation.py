"""Every catalog connector after the service changed: first run, mutate, second run, every table exact."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from restloom.adapter.sync import SyncResult
from restloom.testing import SimulatedAPI, serve
from tests.catalog.conftest import Connector
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


def _loaded(result: SyncResult, table: str) -> tuple[list[Record], dict[str, str]]:
    """Every row of ``table`` without dlt's own columns, and each column's data type."""
    columns = {name: str(column.get("data_type")) for name, column in
               result.pipeline.default_schema.get_table_columns(table).items() if not name.startswith("_dlt_")}
    with result.pipeline.sql_client() as client:
        names = list(columns)
        selected = ", ".join(f'"{c}"' for c in names)
        rows = client.execute_sql(f"SELECT {selected} FROM {client.make_qualified_table_name(table)}")
    return [dict(zip(names, row, strict=True)) for row in rows], columns


def _flat(record: Record, columns: dict[str, str], normalize: Callable[[str], str], prefix: str = "") -> Record:
    """``record`` as dlt loads it: nested objects flattened to ``a__b``, lists left to child tables unless
    the table keeps them as a JSON column."""
    flat: Record = {}
    for key, value in record.items():
        name = prefix + normalize(key)
        if name in columns:
            flat[name] = value
        elif isinstance(value, dict):
            flat.update(_flat(value, columns, normalize, f"{name}__"))
        elif not isinstance(value, list):
            flat[name] = value  # a scalar without a column: only all-null fields may be missing
    return flat


def _as_loaded(value: Any, data_type: str) -> Any:
    """A truth or loaded value in one comparable form (timestamps as UTC datetimes, JSON parsed)."""
    if value is not None and data_type == "timestamp" and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if value is not None and data_type == "json" and isinstance(value, str):
        return json.loads(value)
    return value


def _expected(records: list[Record], columns: dict[str, str], normalize: Callable[[str], str]) -> list[Record]:
    rows = []
    for record in records:
        flat = _flat(record, columns, normalize)
        missing = {k: v for k, v in flat.items() if k not in columns and v is not None}
        assert not missing, missing
        rows.append({name: _as_loaded(flat.get(name), data_type) for name, data_type in columns.items()})
    return rows


def assert_exact(result: SyncResult, truth: Truth) -> None:
    """Each table holds exactly its truth records: every row, every column, every value; nothing more."""
    normalize = result.pipeline.default_schema.naming.normalize_identifier
    for table, records in truth.items():
        loaded, columns = _loaded(result, table)
        loaded = [{k: _as_loaded(v, columns[k]) for k, v in row.items()} for row in loaded]
        assert sorted(loaded, key=repr) == sorted(_expected(records, columns, normalize), key=repr), table


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
