"""restloom_assets in-process: a catalog connector's assets against its simulated API into a real DuckDB."""

from __future__ import annotations

from typing import Any

from dagster import AssetKey, materialize

from restloom.dagster import RestloomResource, restloom_assets
from restloom.testing import FaultPlan, serve
from tests.catalog.exact import assert_exact
from tests.catalog.test_exact_after_mutation import TRUTH
from tests.dagster.conftest import Attached, Export

OPSGENIE = ("users", "teams", "services", "integrations", "incidents", "alerts", "user_teams", "alert_recipients",
            "alert_logs")


def _materialized(result: Any) -> dict[str, dict[str, Any]]:
    """Resource name -> the metadata of its materialization (values unwrapped)."""
    return {event.asset_key.path[-1]: {k: v.value for k, v in event.materialization.metadata.items()}
            for event in result.get_asset_materialization_events()}


def test_assets_of_a_catalog_connector(resource: RestloomResource) -> None:
    """One multi_asset, an asset per resource with its group, description and parent dependency."""
    (assets,) = restloom_assets("opsgenie")
    specs = {spec.key.path[-1]: spec for spec in assets.specs}
    assert set(specs) == set(OPSGENIE)
    assert assets.can_subset
    assert {spec.group_name for spec in specs.values()} == {"opsgenie"}
    assert [dep.asset_key for dep in specs["alert_logs"].deps] == [AssetKey(["opsgenie", "alerts"])]
    assert list(specs["users"].deps) == []
    assert specs["alerts"].description == ("GET v2/alerts; write disposition: merge; primary key: id; "
                                           "incremental on updatedAt")
    assert assets.descriptions_by_key[AssetKey(["opsgenie", "alerts"])] == specs["alerts"].description


def test_unpartitioned_sync_equals_ground_truth(resource: RestloomResource, export: Export) -> None:
    """Materializing every asset syncs the connector: each table equals the simulated API's data."""
    with serve("opsgenie", size=12, seed=7) as api:
        assets = restloom_assets("opsgenie", base_url=export("opsgenie", api))
        result = materialize(assets, resources={"restloom": resource})
        truth = TRUTH["opsgenie"](api)
        requests = len(api.requests)
    assert result.success
    metadata = _materialized(result)
    assert set(metadata) == set(OPSGENIE)
    assert metadata["users"]["rows_fetched"] == len(truth["users"]) == metadata["users"]["rows_loaded"]
    assert metadata["users"]["status"] == "ok"
    assert metadata["alert_logs"]["rows_in_table"] == len(truth["alert_logs"])
    assert sum(m["requests"] for m in metadata.values()) == requests
    assert_exact(Attached(resource, "opsgenie"), truth)  # type: ignore[arg-type]


def test_a_subset_syncs_only_its_resources(resource: RestloomResource, export: Export) -> None:
    """Selecting two assets runs restloom for those two: no request for any other resource."""
    with serve("opsgenie", size=12, seed=7) as api:
        assets = restloom_assets("opsgenie", base_url=export("opsgenie", api))
        result = materialize(assets, resources={"restloom": resource},
                             selection=[AssetKey(["opsgenie", "teams"]), AssetKey(["opsgenie", "services"])])
        paths = {r.path for r in api.requests}
    assert result.success
    assert set(_materialized(result)) == {"teams", "services"}
    assert paths == {"/v2/teams", "/v1/services"}


def test_a_failing_resource_fails_only_its_asset(resource: RestloomResource, export: Export) -> None:
    """Every request for teams answers 503: teams fails with restloom's reason, the others materialize."""
    with serve("opsgenie", size=12, seed=7, faults=FaultPlan(rate=1.0, kinds=("503",), paths=("/v2/teams",))) as api:
        assets = restloom_assets("opsgenie", base_url=export("opsgenie", api))
        result = materialize(assets, resources={"restloom": resource}, raise_on_error=False)
        truth = TRUTH["opsgenie"](api)
    assert not result.success
    assert set(_materialized(result)) == set(OPSGENIE) - {"teams"}
    (failure,) = result.get_step_failure_events()
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith("restloom: 1 resource(s) failed: teams: ")
    assert "503" in description
    del truth["teams"]
    assert_exact(Attached(resource, "opsgenie"), truth)  # type: ignore[arg-type]
