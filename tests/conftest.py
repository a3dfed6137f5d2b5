"""Shared fixtures: the simulated APIs, a seed-config loader and a DuckDB sync helper."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest

from restloom.adapter.sync import SyncResult, sync
from restloom.config import parse
from restloom.config.models import RetryPolicy
from restloom.testing.fixtures import simulated_api  # noqa: F401

Sync = Callable[..., SyncResult]


@pytest.fixture(autouse=True)
def _isolated_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own dlt project dir, pipelines dir and working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "ERROR")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


@pytest.fixture
def run_sync(tmp_path: Path) -> Sync:
    """Parse a raw config and sync it into a DuckDB file under tmp_path (retry waits made instant)."""
    counter = iter(range(1000))

    def _run(raw: Any, *, pipeline_name: str | None = None, wait_scale: float = 0.0, **kwargs: Any) -> SyncResult:
        config = parse(raw, retry_base=RetryPolicy(wait_scale=wait_scale), concurrency=kwargs.pop("concurrency", None))
        name = pipeline_name or f"p{next(counter)}"
        destination = dlt.destinations.duckdb(str(tmp_path / f"{name}.duckdb"))
        return sync(config, pipeline_name=name, destination=destination, dataset_name="data",
                    pipelines_dir=str(tmp_path / "pipelines"), **kwargs)

    return _run


def key_checksum(keys: Iterable[Any]) -> str:
    """An order-independent checksum of a collection of keys."""
    return hashlib.sha256("\n".join(sorted(str(k) for k in keys)).encode()).hexdigest()[:16]


def table_rows(result: SyncResult, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
    """Every row of ``table`` in the synced dataset."""
    with result.pipeline.sql_client() as client:
        return list(client.execute_sql(f"SELECT {columns} FROM {client.make_qualified_table_name(table)}"))
