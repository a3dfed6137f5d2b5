"""Exact comparison of synced tables with a simulated API's ground truth."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from restloom.adapter.sync import SyncResult
from restloom.testing import FaultPlan
from tests.conftest import table_rows

Record = dict[str, Any]
Getter = Callable[[Record], Any]
Columns = Mapping[str, Getter]
"""A table's compared columns: column name in DuckDB -> how to read its value from a truth record."""

FAULTS = ("503", "429:retry_after=0", "drop", "truncate")


def faults(seed: int) -> FaultPlan:
    """Every fault kind the catalog must survive, on a fifth of the requests."""
    return FaultPlan(rate=0.2, kinds=FAULTS, seed=seed)


def field(path: str) -> Getter:
    """The value at a dotted path of a record."""

    def get(record: Record) -> Any:
        value: Any = record
        for part in path.split("."):
            value = value[part]
        return value

    return get


def ts(path: str) -> Getter:
    """An ISO 8601 timestamp at a dotted path, as the aware datetime DuckDB returns."""
    read = field(path)
    return lambda record: datetime.fromisoformat(read(record).replace("Z", "+00:00"))


def rows(result: SyncResult, table: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """Every row of ``table`` over ``columns``, sorted."""
    selected = ", ".join(f'"{c}"' for c in columns)
    return sorted(table_rows(result, table, selected), key=repr)


def expected(records: Iterable[Record], columns: Columns) -> list[tuple[Any, ...]]:
    """The rows ``records`` should land as, sorted like ``rows``."""
    return sorted((tuple(get(r) for get in columns.values()) for r in records), key=repr)


def children_rows(children: Mapping[Any, list[Record]], parent_column: str) -> list[Record]:
    """Child records each carrying its parent's key under ``parent_column``."""
    return [{**child, parent_column: key} for key, items in children.items() for child in items]


def assert_tables(result: SyncResult, truth: Mapping[str, list[Record]],
                  columns: Mapping[str, Columns]) -> None:
    """Each table holds exactly its truth records (compared on its columns), nothing more."""
    for table, records in truth.items():
        cols = columns[table]
        assert rows(result, table, list(cols)) == expected(records, cols), table
        assert result.landed[table] == len(records), table
