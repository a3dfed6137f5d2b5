"""Twelve monthly partitions in one Dagster run on Dagster's multiprocess executor, four steps at a time, into
one DuckDB file: the exact union, each partition in the instance's asset catalog; a failing window fails its
step alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetKey,
    DagsterEventType,
    JobDefinition,
    MonthlyPartitionsDefinition,
    build_reconstructable_job,
    execute_job,
)
from dagster._core.instance_for_test import instance_for_test

from restloom.dagster import RestloomResource, backfill_job, backfill_run_config
from restloom.errors import ConfigError
from restloom.testing import FaultPlan, SimulatedAPI, serve
from tests.catalog.exact import assert_exact
from tests.dagster.conftest import Attached, query
from tests.dagster.test_partitions import config

MONTHS = MonthlyPartitionsDefinition(start_date="2023-06-01", end_date="2024-06-01")
KEYS = MONTHS.get_partition_keys()
STARTS = [f"{key}T00:00:00Z" for key in KEYS]
CHANGES = AssetKey(["shop", "changes"])
ROOT = Path(__file__).resolve().parents[2]


def shop_backfill(base_url: str, workdir: str) -> JobDefinition:
    """The backfill of the generic API's monthly ``changes`` into ``workdir`` (rebuilt in every step's process)."""
    restloom = RestloomResource(duckdb_path=str(Path(workdir) / "dagster.duckdb"), dataset_name="data",
                                pipelines_dir=str(Path(workdir) / "pipelines"))
    return backfill_job(config(base_url), name="shop", resources=["changes"], partitions_def=MONTHS,
                        restloom=restloom)


@pytest.fixture
def resource(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RestloomResource:
    """Where ``shop_backfill`` loads; retry waits instant in every step's process (the variable reaches them)."""
    monkeypatch.setenv("RESTLOOM_RETRY_WAIT_SCALE", "0")
    return RestloomResource(duckdb_path=str(tmp_path / "dagster.duckdb"), dataset_name="data",
                            pipelines_dir=str(tmp_path / "pipelines"))


@pytest.fixture
def instance() -> Iterator[Any]:
    """A temporary Dagster instance (its own DAGSTER_HOME, sqlite storage), as the multiprocess executor needs."""
    with instance_for_test() as temporary:
        yield temporary


def _backfill(api: SimulatedAPI, instance: Any, resource: RestloomResource, *, forkserver: bool = False) -> Any:
    """The backfill on the multiprocess executor, 4 steps at a time: (success, step -> failure, run id).
    Each step's process imports this module from the repository's root (the test runs in tmp_path)."""
    job = build_reconstructable_job(__name__, "shop_backfill", reconstructable_kwargs={
        "base_url": api.base_url, "workdir": str(Path(str(resource.duckdb_path)).parent)},
        reconstructor_working_directory=str(ROOT))
    with execute_job(job, instance=instance, run_config=backfill_run_config(4, forkserver=forkserver),
                     raise_on_error=False) as result:
        failures = {event.step_key: _reason(event.step_failure_data)
                    for event in result.get_step_failure_events()}
        return result.success, failures, result.dagster_run.run_id


def _reason(failure: Any) -> str:
    """What failed a step: a ``Failure``'s description, else the error's message."""
    if failure.user_failure_data is not None:
        return str(failure.user_failure_data.description)
    return str(failure.error.message if failure.error else "no error")


def _truth(api: SimulatedAPI, skip: str | None = None) -> list[dict[str, Any]]:
    return [r for r in api.records("items") if STARTS[0] <= r["updated_at"] < "2024-06-01T00:00:00Z"
            and not (skip and r["updated_at"].startswith(skip))]


def test_twelve_months_on_the_multiprocess_executor(resource: RestloomResource, instance: Any) -> None:
    """Each month's window asked once, by its own step; the table holds every record of the twelve months
    once; the instance's catalog has the twelve partitions materialized, with restloom's metadata."""
    assert len(KEYS) == 12
    with serve("generic", size=9000, seed=5) as api:
        success, failures, run_id = _backfill(api, instance, resource)
        windows = sorted({(r.query["since"], r.query["until"]) for r in api.requests})
        firsts = sorted(r.query["since"] for r in api.requests if r.query.get("offset") == "0")
        truth, everything = _truth(api), api.records("items")
    assert (success, failures) == (True, {})
    assert windows == list(zip(STARTS, [*STARTS[1:], "2024-06-01T00:00:00Z"], strict=True))
    assert firsts == STARTS  # each window read once from its first page
    assert len(truth) < len(everything)
    assert query(resource, "SELECT COUNT(*), COUNT(DISTINCT id) FROM data.changes") == [(len(truth), len(truth))]
    assert_exact(Attached(resource, "shop__2024_05_01", "shop"), {"changes": truth})  # type: ignore[arg-type]
    assert instance.get_materialized_partitions(CHANGES) == set(KEYS)
    steps = {s.step_key for s in instance.get_run_step_stats(run_id)}
    assert steps == {"shop_partitions", *(f"shop_window[{key.replace('-', '_')}]" for key in KEYS)}
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    loaded = {r.event_log_entry.dagster_event.partition: r.asset_materialization.metadata for r in records}
    assert set(loaded) == set(KEYS)
    assert sum(m["rows_loaded"].value for m in loaded.values()) == len(truth)
    assert loaded["2023-09-01"]["pipeline"].value == "shop__2023_09_01"
    assert loaded["2023-09-01"]["window_start"].value == "2023-09-01T00:00:00+00:00"


def test_a_failing_window_fails_its_step_alone(resource: RestloomResource, instance: Any) -> None:
    """Every request for September's window answers 503: that step fails with restloom's message, the eleven
    other months land and are materialized. The steps forked from a forkserver (which sees the environment
    of this test: retry waits instant)."""
    plan = FaultPlan(rate=1.0, kinds=("503",), paths=("/api/changes",), query={"since": "2023-09-01T00:00:00Z"})
    with serve("generic", size=9000, seed=5, faults=plan) as api:
        success, failures, _ = _backfill(api, instance, resource, forkserver=True)
        truth = _truth(api, skip="2023-09")
    assert not success
    assert list(failures) == ["shop_window[2023_09_01]"]
    assert failures["shop_window[2023_09_01]"].startswith("restloom: 1 resource(s) failed: changes: ")
    assert "503" in failures["shop_window[2023_09_01]"]
    assert instance.get_materialized_partitions(CHANGES) == set(KEYS) - {"2023-09-01"}
    assert query(resource, "SELECT COUNT(*), COUNT(DISTINCT id) FROM data.changes") == [(len(truth), len(truth))]


def test_a_range_of_partitions_in_process(resource: RestloomResource, instance: Any) -> None:
    """``start``/``end`` pick partitions (both included); in one process the steps run one after another."""
    with serve("generic", size=9000, seed=5) as api:
        job = backfill_job(config(api.base_url), name="shop", resources=["changes"], partitions_def=MONTHS,
                           restloom=resource, start="2023-11-01", end="2024-01-01")
        result = job.execute_in_process(instance=instance)
        windows = sorted({(r.query["since"], r.query["until"]) for r in api.requests})
        truth = [r for r in api.records("items") if "2023-11-01" <= r["updated_at"] < "2024-02-01"]
    assert result.success
    assert windows == [("2023-11-01T00:00:00Z", "2023-12-01T00:00:00Z"),
                       ("2023-12-01T00:00:00Z", "2024-01-01T00:00:00Z"),
                       ("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z")]
    assert instance.get_materialized_partitions(CHANGES) == {"2023-11-01", "2023-12-01", "2024-01-01"}
    assert query(resource, "SELECT COUNT(*), COUNT(DISTINCT id) FROM data.changes") == [(len(truth), len(truth))]


def test_partitions_per_step_in_process(resource: RestloomResource, instance: Any) -> None:
    """Two partitions per step: three steps for five months; December's window fails, its step fails naming
    it with restloom's message, November (its step's other partition) and the rest still materialize."""
    plan = FaultPlan(rate=1.0, kinds=("503",), paths=("/api/changes",), query={"since": "2023-12-01T00:00:00Z"})
    with serve("generic", size=9000, seed=5, faults=plan) as api:
        job = backfill_job(config(api.base_url), name="shop", resources=["changes"], partitions_def=MONTHS,
                           restloom=resource, start="2023-11-01", end="2024-03-01", partitions_per_step=2)
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        truth = [r for r in api.records("items") if "2023-11-01" <= r["updated_at"] < "2024-04-01"
                 and not r["updated_at"].startswith("2023-12")]
    steps = {s.step_key for s in instance.get_run_step_stats(result.run_id)}
    assert steps == {"shop_partitions", "shop_window[2023_11_01__2023_12_01]", "shop_window[2024_01_01__2024_02_01]",
                     "shop_window[2024_03_01]"}
    (failure,) = result.get_step_failure_events()
    assert failure.step_key == "shop_window[2023_11_01__2023_12_01]"
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith("restloom: 1 of 2 partitions failed: 2023-12-01: restloom: 1 resource(s) "
                                  "failed: changes: ")
    assert "503" in description
    assert instance.get_materialized_partitions(CHANGES) == {"2023-11-01", "2024-01-01", "2024-02-01", "2024-03-01"}
    assert query(resource, "SELECT COUNT(*), COUNT(DISTINCT id) FROM data.changes") == [(len(truth), len(truth))]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"start": "2023-06-02"}, "start: '2023-06-02' is not a partition key of Monthly, starting 2023-06-01 UTC."),
    ({"start": "2024-01-01", "end": "2023-07-01"}, "start: '2024-01-01' comes after the end, '2023-07-01'"),
    ({"resources": ["items"]}, "resources: no incremental resource among those chosen: "
                               "nothing for a time partition to bound"),
    ({"partitions_per_step": 0}, "partitions_per_step: at least 1, got 0"),
])
def test_a_backfill_that_cannot_run_is_one_config_error(kwargs: dict[str, Any], message: str) -> None:
    """A range that is not one, or nothing windowed to backfill: a ConfigError naming it, before any run."""
    with pytest.raises(ConfigError) as raised:
        backfill_job(config("http://127.0.0.1:9/api/"), name="shop", partitions_def=MONTHS, **kwargs)
    assert [f"{issue.path}: {issue.message}" for issue in raised.value.issues] == [message]
