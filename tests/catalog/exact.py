"""Whole-row comparison of a synced dataset with ground truth, nested tables included.

A truth record is compared the way dlt loads it: nested objects flattened into ``a__b`` columns, lists
into nested tables (``table__field``, rows linked by ``_dlt_parent_id`` and ordered by
``_dlt_list_idx``), or into a JSON column where the table keeps them as JSON. Every column of every
row is compared; a field without a column must be null in every record (dlt creates no column for it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from restloom.adapter.sync import SyncResult

Record = dict[str, Any]
Truth = dict[str, list[Record]]


@dataclass(frozen=True)
class _Table:
    columns: dict[str, str]  # data columns (no _dlt_ ones) -> data type
    nested: dict[str, str]  # flattened field name -> nested table name
    rows: list[Record]  # every column, dlt's own included


class Dataset:
    """The loaded tables of one sync, read once."""

    def __init__(self, result: SyncResult) -> None:
        schema = result.pipeline.default_schema
        self.normalize: Callable[[str], str] = schema.naming.normalize_identifier
        self._tables: dict[str, _Table] = {}
        tables = schema.data_tables(seen_data_only=True)
        with result.pipeline.sql_client() as client:
            for table in tables:
                name = table["name"]
                columns = {c: str(info.get("data_type")) for c, info in table["columns"].items()}
                nested = {t["name"][len(name) + 2:]: t["name"] for t in tables if t.get("parent") == name}
                names = list(columns)
                selected = ", ".join(f'"{c}"' for c in names)
                fetched = client.execute_sql(f"SELECT {selected} FROM {client.make_qualified_table_name(name)}")
                rows = [dict(zip(names, row, strict=True)) for row in fetched]
                self._tables[name] = _Table({c: t for c, t in columns.items() if not c.startswith("_dlt_")},
                                            nested, rows)

    def loaded(self, table: str) -> list[Any]:
        """Every row of ``table``, nested tables folded in, sorted."""
        return _sorted(self._loaded_row(table, row) for row in self._tables[table].rows)

    def expected(self, table: str, records: list[Record]) -> list[Any]:
        """``records`` in the form ``loaded`` returns, sorted."""
        return _sorted(self._expected_row(table, record) for record in records)

    def _loaded_row(self, name: str, row: Record) -> Record:
        table = self._tables[name]
        folded = {c: _comparable(row[c], t) for c, t in table.columns.items()}
        for field, nested in table.nested.items():
            children = [r for r in self._tables[nested].rows if r["_dlt_parent_id"] == row["_dlt_id"]]
            children.sort(key=lambda r: r["_dlt_list_idx"])
            folded[field] = [self._loaded_row(nested, child) for child in children]
        return folded

    def _expected_row(self, name: str, record: Any) -> Record:
        table = self._tables[name]
        flat = _flat(record if isinstance(record, dict) else {"value": record}, table.columns, self.normalize)
        lists = {k: flat.pop(k) for k in [k for k, v in flat.items() if isinstance(v, list) and k not in
                                           table.columns]}
        missing = {k: v for k, v in flat.items() if k not in table.columns and v is not None}
        assert not missing, (name, missing)
        unloaded = {k: v for k, v in lists.items() if v and k not in table.nested}
        assert not unloaded, (name, unloaded)
        expected = {c: _comparable(flat.get(c), t) for c, t in table.columns.items()}
        for field, nested in table.nested.items():
            expected[field] = [self._expected_row(nested, item) for item in lists.get(field, [])]
        return expected


def _flat(record: Record, columns: dict[str, str], normalize: Callable[[str], str], prefix: str = "") -> Record:
    flat: Record = {}
    for key, value in record.items():
        name = prefix + normalize(key)
        if isinstance(value, dict) and name not in columns:
            flat.update(_flat(value, columns, normalize, f"{name}__"))
        else:
            flat[name] = value
    return flat


def _comparable(value: Any, data_type: str) -> Any:
    """A truth or loaded value in one form: timestamps as UTC datetimes, JSON parsed."""
    if value is not None and data_type == "timestamp" and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if value is not None and data_type == "json" and isinstance(value, str):
        return json.loads(value)
    return value


def _sorted(rows: Any) -> list[Any]:
    return sorted(rows, key=repr)


def assert_exact(result: SyncResult, truth: Truth) -> None:
    """Each table holds exactly its truth records: every row, column, value and nested list; nothing more."""
    dataset = Dataset(result)
    for table, records in truth.items():
        assert dataset.loaded(table) == dataset.expected(table, records), table
