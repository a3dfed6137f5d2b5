"""DuckDB merges through restloom deduplicate the staged rows with DISTINCT ON (``adapter/duckdb_merge.py``):
the same rows as dlt's ROW_NUMBER query on a real DuckDB, the query a real sync runs, and which destinations
get it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from dlt.destinations.sql_jobs import SqlMergeFollowupJob

from restloom.adapter.duckdb_merge import LeanDedupDuckDb, LeanDedupMergeJob, lean_duckdb
from restloom.testing import serve
from tests.conftest import Sync, key_checksum, table_rows
from tests.seeds import seed_config

COLUMNS = ['"sku"', '"_dlt_root_id"', '"_dlt_id"']


def _staged(conn: duckdb.DuckDBPyConnection) -> None:
    """A nested staging table as a retried copy job leaves it: every row of the file twice, plus rows of a
    root that is not being inserted."""
    conn.execute('CREATE TABLE items ("sku" VARCHAR, "_dlt_root_id" VARCHAR, "_dlt_id" VARCHAR)')
    rows = [(f"sku-{i}", f"root-{i // 2}", f"id-{i}") for i in range(10)]
    conn.executemany("INSERT INTO items VALUES (?, ?, ?)", rows + rows)
    conn.execute('CREATE TABLE inserted ("_dlt_id" VARCHAR)')
    conn.executemany("INSERT INTO inserted VALUES (?)", [(f"root-{r}",) for r in (0, 1, 3)])


def test_the_lean_query_selects_the_rows_dlts_query_selects() -> None:
    """Doubled staged rows, the condition dlt's nested insert uses: both queries give each row once, only
    those of the roots being inserted."""
    condition = '"_dlt_root_id" IN (SELECT * FROM inserted)'
    with duckdb.connect() as conn:
        _staged(conn)
        ours = conn.execute(LeanDedupMergeJob.gen_select_from_dedup_sql(
            "items", ['"_dlt_id"'], COLUMNS, condition=condition)).fetchall()
        theirs = conn.execute(SqlMergeFollowupJob.gen_select_from_dedup_sql(
            "items", ['"_dlt_id"'], COLUMNS, condition=condition)).fetchall()
    assert sorted(ours) == sorted(theirs)
    assert sorted(ours) == [(f"sku-{i}", f"root-{i // 2}", f"id-{i}") for i in (0, 1, 2, 3, 6, 7)]


def test_the_condition_columns_are_selected_inside_and_filtered_after_the_dedup() -> None:
    """As dlt's query: a condition column that is not selected is carried by the inner query only."""
    with duckdb.connect() as conn:
        conn.execute('CREATE TABLE root ("id" INTEGER, "_dlt_id" VARCHAR, "deleted" BOOLEAN)')
        conn.executemany("INSERT INTO root VALUES (?, ?, ?)",
                         [(1, "a", False), (1, "a", False), (2, "b", True), (3, "c", False)])
        sql = LeanDedupMergeJob.gen_select_from_dedup_sql('root', ['"id"'], ['"_dlt_id"'],
                                                          condition='"deleted" = false',
                                                          condition_columns=['"deleted"'])
        assert sorted(conn.execute(sql).fetchall()) == [("a",), ("c",)]
    assert sql == ('SELECT "_dlt_id" FROM (SELECT DISTINCT ON ("id") "_dlt_id", "deleted" FROM root) '
                   'AS _dlt_dedup_distinct WHERE "deleted" = false')


@pytest.mark.parametrize("kwargs", [{"dedup_sort": ('"updated"', "desc")}, {"skip_dedup": True}],
                         ids=["dedup_sort", "declared_deduplicated"])
def test_a_sorted_or_declared_dedup_keeps_dlts_query(kwargs: dict[str, Any]) -> None:
    args = ("items", ['"_dlt_id"'], COLUMNS)
    assert (LeanDedupMergeJob.gen_select_from_dedup_sql(*args, **kwargs)
            == SqlMergeFollowupJob.gen_select_from_dedup_sql(*args, **kwargs))


def test_only_dlts_own_duckdb_is_swapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The name and dlt's factory (its settings kept) become the lean factory, reporting dlt's type; a
    subclass, another destination and ``RESTLOOM_DLT_DEFAULTS=0`` are left alone."""
    named = lean_duckdb("duckdb")
    built = dlt.destinations.duckdb(str(tmp_path / "x.duckdb"), destination_name="warehouse")
    swapped = lean_duckdb(built)
    assert type(named) is LeanDedupDuckDb
    assert type(swapped) is LeanDedupDuckDb
    assert swapped.config_params == built.config_params
    assert (swapped.destination_type, swapped.destination_name) == ("dlt.destinations.duckdb", "warehouse")
    assert named.destination_type == dlt.destinations.duckdb().destination_type

    class Own(dlt.destinations.duckdb):
        pass

    own = Own()
    assert lean_duckdb(own) is own
    assert lean_duckdb("filesystem") == "filesystem"
    monkeypatch.setenv("RESTLOOM_DLT_DEFAULTS", "0")
    assert lean_duckdb("duckdb") == "duckdb"
    assert lean_duckdb(built) is built


def _merge_sql(pipelines_dir: Path) -> list[str]:
    return [path.read_text() for path in sorted(pipelines_dir.glob("*/load/loaded/*/completed_jobs/*.sql"))]


def test_a_sync_into_duckdb_merges_with_distinct_on_and_replaces_nested_rows(run_sync: Sync, tmp_path: Path) -> None:
    """The Zendesk Talk seed's IVRs (each with a list of menus, merged on id) synced twice into one DuckDB file:
    the merge SQL dlt ran is the lean one both times, and each IVR and each menu is there once."""
    with serve("zendesk_talk", size=12, seed=3) as api:
        config = seed_config("zendesk_talk", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path)
        config["resources"] = [r for r in config["resources"] if r["name"] == "ivrs"]
        results = [run_sync(config, pipeline_name="talk") for _ in range(2)]
        truth = api.records("ivrs")
    assert all(result.ok for result in results)
    assert type(results[-1].pipeline.destination) is LeanDedupDuckDb
    statements = _merge_sql(tmp_path / "pipelines")
    assert len(statements) == 2
    assert all("DISTINCT ON" in sql and "ROW_NUMBER" not in sql for sql in statements)
    menus = sum(len(ivr["menus"]) for ivr in truth)
    assert menus > len(truth) == 12
    assert table_rows(results[-1], "ivrs", "COUNT(*), COUNT(DISTINCT id)") == [(12, 12)]
    assert table_rows(results[-1], "ivrs__menus", "COUNT(*), COUNT(DISTINCT _dlt_id)") == [(menus, menus)]
    assert key_checksum(row[0] for row in table_rows(results[-1], "ivrs", "id")) == key_checksum(
        ivr["id"] for ivr in truth)
