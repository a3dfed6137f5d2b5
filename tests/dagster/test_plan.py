"""A partition's window written as the config writes its cursor; config sources; tenant overrides."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dagster import DailyPartitionsDefinition, Definitions

from restloom.config.models import SecretRef
from restloom.dagster import restloom_assets
from restloom.dagster.plan import bounded, load_raw, merged, parse_raw
from restloom.errors import ConfigError

START, END = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _window(incremental: dict[str, Any]) -> tuple[Any, Any]:
    raw = {"client": {"base_url": "https://api.example.com/"},
           "resources": [{"name": "r", "endpoint": {"path": "r", "incremental": {"cursor_path": "at", **incremental}}}]}
    spec = bounded(parse_raw(raw), START, END).resource("r").endpoint.incremental
    assert spec is not None
    assert spec.step is None
    assert spec.lookback is None
    return spec.initial_value, spec.end_value


@pytest.mark.parametrize(("incremental", "expected"), [
    ({"initial_value": "1970-01-01T00:00:00Z"}, ("2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z")),
    ({"initial_value": "1970-01-01T00:00:00.000Z", "convert": "epoch_ms"},
     ("2024-05-01T00:00:00.000Z", "2024-06-01T00:00:00.000Z")),
    ({"initial_value": "2020-01-01"}, ("2024-05-01", "2024-06-01")),
    ({"initial_value": 0, "cursor_format": "epoch_seconds"}, (1714521600, 1717200000)),
    ({"initial_value": 0, "cursor_format": "epoch_ms"}, (1714521600000, 1717200000000)),
    ({"initial_value": "2020-01-01T00:00:00+02:00", "lookback": 60, "step": "30d"},
     ("2024-05-01T02:00:00+02:00", "2024-06-01T02:00:00+02:00")),
])
def test_a_window_is_written_like_initial_value(incremental: dict[str, Any], expected: tuple[Any, Any]) -> None:
    assert _window(incremental) == expected


def test_a_cursor_that_is_no_point_in_time_cannot_be_partitioned_by_time() -> None:
    with pytest.raises(ConfigError) as caught:
        _window({"initial_value": 10, "end_value": 20})
    assert str(caught.value.issues[0]) == (
        "resources[0] (r).endpoint.incremental.initial_value: a time partition needs a point-in-time cursor: "
        "ISO 8601 text, a date, or a number with cursor_format, got 10")


def test_time_partitions_over_a_numeric_cursor_are_refused_when_defined() -> None:
    raw = {"client": {"base_url": "https://api.example.com/"}, "resources": [
        "plain", {"name": "r", "endpoint": {"path": "r", "incremental": {"cursor_path": "id", "initial_value": 1}}}]}
    with pytest.raises(ConfigError, match=r"resources\[1\] \(r\)\.endpoint\.incremental\.initial_value: a time "):
        restloom_assets(raw, partitions_def=DailyPartitionsDefinition(start_date="2024-05-01"))
    assert len(restloom_assets(raw)) == 1


def test_config_sources_and_tenant_overrides(tmp_path: Path) -> None:
    """A catalog name (its header as description), a YAML path, a dict; overrides merge, secrets as refs."""
    catalog = load_raw("opsgenie")
    assert (catalog.name, catalog.description) == ("opsgenie", "Opsgenie (alerting) — corrected from seed 001.")
    (tmp_path / "api.yaml").write_text("client: {base_url: 'https://a.example/'}\nresources: [things]\n")
    assert load_raw(str(tmp_path / "api.yaml")).name == "api"
    assert load_raw({"resources": []}, "mine").name == "mine"
    with pytest.raises(ConfigError, match="'nope' is neither a config file nor a catalog connector"):
        load_raw("nope")
    over = merged(catalog.raw, {"client": {"base_url": "https://eu.example/",
                                           "auth": {"api_key": {"secret": "acme_key", "format": "GenieKey {}"}}}})
    assert over["client"]["base_url"] == "https://eu.example/"
    assert over["client"]["auth"] == {"type": "api_key", "name": "Authorization", "location": "header",
                                      "api_key": SecretRef("acme_key", "GenieKey {}")}
    assert catalog.raw["client"]["base_url"] == "https://api.opsgenie.com/"


def test_the_example_definitions_load() -> None:
    """examples/dagster/definitions.py: both connectors, windowed and not, each in its pool; the backfill job."""
    import runpy

    defs = runpy.run_path(str(ROOT / "examples" / "dagster" / "definitions.py"))["defs"]
    assert isinstance(defs, Definitions)
    repository = defs.get_repository_def()
    names = {key.path[0] for key in repository.asset_graph.get_all_asset_keys()}
    assert names == {"zendesk_talk", "opsgenie"}
    pools = {a.node_def.name: a.node_def.pool for a in repository.assets_defs_by_key.values()}
    assert pools == {"zendesk_talk": "zendesk_talk", "zendesk_talk_windows": "zendesk_talk",
                     "opsgenie": "opsgenie", "opsgenie_windows": "opsgenie"}
    backfill = repository.get_job("opsgenie_backfill")
    assert sorted(node.name for node in backfill.nodes) == ["opsgenie_partitions", "opsgenie_window"]  # no set order
