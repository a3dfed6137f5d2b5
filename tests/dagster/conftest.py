"""Fixtures for the Dagster assets: a resource loading into a DuckDB file under tmp_path, secrets exported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from restloom.cli.demo import demo_base_url, demo_secrets
from restloom.dagster import RestloomResource
from restloom.testing import SimulatedAPI

Export = Callable[[str, SimulatedAPI], str]


@pytest.fixture
def resource(tmp_path: Path) -> RestloomResource:
    """Every source into ``tmp_path/dagster.duckdb``, dataset ``data``; retry waits instant."""
    return RestloomResource(duckdb_path=str(tmp_path / "dagster.duckdb"), dataset_name="data",
                            pipelines_dir=str(tmp_path / "pipelines"))


@pytest.fixture
def export(monkeypatch: pytest.MonkeyPatch) -> Export:
    """Export the catalog connector's secrets for a simulated API; the base URL the connector takes there."""
    monkeypatch.setenv("RESTLOOM_RETRY_WAIT_SCALE", "0")

    def run(name: str, api: SimulatedAPI) -> str:
        for secret, value in demo_secrets(name, api).items():
            monkeypatch.setenv(secret.upper(), value)
        return demo_base_url(name, api)

    return run


def query(resource: RestloomResource, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the resource's DuckDB file (read-only)."""
    assert resource.duckdb_path is not None
    with duckdb.connect(resource.duckdb_path, read_only=True) as connection:
        return [tuple(row) for row in connection.execute(sql).fetchall()]


class Attached:
    """What ``tests.catalog.exact`` reads of a sync: the pipeline, attached after the materialization."""

    def __init__(self, resource: RestloomResource, pipeline_name: str, source: str | None = None) -> None:
        source = source or pipeline_name
        self.pipeline = dlt.pipeline(pipeline_name=pipeline_name, pipelines_dir=resource.pipelines_dir,
                                     destination=resource.destination_for(source),
                                     dataset_name=resource.dataset_for(source))
