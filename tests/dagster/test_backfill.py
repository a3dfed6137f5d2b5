"""Twelve monthly partitions materialized by four processes at once into one DuckDB file: the exact union."""

from __future__ import annotations

import os
from typing import Any

import pytest
from dagster import MonthlyPartitionsDefinition

from restloom.dagster import RestloomResource, restloom_assets
from restloom.dagster.backfill import materialize_partitions
from restloom.testing import serve
from tests.catalog.exact import assert_exact
from tests.dagster.conftest import Attached, query
from tests.dagster.test_partitions import config

MONTHS = MonthlyPartitionsDefinition(start_date="2023-06-01", end_date="2024-06-01")


def windows_assets() -> list[Any]:
    """The monthly ``changes`` asset of the generic API at ``BACKFILL_BASE_URL`` (rebuilt in each worker)."""
    return restloom_assets(config(os.environ["BACKFILL_BASE_URL"]), name="shop", resources=["changes"],
                           partitions_def=MONTHS)


def test_twelve_months_from_four_processes(resource: RestloomResource, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each month's window asked once; the table holds every record of the twelve months once."""
    monkeypatch.setenv("RESTLOOM_RETRY_WAIT_SCALE", "0")
    keys = MONTHS.get_partition_keys()
    assert len(keys) == 12
    with serve("generic", size=9000, seed=5) as api:
        monkeypatch.setenv("BACKFILL_BASE_URL", api.base_url)
        outcome = materialize_partitions(windows_assets, resource, keys, processes=4)
        windows = sorted({(r.query["since"], r.query["until"]) for r in api.requests})
        firsts = sorted(r.query["since"] for r in api.requests if r.query.get("offset") == "0")
        truth = [r for r in api.records("items") if "2023-06-01" <= r["updated_at"] < "2024-06-01"]
        everything = api.records("items")
    assert outcome == dict.fromkeys(keys, True)
    starts = [f"{key}T00:00:00Z" for key in keys]
    assert windows == list(zip(starts, [*starts[1:], "2024-06-01T00:00:00Z"], strict=True))
    assert firsts == starts  # each window read once from its first page
    assert len(truth) < len(everything)
    assert query(resource, "SELECT COUNT(*), COUNT(DISTINCT id) FROM data.changes") == [(len(truth), len(truth))]
    assert_exact(Attached(resource, "shop__2024_05_01", "shop"), {"changes": truth})  # type: ignore[arg-type]
