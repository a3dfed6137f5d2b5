"""Time partitions drive incremental windows; tenants are partitions too: exact rows, exact requests."""

from __future__ import annotations

from typing import Any

import pytest
from dagster import (
    AssetKey,
    DailyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    materialize,
)

from restloom.dagster import RestloomResource, restloom_assets
from restloom.testing import SimulatedAPI, serve
from tests.catalog.exact import assert_exact
from tests.dagster.conftest import Attached, query

DAYS = ("2024-05-29", "2024-05-30", "2024-05-31")
PAGED = {"type": "offset", "limit": 50, "total_path": "total"}


def config(base_url: str) -> dict[str, Any]:
    """``changes`` windowed on updated_at (since/until), ``items`` a list without a cursor."""
    return {
        "client": {"base_url": base_url},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [
            {"name": "changes", "endpoint": {
                "path": "changes", "data_selector": "items", "paginator": PAGED,
                "incremental": {"cursor_path": "updated_at", "start_param": "since", "end_param": "until",
                                "initial_value": "2024-01-01T00:00:00Z"}}},
            {"name": "items", "write_disposition": "replace",
             "endpoint": {"path": "offset/items", "data_selector": "items", "paginator": PAGED}},
        ],
    }


def _window(api: SimulatedAPI, day: str) -> list[dict[str, Any]]:
    start, end = f"{day}T00:00:00Z", f"{_next(day)}T00:00:00Z"
    return [r for r in api.records("items") if start <= r["updated_at"] < end]


def _next(day: str) -> str:
    return {"2024-05-29": "2024-05-30", "2024-05-30": "2024-05-31", "2024-05-31": "2024-06-01"}[day]


def _windows_asset(api: SimulatedAPI, **kwargs: Any) -> Any:
    assets = restloom_assets(config(api.base_url), name="shop",
                             partitions_def=DailyPartitionsDefinition(start_date="2024-05-01"), **kwargs)
    return {a.node_def.name: a for a in assets}


def test_daily_partitions_load_exactly_their_windows(resource: RestloomResource,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Three days one after another: each asks for its window only; the union is their truth, no duplicates;
    the same day again changes nothing."""
    monkeypatch.setenv("RESTLOOM_RETRY_WAIT_SCALE", "0")
    with serve("generic", size=100, seed=3) as api:
        assets = _windows_asset(api)
        assert set(assets) == {"shop", "shop_windows"}
        assert assets["shop_windows"].partitions_def == DailyPartitionsDefinition(start_date="2024-05-01")
        assert assets["shop"].partitions_def is None
        windows: dict[str, set[tuple[str, str]]] = {}
        loaded: dict[str, int] = {}
        for day in (*DAYS, DAYS[1]):
            api.clear_requests()
            result = materialize([assets["shop_windows"]], partition_key=day, resources={"restloom": resource})
            assert result.success
            windows[day] = {(r.query["since"], r.query["until"]) for r in api.requests}
            (event,) = result.get_asset_materialization_events()
            loaded[day] = event.materialization.metadata["rows_loaded"].value
        truth = {day: _window(api, day) for day in DAYS}
        everything = api.records("items")
    union = [record for day in DAYS for record in truth[day]]
    assert all(truth.values())
    assert len(union) < len(everything)  # older rows exist: the windows are what kept them out
    assert windows == {day: {(f"{day}T00:00:00Z", f"{_next(day)}T00:00:00Z")} for day in DAYS}
    assert loaded == {day: len(truth[day]) for day in DAYS}
    assert query(resource, "SELECT COUNT(*), COUNT(DISTINCT id) FROM data.changes") == [(len(union), len(union))]
    assert_exact(Attached(resource, "shop__2024_05_30", "shop"), {"changes": union})  # type: ignore[arg-type]


def test_the_unpartitioned_asset_reads_the_whole_list(resource: RestloomResource,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Resources without incremental are one unpartitioned asset: one full read, no window."""
    monkeypatch.setenv("RESTLOOM_RETRY_WAIT_SCALE", "0")
    with serve("generic", size=100, seed=3) as api:
        result = materialize([_windows_asset(api)["shop"]], resources={"restloom": resource})
        paths = {r.path for r in api.requests}
        truth = api.records("items")
    assert result.success
    assert paths == {"/api/offset/items"}
    assert_exact(Attached(resource, "shop"), {"items": truth})  # type: ignore[arg-type]


def test_tenants_with_their_own_base_url_and_secret(resource: RestloomResource,
                                                     monkeypatch: pytest.MonkeyPatch, capfd: Any) -> None:
    """Each tenant reads its own server with its own token into its own dataset; tenant x day partitions."""
    monkeypatch.setenv("RESTLOOM_RETRY_WAIT_SCALE", "0")
    with serve("generic", size=100, seed=3) as east, serve("generic", size=60, seed=4) as west:
        servers = {"east": east, "west": west}
        for tenant, api in servers.items():
            monkeypatch.setenv(f"{tenant.upper()}_TOKEN", api.real_credentials["token"])

        def tenant_config(tenant: str) -> dict[str, Any]:
            return {"client": {"base_url": servers[tenant].base_url,
                               "auth": {"type": "bearer", "token": {"secret": f"{tenant}_token"}}}}

        raw = config("http://127.0.0.1:9/api/")
        raw["resources"][1]["endpoint"]["path"] = "private/items"
        tenants = StaticPartitionsDefinition(["east", "west"])
        assets = {a.node_def.name: a for a in restloom_assets(
            raw, name="shop", partitions_def=DailyPartitionsDefinition(start_date="2024-05-01"), tenants=tenants,
            tenant_config=tenant_config)}
        assert assets["shop"].partitions_def == tenants
        assert isinstance(assets["shop_windows"].partitions_def, MultiPartitionsDefinition)
        results = [materialize([assets["shop"]], partition_key=tenant, resources={"restloom": resource})
                   for tenant in servers]
        results.append(materialize([assets["shop_windows"]], resources={"restloom": resource},
                                   partition_key=MultiPartitionKey({"time": DAYS[2], "tenant": "west"})))
        truth = {tenant: api.records("items") for tenant, api in servers.items()}
        auth = {tenant: {r.auth for r in api.requests} for tenant, api in servers.items()}
        day = _window(west, DAYS[2])
        west_windows = {(r.query["since"], r.query["until"]) for r in west.requests if r.path == "/api/changes"}
        secrets = [api.real_credentials["token"] for api in servers.values()]
    assert all(result.success for result in results)
    assert auth == {"east": {"real"}, "west": {"real"}}
    assert west_windows == {(f"{DAYS[2]}T00:00:00Z", "2024-06-01T00:00:00Z")}
    for tenant, records in truth.items():
        assert query(resource, f"SELECT COUNT(*), COUNT(DISTINCT id) FROM data_{tenant}.items") == [
            (len(records), len(records))]
    assert query(resource, "SELECT COUNT(*) FROM data_west.changes") == [(len(day),)]
    assert sorted(query(resource, "SELECT id FROM data_west.items")) == sorted((r["id"],) for r in truth["west"])
    shown = capfd.readouterr()
    metadata = [str(e.materialization.metadata) for r in results for e in r.get_asset_materialization_events()]
    logs = [str(e.message) for r in results for e in r.all_events]
    for secret in secrets:
        assert all(secret not in text for text in (shown.out, shown.err, *metadata, *logs))


def test_pool_and_group(resource: RestloomResource) -> None:
    """``pool`` puts every multi_asset in the Dagster pool; the group defaults to the source's name."""
    with serve("generic", size=10, seed=3) as api:
        assets = _windows_asset(api, pool="shop_api", group_name="sales")
    assert {a.node_def.pool for a in assets.values()} == {"shop_api"}
    assert {spec.group_name for a in assets.values() for spec in a.specs} == {"sales"}
    assert {spec.key for a in assets.values() for spec in a.specs} == {AssetKey(["shop", "changes"]),
                                                                       AssetKey(["shop", "items"])}
