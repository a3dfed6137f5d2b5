"""Differential: what a dlt user does to the source ``rest_api_source`` returns, and the resource keys of
dlt's rest_api config, land on restloom what they land on dlt's rest_api.

Each case runs twice into the same pipeline (a merge or a cursor over existing tables), in chunks of 10
records so that 60 records make six chunks: a setting that only the first chunk honoured would show. Settings
made in dlt run on a plain resource, and those that shape the tables also on an incremental one. The
cases that once differed have tests of their own (``test_steps_added_in_dlt.py``, ``test_add_limit.py``,
``test_columnar.py``); these are the ones that agreed when they were first compared, kept so they stay so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.differential.harness import differential, merged_items


def _root_rows(outcome: Any) -> int:
    return sum(len(rows) for table, rows in outcome.restloom.rows.items() if "__" not in table)


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTLOOM_COLUMNAR_ROWS", "10")


def _hints(**hints: Any) -> Callable[[Any], Any]:
    def adapt(source: Any) -> Any:
        source.resources["items"].apply_hints(**hints)
        return source
    return adapt


def _on_source(name: str, value: Any) -> Callable[[Any], Any]:
    def adapt(source: Any) -> Any:
        setattr(source, name, value)
        return source
    return adapt


def _on_resource(name: str, value: Any) -> Callable[[Any], Any]:
    def adapt(source: Any) -> Any:
        setattr(source.resources["items"], name, value)
        return source
    return adapt


def _no_timestamp_detection(source: Any) -> Any:
    source.schema.remove_type_detection("iso_timestamp")
    return source


def _not_null_names(source: Any) -> Any:
    source.schema.merge_hints({"not_null": ["name"]})
    return source


def _parallelized(source: Any) -> Any:
    return source.parallelize()


def _time_limit(source: Any) -> Any:
    source.resources["items"].add_limit(max_time=60)
    return source


IN_DLT: dict[str, Callable[[Any], Any]] = {
    "source max_table_nesting 0": _on_source("max_table_nesting", 0),
    "source max_table_nesting 1": _on_source("max_table_nesting", 1),
    "source root_key": _on_source("root_key", True),
    "source schema_contract": _on_source("schema_contract", {"columns": "discard_value"}),
    "resource max_table_nesting 0": _on_resource("max_table_nesting", 0),
    "json hint": _hints(columns={"tags": {"data_type": "json"}}),
    "table_name": _hints(table_name="renamed"),
    "append": _hints(write_disposition="append"),
    "upsert": _hints(write_disposition={"disposition": "merge", "strategy": "upsert"}),
    "merge_key": _hints(merge_key="colour"),
    "primary_key": _hints(primary_key="name"),
    "schema_contract": _hints(schema_contract={"columns": "freeze"}),
    "jsonl": _hints(file_format="jsonl"),
    "no timestamp detection": _no_timestamp_detection,
    "merge_hints": _not_null_names,
    "parallelize": _parallelized,
    "add_limit max_time": _time_limit,
}


# the incremental form too where the setting meets the records before they become tables (dlt's
# incremental, then ``ArrowAfterIncremental``): structure, types, keys and contracts
ALSO_INCREMENTAL = ("source max_table_nesting 0", "resource max_table_nesting 0", "json hint", "table_name",
                    "primary_key", "schema_contract")
IN_DLT_CASES = [(case, False) for case in IN_DLT] + [(case, True) for case in ALSO_INCREMENTAL]


@pytest.mark.parametrize(("case", "incremental"), IN_DLT_CASES,
                         ids=[f"{case}-{'incremental' if inc else 'plain'}" for case, inc in IN_DLT_CASES])
def test_set_in_dlt_on_the_built_source(tmp_path: Path, case: str, incremental: bool) -> None:
    outcome = differential(merged_items(incremental=incremental), tmp_path=tmp_path, size=60, adapt=IN_DLT[case],
                           runs=2)
    assert _root_rows(outcome) > 0  # the tables compared (by ``differential``) are not both empty


IN_CONFIG: dict[str, dict[str, Any]] = {
    "table_name": {"table_name": "renamed"},
    "merge_key": {"merge_key": "colour"},
    "replace": {"write_disposition": "replace"},
    "append": {"write_disposition": "append"},
    "insert-only": {"write_disposition": {"disposition": "merge", "strategy": "insert-only"}},
    "upsert": {"write_disposition": {"disposition": "merge", "strategy": "upsert"}},
    "hard_delete": {"columns": {"active": {"hard_delete": True}}},
    "dedup_sort": {"columns": {"updated_ts": {"dedup_sort": "desc"}}},
    "references": {"references": [{"referenced_table": "other", "columns": ["colour"], "referenced_columns": ["id"]}]},
    "decimal": {"columns": {"price": {"data_type": "decimal", "precision": 10, "scale": 2}}},
    "date": {"columns": {"created_at": {"data_type": "date"}}},
    "not nullable": {"columns": {"name": {"data_type": "text", "nullable": False}}},
    "unique": {"columns": {"colour": {"unique": True}}},
    "parallelized": {"parallelized": True},
    "max_table_nesting 1": {"max_table_nesting": 1},
    "max_table_nesting 2": {"max_table_nesting": 2},
}


@pytest.mark.parametrize("case", list(IN_CONFIG))
def test_a_resource_key_of_the_config(tmp_path: Path, case: str) -> None:
    outcome = differential(merged_items(**IN_CONFIG[case]), tmp_path=tmp_path, size=60, runs=2)
    assert _root_rows(outcome) > 0
