"""The columnar path: a page of records becomes one Arrow table per dlt table, so dlt's row normaliser
(per-row type coercion, its intermediate jsonl files and their compression) drops out of the run.

The tables must be exactly the ones dlt's row path builds, so the work is split where that can be
guaranteed:

- **Structure is dlt's own.** Flattening (``a__b``), unnesting lists into nested tables, ``max_table_nesting``,
  the ``_dlt_id`` / ``_dlt_parent_id`` / ``_dlt_list_idx`` / ``_dlt_root_id`` / ``_dlt_load_id`` values and
  root-key propagation come from the schema's relational normaliser (``schema.normalize_data_item``), the
  very generator the row path runs at normalize time, fed the same record with the same load id.
- **Types are decided per column, not per value**, with dlt's inference rules: a column the schema knows
  keeps its type; a new one takes the type of its first non-null value (dlt's type detections, preferred
  types and hints), columns ordered by first non-null appearance, as ``JsonLItemsNormalizer._coerce_row``
  adds them. Values of the column's own Python type go to Arrow as they are; other values take dlt's
  ``coerce_value``; ISO 8601 timestamps are parsed by Arrow in one cast where their form is one both parse
  identically, by dlt's coercion otherwise.
- **Anything else is not guessed.** A value that would need a variant column (``x__v_text``), a type the
  path does not build (json, decimal, date, wei, binary, ...), a null in a non-nullable column, an integer
  outside 64 bits: the page raises ``NotColumnar`` and goes to dlt as rows, and so does every later page of
  that resource in the run (the schema dlt's row path infers at normalize time is not visible here, so
  mixing back would risk a different type decision).

New columns are added to the live source schema before the table is handed over (dlt's extractor then
finds them complete, with their hints, and in the row path's order); nested tables become table variants
of the resource with their parent, which is how dlt's merge recognises them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.normalizers.json.helpers import get_root_row_id_type
from dlt.common.normalizers.utils import generate_dlt_ids
from dlt.common.schema import Schema, utils
from dlt.common.schema.typing import C_DLT_ID, C_DLT_LOAD_ID

from restloom.adapter.coltypes import ARROW_TYPES, NotColumnar, new_column, py_array
from restloom.adapter.vector import Built, vector_tables
from restloom.config.models import ResourceSpec
from restloom.errors import ConfigError, ConfigIssue
from restloom.text import truncate

COLUMNAR_ENV = "RESTLOOM_COLUMNAR"
CHUNK_ENV = "RESTLOOM_COLUMNAR_ROWS"
DEFAULT_CHUNK_ROWS = 5000


def columnar_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when ``RESTLOOM_COLUMNAR`` is ``0`` (or ``false``/``no``/``off``): every resource goes as rows."""
    value = (os.environ if environ is None else environ).get(COLUMNAR_ENV, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def chunk_rows(environ: Mapping[str, str] | None = None) -> int:
    """How many records (whole pages) one Arrow table gathers at most: ``RESTLOOM_COLUMNAR_ROWS``, default
    5000; a page larger than that is one table of its own. Any other value than a positive integer is a
    ``ConfigError`` naming the variable (``RunOptions.from_env`` checks it before a run starts)."""
    text = (os.environ if environ is None else environ).get(CHUNK_ENV, "")
    if not text:
        return DEFAULT_CHUNK_ROWS
    try:
        rows = int(text)
    except ValueError:
        rows = 0
    if rows < 1:
        raise ConfigError([ConfigIssue(f"${CHUNK_ENV}", f"expected a positive integer, got {truncate(text, 40)!r}")])
    return rows


NESTED_HINTS = "nested_hints: dlt applies them to the nested tables it makes from the records"


def row_path_reason(spec: ResourceSpec, *, file_format: str = "parquet", source_schema: Any = None,
                    source_contract: Any = None, enabled: bool | None = None) -> str | None:
    """Why ``spec`` goes to dlt as rows for the whole run, or None when its pages go columnar.

    Rows where the columnar path cannot promise dlt's result: processing steps (callables that expect
    rows), a child's incremental shared by all its parents (``per_parent: false``: dlt binds it anew for each
    parent page, so what it drops depends on how the pages of the parents interleave), a table name computed
    per record, a schema contract (its checks run on the rows dlt infers), a user schema, the scd2 merge
    strategy (row hashes and validity columns), ``nested_hints``, a loader format other than parquet, and the switch
    ``RESTLOOM_COLUMNAR=0``.
    """
    if not (columnar_enabled() if enabled is None else enabled):
        return f"{COLUMNAR_ENV}=0"
    hints = spec.hints
    disposition = hints.get("write_disposition")
    incremental = spec.endpoint.incremental
    reasons = [
        ("processing_steps", bool(spec.processing_steps)),
        ("incremental per_parent: false (one cursor for all parents)",
         spec.parent is not None and incremental is not None and not incremental.per_parent),
        ("table_name computed per record", callable(hints.get("table_name"))),
        ("schema_contract", hints.get("schema_contract") is not None or source_contract is not None),
        ("a user schema", source_schema is not None),
        ("scd2", _is_scd2(disposition)),
        (NESTED_HINTS, bool(hints.get("nested_hints"))),
        (f"file_format {hints.get('file_format', file_format)}",
         hints.get("file_format", file_format) != "parquet"),
    ]
    return next((reason for reason, applies in reasons if applies), None)


def describe_path(reason: str | None) -> str:
    """``columnar`` or ``rows (<reason>)``, as ``restloom check`` prints it."""
    return "columnar" if reason is None else f"rows ({reason})"


@dataclass(slots=True)
class Columnar:
    """Turns the pages of one resource into Arrow tables during one extraction (see the module doc)."""

    resource: str
    fallen_back: str | None = None
    vectorised: int = 0  # chunks built by the vectorised lane
    record_by_record: str | None = None  # why the first chunk that was not went through dlt's normaliser
    record_type: pa.DataType | None = None  # the Arrow type of the last vectorised chunk's records

    def items(self, rows: Sequence[Any], primary_key: Sequence[str] | None = None,
              texts: Sequence[bytes | None] = ()) -> list[Any]:
        """The dlt items of some pages: Arrow tables (nested ones marked with their table name), or
        raises ``NotColumnar`` (and stays on rows for the rest of the run). ``texts``: each page's records
        as the engine wrote them in JSON (``Batch.text``), when it did."""
        if self.fallen_back is not None:
            raise NotColumnar(self.fallen_back)
        try:
            return self._items(rows, primary_key, texts)
        except NotColumnar as reason:
            self.fallen_back = str(reason)
            raise

    def _items(self, rows: Sequence[Any], primary_key: Sequence[str] | None,
               texts: Sequence[bytes | None]) -> list[Any]:
        source = dlt.current.source()
        resource = source.resources[self.resource]
        applied = _applied_in_dlt(resource)
        if applied is not None:
            raise NotColumnar(applied)
        schema: Schema = source.schema
        if schema._compiled_excludes:
            raise NotColumnar("the schema excludes columns")
        if primary_key is not None:
            resource.apply_hints(primary_key=list(primary_key))
        root = _ensure_root_table(schema, resource)
        load_id = dlt.current.load_package_state()["load_id"]
        if not all(type(row) is dict for row in rows):
            raise NotColumnar("a record that is not an object")
        # a normaliser of its own per page: the schema's keeps settings (root-key propagation) and caches
        # from when it was made, while the row path's is made at normalize time from the final schema
        normalizer = type(schema.data_item_normalizer)(schema)
        try:
            built, self.record_type = vector_tables(schema, normalizer, root, rows, load_id, texts=texts,
                                                    known=self.record_type)
            self.vectorised += 1
        except NotColumnar as reason:
            self.record_by_record = self.record_by_record or str(reason)
            built = _per_record(schema, normalizer, root, rows, load_id)
        for _, _, _, partial in built:  # only once every table of the page is columnar
            if partial is not None:
                schema.update_table(partial, normalize_identifiers=False)
        items: list[Any] = []
        for table, parent, arrow, _ in built:
            if table == root:
                items.append(arrow)
                continue
            if table not in resource._hints_variants:
                _nested_variant(resource, table, parent)
            if not isinstance(schema.tables[table], _NestedTable):
                schema.tables[table] = _NestedTable(schema.tables[table], resource=self.resource)  # type: ignore[assignment]
            items.append(dlt.mark.with_table_name(arrow, table))
        return items


def _applied_in_dlt(resource: Any) -> str | None:
    """Why hints on the resource send it as rows: those applied in dlt to the built resource that the
    columnar path does not build (a config's are ``row_path_reason``'s): ``nested_hints``, hints computed
    per record (``apply_hints(table_name=lambda record: ...)``: dlt computes them from each record), the
    scd2 strategy (row hashes and validity columns)."""
    if resource.nested_hints:
        return NESTED_HINTS
    if resource.has_dynamic_table_name or resource.has_other_dynamic_hints:
        return "hints computed per record"
    if _is_scd2(resource.write_disposition):
        return "scd2"
    return None


def _is_scd2(disposition: Any) -> bool:
    return isinstance(disposition, Mapping) and disposition.get("strategy") == "scd2"


def _per_record(schema: Schema, normalizer: Any, root: str, rows: Sequence[dict[str, Any]],
                load_id: str) -> list[Built]:
    """The tables of a chunk built record by record: dlt's relational normaliser yields each record's rows
    (the very generator the row path runs at normalize time), typed column by column (``coltypes``)."""
    per_table: dict[str, list[dict[str, Any]]] = {}
    parents: dict[str, str | None] = {root: None}
    for row in _with_row_ids(schema, root, rows):
        for (table, parent_path, _), flat in normalizer.normalize_data_item(row, load_id, root):
            if table not in parents:
                parents[table] = schema.naming.shorten_fragments(*parent_path) if parent_path else None
            per_table.setdefault(table, []).append(flat)
    return [(table, parents[table], *_arrow_table(schema, table, parents[table], flats))
            for table, flats in per_table.items()]


class _NestedTable(dict[str, Any]):
    """A nested table of the live schema that answers ``table["resource"]`` without holding the key.

    dlt's row path writes nested tables only at normalize time. Written at extract time, they meet dlt's
    extract metrics, which group each written table by ``schema.get_table(name)["resource"]``, while a
    nested table must not carry a ``resource`` (merging schemas refuses it, and the row path has none).
    ``dict.__missing__`` serves only the ``[]`` lookup: ``get``, ``in`` and copies see a plain nested
    table, so the stored schema is the row path's."""

    def __init__(self, table: Mapping[str, Any], *, resource: str) -> None:
        super().__init__({k: v for k, v in table.items() if k != "variant_name"})
        self._resource = resource

    def __missing__(self, key: str) -> Any:
        if key == "resource":
            return self._resource
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        if key != "variant_name":  # the extractor's note of the hints variant: the row path has none
            super().__setitem__(key, value)


def _nested_variant(resource: Any, table: str, parent: str | None) -> None:
    """Declare ``table`` a nested table of ``parent`` for items the resource marks with its name.

    ``apply_hints(create_table_variant=True)`` would start the variant from the resource's own hints (its
    write disposition, keys, file format), which dlt's row path never gives a nested table; the variant
    is set from the table name and parent alone, through the resource's own setter."""
    resource._set_hints(dlt.mark.make_hints(table_name=table, parent_table_name=parent), create_table_variant=True)


def _with_row_ids(schema: Schema, root: str, rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """The records with the random ``_dlt_id`` dlt's normaliser would give each, drawn in one call.

    dlt draws a root row's random id one ``os.urandom`` call per row; its normaliser keeps an id a record
    already carries. Only where the id is random: a key or row hash (upsert, scd2) stays dlt's to compute.
    The records are copied (shallow), not changed: the engine's pages stay as they came."""
    if get_root_row_id_type(schema, root) != "random" or any(C_DLT_ID in row for row in rows):
        return rows
    return [{**row, C_DLT_ID: row_id} for row, row_id in zip(rows, generate_dlt_ids(len(rows)), strict=True)]


def _ensure_root_table(schema: Schema, resource: Any) -> str:
    """The root table's normalised name, created in the schema from the resource's hints when new (dlt's
    extractor does the same on the first item; the normaliser needs its write disposition now, for root-key
    propagation)."""
    computed = resource.compute_table_schema()
    name = schema.naming.normalize_table_identifier(computed["name"])
    if name not in schema.tables:
        schema.update_table(utils.normalize_table_identifiers(computed, schema.naming))
    return name


def _arrow_table(schema: Schema, table: str, parent: str | None,
                 flats: list[dict[str, Any]]) -> tuple[pa.Table, Any]:
    """One table's rows as Arrow, and the partial table of its new columns for the schema (or None)."""
    existing = schema.tables.get(table)
    known: Mapping[str, Any] = existing["columns"] if existing else {}
    order: dict[str, None] = {}
    for flat in flats:
        for name, value in flat.items():
            if value is not None and name not in order:
                order[name] = None
    if C_DLT_ID in order and C_DLT_LOAD_ID in order:
        order = _row_id_after_load_id(order)
    new_columns: dict[str, Any] = {}
    arrays: list[pa.Array] = []
    fields: list[pa.Field] = []
    for name in order:
        values = [flat.get(name) for flat in flats]
        column = known.get(name)
        if column is None or not utils.is_complete_column(column):
            column = new_column(schema, name, next(v for v in values if v is not None), column)
            new_columns[name] = column
        elif column["data_type"] not in ARROW_TYPES:
            raise NotColumnar(f"column {name} is {column['data_type']}")
        arrays.append(py_array(column, values))
        fields.append(pa.field(name, ARROW_TYPES[column["data_type"]], nullable=column.get("nullable", True)))
    for name, column in known.items():
        if name not in order and not column.get("nullable", True) and utils.is_complete_column(column):
            raise NotColumnar(f"column {name} is not nullable and the page has no value for it")
    partial: Any = None
    if new_columns or existing is None:
        partial = {"name": table, "columns": {}} if existing is not None else utils.new_table(
            table, parent)  # type: ignore[arg-type]  # None: a root table, as dlt's row path calls it
        partial["columns"] = new_columns
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields)), partial


def _row_id_after_load_id(order: dict[str, None]) -> dict[str, None]:
    """The row path's order of a root table's columns: its normaliser adds ``_dlt_load_id`` and then
    ``_dlt_id`` after a record's fields, where ``_with_row_ids`` put the id among the record's own."""
    del order[C_DLT_ID]
    moved: dict[str, None] = {}
    for name in order:
        moved[name] = None
        if name == C_DLT_LOAD_ID:
            moved[C_DLT_ID] = None
    return moved


__all__ = ["COLUMNAR_ENV", "Columnar", "NotColumnar", "columnar_enabled", "describe_path", "row_path_reason"]
